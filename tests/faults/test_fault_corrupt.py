"""Fault 4: a corrupt live index (truncated TOC, truncated or damaged segment, missing file) → the
server answers from the previous good generation, /healthz says "degraded", never a 500."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from faultkit import articles, record
from archives import write_jsonl
from indexer.storage import generations
from indexer.build import build_index
from indexer.search import SearchRequest, search
from indexer.jobs import current_job
from indexer.storage.store import IndexStore

QUERIES = ["", "numérique", "entreprises OR données", "donn*", '"les entreprises"', "réseaux -sociaux"]


def two_generations(tmp_path):
    """An older generation (the fallback, 200 articles) and a live one (201: one more article),
    built in full: they share no file (damage to a file that generations share is the shared
    damage test's, below)."""
    index_dir = tmp_path / "index"
    old = articles(200)
    build_index([write_jsonl(tmp_path / "a.jsonl", old)], index_dir)
    previous = generations.read_current(index_dir)
    new = old + [{"id": "nouveau", "title": "Un article de la nouvelle génération", "body": "Rien d’autre."}]
    build_index([write_jsonl(tmp_path / "b.jsonl", new)], index_dir, incremental=False)
    return index_dir, previous, generations.read_current(index_dir)


def biggest(folder, pattern):
    return max(folder.glob(pattern), key=lambda p: p.stat().st_size)


def truncate_toc(live):
    for toc in live.glob("shard-*/*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])


def truncate_segment(live):
    seg = biggest(live, "shard-*/*.seg")
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])


def hole_in_segment(live):
    """Zeros near the end of a segment: Whoosh still opens it, and reading postings fails."""
    seg = biggest(live, "shard-*/*.seg")
    data = bytearray(seg.read_bytes())
    a, b = int(len(data) * 0.8), int(len(data) * 0.98)
    data[a:b] = bytes(b - a)
    seg.write_bytes(bytes(data))


def zero_segments(live):
    """Every segment zeroed but its last tenth (where the compound file's directory is): after the
    generation was opened, every read of postings or stored fields fails."""
    for seg in live.glob("shard-*/*.seg"):
        data = bytearray(seg.read_bytes())
        cut = int(len(data) * 0.9)
        data[:cut] = bytes(cut)
        seg.write_bytes(bytes(data))


def remove_facet_values(live):
    next(live.glob("shard-*/arrays/*.values.json")).unlink()


DAMAGE = {"truncated TOC": truncate_toc, "truncated segment": truncate_segment,
          "hole in a segment": hole_in_segment, "missing facet values": remove_facet_values,
          "zeroed segments": zero_segments}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_the_engine_falls_back_when_the_live_generation_is_damaged(tmp_path, damage):
    index_dir, previous, live = two_generations(tmp_path)
    DAMAGE[damage](index_dir / live)
    store = IndexStore(index_dir)
    for q in QUERIES:
        assert search(store, SearchRequest(q=q))["total"] >= 0
    assert store.current().name == previous and store.info()["degraded"] is True
    assert search(store, SearchRequest(q=""))["total"] == 200


def test_damage_after_the_generation_was_opened_is_caught_at_read_time(tmp_path):
    """A worker opened the live generation; its files are damaged later: the next read that fails
    is checked against the manifest, the generation set aside, and the read answered from the fallback."""
    index_dir, previous, live = two_generations(tmp_path)
    store = IndexStore(index_dir)
    assert store.run(lambda: search(store, SearchRequest(q="")))["total"] == 201
    zero_segments(index_dir / live)
    answers = [store.run(lambda q=q: search(store, SearchRequest(q=q))) for q in QUERIES]
    assert all(a["total"] >= 0 for a in answers)
    assert store.current().name == previous and store.info()["degraded"] is True


def test_a_sound_generation_is_not_set_aside_for_a_bug(tmp_path):
    index_dir, previous, live = two_generations(tmp_path)
    store = IndexStore(index_dir)

    def buggy():
        raise ZeroDivisionError("a bug in the search code")

    with pytest.raises(ZeroDivisionError):
        store.run(buggy)
    assert store.current().name == live and store.info()["degraded"] is False


@pytest.mark.parametrize("damage, when", [("truncated TOC", "before the server starts"),
                                          ("truncated segment", "before the server starts"),
                                          ("zeroed segments", "after the workers opened it")])
def test_the_server_serves_the_fallback_and_says_it_is_degraded(tmp_path, servers, damage, when):
    index_dir, previous, live = two_generations(tmp_path)
    if when.startswith("before"):
        DAMAGE[damage](index_dir / live)
    server = servers(index_dir, workers=2)
    if when.startswith("after"):
        for _ in range(6):  # every worker opens the live generation, sound
            code, health = server.json("/healthz")
            assert (code, health["status"], health["generation"]) == (200, "ok", live)
        DAMAGE[damage](index_dir / live)

    statuses, healths = [], []
    for i in range(40):
        q = QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}")
        for path in ("/api/v1/search?" + urllib.parse.urlencode({"q": q}), "/?" + urllib.parse.urlencode({"q": q}),
                     "/api/v1/suggest?q=num", "/api/v1/articles/a5"):
            status, _, body = server.get(path)
            statuses.append(status)
            assert status < 500, (path, status, body[:300])
            if not path.startswith("/api/v1/articles"):  # a damaged lookup may say 404 before a read fails
                assert status == 200, (path, status, body[:300])
        code, health = server.json("/healthz")
        healths.append((health["status"], health["generation"], health["articles"]))
        # Answers come from a sound generation: the fallback (degraded), or the repaired one.
        # (Health is per worker: one damaged after it opened the generation says `ok` until
        # one of its own reads fails.)
        assert healths[-1] == ("degraded", previous, 200) or (
            healths[-1][0] == "ok" and healths[-1][1] > live and healths[-1][2] == 201) or (
            when.startswith("after") and healths[-1] == ("ok", live, 201)), healths[-1]
    assert ("degraded", previous, 200) in healths or damage == "zeroed segments"

    # The server repairs itself: a reader reported the damage, the applier checked the live
    # generation and started `index --repair`, a full build from the recorded sources.
    started = time.monotonic()
    deadline = started + 60
    while time.monotonic() < deadline:
        oks = [server.json("/healthz")[1] for _ in range(4)]  # both workers
        if all(h["status"] == "ok" and h["generation"] > live for h in oks):
            break
        time.sleep(0.2)
    assert all(h["status"] == "ok" and h["generation"] > live and h["articles"] == 201 for h in oks), oks
    assert current_job(index_dir)["state"] == "done"
    degraded = sum(h[0] == "degraded" for h in healths)
    record("corrupt_index", **{damage.replace(" ", "_"): f"damaged {when}: {len(statuses)} requests, "
                               f"{sum(s >= 500 for s in statuses)} 5xx, {degraded} of {len(healths)} health checks "
                               f"degraded (answered from the fallback), repaired by the server itself "
                               f"({len(healths) - degraded} after the repair)"})


def test_a_reindex_after_damage_rebuilds_instead_of_copying_the_damage(tmp_path):
    index_dir, previous, live = two_generations(tmp_path)
    zero_segments(index_dir / live)
    report = build_index([write_jsonl(tmp_path / "c.jsonl", articles(210, seed=4))], index_dir)
    store = IndexStore(index_dir)
    assert report.articles == 210 and search(store, SearchRequest(q=""))["total"] == 210
    assert store.info()["degraded"] is False

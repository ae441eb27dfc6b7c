"""The live index, in process: pushed writes become searchable, replace and delete what they
name, survive rebuilds from the archive, and are applied once, in order, whatever fails."""

from __future__ import annotations

import json
import threading

import pytest

from indexer import live
from indexer.build import build_index
from indexer.live.applier import Applier, applied_seq
from indexer.live.processes import ApplierLock
from indexer.live.documents import article_from_json
from indexer.live.journal import Journal
from indexer.live.ledger import Ledger
from indexer.search import IndexStore, SearchRequest, get_article, search
from indexer.storage import generations

from archives import articles, write_jsonl


def _article(article_id: str, title: str, body: str = "Un texte.", **fields):
    return article_from_json({"title": title, "body": body, **fields}, article_id)


def _apply(index_dir) -> Applier:
    applier = Applier(index_dir)
    applier.run(until_idle=True)
    return applier


def _total(index_dir, q: str, **filters) -> int:
    return search(IndexStore(index_dir), SearchRequest(q=q, filters=filters))["total"]


@pytest.fixture
def index_dir(tmp_path):
    build_index([write_jsonl(tmp_path / "archive.jsonl", articles(40, seed=3))], tmp_path / "index")
    return tmp_path / "index"


def test_a_pushed_article_is_searchable_with_its_facets_and_sources(index_dir):
    task = live.put(index_dir, [_article("girafe-1", "Les girafes du numérique",
                                          "<p>Selon une <cite>Etude FEVAD</cite>, les girafes achètent en ligne.</p>",
                                          tags=["Zoo"], date="2026-11-30", author="Alice")])
    assert task["state"] == "enqueued" and task["id"] == 1
    before = generations.read_current(index_dir)
    _apply(index_dir)
    assert live.get_task(index_dir, task["id"])["state"] == "succeeded"
    answer = search(IndexStore(index_dir), SearchRequest(q="girafe"))
    assert answer["total"] == 1
    assert answer["results"][0]["id"] == "girafe-1"
    assert "<mark>girafes</mark>" in answer["results"][0]["snippet"]
    assert {"value": "Zoo", "count": 1, "selected": False} in answer["facets"]["tag"]
    assert "Etude FEVAD" in answer["results"][0]["sources"]  # quoted sources found as in a build
    assert _total(index_dir, "", year=["2026"]) == 1
    assert get_article(IndexStore(index_dir), "girafe-1")["body"].startswith("Selon une Etude FEVAD")
    assert search(IndexStore(index_dir), SearchRequest(q="gira*"))["total"] == 1  # the lexicon knows it
    # The new generation shares the old one's segments and adds one.
    after = generations.read_current(index_dir)
    assert after != before
    shared = [p for p in (index_dir / after).rglob("*.seg") if p.stat().st_nlink > 1]
    assert shared and len(list((index_dir / after).rglob("*.seg"))) == len(shared) + 1


def test_a_put_replaces_and_a_delete_removes_an_archive_article(index_dir):
    original = articles(40, seed=3)[5]
    live.put(index_dir, [_article(original["id"], "Un titre remplacé sur les hippopotames")])
    live.delete(index_dir, [articles(40, seed=3)[6]["id"], "no-such-article"])
    _apply(index_dir)
    store = IndexStore(index_dir)
    assert _total(index_dir, "hippopotames") == 1
    assert get_article(store, original["id"])["title"] == "Un titre remplacé sur les hippopotames"
    assert _total(index_dir, "") == 39  # one replaced, one deleted, the unknown id ignored
    assert store.current().articles == 39
    assert [t["state"] for t in live.recent_tasks(index_dir)] == ["succeeded", "succeeded"]


def test_the_last_write_of_an_article_wins_within_a_batch_and_across_batches(index_dir):
    live.put(index_dir, [_article("x", "Premier zèbre")])
    live.put(index_dir, [_article("x", "Deuxième zèbre")])
    live.delete(index_dir, ["y"])
    live.put(index_dir, [_article("y", "Un yack")])
    _apply(index_dir)  # one batch: every record above
    assert get_article(IndexStore(index_dir), "x")["title"] == "Deuxième zèbre"
    assert _total(index_dir, "zèbre") == 1 and _total(index_dir, "yack") == 1
    live.delete(index_dir, ["x"])
    live.put(index_dir, [_article("x", "Troisième zèbre")])
    _apply(index_dir)
    assert get_article(IndexStore(index_dir), "x")["title"] == "Troisième zèbre"
    assert _total(index_dir, "zèbre") == 1


def test_a_batch_is_one_task_applied_whole(index_dir):
    batch = [_article(f"b{i}", f"Lot numéro {i} des wombats") for i in range(25)]
    task = live.put(index_dir, batch)
    assert (task["kind"], task["articles"]) == ("batch", 25)
    _apply(index_dir)
    assert _total(index_dir, "wombats") == 25


def test_an_index_can_start_from_pushed_articles_alone(tmp_path):
    live.put(tmp_path / "index", [_article("only", "Le seul article poussé")])
    _apply(tmp_path / "index")
    assert _total(tmp_path / "index", "") == 1
    assert _total(tmp_path / "index", "seul") == 1


def test_a_reindex_keeps_pushed_articles_and_deletions_over_the_archive(index_dir, tmp_path):
    archive = write_jsonl(tmp_path / "archive.jsonl", articles(40, seed=3))
    replaced, deleted = articles(40, seed=3)[0]["id"], articles(40, seed=3)[1]["id"]
    live.put(index_dir, [_article("pushed-only", "Un ornithorynque poussé"),
                         _article(replaced, "Une version poussée des kinkajous")])
    live.delete(index_dir, [deleted])
    _apply(index_dir)
    for full in (False, True):
        report = build_index([archive], index_dir, incremental=not full)
        assert report.pushed == 2 and report.articles == 40  # 40 - 1 deleted + 1 pushed-only
        assert _total(index_dir, "ornithorynque") == 1 and _total(index_dir, "kinkajous") == 1
        assert get_article(IndexStore(index_dir), replaced)["title"] == "Une version poussée des kinkajous"
        with pytest.raises(Exception):
            get_article(IndexStore(index_dir), deleted)
    assert applied_seq(index_dir) == 2
    report = build_index([archive], index_dir, forget_pushed=True)
    assert report.pushed == 0 and report.articles == 40
    assert _total(index_dir, "ornithorynque") == 0 and _total(index_dir, "kinkajous") == 0
    assert get_article(IndexStore(index_dir), deleted)["id"] == deleted


def test_writes_pushed_while_a_reindex_runs_are_kept(index_dir, tmp_path, monkeypatch):
    """The build reads the pushed articles at its start; what is pushed and applied while it runs
    is caught up before it publishes."""
    from indexer import build as build_mod

    archive = write_jsonl(tmp_path / "archive.jsonl", articles(40, seed=3))
    reading = threading.Event()
    go_on = threading.Event()
    real_prepare = build_mod.prepare

    def slow_prepare(article, old):  # the build pauses after reading its first article
        if not reading.is_set():
            reading.set()
            go_on.wait(30)
        return real_prepare(article, old)

    monkeypatch.setattr(build_mod, "prepare", slow_prepare)
    builder = threading.Thread(target=build_index, args=([archive], index_dir), kwargs={"incremental": False})
    builder.start()
    assert reading.wait(30)
    live.put(index_dir, [_article("during", "Un tapir pendant la reconstruction")])
    live.delete(index_dir, [articles(40, seed=3)[2]["id"]])
    lock = ApplierLock(index_dir)
    assert lock.acquire()
    _apply(index_dir)
    lock.release()
    assert _total(index_dir, "tapir") == 1
    go_on.set()
    builder.join(60)
    assert _total(index_dir, "tapir") == 1  # the rebuilt index caught up with the push
    assert _total(index_dir, "") == 40
    assert applied_seq(index_dir) == 2
    live.put(index_dir, [_article("after", "Un okapi après la reconstruction")])
    _apply(index_dir)
    assert _total(index_dir, "okapi") == 1 and _total(index_dir, "tapir") == 1


def test_a_reindex_catches_up_with_pushes_without_the_writer_lock_then_the_rest_under_it(
        index_dir, tmp_path, monkeypatch):
    """Under a stream of pushes a long build has thousands of them to catch up: it does so while
    the applier goes on, and holds the writer lock only for what arrived meanwhile."""
    from indexer import build as build_mod

    archive = write_jsonl(tmp_path / "archive.jsonl", articles(40, seed=3))
    reading, go_on = threading.Event(), threading.Event()
    real_prepare, real_apply = build_mod.prepare, build_mod.apply_changes
    calls = []  # (ids caught up, writer lock held by someone else at the time)

    def slow_prepare(article, old):
        if not reading.is_set():
            reading.set()
            go_on.wait(30)
        return real_prepare(article, old)

    def watched_apply(folder, shards, changes, vocabulary):
        calls.append(([i for i, _ in changes], generations.WriterLock(index_dir).held_elsewhere()))
        if len(calls) == 1:  # pushed while the first catch-up runs: for the next round
            live.put(index_dir, [_article("during", "Un tapir remplacé par un zèbre")])
            _apply(index_dir)
        return real_apply(folder, shards, changes, vocabulary)

    monkeypatch.setattr(build_mod, "prepare", slow_prepare)
    monkeypatch.setattr(build_mod, "apply_changes", watched_apply)
    monkeypatch.setattr(build_mod, "CATCH_UP_UNDER_LOCK", 0)
    builder = threading.Thread(target=build_index, args=([archive], index_dir), kwargs={"incremental": False})
    builder.start()
    assert reading.wait(30)
    live.put(index_dir, [_article("during", "Un tapir xylophage"), _article("other", "Un okapi")])
    live.delete(index_dir, [articles(40, seed=3)[2]["id"]])
    lock = ApplierLock(index_dir)
    assert lock.acquire()
    _apply(index_dir)
    go_on.set()
    builder.join(60)
    lock.release()
    assert not builder.is_alive()
    assert set(calls[0][0]) == {"during", "other", articles(40, seed=3)[2]["id"]} and calls[0][1] is False
    assert calls[1] == (["during"], False)  # the second round, still without the lock
    assert calls[-1] == ([], True)  # nothing left for the lock
    assert _total(index_dir, "zèbre") == 1 and _total(index_dir, "tapir") == 1
    assert _total(index_dir, "okapi") == 1 and _total(index_dir, "xylophage") == 0  # the first tapir replaced
    assert _total(index_dir, "") == 40 + 2 - 1


def test_the_applier_replays_into_the_ledger_what_a_crash_left_out(index_dir):
    live.put(index_dir, [_article("p1", "Un pangolin")])
    _apply(index_dir)
    ledger = Ledger(index_dir)
    with ledger.transaction() as db:  # as if the applier died between publishing and recording
        db.execute("DELETE FROM pushed")
        db.execute("UPDATE progress SET seq = 0")
    assert ledger.laid_through() == 0
    _apply(index_dir)
    assert ledger.laid_through() == 1
    assert [i for i, _, _ in ledger.pushed()] == ["p1"]


def test_a_write_is_applied_once(index_dir):
    live.put(index_dir, [_article("once", "Un quokka")])
    applier = _apply(index_dir)
    assert applier.applied == 1
    again = _apply(index_dir)  # a restarted applier finds nothing left to apply
    assert again.applied == 0
    assert _total(index_dir, "quokka") == 1


def test_a_record_that_cannot_be_applied_fails_alone_and_the_rest_goes_on(index_dir):
    live.put(index_dir, [_article("good-1", "Un bon axolotl")])
    bad = Journal(index_dir).append({"kind": "put", "ops": [{"op": "put", "article": {"id": "bad", "nonsense": 1}}],
                                     "enqueued_at": "2026-11-30T00:00:00+00:00"})
    live.put(index_dir, [_article("good-2", "Un autre axolotl")])
    _apply(index_dir)
    assert _total(index_dir, "axolotl") == 2
    assert live.get_task(index_dir, bad)["state"] == "failed"
    assert "nonsense" in live.get_task(index_dir, bad)["error"] or live.get_task(index_dir, bad)["error"]
    assert applied_seq(index_dir) == 3


def test_a_torn_journal_tail_is_dropped_and_reported_and_the_rest_applied(index_dir):
    live.put(index_dir, [_article("t1", "Un tatou")])
    live.put(index_dir, [_article("t2", "Un autre tatou")])
    path = Journal(index_dir).files()[-1]
    with open(path, "r+b") as f:  # the second record's end never reached the disk
        f.truncate(path.stat().st_size - 10)
    _apply(index_dir)
    assert _total(index_dir, "tatou") == 1
    assert any("torn" in r["what"] for r in Journal(index_dir).repairs())


def test_applied_journal_files_are_discarded(index_dir, monkeypatch):
    from indexer.live import journal

    monkeypatch.setattr(journal, "FILE_LIMIT", 2000)
    for i in range(12):
        live.put(index_dir, [_article(f"j{i}", f"Un jaguar {i}", "x" * 500)])
    assert len(Journal(index_dir).files()) > 2
    _apply(index_dir)
    assert len(Journal(index_dir).files()) == 1
    assert _total(index_dir, "jaguar") == 12


def test_the_cli_puts_and_deletes_and_applies_when_no_server_runs(index_dir, tmp_path):
    from click.testing import CliRunner

    from indexer.cli import main

    source = tmp_path / "push.jsonl"
    source.write_text("\n".join(json.dumps({"id": f"c{i}", "title": f"Un caribou {i}", "body": "Texte."})
                                for i in range(3)), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["put", str(source), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "3 article(s), succeeded" in result.output
    assert _total(index_dir, "caribou") == 3
    result = runner.invoke(main, ["delete", "c0", "c1", "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and "succeeded" in result.output
    assert _total(index_dir, "caribou") == 1
    result = runner.invoke(main, ["tasks", "--index-dir", str(index_dir), "--json"])
    assert [t["kind"] for t in json.loads(result.output)["tasks"]] == ["delete", "batch"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "z", "title": "t", "body": "b", "date": "hier"}\n', encoding="utf-8")
    result = runner.invoke(main, ["put", str(bad), "--index-dir", str(index_dir)])
    assert result.exit_code != 0 and "date" in str(result.exception or result.output)


# --- merging ------------------------------------------------------------------------------------------

def _push_one_by_one(index_dir, count: int, prefix: str = "m") -> None:
    applier = Applier(index_dir)
    for i in range(count):
        live.put(index_dir, [_article(f"{prefix}{i}", f"Un manchot numéro {i}", f"Le manchot {i} nage.")])
        applier.step()


def _answers(index_dir) -> dict:
    store = IndexStore(index_dir)
    return {q: search(store, SearchRequest(q=q, per_page=50)) for q in
            ("manchot", "", "nage", "numérique", "entreprise OR manchot", '"le manchot"', "manch*")}


def test_small_segments_are_merged_and_answers_stay_the_same(index_dir, monkeypatch):
    from indexer.live import merge

    monkeypatch.setattr(merge, "FACTOR", 4)
    _push_one_by_one(index_dir, 14)
    live.delete(index_dir, ["m3"])
    Applier(index_dir).step()
    before = IndexStore(index_dir).current()
    segments_before = len(before.parts)
    expected = _answers(index_dir)
    assert merge.run(index_dir) >= 2
    after = IndexStore(index_dir).current()
    assert len(after.parts) < segments_before
    assert after.articles == before.articles == 53
    got = _answers(index_dir)
    for q in expected:  # the same articles, facets and snippets; scores move with the statistics
        assert got[q]["total"] == expected[q]["total"], q
        if expected[q]["total"] <= 50:  # (past a page, ties between equal scores follow the new order)
            assert {r["id"] for r in got[q]["results"]} == {r["id"] for r in expected[q]["results"]}, q
        assert got[q]["facets"] == expected[q]["facets"], q
    assert _total(index_dir, "manchot") == 13
    # Merged segments are read exactly as Whoosh reads them.
    from test_ranking import whoosh_searcher
    from indexer.search.query import parse_query
    from indexer.search.ranking import rank
    from indexer.search.scoring import term_cache
    query = parse_query("manchot nage", after.lexicon).query
    mask, ranked = rank(term_cache(after), query, 20, None)
    hits = whoosh_searcher(after).search(query, limit=20)
    assert [d for d, _ in ranked] == [h.docnum for h in hits]
    assert [s for _, s in ranked] == pytest.approx([h.score for h in hits], rel=1e-5)


def test_writes_made_while_a_merge_runs_are_kept(index_dir, monkeypatch):
    from indexer.live import merge

    monkeypatch.setattr(merge, "FACTOR", 4)
    _push_one_by_one(index_dir, 4)
    real_write = merge._write_merged

    def write_then_race(sources, staging):
        origin = real_write(sources, staging)
        # While the merged segment waits to be published: one of its articles is replaced,
        # another deleted, a new one pushed.
        live.put(index_dir, [_article("m1", "Un manchot remplacé pendant la fusion")])
        live.delete(index_dir, ["m2"])
        live.put(index_dir, [_article("m9", "Un manchot arrivé pendant la fusion")])
        Applier(index_dir).step()
        return origin

    monkeypatch.setattr(merge, "_write_merged", write_then_race)
    assert merge.merge_once(index_dir) is not None
    store = IndexStore(index_dir)
    assert get_article(store, "m1")["title"] == "Un manchot remplacé pendant la fusion"
    with pytest.raises(Exception):
        get_article(store, "m2")
    assert _total(index_dir, "manchot") == 4  # m0, m1 (new), m3, m9
    assert _total(index_dir, "fusion") == 2


def test_a_merge_is_dropped_when_a_build_replaced_its_segments(index_dir, tmp_path, monkeypatch):
    from indexer.live import merge

    monkeypatch.setattr(merge, "FACTOR", 4)
    _push_one_by_one(index_dir, 4)
    real_write = merge._write_merged

    def write_then_rebuild(sources, staging):
        origin = real_write(sources, staging)
        build_index([write_jsonl(tmp_path / "archive.jsonl", articles(40, seed=3))], index_dir, incremental=False)
        return origin

    monkeypatch.setattr(merge, "_write_merged", write_then_rebuild)
    assert merge.merge_once(index_dir) is None
    assert _total(index_dir, "manchot") == 4  # the build laid the pushed articles over the archive
    assert not list(index_dir.glob(".merging-*"))


def test_a_merge_never_carries_damage_into_a_new_segment(index_dir, monkeypatch):
    from indexer.live import merge

    monkeypatch.setattr(merge, "FACTOR", 4)
    _push_one_by_one(index_dir, 4)
    live_folder = index_dir / generations.read_current(index_dir)
    small = min(live_folder.rglob("*.seg"), key=lambda p: p.stat().st_size)
    data = bytearray(small.read_bytes())
    data[40:60] = bytes(20)
    small.write_bytes(bytes(data))
    with pytest.raises(generations.CorruptGeneration):
        merge.merge_once(index_dir)
    assert generations.read_current(index_dir) == live_folder.name  # nothing published


def test_a_segment_mostly_deleted_is_rewritten_without_its_dead_documents(index_dir):
    from indexer.live import merge

    originals = articles(40, seed=3)
    live.put(index_dir, [_article(a["id"], f"Un xylophone remplacé {i}") for i, a in enumerate(originals[:30])])
    Applier(index_dir).step()
    before = IndexStore(index_dir).current()
    dead = sum(p.whoosh.deleted_count() for p in before.parts)
    assert dead == 30
    while merge.merge_once(index_dir) is not None:
        pass
    after = IndexStore(index_dir).current()
    assert sum(p.whoosh.deleted_count() for p in after.parts) < dead
    assert after.articles == 40 and _total(index_dir, "xylophone") == 30


# --- damage ---------------------------------------------------------------------------------------------

def test_damage_to_a_shared_segment_is_repaired_from_the_sources_and_the_pushed_articles(index_dir):
    """Generations share their segments: damage to one reaches the fallback too. A reader that
    finds it says so; the applier then rebuilds in full from the recorded sources and the
    pushed articles."""
    import time

    from indexer.jobs import current_job

    live.put(index_dir, [_article("kept", "Un dugong poussé avant la panne")])
    _apply(index_dir)
    generation = IndexStore(index_dir).current()
    shared = next(p for p in generation.folder.rglob("*.seg") if p.stat().st_nlink > 1)
    data = bytearray(shared.read_bytes())
    data[100:200] = bytes(100)
    shared.write_bytes(bytes(data))  # every generation that links it is damaged alike
    with pytest.raises(Exception):
        IndexStore(index_dir).current()  # no sound generation left to serve
    assert generations.reported_damage(index_dir)["generation"] == generation.name
    applier = Applier(index_dir)
    applier._repair_if_damaged()
    deadline = time.monotonic() + 60
    while current_job(index_dir)["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert current_job(index_dir)["state"] == "done", current_job(index_dir)
    assert generations.reported_damage(index_dir) is None
    repaired = IndexStore(index_dir).current()
    assert repaired.name != generation.name and repaired.articles == 41
    assert _total(index_dir, "dugong") == 1
    assert not any(p.stat().st_nlink > 1 for p in repaired.folder.rglob("*.seg"))  # all written anew


def test_did_you_mean_never_suggests_a_word_only_deleted_articles_held(index_dir):
    live.put(index_dir, [_article("w1", "Les wapitis du nord")])
    _apply(index_dir)
    assert search(IndexStore(index_dir), SearchRequest(q="wapitos"))["suggestion"] == "wapitis"
    live.delete(index_dir, ["w1"])
    _apply(index_dir)
    assert search(IndexStore(index_dir), SearchRequest(q="wapitos"))["suggestion"] is None


def test_a_merge_reads_its_segments_although_their_generation_is_removed_meanwhile(index_dir, monkeypatch):
    from indexer.live import merge

    monkeypatch.setattr(merge, "FACTOR", 4)
    _push_one_by_one(index_dir, 4)
    real_write = merge._write_merged

    def write_after_the_generation_went(sources, staging):
        planned_from = generations.read_current(index_dir)
        for _ in range(3):  # the applier publishes on and removes the generation the merge read
            live.put(index_dir, [_article("other", "Un autre manchot")])
            Applier(index_dir).step()
        assert not (index_dir / planned_from).exists()
        return real_write(sources, staging)

    monkeypatch.setattr(merge, "_write_merged", write_after_the_generation_went)
    assert merge.merge_once(index_dir) is not None
    assert _total(index_dir, "manchot") == 5


def test_a_watching_store_opens_a_new_generation_before_any_request_asks(index_dir):
    import time

    store = IndexStore(index_dir)
    first = store.current()
    store.watch(every=0.01)
    live.put(index_dir, [_article("watched", "Un lamantin observé")])
    _apply(index_dir)
    deadline = time.monotonic() + 10
    while store._generation is first and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store._generation is not first  # opened by the watcher, no request involved
    assert store.current().name == generations.read_current(index_dir)
    assert _total(index_dir, "lamantin") == 1


def test_corrections_work_when_a_write_brought_no_new_word(index_dir):
    """A batch whose words the lexicon knows leaves an empty delta: a misspelt query is still
    corrected (Whoosh's corrector fails on an empty word list)."""
    known = articles(40, seed=3)[3]
    live.put(index_dir, [_article("same-words", known["title"], known["body"])])
    _apply(index_dir)
    assert (index_dir / generations.read_current(index_dir) / "lexicon-delta.json").read_text() == "{}"
    answer = search(IndexStore(index_dir), SearchRequest(q="numériqeu"))
    assert answer["suggestion"] == "numérique"

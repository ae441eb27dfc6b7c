"""Fault 2: `kill -9` of a build at seeded random moments (reading, writing, committing, publishing)
→ the last good index is served, no lock is left, the next build succeeds and cleans the leftovers."""

from __future__ import annotations

import random
import signal
import time

import pytest

from faultkit import articles, cli, lock_holders, record, sized
from archives import write_jsonl
from indexer.storage import generations
from indexer.build import build_index
from indexer.jobs import current_job, lock_is_free
from indexer.search import SearchRequest, search
from indexer.storage.store import IndexStore

SEED = 20261129


def phase(index_dir, live_before) -> str:
    """Where a build is, seen from outside: reading/writing records, committing, or published."""
    if generations.read_current(index_dir) != live_before:
        return "published"
    job = current_job(index_dir)
    if not job or job["state"] == "queued" or (job["state"] == "running" and not job["total"]):
        return "starting"
    if job["state"] == "running" and job["processed"] < job["total"]:
        return "parse+write"
    return "commit+publish"


@pytest.mark.slow
def test_builds_killed_at_random_moments_never_lose_the_served_index(tmp_path):
    trials = sized(5, 24)
    n = sized(800, 1500)
    rng = random.Random(SEED)
    index_dir = tmp_path / "index"
    sources = [write_jsonl(tmp_path / "a.jsonl", articles(n, seed=1)),
               write_jsonl(tmp_path / "b.jsonl", articles(n, seed=2))]
    build_index([sources[0]], index_dir)

    # How long one build takes here, to spread the kills over all of it (and a little after).
    started = time.monotonic()
    timing = cli("index", sources[1], "--index-dir", index_dir, "--quiet")
    assert timing.wait(timeout=300) == 0, timing.stderr.read()
    duration = time.monotonic() - started

    phases, survived, published, leftovers = {}, 0, 0, 0
    for trial in range(trials):
        live = generations.read_current(index_dir)
        source = sources[trial % 2]
        delay = rng.uniform(0.05, duration * 1.05)
        build = cli("index", source, "--index-dir", index_dir, "--quiet")
        time.sleep(delay)
        where = phase(index_dir, live)
        build.send_signal(signal.SIGKILL)
        build.wait()
        phases[where] = phases.get(where, 0) + 1
        leftovers += bool(list(index_dir.glob(".building-*")))

        # No lock left: the kernel dropped it with the build (its shard writers die with it).
        deadline = time.monotonic() + 10
        while not lock_is_free(index_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock_is_free(index_dir) and not lock_holders(index_dir), f"trial {trial}: lock left"

        # The served index: the last good one (or the new one, if the kill came after the switch).
        now = generations.read_current(index_dir)
        assert now is not None and (index_dir / now / generations.META).is_file()
        published += now != live
        store = IndexStore(index_dir)
        answer = search(store, SearchRequest(q="", per_page=1))
        assert answer["total"] == n, f"trial {trial} ({where}): {answer['total']} articles served"
        assert not store.info()["degraded"]
        generations.verify(index_dir / now)  # every file as it was published
        job = current_job(index_dir)
        assert job["state"] in ("failed", "done"), job
        survived += 1

    # The next build succeeds and starts by cleaning what the dead ones left.
    report = build_index([sources[trials % 2]], index_dir)
    assert report.articles == n
    assert not list(index_dir.glob(".building-*"))
    assert not list(index_dir.glob(".*.tmp"))
    assert len(generations.published(index_dir)) <= 1 + generations.KEEP_PREVIOUS
    assert search(IndexStore(index_dir), SearchRequest(q=""))["total"] == n
    record("kill_9_builds", trials=trials, survived=survived, seed=SEED, kills_by_phase=phases,
           kills_after_publish=published, kills_leaving_a_partial_build=leftovers, build_seconds=round(duration, 1), articles=n)

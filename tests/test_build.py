"""Building and publishing an index: atomic switch, one build at a time, incremental reuse,
refused builds, and a build killed mid-way (real processes, real files)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.storage import generations
from indexer.build import build_index
from indexer.errors import BuildRefused, IndexBusy, SourceError
from indexer.jobs import BuildLock, current_job, lock_is_free
from indexer.sample import SAMPLE_ARCHIVE
from indexer.search import SearchRequest, search
from indexer.storage.store import IndexOutdated, IndexStore

from archives import articles, write_jsonl

def total(index_dir, q="") -> int:
    return search(IndexStore(index_dir), SearchRequest(q=q))["total"]


def test_build_publishes_a_generation_and_reports(tmp_path):
    report = build_index([SAMPLE_ARCHIVE], tmp_path)
    assert report.articles == 11 and report.analysed == 11 and not report.skipped
    live = generations.read_current(tmp_path)
    assert live == report.generation and (tmp_path / live / "meta.json").is_file()
    assert "11 articles indexed" in report.summary()
    job = current_job(tmp_path)
    assert job["state"] == "done" and job["indexed"] == 11 and job["processed"] == job["total"]
    assert lock_is_free(tmp_path)


def test_a_rebuild_with_nothing_changed_reuses_every_article(tmp_path):
    build_index([SAMPLE_ARCHIVE], tmp_path)
    again = build_index([SAMPLE_ARCHIVE], tmp_path)
    assert (again.analysed, again.reused, again.articles) == (0, 11, 11)
    assert total(tmp_path, "hebergeur") == 2


def test_an_index_of_another_layout_is_rebuilt_in_full(tmp_path, monkeypatch):
    build_index([SAMPLE_ARCHIVE], tmp_path)
    monkeypatch.setattr(generations, "LAYOUT", 99)  # the next version keeps more beside Whoosh
    with pytest.raises(IndexOutdated, match="older version"):  # never read as if it were of this one
        IndexStore(tmp_path).current()
    again = build_index([SAMPLE_ARCHIVE], tmp_path)
    assert (again.analysed, again.reused, again.articles) == (11, 0, 11)
    assert generations.read_meta(tmp_path / again.generation)["layout"] == 99
    assert total(tmp_path, "hebergeur") == 2


def test_incremental_build_holds_exactly_the_sources_articles(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", articles(30))
    build_index([source], tmp_path / "ix")
    changed = articles(30)
    changed[0]["title"] = "Un titre tout neuf sur les hippopotames"
    del changed[1:6]
    changed.append({"id": "new", "title": "Les girafes du numérique", "body": "Un article neuf."})
    report = build_index([write_jsonl(tmp_path / "a.jsonl", changed)], tmp_path / "ix")
    assert (report.analysed, report.removed, report.articles) == (2, 5, 26)
    store = IndexStore(tmp_path / "ix")
    assert search(store, SearchRequest(q="hippopotames"))["total"] == 1
    assert search(store, SearchRequest(q="girafes"))["total"] == 1
    assert search(store, SearchRequest(q=""))["total"] == 26
    assert {f["value"]: f["count"] for f in search(store, SearchRequest())["facets"]["tag"]}
    assert search(store, SearchRequest(q="", filters={"tag": ["Cloud"]}))["total"] == sum(
        1 for a in changed if a.get("tags") == ["Cloud"])


def test_readers_keep_the_old_generation_until_the_switch(tmp_path):
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(12, prefix="old"))], tmp_path / "ix")
    store = IndexStore(tmp_path / "ix")
    old = store.current()
    build_index([write_jsonl(tmp_path / "b.jsonl", articles(12, seed=8, prefix="new"))], tmp_path / "ix")
    # the old generation object still answers (its files are kept as the fallback)
    assert old.articles == 12
    assert store.current() is not old
    assert search(store, SearchRequest(q="", per_page=1))["results"][0]["id"].startswith("new")


def test_a_second_build_is_refused_while_one_runs(tmp_path):
    with BuildLock(tmp_path):
        with pytest.raises(IndexBusy):
            build_index([SAMPLE_ARCHIVE], tmp_path)
    build_index([SAMPLE_ARCHIVE], tmp_path)  # the lock is gone with its holder


def test_a_build_with_no_article_is_not_published(tmp_path):
    build_index([SAMPLE_ARCHIVE], tmp_path / "ix")
    live = generations.read_current(tmp_path / "ix")
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(BuildRefused, match="no publishable article"):
        build_index([empty], tmp_path / "ix")
    assert generations.read_current(tmp_path / "ix") == live
    assert current_job(tmp_path / "ix")["state"] == "failed"
    assert total(tmp_path / "ix") == 11


def test_a_much_smaller_build_is_refused_unless_allowed(tmp_path):
    build_index([write_jsonl(tmp_path / "big.jsonl", articles(40))], tmp_path / "ix")
    small = write_jsonl(tmp_path / "small.jsonl", articles(10))
    with pytest.raises(BuildRefused, match="far fewer"):
        build_index([small], tmp_path / "ix")
    assert total(tmp_path / "ix") == 40
    build_index([small], tmp_path / "ix", allow_shrink=True)
    assert total(tmp_path / "ix") == 10


def test_an_unreadable_source_fails_before_touching_the_index(tmp_path):
    build_index([SAMPLE_ARCHIVE], tmp_path / "ix")
    with pytest.raises(SourceError):
        build_index([SAMPLE_ARCHIVE, tmp_path / "missing.xml"], tmp_path / "ix")
    assert total(tmp_path / "ix") == 11
    assert not list((tmp_path / "ix").glob(".building-*"))


def test_bad_records_are_skipped_and_the_rest_indexed(tmp_path):
    source = tmp_path / "mixed.jsonl"
    good = articles(3)
    source.write_text(json.dumps(good[0]) + "\n{not json\n" + json.dumps(good[1]) + "\n[1, 2]\n"
                      + json.dumps(good[2]) + "\n" + json.dumps(good[2]) + "\n", encoding="utf-8")
    report = build_index([source], tmp_path / "ix")
    assert report.articles == 3
    assert len(report.skipped) == 3  # bad JSON, not an object, duplicate id
    assert any("duplicate" in s.reason for s in report.skipped)
    assert current_job(tmp_path / "ix")["skipped"] == 3


def _cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_progress(index_dir: Path, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = current_job(index_dir)
        if job and job["state"] == "running" and job["processed"] >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"the build never got to {at_least} records: {current_job(index_dir)}")


@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("big") / "big.jsonl", articles(3000, seed=11, prefix="big"))


def test_a_killed_build_leaves_the_old_index_served_and_no_lock(tmp_path, big_source):
    index_dir = tmp_path / "ix"
    build_index([SAMPLE_ARCHIVE], index_dir)
    live = generations.read_current(index_dir)
    build = _cli("index", big_source, "--index-dir", index_dir, "--quiet")
    _wait_for_progress(index_dir, 200)
    build.send_signal(signal.SIGKILL)
    build.wait()

    assert generations.read_current(index_dir) == live
    assert total(index_dir, "hebergeur") == 2  # the old index still answers
    assert lock_is_free(index_dir)
    assert current_job(index_dir)["state"] == "failed"
    assert list(index_dir.glob(".building-*"))  # what the dead build left...

    build_index([SAMPLE_ARCHIVE], index_dir)
    assert not list(index_dir.glob(".building-*"))  # ...is cleaned by the next build


def test_a_second_cli_build_gets_a_clear_one_line_refusal(tmp_path, big_source):
    index_dir = tmp_path / "ix"
    first = _cli("index", big_source, "--index-dir", index_dir, "--quiet")
    try:
        _wait_for_progress(index_dir, 50)
        second = _cli("index", SAMPLE_ARCHIVE, "--index-dir", index_dir)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert err.count("\n") == 1 and "already running" in err and "Traceback" not in err
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()


def test_older_generations_are_removed_and_the_previous_one_kept(tmp_path):
    names = [build_index([SAMPLE_ARCHIVE], tmp_path, incremental=False).generation for _ in range(4)]
    assert names == sorted(names)
    assert generations.published(tmp_path) == [names[3], names[2]]
    assert generations.read_current(tmp_path) == names[3]


def test_every_file_of_a_generation_is_fsynced_before_it_goes_live(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(generations.os, "fsync", spy)
    ever_synced = set()
    for changed in (False, True):  # a full build, then an incremental one that links most files
        synced.clear()
        source = write_jsonl(tmp_path / "a.jsonl", articles(30, seed=2 if changed else 1)[:25])
        report = build_index([source], tmp_path / "ix")
        live = tmp_path / "ix" / report.generation
        (building,) = {p.split("/.building-")[0] + "/.building-" + p.split("/.building-")[1].split("/")[0]
                       for p in synced if "/.building-" in p}
        for path in live.rglob("*"):
            rel = path.relative_to(live).as_posix()
            if path.is_dir() or path.name.endswith("WRITELOCK"):
                continue
            if path.stat().st_nlink == 1:
                assert f"{building}/{rel}" in synced, rel  # a new file: fsynced before the rename
            else:
                assert rel in ever_synced, rel  # linked from a generation that was fsynced
        ever_synced |= {p[len(building) + 1:] for p in synced if p.startswith(building + "/")}
        assert building in synced and str(tmp_path / "ix") in synced  # the folders too
        assert any(p.endswith(".tmp") and "CURRENT" in p for p in synced)  # the pointer as well
    assert report.analysed == 25 and report.reused == 0


def test_a_corrupt_live_generation_falls_back_to_the_previous_one(tmp_path):
    build_index([SAMPLE_ARCHIVE], tmp_path, incremental=False)
    build_index([SAMPLE_ARCHIVE], tmp_path, incremental=False)
    live = tmp_path / generations.read_current(tmp_path)
    for toc in live.rglob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])
    store = IndexStore(tmp_path)
    assert search(store, SearchRequest(q="hebergeur"))["total"] == 2
    assert store.info()["degraded"] is True


def test_quoted_sources_are_found_for_new_articles_and_kept_for_unchanged_ones(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "1", "title": "Ventes", "body": "Les ventes en ligne progressent (Etude FEVAD).",
         "sources": ["Insee"]}])
    build_index([source], tmp_path / "ix")
    again = build_index([source], tmp_path / "ix")
    assert again.reused == 1
    answer = search(IndexStore(tmp_path / "ix"), SearchRequest(q="ventes"))
    assert answer["results"][0]["sources"] == ["Insee", "FEVAD"]


def test_a_refused_build_exits_at_once_with_documents_still_queued(tmp_path, big_source):
    # The shards are stopped with batches still queued to them: the CLI must not wait for them.
    index_dir = tmp_path / "ix"
    build_index([big_source], index_dir)
    fewer = write_jsonl(tmp_path / "fewer.jsonl", articles(1400, seed=4, prefix="f"))
    refused = _cli("index", fewer, "--index-dir", index_dir, "--full")
    out, err = refused.communicate(timeout=60)
    assert refused.returncode == 1 and "far fewer" in err and err.count("\n") == 1


def test_shard_writers_do_not_hold_the_build_lock(tmp_path, big_source):
    # A killed build's lock must be free the moment its process is gone, writers or not.
    index_dir = tmp_path / "ix"
    build = _cli("index", big_source, "--index-dir", index_dir, "--quiet")
    _wait_for_progress(index_dir, 100)
    writers = [int(p) for p in subprocess.run(["pgrep", "-P", str(build.pid)], capture_output=True,
                                              text=True).stdout.split()]
    assert writers, "the build has shard writer processes"
    for pid in writers:
        held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        assert not any(path.endswith("build.lock") for path in held), held
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert lock_is_free(index_dir)


def test_a_refused_build_names_the_new_job_not_the_previous_one(tmp_path):
    # Between taking the lock and writing its job, a starting build leaves the previous job in
    # status.json for a moment: a second build refused then must still name the new job.
    import threading

    from indexer.jobs import STATUS
    from indexer.storage.generations import write_atomic

    build_index([SAMPLE_ARCHIVE], tmp_path)  # status.json: a finished job
    new_job = {"id": "new", "state": "queued", "processed": 0, "total": 0, "indexed": 0,
               "skipped": 0, "errors": [], "started_at": None, "finished_at": None}
    with BuildLock(tmp_path):
        writer = threading.Timer(0.2, write_atomic, (tmp_path / STATUS, json.dumps(new_job)))
        writer.start()
        with pytest.raises(IndexBusy) as busy:
            BuildLock(tmp_path).acquire()
        writer.join()
    assert busy.value.job["id"] == "new"


def test_a_job_is_done_as_soon_as_its_generation_is_live(tmp_path, monkeypatch):
    # A client polling the job must not see the new generation while the job still says
    # `running` (the status was written after the publication: a repair's trial saw it so).
    build_index([SAMPLE_ARCHIVE], tmp_path)
    real_publish, seen = generations.publish, []

    def publish(index_dir, building, known=None):
        name = real_publish(index_dir, building, known)
        seen.append((generations.read_current(index_dir) == name, current_job(index_dir)))
        return name

    monkeypatch.setattr(generations, "publish", publish)
    report = build_index([SAMPLE_ARCHIVE], tmp_path, incremental=False)
    (live, job), = seen
    assert live and job["state"] == "done" and job["generation"] == report.generation, job
    assert job["indexed"] == 11 and current_job(tmp_path)["state"] == "done"


def test_a_build_that_has_just_said_done_does_not_refuse_the_next_one(tmp_path):
    # The finished build lets its lock go a moment after writing `done`: a client that starts
    # the next build at once is not told that one is running.
    import threading

    build_index([SAMPLE_ARCHIVE], tmp_path)
    assert current_job(tmp_path)["state"] == "done"
    finishing = BuildLock(tmp_path).acquire()
    releaser = threading.Timer(0.3, finishing.release)
    releaser.start()
    try:
        report = build_index([SAMPLE_ARCHIVE], tmp_path)
    finally:
        releaser.join()
    assert report.articles == 11 and current_job(tmp_path)["state"] == "done"


def test_the_next_build_removes_the_temporary_files_a_killed_build_left(tmp_path):
    # kill -9 during write_atomic (its fsync is long on a busy disk) leaves `.status.json.<pid>.tmp`
    # or `.CURRENT.<pid>.tmp`; the next build removes them at once, not a minute later.
    build_index([SAMPLE_ARCHIVE], tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = [tmp_path / f".status.json.{dead}.tmp", tmp_path / f".CURRENT.{dead}.tmp"]
    for path in left:
        path.write_text("half written")
    other = tmp_path / f".settings.json.{dead}.tmp"  # another lock's file: left to its own writers
    other.write_text("{}")
    build_index([SAMPLE_ARCHIVE], tmp_path)
    assert not any(path.exists() for path in left)
    assert other.exists() and current_job(tmp_path)["state"] == "done"

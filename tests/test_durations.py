"""Reindex and task durations kept as histograms in the index's live.sqlite (indexer/durations.py),
in process over real indexes and real SQLite files: counted once, in the transaction that finishes
a task, cumulative; a figure that cannot be written never fails the task or the build."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import datetime

import pytest

from indexer import durations, live
from indexer.build import build_index
from indexer.errors import BuildRefused
from indexer.jobs import current_job
from indexer.live.applier import Applier
from indexer.live.documents import article_from_json
from indexer.live.journal import Journal
from indexer.live.ledger import FILE, Ledger

from archives import articles, write_jsonl


def _article(article_id: str, title: str):
    return article_from_json({"title": title, "body": "Un texte."}, article_id)


def _series(index_dir, histogram) -> dict:
    return {s.labels: s for s in durations.read(index_dir / FILE)[histogram.name]}


def _assert_cumulative(series) -> None:
    counts = [count for _, count in series.buckets]
    assert counts == sorted(counts) and counts[-1] <= series.count, series
    assert [le for le, _ in series.buckets] == sorted(le for le, _ in series.buckets)


@pytest.fixture
def index_dir(tmp_path):
    build_index([write_jsonl(tmp_path / "archive.jsonl", articles(20, seed=5))], tmp_path / "index")
    return tmp_path / "index"


def test_tasks_are_counted_by_kind_and_outcome_from_enqueued_to_finished(index_dir):
    started = time.time()
    for i in range(3):
        live.put(index_dir, [_article(f"p{i}", "Un ornithorynque")])
    live.put(index_dir, [_article("b1", "Un lot"), _article("b2", "Un lot")], kind="batch")
    live.delete(index_dir, ["p0"])
    Journal(index_dir).append({"kind": "put", "ops": [{"op": "put", "article": {"id": "bad", "nonsense": 1}}],
                               "enqueued_at": "2026-11-30T00:00:00+00:00", "enqueued_unix": time.time()})
    time.sleep(0.3)  # every task waits at least this long
    Applier(index_dir).run(until_idle=True)
    elapsed = time.time() - started

    series = _series(index_dir, durations.TASKS)
    assert {labels: s.count for labels, s in series.items() if s.count} == {
        ("put", "succeeded"): 3, ("batch", "succeeded"): 1, ("delete", "succeeded"): 1, ("put", "failed"): 1}
    assert series[("delete", "failed")].count == 0  # the known label values show before any observation
    for s in series.values():
        _assert_cumulative(s)
        assert 0.3 * s.count <= s.sum <= elapsed * s.count
        assert dict(s.buckets)[0.25] == 0  # none finished within a quarter of a second of its push
    assert [le for le, _ in series[("put", "succeeded")].buckets] == list(durations.TASKS.buckets)


def test_a_task_is_counted_once_and_only_when_its_transaction_commits(index_dir):
    task = live.put(index_dir, [_article("once", "Une fois")])
    record = {"id": task["id"], "kind": "put", "articles": 1, "ids": ["once"],
              "enqueued_at": task["enqueued_at"]}
    ledger = Ledger(index_dir, durable=True)
    with pytest.raises(RuntimeError):
        with ledger.transaction() as db:
            ledger.set_state(db, [record], "succeeded")
            raise RuntimeError("the publication failed after all")
    assert _series(index_dir, durations.TASKS)[("put", "succeeded")].count == 0
    for _ in range(2):  # a replay marks it succeeded again: still one
        with ledger.transaction() as db:
            ledger.set_state(db, [record], "succeeded")
    ledger.close()
    series = _series(index_dir, durations.TASKS)[("put", "succeeded")]
    assert series.count == 1
    # A record written before `enqueued_unix` was kept: timed from `enqueued_at`, to the second.
    assert 0 <= series.sum <= time.time() - datetime.fromisoformat(task["enqueued_at"]).timestamp() + 1


def test_a_duration_that_cannot_be_written_never_fails_the_task(index_dir, caplog):
    db = sqlite3.connect(index_dir / FILE)
    db.executescript(durations.SCHEMA + "CREATE TRIGGER refuse BEFORE INSERT ON duration_totals "
                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;")
    db.close()
    task = live.put(index_dir, [_article("tenace", "Un tardigrade tenace")])
    with caplog.at_level(logging.WARNING, logger="archive_search.durations"):
        Applier(index_dir).run(until_idle=True)
    assert live.get_task(index_dir, task["id"])["state"] == "succeeded"
    assert "disk is full" in caplog.text
    ledger = Ledger(index_dir)
    assert [i for i, _, _ in ledger.pushed()] == ["tenace"]  # the rest of the transaction was kept
    ledger.close()
    assert all(s.count == 0 for s in _series(index_dir, durations.TASKS).values())


def test_builds_count_by_outcome_and_a_locked_ledger_only_delays_the_figure(tmp_path, caplog):
    source = write_jsonl(tmp_path / "archive.jsonl", articles(20, seed=6))
    index_dir = tmp_path / "fresh"
    assert _series(index_dir, durations.REINDEX)[("done",)].count == 0  # no folder yet: zeros, nothing made
    assert not index_dir.exists()
    started = time.monotonic()
    build_index([source], index_dir)
    build_index([source], index_dir)
    with pytest.raises(BuildRefused):
        build_index([write_jsonl(tmp_path / "empty.jsonl", [])], index_dir)
    elapsed = time.monotonic() - started
    series = _series(index_dir, durations.REINDEX)
    assert (series[("done",)].count, series[("failed",)].count) == (2, 1)
    assert 0 < series[("done",)].sum + series[("failed",)].sum <= elapsed
    for s in series.values():
        _assert_cumulative(s)

    # Another writer holds live.sqlite longer than a build waits: the build is done all the same.
    holder = sqlite3.connect(index_dir / FILE, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.WARNING, logger="archive_search.durations"):
            report = build_index([source], index_dir)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report.articles == 20 and current_job(index_dir)["state"] == "done"
    assert "locked" in caplog.text
    assert _series(index_dir, durations.REINDEX)[("done",)].count == 2


def test_changed_buckets_start_the_series_again_rather_than_break_it(tmp_path):
    path = tmp_path / "live.sqlite"
    old = durations.Histogram("archive_search_test_seconds", "", ("outcome",), (1.0, 10.0))
    for seconds in (0.5, 5.0, 50.0):
        durations.record(path, old, ("done",), seconds)
    db = sqlite3.connect(path)
    assert db.execute("SELECT le, count FROM duration_buckets ORDER BY le").fetchall() == [(1.0, 1), (10.0, 2)]
    assert db.execute("SELECT count, sum FROM duration_totals").fetchall() == [(3, 55.5)]
    db.close()
    new = durations.Histogram("archive_search_test_seconds", "", ("outcome",), (1.0, 5.0, 10.0))
    durations.record(path, new, ("done",), 2.0)
    db = sqlite3.connect(path)
    assert db.execute("SELECT le, count FROM duration_buckets ORDER BY le").fetchall() == [(1.0, 0), (5.0, 1), (10.0, 1)]
    assert db.execute("SELECT labels, count, sum FROM duration_totals").fetchall() == [(json.dumps(["done"]), 1, 2.0)]
    db.close()


def test_a_folder_that_cannot_hold_the_file_loses_the_figure_not_the_work(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    with caplog.at_level(logging.WARNING, logger="archive_search.durations"):
        durations.record(blocker / FILE, durations.REINDEX, ("done",), 1.0)  # returns, logs
    assert "not recorded" in caplog.text
    assert durations.read(blocker / FILE)[durations.REINDEX.name][0].count == 0

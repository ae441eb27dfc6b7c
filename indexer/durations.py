"""How long the background work takes, kept as Prometheus histograms in SQLite for `/metrics`.

Reindexes run in a build process, document writes are applied by the applier process: neither
is a web worker, and a figure kept in a process's memory would be lost with it. So the process
that does the work adds each finished duration to cumulative histogram buckets in the index's
`live.sqlite` (the applier in the very transaction that records the tasks' outcome, a build just
after its final status, once it has released the build lock), and every worker's `/metrics` reads the same rows at scrape
time (searchweb/metrics.py): the same figures whichever worker answers, growing across restarts.

    duration_buckets  (metric, labels, le, count)   observations <= le, cumulative like Prometheus's
    duration_totals   (metric, labels, count, sum)  every observation (the +Inf bucket), their sum

`labels` is the JSON array of the label values, in the histogram's label order. A figure must
never fail the work it measures: every error recording one is logged and dropped.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("archive_search.durations")

SCHEMA = """
CREATE TABLE IF NOT EXISTS duration_buckets (
    metric TEXT NOT NULL,
    labels TEXT NOT NULL,
    le REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (metric, labels, le)
);
CREATE TABLE IF NOT EXISTS duration_totals (
    metric TEXT NOT NULL,
    labels TEXT NOT NULL,
    count INTEGER NOT NULL,
    sum REAL NOT NULL,
    PRIMARY KEY (metric, labels)
);
"""


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    labelnames: tuple[str, ...]
    buckets: tuple[float, ...]
    known: tuple[tuple[str, ...], ...] = ()  # label values shown at 0 before any observation


# From enqueued to succeeded or failed: the time a pushed write waits to become searchable
# (a quarter of a second when the applier is idle; minutes behind a large batch or a full disk).
TASKS = Histogram(
    "archive_search_task_duration_seconds",
    "Document-API tasks, from enqueued to finished (succeeded or failed).",
    ("kind", "outcome"),
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
    tuple((kind, outcome) for kind in ("put", "batch", "delete") for outcome in ("succeeded", "failed")),
)
# A build, from taking the build lock to its end: seconds for the sample, an hour for a large archive.
REINDEX = Histogram(
    "archive_search_reindex_duration_seconds",
    "Reindexes (every build: admin, scheduled sync, repair, by hand), by how they ended.",
    ("outcome",),
    (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0),
    (("done",), ("failed",)),
)
HISTOGRAMS = (TASKS, REINDEX)


def observe(db: sqlite3.Connection, histogram: Histogram, observations: Iterable[tuple[tuple[str, ...], float]]) -> None:
    """Adds (label values, seconds) observations, inside the caller's open transaction. A
    savepoint keeps a failure here (a full disk, a damaged table) out of the caller's writes."""
    series: dict[tuple[str, ...], list[float]] = {}
    for labels, seconds in observations:
        series.setdefault(tuple(labels), []).append(max(0.0, float(seconds)))
    if not series:
        return
    try:
        db.execute("SAVEPOINT durations")
    except Exception as error:  # noqa: BLE001 - see below
        log.warning("durations not recorded: %s", error)
        return
    try:
        create_tables(db)
        for labels, values in series.items():
            _add(db, histogram, json.dumps(list(labels), ensure_ascii=False), values)
        db.execute("RELEASE durations")
    except Exception as error:  # noqa: BLE001 - a figure never fails the work it measures
        log.warning("durations of %s not recorded: %s", histogram.name, error)
        try:
            db.execute("ROLLBACK TO durations")
            db.execute("RELEASE durations")
        except Exception:  # noqa: BLE001 - the caller's own commit or rollback decides then
            pass


def create_tables(db: sqlite3.Connection) -> None:
    """The tables, if missing (statement by statement: executescript would commit the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _add(db: sqlite3.Connection, histogram: Histogram, labels: str, values: list[float]) -> None:
    stored = sorted(le for (le,) in db.execute(
        "SELECT le FROM duration_buckets WHERE metric = ? AND labels = ?", (histogram.name, labels)))
    if stored != sorted(histogram.buckets):
        # New, or its buckets changed with this code: the series starts again (a counter reset
        # to Prometheus) rather than show buckets that are not cumulative.
        db.execute("DELETE FROM duration_buckets WHERE metric = ? AND labels = ?", (histogram.name, labels))
        db.executemany("INSERT INTO duration_buckets VALUES (?, ?, ?, 0)",
                       [(histogram.name, labels, le) for le in histogram.buckets])
        db.execute("INSERT OR REPLACE INTO duration_totals VALUES (?, ?, 0, 0.0)", (histogram.name, labels))
    for le in histogram.buckets:
        n = sum(1 for v in values if v <= le)
        if n:
            db.execute("UPDATE duration_buckets SET count = count + ? WHERE metric = ? AND labels = ? AND le = ?",
                       (n, histogram.name, labels, le))
    db.execute("UPDATE duration_totals SET count = count + ?, sum = sum + ? WHERE metric = ? AND labels = ?",
               (len(values), sum(values), histogram.name, labels))


def record(path: Path, histogram: Histogram, labels: tuple[str, ...], seconds: float, timeout: float = 2.0) -> None:
    """Adds one observation in a transaction of its own (a build's: its outcome is in
    status.json). `path` is the index's live.sqlite, made if missing. Never raises; waits at most
    `timeout` seconds for another writer's transaction (the applier's)."""
    try:
        db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except Exception as error:  # noqa: BLE001 - a read-only folder: no figure, the build goes on
        log.warning("the duration of %s not recorded in %s: %s", histogram.name, path, error)
        return
    try:
        db.execute("PRAGMA journal_mode=WAL")  # as the ledger has it, whichever opens the file first
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
        observe(db, histogram, [(labels, seconds)])
        db.execute("COMMIT")
    except Exception as error:  # noqa: BLE001 - locked too long, read-only, full: the build goes on
        log.warning("the duration of %s not recorded in %s: %s", histogram.name, path, error)
    finally:
        db.close()


@dataclass
class Series:
    labels: tuple[str, ...]
    buckets: list[tuple[float, int]]  # (le, observations <= le), without +Inf
    count: int
    sum: float


def read(path: Path) -> dict[str, list[Series]]:
    """Every histogram's series, by metric name: the known label values at zero until observed.
    A missing file or table reads as no observation (the file is never made here)."""
    found: dict[tuple[str, str], Series] = {}
    if Path(path).exists():
        try:
            db = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=rw", uri=True,  # never made here
                                 timeout=2.0, isolation_level=None)
            try:
                db.execute("BEGIN")  # one snapshot: the totals and buckets of the same observations
                totals = db.execute("SELECT metric, labels, count, sum FROM duration_totals").fetchall()
                buckets = db.execute("SELECT metric, labels, le, count FROM duration_buckets ORDER BY le").fetchall()
            finally:
                db.close()
        except sqlite3.Error as error:  # a scrape shows zeros rather than fail
            if "no such table" not in str(error):
                log.warning("durations not read from %s: %s", path, error)
            totals, buckets = [], []
        for metric, labels, count, total in totals:
            found[(metric, labels)] = Series(tuple(json.loads(labels)), [], count, total)
        for metric, labels, le, count in buckets:
            if (metric, labels) in found:
                found[(metric, labels)].buckets.append((le, count))
    result = {}
    for histogram in HISTOGRAMS:
        series = {s.labels: s for (metric, _), s in found.items() if metric == histogram.name}
        for labels in histogram.known:
            series.setdefault(labels, Series(labels, [(le, 0) for le in histogram.buckets], 0, 0.0))
        result[histogram.name] = sorted(series.values(), key=lambda s: s.labels)
    return result

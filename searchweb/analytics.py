"""Search analytics: what readers search for, per normalised query and per day, in SQLite beside the index.

A search never waits on it: the request puts one small event on a bounded in-process queue
(`Recorder.search`, a `put_nowait`; a full queue drops the event and counts it) and a writer thread
of the process folds the queued events into one transaction. Every worker process has its own
writer; they share one database file in WAL mode, so they never block the readers of the admin page.

It never fails a search either: a locked, full, read-only or corrupt file is logged (once a minute
at most), its batch dropped and counted; a corrupt file is set aside (`analytics.sqlite3.corrupt-…`)
and a new one started.

Nothing personal is kept: no cookie, no address, no user agent; the normalised query text, a day
(UTC) and counts. Rows older than the retention (default 90 days) are pruned by the writer.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from unidecode import unidecode

from indexer.analysis import normalize

from . import metrics

log = logging.getLogger("archive_search.analytics")

FILE = "analytics.sqlite3"
MAX_QUERY = 200          # characters of a normalised query kept (a longer one is cut)
QUEUE_SIZE = 10_000      # events waiting for the writer; past it they are dropped, never waited for
BATCH = 2_000            # events folded into one transaction at most
# Seconds the writer lets events gather after the first before writing them: one transaction a
# second rather than one a search (a commit per search cost ~9 % of the server's CPU under load).
LINGER = 1.0
BUSY_TIMEOUT_MS = 1_000  # how long the writer waits for another writer's lock before dropping its batch
PRUNE_EVERY = 3_600.0    # seconds between two prunings by one writer
LOG_EVERY = 60.0         # seconds between two log lines about the same trouble

SCHEMA = """
CREATE TABLE IF NOT EXISTS daily (
    day TEXT NOT NULL,                    -- YYYY-MM-DD, UTC
    query TEXT NOT NULL,                  -- normalise_query()
    searches INTEGER NOT NULL DEFAULT 0,
    found INTEGER NOT NULL DEFAULT 0,     -- searches with at least one result
    zero INTEGER NOT NULL DEFAULT 0,      -- searches without any
    clicks INTEGER NOT NULL DEFAULT 0,    -- results opened from this query's answers
    click_positions INTEGER NOT NULL DEFAULT 0,  -- sum of the clicked results' positions (1 = first)
    PRIMARY KEY (day, query)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS daily_query ON daily(query);
"""

UPSERT = """
INSERT INTO daily (day, query, searches, found, zero) VALUES (?, ?, ?, ?, ?)
ON CONFLICT(day, query) DO UPDATE SET searches = searches + excluded.searches,
    found = found + excluded.found, zero = zero + excluded.zero
"""


def normalise_query(text: str) -> str:
    """One key for one query however it was typed: the engine's normalisation (NFC, straight
    apostrophes), French quotes as plain ones, accents folded and lowercase as the index folds
    words, one space between words. The operators stay (`-mot`, `titre:`, `"…"`, `OR`)."""
    text = normalize(text or "")
    for quote in "«»“”":
        text = text.replace(quote, '"')
    if not text.isascii():
        text = unidecode(text)
    words = [w if w == "OR" else w.lower() for w in text.split()]
    return " ".join(words)[:MAX_QUERY].strip()


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def is_corrupt(error: BaseException) -> bool:
    text = str(error).lower()
    return type(error) is sqlite3.DatabaseError or "malformed" in text or "not a database" in text


def connect(path: Path, busy_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return db


def open_database(path: Path) -> sqlite3.Connection:
    """The analytics database at `path`, created if missing, in WAL mode."""
    db = connect(path)
    try:
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # a crash may lose the last batch, never the file
        db.executescript(SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


def set_aside_if_corrupt(path: Path) -> Path | None:
    """Moves a corrupt analytics file (and its WAL) aside so a new one can start; returns where, or
    None when the file at `path` is sound (another process may have replaced it already)."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process sets it aside; the others find a sound file
        if not path.exists():
            return None  # set aside by another process already
        try:
            check = connect(path)
            try:
                sound = check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            finally:
                check.close()
        except sqlite3.DatabaseError as error:
            if not is_corrupt(error):
                return None  # locked, read-only...: not ours to move
            sound = False
        if sound:
            return None
        aside = path.with_name(f"{path.name}.corrupt-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}")
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(path.with_name(path.name + suffix), aside.with_name(aside.name + suffix))
        return aside


@dataclass
class Event:
    kind: str      # "search" or "click"
    day: str
    query: str
    total: int = 0      # a search's results
    position: int = 0   # a click's result position


class Recorder:
    """This process's side of the analytics: a bounded queue and the writer thread that drains it."""

    def __init__(self, path: Path | str, retention_days: int = 90, queue_size: int = QUEUE_SIZE):
        self.path = Path(path)
        self.retention_days = int(retention_days)
        self.queue: queue.Queue[Event | None] = queue.Queue(maxsize=queue_size)
        self.dropped = {"queue_full": 0, "locked": 0, "disk": 0, "corrupt": 0, "error": 0}
        self.written = 0
        self._db: sqlite3.Connection | None = None
        self._pruned_at = 0.0
        self._logged: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        self._pid = None
        self._inode = None
        self._lock = threading.Lock()
        self._hurry = threading.Event()  # set by flush(): write what is queued without lingering

    # --- the request's side: never blocks, never raises ------------------------------------------

    def search(self, q: str, total: int) -> None:
        query = normalise_query(q)
        if query:
            self._put(Event("search", today(), query, total=total))

    def click(self, q: str, position: int) -> bool:
        query = normalise_query(q)
        if not query:
            return False
        self._put(Event("click", today(), query, position=position))
        return True

    def _put(self, event: Event) -> None:
        self._ensure_writer()
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.dropped["queue_full"] += 1
            metrics.ANALYTICS_DROPPED.labels("queue_full").inc()
            self._warn("queue_full", "analytics queue full: events dropped (%d so far)", self.dropped["queue_full"])

    def _ensure_writer(self) -> None:
        # Started on first use, by the process that uses it: a thread does not survive a fork, so a
        # process forked from one that had a writer starts its own.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._db = None
                self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
                self._thread.start()
                atexit.register(self.flush, 2.0)  # a worker stopping writes what it has queued

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every event queued so far is written (or dropped); for tests and shutdown."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            self._hurry.set()
            time.sleep(0.01)
        return not self.queue.unfinished_tasks

    # --- the writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            self._hurry.wait(LINGER)
            self._hurry.clear()
            while len(batch) < BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.write(batch)
            except Exception:  # the writer must outlive anything: log, drop, go on
                self.dropped["error"] += len(batch)
                metrics.ANALYTICS_DROPPED.labels("error").inc(len(batch))
                log.exception("analytics: unexpected error, %d event(s) dropped", len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()

    def write(self, batch: list[Event]) -> None:
        """Folds `batch` into the database in one transaction; on trouble logs, drops and counts."""
        searches: dict[tuple[str, str], list[int]] = {}
        clicks: list[Event] = []
        for event in batch:
            if event.kind == "search":
                row = searches.setdefault((event.day, event.query), [0, 0, 0])
                row[0] += 1
                row[1 if event.total > 0 else 2] += 1
            else:
                clicks.append(event)
        try:
            db = self._database()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(UPSERT, [(d, q, n, f, z) for (d, q), (n, f, z) in searches.items()])
                for click in clicks:
                    self._credit(db, click)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            self.written += len(batch)
            self._prune(db)
        except sqlite3.Error as error:
            self._trouble(error, len(batch))

    @staticmethod
    def _credit(db: sqlite3.Connection, click: Event) -> None:
        """A click counts for its query's row of today, else of yesterday (a search just before
        midnight); a click for a query nobody searched is not recorded (nobody can fill the
        editor's list through the beacon alone)."""
        yesterday = (date.fromisoformat(click.day) - timedelta(days=1)).isoformat()
        for day in (click.day, yesterday):
            done = db.execute("UPDATE daily SET clicks = clicks + 1, click_positions = click_positions + ? "
                              "WHERE day = ? AND query = ?", (click.position, day, click.query))
            if done.rowcount:
                return

    def _database(self) -> sqlite3.Connection:
        if self._db is not None and self._file_replaced():
            self._close()  # another process set the file aside: follow it to the new one
        if self._db is None:
            self._db = open_database(self.path)
            self._inode = os.stat(self.path).st_ino
        return self._db

    def _file_replaced(self) -> bool:
        try:
            return os.stat(self.path).st_ino != self._inode
        except FileNotFoundError:
            return True

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    def _prune(self, db: sqlite3.Connection) -> None:
        now = time.monotonic()
        if self._pruned_at and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        cutoff = (datetime.now(timezone.utc).date() - timedelta(days=self.retention_days - 1)).isoformat()
        db.execute("DELETE FROM daily WHERE day < ?", (cutoff,))

    def _trouble(self, error: sqlite3.Error, count: int) -> None:
        text = str(error).lower()
        if is_corrupt(error):
            kind = "corrupt"
            self._close()
            aside = None
            try:
                aside = set_aside_if_corrupt(self.path)
            except (OSError, sqlite3.Error) as failed:
                log.warning("analytics: could not set the corrupt file %s aside: %s", self.path, failed)
            if aside is not None:
                log.error("analytics: %s was corrupt (%s); set aside as %s, a new one started",
                          self.path, error, aside.name)
        elif "locked" in text or "busy" in text:
            kind = "locked"
        elif "full" in text or "readonly" in text or "read-only" in text or "unable to open" in text \
                or "disk i/o" in text:
            kind = "disk"
            self._close()
        else:
            kind = "error"
            self._close()
        self.dropped[kind] += count
        metrics.ANALYTICS_DROPPED.labels(kind).inc(count)
        self._warn(kind, "analytics: %s (%s): %d event(s) dropped, searches unaffected", kind, error, count)

    def _warn(self, kind: str, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._logged.get(kind, -LOG_EVERY) >= LOG_EVERY:
            self._logged[kind] = now
            log.warning(message, *args)


# --- the editor's side: reports read from the file ------------------------------------------------

def _read(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def report(path: Path | str, days: int = 30, top: int = 20, end: date | None = None) -> dict:
    """The last `days` days (today included): totals, searches per day, top queries, top zero-result
    queries. An unreadable file gives an empty report carrying `error` rather than failing the page."""
    end = end or datetime.now(timezone.utc).date()
    start = end - timedelta(days=days - 1)
    every_day = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    result = {
        "from": start.isoformat(), "to": end.isoformat(), "days": days,
        "totals": {"searches": 0, "found": 0, "zero": 0, "clicks": 0, "click_through_rate": None,
                   "mean_click_position": None},
        "per_day": [{"day": d, "searches": 0, "zero": 0, "clicks": 0} for d in every_day],
        "top_queries": [], "zero_result_queries": [], "error": None,
    }
    path = Path(path)
    if not path.exists():
        return result
    bounds = (start.isoformat(), end.isoformat())
    try:
        db = _read(path)
        try:
            n, found, zero, clicks, positions = db.execute(
                "SELECT coalesce(sum(searches), 0), coalesce(sum(found), 0), coalesce(sum(zero), 0), "
                "coalesce(sum(clicks), 0), coalesce(sum(click_positions), 0) FROM daily "
                "WHERE day BETWEEN ? AND ?", bounds).fetchone()
            per_day = {d: (s, z, c) for d, s, z, c in db.execute(
                "SELECT day, sum(searches), sum(zero), sum(clicks) FROM daily WHERE day BETWEEN ? AND ? "
                "GROUP BY day", bounds)}
            top_rows = db.execute(
                "SELECT query, sum(searches) AS s, sum(found), sum(zero), sum(clicks), max(day) FROM daily "
                "WHERE day BETWEEN ? AND ? GROUP BY query ORDER BY s DESC, query LIMIT ?", (*bounds, top)).fetchall()
            zero_rows = db.execute(
                "SELECT query, sum(zero) AS z, sum(searches), max(CASE WHEN zero > 0 THEN day END) FROM daily "
                "WHERE day BETWEEN ? AND ? GROUP BY query HAVING z > 0 ORDER BY z DESC, query LIMIT ?",
                (*bounds, top)).fetchall()
        finally:
            db.close()
    except sqlite3.Error as error:
        log.warning("analytics: cannot read %s: %s", path, error)
        result["error"] = f"Analytics unreadable: {error}"
        return result
    result["totals"] = {
        "searches": n, "found": found, "zero": zero, "clicks": clicks,
        "click_through_rate": round(clicks / n, 4) if n else None,
        "mean_click_position": round(positions / clicks, 2) if clicks else None,
    }
    result["per_day"] = [{"day": d, "searches": per_day.get(d, (0, 0, 0))[0], "zero": per_day.get(d, (0, 0, 0))[1],
                          "clicks": per_day.get(d, (0, 0, 0))[2]} for d in every_day]
    result["top_queries"] = [
        {"query": q, "searches": s, "found": f, "zero": z, "clicks": c,
         "click_through_rate": round(c / s, 4) if s else None, "last_day": last}
        for q, s, f, z, c, last in top_rows]
    result["zero_result_queries"] = [{"query": q, "zero": z, "searches": s, "last_day": last}
                                     for q, z, s, last in zero_rows]
    return result


def csv_rows(path: Path | str, days: int = 30, end: date | None = None):
    """Every (day, query) row of the last `days` days, for the CSV export: a header, then the rows."""
    end = end or datetime.now(timezone.utc).date()
    start = end - timedelta(days=days - 1)
    yield ("day", "query", "searches", "found", "zero_results", "clicks")
    path = Path(path)
    if not path.exists():
        return
    db = _read(path)
    try:
        yield from db.execute("SELECT day, query, searches, found, zero, clicks FROM daily "
                              "WHERE day BETWEEN ? AND ? ORDER BY day, searches DESC, query",
                              (start.isoformat(), end.isoformat()))
    finally:
        db.close()


def analytics_file(config) -> Path:
    """Where the analytics live: ANALYTICS_FILE, else analytics.sqlite3 in the index folder."""
    return Path(config.get("ANALYTICS_FILE") or Path(config["INDEX_DIR"]) / FILE)


def retention_days(config) -> int:
    """The retention setting, at least one day (a bad value is a clear error at start)."""
    raw = config.get("ANALYTICS_RETENTION_DAYS", 90)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"analytics retention {raw!r}: expected a whole number of days") from None
    if days < 1:
        raise ValueError(f"analytics retention {raw!r}: at least 1 day")
    return days

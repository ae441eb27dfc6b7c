"""What the live index records in SQLite (`index/live.sqlite`): tasks, and the pushed articles.

- `tasks`: one row per write request (its id is the journal's sequence number), with its
  state: enqueued, processing, succeeded or failed. The admin page and `GET /api/v1/admin/tasks/{id}`
  read it. A task row is a convenience: the journal is what makes a write durable, and the
  applier writes any row that is missing (see applier.py).
- `pushed`: the last pushed version of every article written through the API (NULL once
  deleted), and the journal sequence number that wrote it. Every build lays these over the
  archive (build.py), so a reindex never loses a pushed write; `progress` records how far
  the journal has been laid into this table, so the journal can be discarded up to there.

`duration_buckets`, `duration_totals`: how long tasks took, from enqueued to finished, recorded
as Prometheus histograms in the transaction that finishes them (indexer/durations.py; builds
record their durations here too).

WAL mode: readers never wait for the writer. The applier's commits are synchronous=FULL
(pushed articles must survive a power cut once the journal that carried them is discarded).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from indexer import durations

FILE = "live.sqlite"
KEEP_TASKS = 10_000  # rows kept; older finished tasks are pruned by the applier
IDS_KEPT = 100       # article ids remembered per task

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    articles INTEGER NOT NULL,
    ids TEXT NOT NULL,
    error TEXT,
    enqueued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state, id);
CREATE TABLE IF NOT EXISTS pushed (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    article TEXT
);
CREATE INDEX IF NOT EXISTS pushed_seq ON pushed(seq);
CREATE TABLE IF NOT EXISTS progress (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
"""

TASK_FIELDS = ("id", "kind", "state", "articles", "ids", "error", "enqueued_at", "started_at", "finished_at")


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


class Ledger:
    def __init__(self, index_dir: Path | str, durable: bool = False):
        """`durable`: every commit is fsynced (the applier's); otherwise WAL's NORMAL."""
        self.path = Path(index_dir) / FILE
        self.durable = durable
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
            db.executescript(_SCHEMA + durations.SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # --- tasks -------------------------------------------------------------------------------------

    def add_task(self, task: dict) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(task))

    def task(self, task_id: int) -> dict | None:
        row = self._connect().execute(f"SELECT {', '.join(TASK_FIELDS)} FROM tasks WHERE id = ?",
                                      (task_id,)).fetchone()
        return _task(row) if row else None

    def recent_tasks(self, limit: int = 20) -> list[dict]:
        rows = self._connect().execute(f"SELECT {', '.join(TASK_FIELDS)} FROM tasks ORDER BY id DESC LIMIT ?",
                                       (limit,)).fetchall()
        return [_task(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self._connect().execute("SELECT state, COUNT(*) FROM tasks GROUP BY state").fetchall()
        return dict(rows)

    def set_state(self, db: sqlite3.Connection, tasks: list[dict], state: str, error: str | None = None) -> None:
        """Moves `tasks` (journal payloads with their `id`) to `state`; rows missing are written.
        Tasks that finish here (succeeded or failed, and not already) add their time from
        enqueued to now to the tasks' duration histogram, in the same transaction."""
        stamp = now_iso()
        now = time.time()
        finished = []
        for task in tasks:
            db.execute("INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(task))
            if state != "processing":
                row = db.execute("SELECT state FROM tasks WHERE id = ?", (task["id"],)).fetchone()
                if row[0] not in ("succeeded", "failed"):  # each task counted once (a replay...)
                    finished.append(((task["kind"], state), now - _enqueued(task, now)))
            if state == "processing":
                db.execute("UPDATE tasks SET state = ?, started_at = COALESCE(started_at, ?) "
                           "WHERE id = ? AND state IN ('enqueued', 'processing')", (state, stamp, task["id"]))
            else:
                db.execute("UPDATE tasks SET state = ?, error = ?, started_at = COALESCE(started_at, ?), "
                           "finished_at = ? WHERE id = ?", (state, error, stamp, stamp, task["id"]))
        durations.observe(db, durations.TASKS, finished)

    def failed_tasks(self, after: int = 0) -> set[int]:
        """Ids of failed tasks above `after`: the applier passes over them."""
        rows = self._connect().execute("SELECT id FROM tasks WHERE state = 'failed' AND id > ?", (after,))
        return {row[0] for row in rows}

    def note_waiting(self, task_ids: list[int], reason: str) -> None:
        """Says why tasks still wait (a full disk...): they stay unfinished and are retried."""
        with self.transaction() as db:
            db.executemany("UPDATE tasks SET error = ? WHERE id = ? AND state IN ('enqueued', 'processing')",
                           [(reason, i) for i in task_ids])

    def prune(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM tasks WHERE state IN ('succeeded', 'failed') AND id <= "
                   "(SELECT id FROM tasks ORDER BY id DESC LIMIT 1 OFFSET ?)", (KEEP_TASKS,))

    # --- pushed articles ---------------------------------------------------------------------------

    def lay(self, db: sqlite3.Connection, seq: int, ops: list[dict]) -> None:
        """Records the pushed writes of journal record `seq` (once: a replay lays nothing twice)."""
        for op in ops:
            article = json.dumps(op["article"], ensure_ascii=False) if op["op"] == "put" else None
            article_id = op["article"]["id"] if op["op"] == "put" else op["id"]
            db.execute("INSERT INTO pushed VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                       "seq = excluded.seq, article = excluded.article WHERE excluded.seq > pushed.seq",
                       (article_id, seq, article))
        db.execute("INSERT INTO progress VALUES ('pushed', ?) ON CONFLICT(name) DO UPDATE SET "
                   "seq = MAX(seq, excluded.seq)", (seq,))

    def laid_through(self) -> int:
        """The journal's sequence number up to which `pushed` holds every write."""
        row = self._connect().execute("SELECT seq FROM progress WHERE name = 'pushed'").fetchone()
        return row[0] if row else 0

    def snapshot(self) -> tuple[dict[str, bool], int]:
        """Every pushed article id (True once deleted) and the journal sequence number they
        stand at, read in one transaction (a consistent view while the applier writes)."""
        db = self._connect()
        db.execute("BEGIN")
        try:
            row = db.execute("SELECT seq FROM progress WHERE name = 'pushed'").fetchone()
            ids = {article_id: deleted for article_id, deleted in
                   db.execute("SELECT id, article IS NULL FROM pushed")}
        finally:
            db.execute("COMMIT")
        return ids, (row[0] if row else 0)

    def pushed_articles(self, through: int) -> Iterator[dict]:
        """The pushed articles (not deleted) written at or before `through`, one at a time."""
        rows = self._connect().execute(
            "SELECT article FROM pushed WHERE seq <= ? AND article IS NOT NULL ORDER BY id", (through,))
        for (article,) in rows:
            yield json.loads(article)

    def pushed(self, after: int = 0) -> Iterator[tuple[str, int, dict | None]]:
        """(id, seq, article or None once deleted) of the pushed articles written after `after`."""
        rows = self._connect().execute("SELECT id, seq, article FROM pushed WHERE seq > ? ORDER BY seq", (after,))
        for article_id, seq, article in rows:
            yield article_id, seq, json.loads(article) if article is not None else None

    def pushed_count(self) -> tuple[int, int]:
        """(articles pushed and live, pushed deletions)."""
        row = self._connect().execute(
            "SELECT COUNT(article), COUNT(*) - COUNT(article) FROM pushed").fetchone()
        return row[0], row[1]

    def forget_pushed(self) -> int:
        """Drops every pushed article and deletion (the archive alone rules again); returns how many."""
        with self.transaction() as db:
            return db.execute("DELETE FROM pushed").rowcount


def _row(task: dict) -> tuple:
    ids = task.get("ids") or []
    return (task["id"], task["kind"], task.get("state", "enqueued"), task["articles"],
            json.dumps(ids[:IDS_KEPT], ensure_ascii=False), task.get("error"), task["enqueued_at"],
            task.get("started_at"), task.get("finished_at"))


def _enqueued(task: dict, default: float) -> float:
    """When a task was enqueued, in seconds since the epoch: the journal's `enqueued_unix`, or
    (records written before it was kept) `enqueued_at`, to the second."""
    if isinstance(task.get("enqueued_unix"), (int, float)):
        return float(task["enqueued_unix"])
    try:
        return datetime.fromisoformat(task["enqueued_at"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return default


def _task(row) -> dict:
    task = dict(zip(TASK_FIELDS, row))
    task["ids"] = json.loads(task["ids"])
    return task

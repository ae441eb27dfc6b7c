"""The live index: articles pushed through the document API, durable once acknowledged and
searchable within seconds, without a rebuild.

    put / delete   record a write in the journal (fsynced) and as an enqueued task; return the task
    get_task       a task's state: enqueued, processing, succeeded or failed
    recent_tasks   the last tasks, for the admin page
    wait           until a task is finished (the CLI)
    status         the queue, the applier and the journal, for the admin page and /healthz

The applier (applier.py) applies the journal to the index: each batch becomes a small new
segment and a new generation that shares every other file with the last one (hard links).
`docs/live-index.md` says how the parts fit.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from indexer.article import Article
from indexer.errors import ArchiveSearchError
from indexer.live.documents import to_record
from indexer.live.journal import Journal
from indexer.live.ledger import Ledger, now_iso

log = logging.getLogger("archive_search.live")

# The task fields of the public contract (CONTRACT.md), and `ids`, the first article ids.
TASK_FIELDS = ("id", "kind", "state", "articles", "ids", "error", "enqueued_at", "finished_at")


class TaskNotFound(ArchiveSearchError):
    code = "not_found"


def put(index_dir, articles: list[Article], kind: str | None = None) -> dict:
    """Creates or replaces `articles` (already checked, see documents.py): one task, applied whole.
    `kind` is "put" for one article through its URL, "batch" for a batch."""
    ops = [{"op": "put", "article": to_record(a)} for a in articles]
    return _submit(index_dir, kind or ("put" if len(articles) == 1 else "batch"), ops,
                   [a.id for a in articles])


def delete(index_dir, ids: list[str]) -> dict:
    """Removes the articles `ids` (an id the index does not hold is no error: the task succeeds)."""
    return _submit(index_dir, "delete", [{"op": "delete", "id": i} for i in ids], list(ids))


def _submit(index_dir, kind: str, ops: list[dict], ids: list[str]) -> dict:
    enqueued_unix = time.time()  # to the microsecond, for the tasks' duration histogram (ledger.py)
    enqueued_at = now_iso()
    seq = Journal(index_dir).append({"kind": kind, "ops": ops, "enqueued_at": enqueued_at,
                                     "enqueued_unix": enqueued_unix})
    # From here the write is durable: whatever happens next, it is applied.
    task = {"id": seq, "kind": kind, "state": "enqueued", "articles": len(ops), "ids": ids,
            "error": None, "enqueued_at": enqueued_at, "finished_at": None}
    ledger = Ledger(index_dir)
    try:
        ledger.add_task(task)
    except sqlite3.Error as error:  # the applier writes the row from the journal
        log.warning("task %s: not recorded in %s yet (%s)", seq, ledger.path, error)
    finally:
        ledger.close()
    return public(task)


def public(task: dict) -> dict:
    return {k: task.get(k) for k in TASK_FIELDS}


def get_task(index_dir, task_id: int) -> dict:
    """The task `task_id`; a task the ledger lost is told from the journal and the index."""
    ledger = Ledger(index_dir)
    try:
        task = ledger.task(task_id)
    except sqlite3.Error:
        task = None
    finally:
        ledger.close()
    if task is not None:
        return public(task)
    if 0 < task_id <= Journal(index_dir).last_seq():
        from indexer.live.applier import applied_seq
        state = "succeeded" if task_id <= applied_seq(Path(index_dir)) else "enqueued"
        return {"id": task_id, "kind": None, "state": state, "articles": None, "ids": [], "error": None,
                "enqueued_at": None, "finished_at": None}
    raise TaskNotFound(f"no task {task_id}")


def recent_tasks(index_dir, limit: int = 20) -> list[dict]:
    ledger = Ledger(index_dir)
    try:
        return [public(t) for t in ledger.recent_tasks(limit)]
    except sqlite3.Error:
        return []
    finally:
        ledger.close()


def pending_writes(index_dir, applied: int) -> int:
    """Writes acknowledged after journal record `applied` (failed ones included): cheap, for /healthz."""
    return max(0, Journal(index_dir).last_seq() - applied)


def status(index_dir) -> dict:
    """The live index at a glance, for the admin page and /healthz: writes waiting to be
    applied, whether an applier runs, the journal's size and last repairs, pushed articles."""
    from indexer.live.applier import applied_seq
    from indexer.live.processes import ApplierLock
    from indexer.locks import FileLock
    from indexer.live.merge import LOCK as MERGE_LOCK

    index_dir = Path(index_dir)
    journal = Journal(index_dir)
    applied = applied_seq(index_dir)
    ledger = Ledger(index_dir)
    try:
        pushed, deleted = ledger.pushed_count()
        failed = len(ledger.failed_tasks(after=applied))
    except sqlite3.Error:
        pushed = deleted = None
        failed = 0
    finally:
        ledger.close()
    return {
        "pending": max(0, journal.last_seq() - applied - failed),
        "applied_through": applied,
        "applier_running": ApplierLock(index_dir).held_elsewhere(),
        "merging": FileLock(index_dir / MERGE_LOCK).held_elsewhere(),
        "journal_bytes": journal.size(),
        "journal_repairs": journal.repairs(limit=5),
        "pushed_articles": pushed,
        "pushed_deletions": deleted,
    }


def wait(index_dir, task_id: int, timeout: float = 60.0, poll: float = 0.05) -> dict:
    """The task once succeeded or failed, or as it stands after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        task = get_task(index_dir, task_id)
        if task["state"] in ("succeeded", "failed") or time.monotonic() >= deadline:
            return task
        time.sleep(poll)

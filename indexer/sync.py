"""`serve --sync-every DURATION`: the archive pulled again on a schedule (its URL sources above
all: a WordPress site, a feed, a sitemap), as an incremental reindex.

One thread of the server's master process keeps the schedule (the gunicorn workers know nothing
of it). At each tick it takes `sync.lock` (two servers on one index never sync at once), starts
`archive-search index SOURCES --trigger sync` in a process of its own (posix_spawn, like the
applier: see live/processes.py), and waits for it. The build is an ordinary one: the build lock
keeps it from running beside an admin reindex (the tick is then skipped and said so), its job
is the admin page's job (state, progress bar, one-line error), and a failed sync publishes
nothing: the live index is kept. `sync.json` beside the index keeps the schedule and the last
sync's outcome for the admin page.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from indexer.jobs import LOG, current_job, new_job_id, now_iso
from indexer.live.processes import alive
from indexer.locks import FileLock
from indexer.storage.generations import write_atomic

log = logging.getLogger("archive_search.sync")

STATE = "sync.json"
LOCK = "sync.lock"
MIN_EVERY = 1.0  # seconds; a real schedule is minutes or hours
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|min|m|s)?", re.I)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1, None: 1}


def parse_duration(text: str) -> float:
    """Seconds of `15m`, `1h30m`, `2h`, `90s`, `1d` or a bare number of seconds; ValueError otherwise."""
    raw = (text or "").strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(raw):
        match = _DURATION.match(raw, pos)
        if not match or match.end() == pos:
            raise ValueError(f"{text!r} is not a duration (e.g. 15m, 1h30m, 90s)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not raw or total < MIN_EVERY:
        raise ValueError(f"{text!r} is not a duration of at least {MIN_EVERY:g} s (e.g. 15m, 1h30m, 90s)")
    return total


def read_state(index_dir) -> dict | None:
    """The schedule and the last sync's outcome, as the admin page shows them; None without a schedule."""
    try:
        return json.loads((Path(index_dir) / STATE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def clear_schedule(index_dir) -> None:
    """Forgets the schedule (a server started without --sync-every), keeps the last outcome."""
    state = read_state(index_dir)
    if state is not None and state.get("every_s"):
        state.update(every_s=None, next_at=None, running=None)
        write_atomic(Path(index_dir) / STATE, json.dumps(state, ensure_ascii=False))


class SyncScheduler:
    """Starts a sync of `sources` every `every` seconds, the first one `every` seconds after start."""

    POLL = 0.5

    def __init__(self, index_dir, sources: list[str], every: float):
        self.index_dir = Path(index_dir)
        self.sources = [str(s) for s in sources]
        self.every = every
        self._stop = threading.Event()
        self._pid: int | None = None
        self._thread = threading.Thread(target=self._loop, name="sync-scheduler", daemon=True)
        self.state = {"every_s": every, "sources": self.sources, "next_at": None, "running": None,
                      "last": (read_state(self.index_dir) or {}).get("last")}

    def start(self) -> "SyncScheduler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._pid is not None and alive(self._pid):
            try:
                os.kill(self._pid, signal.SIGTERM)  # a build killed at any moment keeps the live index
            except ProcessLookupError:
                pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.state["next_at"] = _at(self.every)
            self._save()
            if self._stop.wait(self.every):
                return
            try:
                self.sync_once()
            except Exception:  # noqa: BLE001 - a schedule that dies would never sync again
                log.exception("sync failed to start; trying again at the next tick")

    def sync_once(self) -> dict:
        """One sync, waited for; its outcome, as kept in `sync.json`."""
        lock = FileLock(self.index_dir / LOCK)
        if not lock.acquire():
            return self._finish({"state": "skipped", "finished_at": now_iso(),
                                 "error": "another server is syncing this index"})
        try:
            job_id = new_job_id()
            self.state["running"] = job_id
            self._save()
            self._pid = _spawn_index(self.index_dir, self.sources, job_id)
            while alive(self._pid) and not self._stop.is_set():
                time.sleep(self.POLL)
            self._wait_for_job(job_id)
            job = current_job(self.index_dir) or {}
            if job.get("id") != job_id:
                outcome = {"state": "skipped", "finished_at": now_iso(),
                           "error": "a build was running: this sync was skipped"}
            else:
                errors = job.get("errors") or []
                outcome = {"job": job_id, "state": job.get("state"), "finished_at": job.get("finished_at"),
                           "indexed": job.get("indexed"), "skipped": job.get("skipped"),
                           "error": errors[-1] if job.get("state") == "failed" and errors else None}
            return self._finish(outcome)
        finally:
            self._pid = None
            lock.release()

    def _wait_for_job(self, job_id: str, wait: float = 2.0) -> None:
        """gunicorn reaps every child of the master, so the end of the process may be seen a
        moment before its last write to status.json is: wait for the job's end, briefly."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            job = current_job(self.index_dir) or {}
            if job.get("id") == job_id and job.get("state") not in ("queued", "running"):
                return
            time.sleep(0.05)

    def _finish(self, outcome: dict) -> dict:
        self.state["running"] = None
        self.state["last"] = outcome
        self._save()
        log.info("sync: %s%s", outcome["state"], f" ({outcome['error']})" if outcome.get("error") else "")
        return outcome

    def _save(self) -> None:
        write_atomic(self.index_dir / STATE, json.dumps(self.state, ensure_ascii=False))


def _spawn_index(index_dir: Path, sources: list[str], job_id: str) -> int:
    """`archive-search index SOURCES --trigger sync`, its output appended to build.log."""
    argv = [sys.executable, "-m", "indexer.cli", "index", *sources, "--index-dir", str(index_dir), "--quiet",
            "--job-id", job_id, "--trigger", "sync"]
    logfile = str(index_dir / LOG)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    return os.posix_spawn(sys.executable, argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, logfile, flags, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, logfile, flags, 0o644),
    ])


def _at(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat(timespec="seconds")

"""Build jobs: the one-build-at-a-time lock, the status file every process reads, and the
reindex started from the web in a process of its own.

The lock is an `fcntl.flock` on `build.lock`: the kernel drops it when its process dies,
so a killed build never leaves a stale lock behind. The web process takes the lock
*before* starting the build process and hands the locked file to it, so two reindex
requests can never both start a build.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from indexer import durations
from indexer.errors import IndexBusy
from indexer.live import ledger
from indexer.locks import FileLock
from indexer.storage import generations
from indexer.storage.generations import write_atomic

LOCK = "build.lock"
STATUS = "status.json"
LOG = "build.log"
MAX_ERRORS = 100  # skipped-record reasons kept in the status file
HOLDER_WAIT = 2.0  # seconds a lock held with no job running is waited for (see BuildLock.acquire)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class BuildLock(FileLock):
    """One build at a time on an index: taken without waiting, IndexBusy (with the running
    job) when another build holds it."""

    def __init__(self, index_dir: Path, fd: int | None = None):
        super().__init__(Path(index_dir) / LOCK)
        self.fd = fd  # an inherited, already locked descriptor
        if fd is not None:
            self._known()  # (a process this one forks closes it: see indexer/locks.py)

    def acquire(self, wait: bool = False) -> "BuildLock":
        if self.fd is not None:
            return self
        deadline = time.monotonic() + HOLDER_WAIT
        while not super().acquire(wait):
            job = current_job(self.path.parent)
            if job is not None and job.get("state") in ("queued", "running"):
                raise _busy(job) from None
            # No job runs, yet the lock is held: by a build that has just written its outcome
            # and is letting the lock go, or by one that has just taken it and not yet written
            # its job. Both last a moment: a client that saw `done` may start the next build.
            if time.monotonic() >= deadline:
                if job is not None:
                    raise _busy(job) from None
                raise IndexBusy("another build is running on this index; try again when it is done") from None
            time.sleep(0.01)
        return self

    def __enter__(self) -> "BuildLock":
        return self.acquire()


def _busy(job: dict) -> IndexBusy:
    err = IndexBusy(f"a build is already running on this index (job {job['id']}, "
                    f"{job['processed']}/{job['total']} records); try again when it is done")
    err.job = job
    return err


def lock_is_free(index_dir: Path) -> bool:
    return not (Path(index_dir) / LOCK).exists() or not FileLock(Path(index_dir) / LOCK).held_elsewhere()


def current_job(index_dir) -> dict | None:
    """The running or last build job, as the contract's `job` object; None before any build."""
    index_dir = Path(index_dir)
    try:
        job = json.loads((index_dir / STATUS).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if job.get("state") in ("queued", "running"):
        published = _published_by(index_dir, job.get("id"))
        if published is not None:
            # Its generation is live and the build is writing "done" (it does so under the
            # writer lock, at once): a client never sees the new index before the job's end.
            job.update(state="done", indexed=published.get("articles", 0), generation=published["generation"],
                       finished_at=published.get("built_at") or now_iso())
        elif lock_is_free(index_dir):
            # Nobody holds the lock: the build process died (killed, out of memory...).
            job["state"] = "failed"
            job["errors"] = list(job.get("errors", [])) + ["the build process stopped before finishing"]
            job["finished_at"] = job.get("finished_at") or now_iso()
    return job


def _published_by(index_dir: Path, job_id: str | None) -> dict | None:
    """The live generation's metadata if job `job_id` built it, else None."""
    live = generations.read_current(index_dir)
    if not live or not job_id:
        return None
    try:
        meta = generations.read_meta(index_dir / live)
    except (OSError, ValueError):
        return None
    return meta if meta.get("job") == job_id else None


class JobRecorder:
    """Writes a build's progress to status.json, at most a few times a second (made under the build lock)."""

    INTERVAL = 0.25

    def __init__(self, index_dir: Path, job_id: str | None = None, sources=(), trigger: str | None = None):
        self.path = Path(index_dir) / STATUS
        self.job = {
            "id": job_id or new_job_id(), "state": "running", "processed": 0, "total": 0,
            "indexed": 0, "skipped": 0, "errors": [], "started_at": now_iso(),
            "finished_at": None, "sources": [str(s) for s in sources],
            "pid": os.getpid(),  # the build process, for an operator (or a test) to watch or stop
        }
        if trigger:
            self.job["trigger"] = trigger  # "sync": started by `serve --sync-every`
        self._last = 0.0
        self._started = time.monotonic()
        # A build killed while writing its status left its temporary file: under the build lock,
        # which every writer of status.json holds, no other is being written.
        generations.remove_leftovers(self.path)
        self._write()

    def progress(self, processed: int, total: int, force: bool = False) -> None:
        self.job["processed"], self.job["total"] = processed, total
        if force or time.monotonic() - self._last >= self.INTERVAL:
            self._write()

    def skipped(self, reason: str) -> None:
        self.job["skipped"] += 1
        if len(self.job["errors"]) < MAX_ERRORS:
            self.job["errors"].append(reason)

    def finish(self, state: str, indexed: int = 0, error: str | None = None, **extra) -> None:
        """Writes the job's outcome. Once "done" (written as the build's generation goes live,
        before the build lets its lock go) it is final: what fails later (a clean-up) did not
        undo the publication, and the status file may be another build's by then."""
        if self.job["state"] == "done":
            return
        self._seconds = time.monotonic() - self._started
        self.job.update(state=state, indexed=indexed, finished_at=now_iso(), **extra)
        if error:
            self.job["errors"].append(error)
        self._write()

    def record_duration(self) -> None:
        """Adds the finished build to the reindex duration histogram, in the ledger's file
        (durations.py; never raises). Called after the build lock is released."""
        if self.job["state"] in ("done", "failed"):
            durations.record(self.path.parent / ledger.FILE, durations.REINDEX, (self.job["state"],),
                             self._seconds)

    def _write(self) -> None:
        self._last = time.monotonic()
        write_atomic(self.path, json.dumps(self.job, ensure_ascii=False))


def new_job_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def start_reindex(index_dir, sources: list[str], repair: bool = False) -> dict:
    """Starts `archive-search index` in a separate process and returns its job ("queued");
    with `repair`, `archive-search index --repair` (the sources the live index was built from).

    Raises IndexBusy (with `.job`) when a build is already running.
    """
    index_dir = Path(index_dir)
    lock = BuildLock(index_dir).acquire()
    try:
        job_id = new_job_id()
        queued = {"id": job_id, "state": "queued", "processed": 0, "total": 0, "indexed": 0,
                  "skipped": 0, "errors": [], "started_at": now_iso(), "finished_at": None,
                  "sources": [str(s) for s in sources]}
        write_atomic(index_dir / STATUS, json.dumps(queued, ensure_ascii=False))
        cmd = [sys.executable, "-m", "indexer.cli", "index", *map(str, sources),
               "--index-dir", str(index_dir), "--quiet", "--job-id", job_id,
               "--lock-fd", str(lock.fd)] + (["--repair"] if repair else [])
        with open(index_dir / LOG, "ab") as log:
            proc = subprocess.Popen(cmd, pass_fds=(lock.fd,), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, start_new_session=True)
        # Reap the child when it ends, so a long-lived server leaves no zombie.
        threading.Thread(target=proc.wait, daemon=True).start()
        return queued
    finally:
        lock.release()  # the child holds its own copy of the locked descriptor

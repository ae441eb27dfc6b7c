"""The live index's processes beside a server: the applier, kept running by a supervisor thread
of `archive-search serve`, and the merges the applier starts when segments pile up.

Both are started with posix_spawn, never forked from a server process (a fork would share the
server's locks and sockets) nor with subprocess.Popen (see `spawn`), and both end with the
process that started them (they ask for SIGTERM when their parent dies).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from indexer.errors import ArchiveSearchError
from indexer.live import merge
from indexer.live.merge import LOCK as MERGE_LOCK
from indexer.locks import FileLock
from indexer.storage import generations

log = logging.getLogger("archive_search.processes")

APPLIER_LOCK = "applier.lock"


class ApplierLock(FileLock):
    """`applier.lock`: held by the one applier of an index while it runs."""

    def __init__(self, index_dir: Path):
        super().__init__(Path(index_dir) / APPLIER_LOCK)


class MergeStarter:
    """Starts `archive-search merge` when the live generation's segments call for a merge
    (live/merge.py) and none runs; looks at most every CHECK_EVERY seconds."""

    CHECK_EVERY = 1.0

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._lock = FileLock(index_dir / MERGE_LOCK)
        self._last = 0.0
        self._seen: str | None = None
        self._pid: int | None = None

    def check(self) -> None:
        if self._pid is not None and not alive(self._pid):
            self._pid = None  # the last merge ended (and is reaped)
        now = time.monotonic()
        live = generations.read_current(self.index_dir)
        if live is None or live == self._seen or now - self._last < self.CHECK_EVERY:
            return
        self._last = now
        try:
            meta = generations.read_meta(self.index_dir / live)
            due = merge.plan(merge.shard_segments(self.index_dir / live, meta["shards"])) is not None
        except (OSError, ValueError, KeyError, ArchiveSearchError):
            return  # the generation went meanwhile: looked at again next time
        except Exception as error:  # noqa: BLE001 - Whoosh's own errors on a vanished file
            log.debug("merge check skipped: %r", error)
            return
        self._seen = live
        if due and self._pid is None and not self._lock.held_elsewhere():
            self._pid = spawn("merge", self.index_dir)
            self._seen = None  # look again once it has run


def spawn(command: str, index_dir: Path) -> int:
    """Starts `archive-search COMMAND --index-dir DIR --parent <this pid>` and returns its pid.

    With posix_spawn, not subprocess.Popen: Popen waits on a pipe that a process forked
    meanwhile by another thread (a gunicorn worker, while the supervisor starts the applier)
    would keep open, and would wait forever."""
    argv = [sys.executable, "-m", "indexer.cli", command, "--index-dir", str(index_dir), "--parent", str(os.getpid())]
    return os.posix_spawn(sys.executable, argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)])


def alive(pid: int) -> bool:
    """Whether a child still runs (one that ended is reaped here, unless its parent's own
    handler did: gunicorn's reaps every child of the server)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


class Supervisor:
    """Keeps one `archive-search apply` process running for an index, beside a server: starts
    it, and starts another within a second if it dies (killed, out of memory). The applier
    ends with the process that started it (SIGTERM when its parent dies)."""

    CHECK_EVERY = 0.5

    def __init__(self, index_dir: Path | str):
        self.index_dir = Path(index_dir)
        self._stop = threading.Event()
        self._pid: int | None = None
        self._thread = threading.Thread(target=self._watch, name="applier-supervisor", daemon=True)

    def start(self) -> "Supervisor":
        self._thread.start()
        return self

    def _watch(self) -> None:
        lock = ApplierLock(self.index_dir)
        while not self._stop.is_set():
            try:
                if not lock.held_elsewhere():
                    pid = self._pid = spawn("apply", self.index_dir)
                    log.info("applier started (pid %d)", pid)
                    # Give it the time to take its lock before looking again.
                    deadline = time.monotonic() + 10
                    while not lock.held_elsewhere() and alive(pid) and time.monotonic() < deadline:
                        time.sleep(0.05)
            except Exception:  # noqa: BLE001 - whatever failed, the watch goes on (a dead
                log.exception("could not start the applier; trying again")  # watcher = no applier, ever)
            self._stop.wait(self.CHECK_EVERY)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops watching and asks the applier to finish its batch and exit."""
        self._stop.set()
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        lock = ApplierLock(self.index_dir)
        deadline = time.monotonic() + timeout
        while lock.held_elsewhere() and time.monotonic() < deadline:
            time.sleep(0.05)

"""File locks between processes: `fcntl.flock`, which the kernel drops when the holder dies, so a
killed process never leaves a lock behind.

An flock belongs to the open file, which a fork shares: a child forked while a lock's descriptor
is open (a gunicorn worker forked by the server's master, a build's shard writer) would hold the
lock for as long as it lives, after its parent let it go or died. Every process forked from one
that imported this module closes its copies of lock files at once (`_close_inherited`): the
master's applier supervisor takes `applier.lock` for a moment to see whether an applier runs,
and a worker forked in that moment kept the applier from ever starting.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path

# The lock files this process opened (their real paths, as /proc shows descriptors), and its
# FileLock objects: what a forked child closes and forgets.
_paths: set[str] = set()
_locks: "weakref.WeakSet[FileLock]" = weakref.WeakSet()


class FileLock:
    """An exclusive lock on a file (`shared`: a lock many holders share, which an exclusive one
    excludes). As a context manager it waits for the lock."""

    def __init__(self, path: Path | str, shared: bool = False):
        self.path = Path(path)
        self.shared = shared
        self.fd: int | None = None

    def acquire(self, wait: bool = False) -> bool:
        """Takes the lock (waiting for it with `wait`); False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._known()  # before the descriptor exists: a fork may come at any moment after
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def _known(self) -> None:
        """Registers this lock's file and object, for a forked child to close and forget."""
        _paths.add(os.path.realpath(self.path))
        _locks.add(self)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor drops the lock
            self.fd = None

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock (checked without keeping it)."""
        if self.acquire():
            self.release()
            return False
        return True

    def __enter__(self) -> "FileLock":
        self.acquire(wait=True)
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _close_inherited() -> None:
    """In a child just forked: closes its copy of every lock file's descriptor (whichever thread
    of the parent had it open), and the FileLock objects it copied forget theirs."""
    if not _paths:
        return
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    closed = set()
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}") in _paths:
                os.close(int(name))
                closed.add(int(name))
        except (OSError, ValueError):
            continue
    for lock in list(_locks):
        if lock.fd in closed:
            lock.fd = None


os.register_at_fork(after_in_child=_close_inherited)

"""File locks between processes: `fcntl.flock`, which the kernel drops when the holder dies, so a
killed process never leaves a lock behind."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


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
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

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

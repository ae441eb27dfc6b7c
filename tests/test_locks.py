"""File locks and forks: a process forked while a lock's descriptor is open (a gunicorn worker
forked by the server's master, a build's shard writer) must not keep the lock (indexer/locks.py)."""

import fcntl
import os
import signal
import threading
import time
from unittest import mock

from indexer.locks import FileLock


def _fork_sleeper() -> int:
    """A child that lives on (as a gunicorn worker does). Returns once the child runs its own code,
    so its at-fork clean-up has run (a busy machine may take a while to schedule it)."""
    ready, told = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(told, b"1")
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(told)
    try:
        assert os.read(ready, 1) == b"1"
    finally:
        os.close(ready)
    return pid


def _holds(pid: int, path) -> bool:
    fds = os.listdir(f"/proc/{pid}/fd")
    return any(os.readlink(f"/proc/{pid}/fd/{fd}") == os.path.realpath(path) for fd in fds if
               os.path.exists(f"/proc/{pid}/fd/{fd}"))


def test_a_process_forked_while_a_lock_is_held_does_not_keep_it(tmp_path):
    lock = FileLock(tmp_path / "some.lock")
    assert lock.acquire()
    child = _fork_sleeper()
    try:
        assert not _holds(child, lock.path)
        lock.release()
        assert not FileLock(tmp_path / "some.lock").held_elsewhere(), "the forked child kept the lock"
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_fork_during_another_thread_s_probe_does_not_keep_the_lock(tmp_path):
    """The applier's supervisor probes applier.lock from a thread (held_elsewhere takes it for a
    moment) while gunicorn's main thread forks workers: a fork in that moment kept it before."""
    path = tmp_path / "applier.lock"
    probing, stop, children = threading.Event(), threading.Event(), []
    real_flock = fcntl.flock

    def probe():
        lock = FileLock(path)
        while not stop.is_set():
            lock.held_elsewhere()

    def flock(fd, operation):
        real_flock(fd, operation)
        if threading.current_thread().name == "probe" and not probing.is_set():
            probing.set()
            children.append(_fork_sleeper())  # a worker forked while the probe holds the lock

    with mock.patch.object(fcntl, "flock", flock):
        thread = threading.Thread(target=probe, name="probe", daemon=True)
        thread.start()
        assert probing.wait(10)
        stop.set()
        thread.join(10)
    try:
        assert children and not _holds(children[0], path)
        assert not FileLock(path).held_elsewhere(), "a process forked during the probe kept the lock"
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

"""Shared tools of the fault suite: corpus, real server processes, loopback HTTP, figures.

Everything here talks to 127.0.0.1 only, every loop is bounded in count and time, and every
process started is stopped by its own PID (or its own process group) in teardown.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import servers
from archives import articles, sentences  # noqa: F401  (articles: re-exported for the fault tests)
from servers import ROOT, clean_env, free_port  # noqa: F401  (re-exported for the fault tests)
from indexer.jobs import LOCK, current_job, lock_is_free
from indexer.storage import generations

ARTIFACTS = ROOT / "tests" / "artifacts"
FIGURES = ARTIFACTS / "faults-figures.json"

# One command for the full run; CI runs the same tests at a smaller size.
FULL = os.environ.get("ARCHIVE_SEARCH_FULL_TRIALS", "") not in ("", "0")
FULL_COMMAND = "ARCHIVE_SEARCH_FULL_TRIALS=1 .venv/bin/python -m pytest tests/faults"


def sized(ci, full):
    """The CI size, or the full run's."""
    return full if FULL else ci


# --- a corpus of French articles made of the seed's sentences -------------------------------------------

# `articles` is the recipe of tests/archives.py, shared with the other tests.


def query_words(k: int = 40, seed: int = 3) -> list[str]:
    """Words of the seed, for queries that match something."""
    words = sorted({w.strip(",;:()«»\"'’").lower() for s in sentences() for w in s.split() if len(w) > 5})
    rng = random.Random(seed)
    return rng.sample(words, min(k, len(words)))


# --- processes ----------------------------------------------------------------------------------------------

def cli(*args, env=None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "indexer.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or clean_env(), **kw)


def lock_holders(index_dir: Path, name: str = LOCK) -> list[int]:
    """PIDs holding the lock file `name` (the build lock by default) of `index_dir`, read from
    /proc/locks by the file's inode."""
    try:
        inode = (Path(index_dir) / name).stat().st_ino
    except FileNotFoundError:
        return []
    pids = []
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
            pids.append(int(parts[4]))
    return pids


def build_alive(index_dir: Path) -> int | None:
    """The PID of the last job's build process if it is still running (status.json names it)."""
    job = current_job(index_dir) or {}
    pid = job.get("pid")
    if not pid:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return pid if str(index_dir).encode() in cmdline and b"index" in cmdline else None


def stop_builds(index_dir: Path, timeout: float = 0) -> None:
    """Waits up to `timeout` s for a running build of `index_dir` to end, then kills it by PID
    (the lock's holders, and the job's own process if it outlived its job)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not lock_is_free(index_dir):
        time.sleep(0.1)
    for pid in [*lock_holders(index_dir), build_alive(index_dir)]:
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Server(servers.Server):
    """The shared test server (tests/servers.py), with what the fault trials ask of it."""

    def get(self, path: str, **kw):
        return request(self.port, "GET", path, **kw)

    def post(self, path: str, **kw):
        return request(self.port, "POST", path, **kw)

    def json(self, path: str, **kw):
        status, headers, body = self.get(path, **kw)
        return status, json.loads(body)

    def processes(self) -> dict:
        """This server's processes, found from the process tree: the gunicorn master (the
        process this test started), its workers, and the live index's applier."""
        kids = children(self.proc.pid)
        return {"master": self.proc.pid,
                "workers": [pid for pid, cmd in kids if "indexer.cli serve " in cmd],
                "applier": [pid for pid, cmd in kids if "indexer.cli apply " in cmd]}

    def supervisor_hung(self) -> bool:
        """Whether a thread of the master is blocked reading a pipe that a worker holds too: the
        applier's supervisor stuck in `subprocess.Popen`, waiting for the end of its error pipe
        that a worker forked at that moment inherited (it was, before 873c878: test_fault_live.py)."""
        procs = self.processes()
        held = set().union(*(open_files(w) for w in procs["workers"])) if procs["workers"] else set()
        return any(pipe in held for pipe in blocked_pipe_reads(procs["master"]))


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent PID) of a process from /proc, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def children(pid: int) -> list[tuple[int, str]]:
    """The live children of `pid` and their command lines, read from /proc (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is None or stat[1] != pid or stat[0] in ("Z", "X"):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry.name), cmdline))
    return found


# The number of read(2) in /proc/<pid>/syscall, per machine.
_READ_SYSCALL = {"x86_64": 0, "aarch64": 63}.get(os.uname().machine)


def blocked_pipe_reads(pid: int) -> list[str]:
    """The pipes (`pipe:[inode]`) that threads of `pid` are blocked reading, from /proc."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tasks:
        try:
            call = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
            if _READ_SYSCALL is None or not call or call[0] != str(_READ_SYSCALL):
                continue
            target = os.readlink(f"/proc/{pid}/fd/{int(call[1], 16)}")
        except (OSError, ValueError, IndexError):
            continue
        if target.startswith("pipe:"):
            found.append(target)
    return found


def open_files(pid: int) -> set[str]:
    """What the descriptors of `pid` point to (paths, `pipe:[inode]`...)."""
    out = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            out.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return out


def wait_until(predicate, timeout: float, every: float = 0.05) -> bool:
    """Polls `predicate` until it is true or `timeout` seconds have passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(every)


def mount_tmpfs(folder: Path, size: str) -> str | None:
    """Mounts a tmpfs of `size` on `folder`; returns why not (None once mounted)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited with {done.returncode}")


def unmount(folder: Path) -> None:
    if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 30, source: str | None = None):
    """One HTTP request to 127.0.0.1:port: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# --- polling -----------------------------------------------------------------------------------------------

def poll_job(read, timeout: float, every: float = 0.1, each=None) -> dict | None:
    """Reads a reindex job with `read()` (`api_job`, or status.json) every `every` s until it is done
    or failed, or `timeout` s have passed; returns the last one read, for the test to judge.
    `each()`, if given, runs before every read (a trial samples /healthz meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        if each is not None:
            each()
        job = read()
        if (job and job["state"] in ("done", "failed")) or time.monotonic() >= deadline:
            return job
        time.sleep(every)


def api_job(port: int, headers: dict):
    """The job as a client sees it: `GET /api/v1/admin/reindex` (for `poll_job`)."""
    return lambda: json.loads(request(port, "GET", "/api/v1/admin/reindex", headers=headers, timeout=30)[2])["job"]


def wait_job(index_dir: Path, timeout: float = 180) -> dict:
    """The job once it is done or failed (read from status.json, as every server process does)."""
    job = poll_job(lambda: current_job(index_dir), timeout)
    assert job and job["state"] in ("done", "failed"), f"the build did not finish in {timeout} s: {job}"
    return job


class Watch:
    """Calls `sample()` every `every` s in a thread of its own, from the start of a `with` block to
    its end, `max_seconds` at most: a client reading during a trial, the applier's processes, the
    switches of CURRENT. A sample that returns False ends the watch (a bound on its requests)."""

    def __init__(self, sample, every: float, max_seconds: float, join_timeout: float = 60):
        self.sample, self.every, self.max_seconds, self.join_timeout = sample, every, max_seconds, join_timeout
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Watch":
        self.deadline = time.monotonic() + self.max_seconds
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.thread.join(timeout=self.join_timeout)

    def _run(self) -> None:
        while not self.stop_event.is_set() and time.monotonic() < self.deadline:
            if self.sample() is False:
                return
            self.stop_event.wait(self.every)


def watch_current(index_dir: Path, every: float, max_seconds: float) -> Watch:
    """A Watch recording in `.seen` (time, generation) each time CURRENT changes."""
    seen: list[tuple[float, str | None]] = []

    def sample() -> None:
        name = generations.read_current(index_dir)
        if not seen or seen[-1][1] != name:
            seen.append((time.monotonic(), name))

    watch = Watch(sample, every, max_seconds, join_timeout=10)
    watch.seen = seen
    return watch


# Runs a command and writes the peak RSS of that command (in KB) to a file. A child's ru_maxrss
# starts at its parent's at fork time, so measuring a child of pytest (hundreds of MB) would report
# pytest's size: this small launcher is the parent that forks the measured command.
_LAUNCHER = """
import resource, subprocess, sys
report, timeout, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
try:
    status = subprocess.run(args, timeout=timeout).returncode
except subprocess.TimeoutExpired:
    status = -9
with open(report, "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status if status >= 0 else 128 - status)
"""


def run_measured(args: list, timeout: float, env=None) -> tuple[int, str, str, float, float]:
    """Runs a command; returns (exit status, stdout, stderr, seconds, peak RSS in MB of that
    command and its children)."""
    ARTIFACTS.mkdir(exist_ok=True)
    base = ARTIFACTS / f".measured-{os.getpid()}"
    out_path, err_path, rss_path = (base.with_suffix(s) for s in (".out", ".err", ".rss"))
    started = time.monotonic()
    with open(out_path, "w+") as out, open(err_path, "w+") as err:
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(rss_path), str(timeout), *map(str, args)],
                              cwd=ROOT, stdout=out, stderr=err, env=env or clean_env(), timeout=timeout + 30)
        seconds = time.monotonic() - started
        out.seek(0), err.seek(0)
        output, errors = out.read(), err.read()
    rss_mb = int(rss_path.read_text()) / 1024
    for path in (out_path, err_path, rss_path):
        path.unlink(missing_ok=True)
    return proc.returncode, output, errors, seconds, rss_mb


# --- figures for RELIABILITY.md -------------------------------------------------------------------------------

_figures: dict = {}


def record(case: str, **values) -> None:
    """Figures of one case, written to tests/artifacts/faults-figures.json at the end of the run."""
    _figures.setdefault(case, {}).update(values)


def write_figures() -> None:
    if not _figures:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    previous = {}
    if FIGURES.exists():
        try:
            previous = json.loads(FIGURES.read_text())
        except ValueError:
            previous = {}
    run = {"full": FULL, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "cpus": os.cpu_count(), "cases": _figures}
    previous["full" if FULL else "ci"] = run
    FIGURES.write_text(json.dumps(previous, ensure_ascii=False, indent=2))

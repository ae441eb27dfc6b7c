"""The real server for tests: `archive-search serve` (gunicorn, real workers) on 127.0.0.1.

One place for starting it, waiting until it answers and stopping it, shared by the web tests,
the browser tests and the fault trials (tests/faults/faultkit.py adds what only they need).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    """This process's environment without the product's settings (and a test's own metrics folder),
    plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_SEARCH_", "PROMETHEUS_"))}
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    """`archive-search serve` over `index_dir`, its output in `log`; stop() in a teardown.

    An empty index folder is built first (from `archive`, else the bundled sample), as a newcomer's."""

    def __init__(self, index_dir: Path, log: Path, workers: int = 2, env: dict | None = None,
                 archive: list | None = None, command: list | None = None, port: int | None = None,
                 args: tuple = ()):
        """`port`: the port of a server this one replaces (a restart), else a free one; `args`: more
        of serve's options (`--log-format json`); `command`: another command altogether ({port} in it
        is replaced)."""
        self.index_dir = Path(index_dir)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log)
        command = command or [sys.executable, "-m", "indexer.cli", "serve", "--index-dir", str(index_dir),
                              "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                              *[option for a in archive or [] for option in ("--archive", str(a))], *args]
        self.log = open(log, "w+")
        self.proc = subprocess.Popen([str(a).replace("{port}", str(self.port)) for a in command], cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env or clean_env(), start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> "Server":
        """Once /healthz says an index with articles is served (else stops it and fails with its log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if json.load(response)["articles"] > 0:
                        return self
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("the server did not start:\n" + self.output())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this test started: master and workers
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.log.close()

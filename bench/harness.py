"""How the benchmark runs: the engine's code (the work tree, or a snapshot of a git ref), each
measured step in a child process (bench.worker), the machine it ran on, the progress log.

Shared by bench.run, bench.live, bench.related and bench.sources_eval, which each report their own.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import OUT, REPO


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Engine:
    """Where the engine code comes from: the work tree, or a snapshot of a git ref (the work tree
    may be mid-edit while the benchmark runs)."""

    def __init__(self, ref: str | None):
        self.ref = ref
        if ref is None:
            self.root = REPO
            self.describe = _git("describe", "--always", "--dirty", "--abbrev=10") or "?"
            return
        sha = _git("rev-parse", ref)
        if not sha:
            raise SystemExit(f"bench: unknown git ref {ref!r}")
        self.root = OUT / f"engine-{sha[:10]}"
        self.describe = sha[:10]
        if not self.root.is_dir():
            tmp = OUT / f".engine-{sha[:10]}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            archive = subprocess.run(["git", "-C", str(REPO), "archive", sha, "indexer", "searchweb"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
            tmp.rename(self.root)
        # The benchmark's own code is always the current one.
        shutil.rmtree(self.root / "bench", ignore_errors=True)
        shutil.copytree(REPO / "bench", self.root / "bench", ignore=shutil.ignore_patterns("out", "__pycache__"))

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
        env["PYTHONPATH"] = str(self.root)
        env["PYTHONHASHSEED"] = "0"
        return env


def _git(*args) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None


def step(engine: Engine, python: str, name: str, result: Path, timeout: float, **opts) -> dict:
    argv = [python, "-m", "bench.worker", name, "--result", str(result)]
    for k, v in opts.items():
        argv += [f"--{k}", str(v)]
    result.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=engine.root, env=engine.env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not result.is_file():
        raise RuntimeError(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(result.read_text(encoding="utf-8"))
    data["_wall"] = time.monotonic() - started
    return data


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "sqlite": __import__("sqlite3").sqlite_version, "os": platform.platform(),
            "load_before": os.getloadavg()}

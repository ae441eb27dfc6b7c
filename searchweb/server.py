"""`archive-search serve`: the app under gunicorn, several worker processes, a built index first.

Search is CPU-bound Python, so it scales with processes, not threads. Each worker builds its own
app (no preloading), hence its own IndexStore and searchers, opened after the fork.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from indexer.build import build_index
from indexer.errors import IndexMissing
from indexer.live.processes import Supervisor
from indexer.search import IndexStore
from indexer.sync import SyncScheduler, clear_schedule

from . import create_app
from .accesslog import JsonAccessLogger

# (Nothing here imports prometheus_client, directly or through .engine: it decides at import whether
# it runs in multiprocess mode, and the master must import it only after `metrics_folder` has run.)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ArchiveSearchServer(BaseApplication):
    """gunicorn driven from Python: our settings, our app factory, no command line of its own."""

    def __init__(self, app_config: dict, options: dict):
        self.app_config = app_config
        self.options = options
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return create_app(self.app_config)


def _announce(arbiter) -> None:
    """Print where to point a browser, once the sockets are bound (gunicorn's `when_ready` hook)."""
    for listener in arbiter.LISTENERS:
        print(f"archive-search: serving on {listener}/", flush=True)


def ensure_index(index_dir: str | Path, archive: list[str] | None) -> None:
    """Build an index from the archive (or the bundled sample) if `index_dir` holds none yet
    (or only one written by an older version)."""
    try:
        IndexStore(index_dir).info()
    except IndexMissing as missing:
        from .engine import archive_sources
        sources = archive_sources(archive)
        print(f"archive-search: {missing}; building one from {', '.join(sources)}", flush=True)
        Path(index_dir).mkdir(parents=True, exist_ok=True)
        print(build_index(sources, index_dir).summary(), flush=True)


def metrics_folder(configured: str | None = None) -> Path:
    """The folder where every process of this server writes its metrics (prometheus_client's
    multiprocess mode), emptied now: counts of a previous run must not add up with this one's.
    Set in the environment before any worker, build or applier starts, so they all inherit it."""
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="archive-search-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def _worker_exited(server, worker) -> None:
    """gunicorn's `child_exit`: the worker's live gauges go (its counters stay, they are history)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def _stopped(folder: Path, configured: bool, applier) -> None:
    applier.stop()
    if not configured:
        shutil.rmtree(folder, ignore_errors=True)


def serve(index_dir: str | Path, host: str = "127.0.0.1", port: int = 8000,
          archive: list[str] | None = None, workers: int = 2, sync_every: float | None = None,
          log_format: str = "text") -> None:
    """Serve the app on host:port until stopped (SIGINT or SIGTERM), building the index first if
    needed, with the live index's applier beside the web workers (and, with `sync_every`, the
    schedule that pulls the archive again).

    `log_format`: "text" (gunicorn's combined access log) or "json" (accesslog.py)."""
    configured = os.environ.get("ARCHIVE_SEARCH_METRICS_DIR")
    folder = metrics_folder(configured)  # first: a first build below records its duration there
    if "prometheus_client.values" in sys.modules and not sys.modules["prometheus_client.values"].ValueClass.__name__ \
            .startswith("Mmaped"):
        raise RuntimeError("prometheus_client was imported before the metrics folder was set")
    ensure_index(index_dir, archive)
    applier = Supervisor(index_dir).start()
    from .engine import archive_sources  # after metrics_folder: .engine imports prometheus_client

    syncing = SyncScheduler(index_dir, archive_sources(archive), sync_every).start() if sync_every else None
    if syncing is None:
        clear_schedule(index_dir)  # a schedule of an earlier run must not show on the admin page

    def stop(arbiter) -> None:
        if syncing is not None:
            syncing.stop()
        _stopped(folder, bool(configured), applier)

    app_config = {"INDEX_DIR": str(index_dir), "WATCH_INDEX": True}
    if archive:
        app_config["ARCHIVE"] = list(archive)
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",  # one request at a time per process: searchers need no locking
        "preload_app": False,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        # gunicorn's runtime control socket is one fixed path per user: two servers on one machine
        # (a test run beside a dev server) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
        "when_ready": _announce,
        "child_exit": _worker_exited,
        "on_exit": stop,
    }
    if log_format == "json":
        options["logger_class"] = JsonAccessLogger
    elif log_format != "text":
        raise ValueError(f"log format {log_format!r}: expected text or json")
    ArchiveSearchServer(app_config, options).run()

"""Durations of the background work for the server's `/metrics`: reindexes and applied batches of
document writes, which run in processes of their own (a build, the live index's applier).

They are Prometheus histograms (prometheus_client, imported on first use). Under `archive-search
serve` these processes inherit `PROMETHEUS_MULTIPROC_DIR` from the server and write their figures
to files there, which any worker's scrape adds up; run by hand, they record nothing.
"""

from __future__ import annotations

import os
import threading

_metrics: dict | None = None
_lock = threading.Lock()

REINDEX_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
APPLY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def _get() -> dict:
    global _metrics
    with _lock:
        if _metrics is None:
            from prometheus_client import Counter, Histogram
            _metrics = {
                "reindex": Histogram("archive_search_reindex_duration_seconds",
                                     "Duration of reindexes, by how they ended.", ["state"], buckets=REINDEX_BUCKETS),
                "apply": Histogram("archive_search_update_apply_duration_seconds",
                                   "Time to apply one batch of document writes to the live index.",
                                   buckets=APPLY_BUCKETS),
                "tasks": Counter("archive_search_update_tasks", "Document-API tasks finished, by state.", ["state"]),
            }
        return _metrics


def _served() -> bool:
    """Whether a server reads these figures: only its processes have the multiprocess folder (a
    build or an applier run by hand would import prometheus_client for nothing)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def observe_reindex(seconds: float, state: str) -> None:
    if not _served():
        return
    try:
        _get()["reindex"].labels(state).observe(seconds)
    except Exception:  # noqa: BLE001 - figures for operators never fail a build
        pass


def observe_apply(seconds: float, tasks: int, state: str = "succeeded") -> None:
    if not _served():
        return
    try:
        _record_apply(seconds, tasks, state)
    except Exception:  # noqa: BLE001 - nor an applied write
        pass


def _record_apply(seconds: float, tasks: int, state: str) -> None:
    metrics = _get()
    if state == "succeeded":
        metrics["apply"].observe(seconds)
    metrics["tasks"].labels(state).inc(tasks)


def collectors() -> list:
    """This process's own collectors (for a server that is not running in multiprocess mode)."""
    return list(_get().values())

"""Durations of the background work for the server's `/metrics`: reindexes and applied batches of
document writes, which run in processes of their own (a build, the live index's applier).

They are Prometheus histograms (prometheus_client, imported on first use). Under `archive-search
serve` these processes inherit `PROMETHEUS_MULTIPROC_DIR` from the server and write their figures
to files there, which any worker's scrape adds up; run by hand, they keep them in memory, unread.
"""

from __future__ import annotations

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


def observe_reindex(seconds: float, state: str) -> None:
    _get()["reindex"].labels(state).observe(seconds)


def observe_apply(seconds: float, tasks: int, state: str = "succeeded") -> None:
    metrics = _get()
    if state == "succeeded":
        metrics["apply"].observe(seconds)
    metrics["tasks"].labels(state).inc(tasks)


def collectors() -> list:
    """This process's own collectors (for a server that is not running in multiprocess mode)."""
    return list(_get().values())

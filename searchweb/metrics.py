"""Metrics for operators: `GET /metrics` in the Prometheus text format, with `prometheus_client`.

Counters and histograms are updated where things happen (a search in engine.py, the analytics
writer). Under `archive-search serve` every
process writes them to files of its own in `PROMETHEUS_MULTIPROC_DIR` (a folder the server makes
empty at start) and a scrape adds them up, whichever worker answers it. The index's own figures
(articles, generation, pending writes, the last reindex) are read from disk at scrape time, and so
are the durations of reindexes and document-API tasks: their own processes keep them as histograms
in the index's live.sqlite (indexer/durations.py), and every worker reads the same rows.

Who may scrape: `ARCHIVE_SEARCH_METRICS_TOKEN` as a Bearer token when set (a scrape-only secret
for Prometheus's config), else the admin token; neither configured: 403, like admin.
"""

from __future__ import annotations

import hmac
import os
from datetime import datetime

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily
from prometheus_client.utils import floatToGoString
from prometheus_client.multiprocess import MultiProcessCollector

from indexer import durations
from indexer.errors import IndexMissing
from indexer.jobs import current_job
from indexer.live import pending_writes
from indexer.live.ledger import FILE as LEDGER_FILE

from . import security
from .errors import error_response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

disable_created_metrics()  # `_created` series: noise to a scraper, and absent in multiprocess mode anyway

# Search latency in seconds: cached answers take well under a millisecond, a deep query a second.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

SEARCHES = Counter("archive_search_searches", "Searches answered (page and API, cached or not).")
ZERO_RESULTS = Counter("archive_search_zero_result_searches", "Searches answered with no result.")
CACHE_HITS = Counter("archive_search_answer_cache_hits", "Searches answered from the process's answer cache.")
SEARCH_SECONDS = Histogram("archive_search_search_duration_seconds", "Time to answer a search, cache included.",
                           buckets=LATENCY_BUCKETS)
CLICKS = Counter("archive_search_result_clicks", "Result clicks reported by the page and the widget.")
ANALYTICS_DROPPED = Counter("archive_search_analytics_dropped_events",
                            "Analytics events not recorded (the search itself was answered).", ["reason"])

bp = Blueprint("metrics", __name__)


def observe_search(seconds: float, total: int, cached: bool) -> None:
    SEARCHES.inc()
    SEARCH_SECONDS.observe(seconds)
    if total == 0:
        ZERO_RESULTS.inc()
    if cached:
        CACHE_HITS.inc()


class IndexCollector:
    """The index as it stands on disk, read at each scrape (the same in every worker)."""

    def __init__(self, index_dir: str):
        self.index_dir = index_dir

    def collect(self):
        store = current_app.extensions["archive_search.store"]
        articles = GaugeMetricFamily("archive_search_index_articles", "Articles in the served index.")
        segments = GaugeMetricFamily("archive_search_index_segments", "Segments of the served index.")
        size = GaugeMetricFamily("archive_search_index_size_bytes", "Size of the served index on disk.")
        generation = InfoMetricFamily("archive_search_index_generation", "The generation being served.")
        pending = GaugeMetricFamily("archive_search_update_queue_length",
                                    "Writes acknowledged by the document API and not applied yet.")
        try:
            info = store.info()
        except IndexMissing:
            pass
        else:
            articles.add_metric([], info["articles"])
            segments.add_metric([], info["segments"])
            size.add_metric([], info.get("size_bytes") or 0)
            generation.add_metric([], {"generation": str(info["generation"])})
            pending.add_metric([], pending_writes(self.index_dir, info["journal_seq"]))
        yield from (articles, segments, size, generation, pending)

        job = current_job(self.index_dir)
        last = GaugeMetricFamily("archive_search_reindex_last_duration_seconds",
                                 "Duration of the last finished reindex.")
        running = GaugeMetricFamily("archive_search_reindex_running", "1 while a reindex runs.")
        running.add_metric([], 1 if job and job.get("state") in ("queued", "running") else 0)
        seconds = _seconds_between(job.get("started_at"), job.get("finished_at")) if job else None
        if seconds is not None:
            last.add_metric([], seconds)
        yield from (last, running)
        yield from duration_histograms(self.index_dir)


def duration_histograms(index_dir: str):
    """The reindex and task duration histograms their processes recorded (durations.py)."""
    recorded = durations.read(os.path.join(index_dir, LEDGER_FILE))
    for histogram in durations.HISTOGRAMS:
        family = HistogramMetricFamily(histogram.name, histogram.help, labels=histogram.labelnames)
        for series in recorded[histogram.name]:
            buckets = [(floatToGoString(le), count) for le, count in series.buckets]
            family.add_metric(list(series.labels), buckets + [("+Inf", series.count)], series.sum)
        yield family


def _seconds_between(start: str | None, end: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None


def scrape_allowed() -> Response | None:
    """None when this request may read the metrics, else the refusal."""
    token = current_app.config.get("METRICS_TOKEN") or security.admin_token()
    if not token:
        return error_response(403, "metrics_off", "Metrics are off: set ARCHIVE_SEARCH_METRICS_TOKEN "
                              "(or ARCHIVE_SEARCH_ADMIN_TOKEN).")
    bearer = security.bearer_token(request)
    if bearer is None or not hmac.compare_digest(bearer.encode(), token.encode()):
        response = error_response(401, "unauthorized", "Send the metrics token as 'Authorization: Bearer <token>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="archive-search metrics"'
        return response
    return None


@bp.get("/metrics")
def metrics():
    refusal = scrape_allowed()
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)  # every process's files, dead workers' counts included
    else:
        for collector in (SEARCHES, ZERO_RESULTS, CACHE_HITS, SEARCH_SECONDS, CLICKS, ANALYTICS_DROPPED):
            registry.register(collector)
    registry.register(IndexCollector(current_app.config["INDEX_DIR"]))
    response = Response(generate_latest(registry), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)

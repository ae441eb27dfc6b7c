"""13 and 14 through the real server: the rate limit per client address (429 + Retry-After), and a
search over the time limit stopped with a JSON error while the worker stays free."""

from __future__ import annotations

import json
import sys
import time

from faultkit import articles, clean_env, record
from archives import write_jsonl
from indexer.build import build_index


def test_the_rate_limit_is_per_address_with_429_and_retry_after(tmp_path, servers):
    index_dir = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(50))], index_dir)
    server = servers(index_dir, workers=1, env=clean_env(ARCHIVE_SEARCH_RATE_LIMIT="5/minute"))
    statuses = [server.get("/api/v1/search?q=num%C3%A9rique")[0] for _ in range(5)]
    assert statuses == [200] * 5
    status, headers, body = server.get("/api/v1/search?q=num%C3%A9rique")
    assert status == 429 and json.loads(body)["error"]["code"] == "rate_limited"
    assert 1 <= int(headers["retry-after"]) <= 12
    assert server.get("/")[0] == 429
    assert server.get("/healthz")[0] == 200  # load balancers are never limited
    # Another client address (loopback has all of 127.0.0.0/8) has its own bucket.
    assert server.get("/api/v1/search?q=num%C3%A9rique", source="127.0.0.2")[0] == 200
    record("rate_limit", setting="5/minute, 1 worker", first_refused=6, retry_after=int(headers["retry-after"]))


def test_without_a_setting_there_is_no_limit(tmp_path, servers):
    index_dir = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(50))], index_dir)
    server = servers(index_dir, workers=1)
    assert all(server.get("/api/v1/suggest?q=nu")[0] == 200 for _ in range(40))


def test_a_search_over_the_time_limit_is_stopped_and_the_worker_is_free(tmp_path, servers):
    index_dir = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(1500))], index_dir)
    # gunicorn with the app built with a tiny SEARCH_TIME_LIMIT, one worker: a worker stuck on
    # the first search could not answer the second.
    code = ("import sys; from searchweb.server import ArchiveSearchServer; "
            f"ArchiveSearchServer({{'INDEX_DIR': {str(index_dir)!r}, 'SEARCH_TIME_LIMIT': 1e-9}}, "
            "{'bind': '127.0.0.1:{port}', 'workers': 1, 'worker_class': 'sync', 'timeout': 60, "
            "'control_socket_disable': True}).run()")
    server = servers(index_dir, command=[sys.executable, "-c", code])
    started = time.monotonic()
    status, headers, body = server.get("/api/v1/search?q=num%C3%A9rique+OR+entreprises")
    took = time.monotonic() - started
    assert status == 503, body[:300]
    assert json.loads(body)["error"]["code"] == "timeout" and int(headers["retry-after"]) >= 1
    assert "application/json" in headers["content-type"]
    started = time.monotonic()
    assert server.get("/api/v1/suggest?q=num")[0] == 200  # the same single worker, at once
    assert server.get("/healthz")[0] == 200
    record("time_limit", setting="SEARCH_TIME_LIMIT=1e-9 s (default 2 s)", stopped_search_ms=round(took * 1000, 1),
           next_request_ms=round((time.monotonic() - started) * 1000, 1))

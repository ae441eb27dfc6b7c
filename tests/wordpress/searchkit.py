"""Our side of the WordPress tests: the real server (gunicorn, `archive-search serve`) and its search API."""

from __future__ import annotations

import json
import random
import time

import faultkit

ADMIN_TOKEN = "wordpress-tests-token"
FRESH = 5.0  # seconds: a pushed post is searchable within this (issue 10)


def word(rng=random.Random()) -> str:
    """A made-up word no article holds: what a test searches for."""
    consonants, vowels = "bcdfgjklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(5)) + "x"


def start_server(tmp_path, index_dir=None, archive=None, env=None, port=None) -> faultkit.Server:
    index_dir = index_dir or tmp_path / "index"
    server = faultkit.Server(index_dir, tmp_path / f"server-{time.monotonic_ns()}.log", workers=2,
                             archive=archive, port=port,
                             env=faultkit.clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=ADMIN_TOKEN,
                                                    ARCHIVE_SEARCH_HTTP_DELAY=0, **(env or {})))
    return server.wait_ready()


def hits(server, query: str) -> list[str]:
    """The ids of the articles a search finds."""
    status, answer = server.json("/api/v1/search?" + _query(q=query, per_page=50))
    assert status == 200, answer
    return [r["id"] for r in answer["results"]]


def article(server, article_id) -> dict | None:
    """The article the API serves under this id, or None (404)."""
    status, _, body = server.get(f"/api/v1/articles/{article_id}")
    if status == 404:
        return None
    assert status == 200, body
    return json.loads(body)


def tasks(server, limit: int = 100) -> list[dict]:
    status, answer = server.json(f"/api/v1/admin/tasks?limit={limit}",
                                 headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert status == 200, answer
    return answer["tasks"]


def until(condition, timeout: float = FRESH, every: float = 0.1) -> bool:
    """Whether `condition()` becomes true within `timeout` seconds (polled; never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


__all__ = ["ADMIN_TOKEN", "FRESH", "article", "hits", "start_server", "tasks", "until", "word"]

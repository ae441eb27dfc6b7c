"""Optional rate limiting per client address: an in-process token bucket, off unless configured.

`ARCHIVE_SEARCH_RATE_LIMIT=60/minute` lets each address make bursts of up to 60 requests, refilled
at 60 a minute. Each worker process keeps its own buckets, so the real limit is per worker; a proxy
in front (which also sets the client address) is the place for a global one.
"""

from __future__ import annotations

import math
import threading
import time

from flask import Flask, current_app, request

from .errors import error_response

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
EXEMPT = ("/healthz", "/static/")  # load balancers and page assets


def parse_rate(text: str) -> tuple[int, float]:
    """`"60/minute"` -> (60, 60.0): the burst size and the seconds it takes to refill."""
    count, _, period = text.strip().partition("/")
    try:
        burst, seconds = int(count), PERIODS[period.strip().rstrip("s")]
    except (ValueError, KeyError):
        raise ValueError(f"rate limit {text!r}: expected N/second, N/minute, N/hour or N/day") from None
    if burst < 1:
        raise ValueError(f"rate limit {text!r}: the count must be at least 1")
    return burst, float(seconds)


class TokenBuckets:
    """One bucket per client: each request takes a token; tokens come back at burst/period per second."""

    def __init__(self, burst: int, period: float, clock=time.monotonic):
        self.burst, self.rate, self.clock = burst, burst / period, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take a token for `client`: 0 if granted, else the seconds to wait for the next one."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget full buckets rather than grow without end
                self._forget_full(now)
            return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        for client, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[client]


def _limit():
    if request.path.startswith(EXEMPT):
        return None
    wait = current_app.extensions["archive_search.rate_limit"].take(request.remote_addr or "?")
    if not wait:
        return None
    response = error_response(429, "rate_limited", "Too many requests from this address; retry later.")
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


def init_app(app: Flask) -> None:
    if app.config.get("RATE_LIMIT"):
        app.extensions["archive_search.rate_limit"] = TokenBuckets(*parse_rate(app.config["RATE_LIMIT"]))
        app.before_request(_limit)

"""Headers that keep browsers safe, on every kind of answer; no inline code; rate limiting."""

from __future__ import annotations

import re

import pytest

from searchweb import create_app
from searchweb.ratelimit import TokenBuckets, parse_rate

PATHS = ["/", "/?q=ovh", "/?page=x", "/nulle-part", "/admin", "/embed.js", "/static/style.css", "/healthz",
         "/api/v1/search?q=ovh", "/api/v1/search?page=x", "/api/v1/nothing", "/api/v1/openapi.json"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_has_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_pages_get_the_strict_policy(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_json_may_load_nothing(client):
    assert client.get("/api/v1/search").headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_pages_carry_no_inline_script_or_style(app):
    """The CSP forbids them, so any would silently break: check every template's output."""
    app.config["ADMIN_TOKEN"] = "t"
    client = app.test_client()
    bodies = [client.get(p).get_data(as_text=True) for p in ("/", "/?q=numerqiue&tag=OVH&per_page=2", "/x", "/admin")]
    for body in bodies:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script>"
        assert "<style" not in body and not re.search(r"\sstyle=", body), "inline style"
        assert not re.search(r"\son[a-z]+=", body), "inline event handler"


def test_api_answers_escape_markup_characters_in_json(client):
    raw = client.get("/api/v1/search", query_string={"q": "<script>"}).get_data(as_text=True)
    assert "<script>" not in raw


# --- rate limiting --------------------------------------------------------------------------------------

def test_rate_limit_is_off_by_default(client):
    assert all(client.get("/api/v1/suggest?q=o").status_code == 200 for _ in range(30))


def test_rate_limit_answers_429_with_retry_after(sample_index):
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "RATE_LIMIT": "3/minute"})
    client = app.test_client()
    assert [client.get("/api/v1/suggest?q=o").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/search")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 20
    page = client.get("/")
    assert page.status_code == 429 and "Trop de requêtes" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200  # load balancers are never limited
    other = client.get("/api/v1/suggest?q=o", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # per client address


def test_token_buckets_refill_over_time():
    now = [0.0]
    buckets = TokenBuckets(*parse_rate("2/second"), clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert buckets.take("a") == 0


@pytest.mark.parametrize("text", ["", "10", "ten/minute", "10/fortnight", "0/minute"])
def test_bad_rate_settings_are_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_settings_come_from_the_environment(monkeypatch, sample_index):
    monkeypatch.setenv("ARCHIVE_SEARCH_INDEX_DIR", str(sample_index))
    monkeypatch.setenv("ARCHIVE_SEARCH_ARCHIVE", "/a.xml:/b.jsonl")
    monkeypatch.setenv("ARCHIVE_SEARCH_ADMIN_TOKEN", "12345")
    monkeypatch.setenv("ARCHIVE_SEARCH_RATE_LIMIT", "100/minute")
    app = create_app()
    assert app.config["INDEX_DIR"] == str(sample_index)
    assert app.config["ARCHIVE"] == ["/a.xml", "/b.jsonl"]
    assert app.config["ADMIN_TOKEN"] == "12345"  # a string, even when it looks like a number
    assert app.config["RATE_LIMIT"] == "100/minute"
    # Every worker derives the same session key from the token.
    assert app.secret_key == create_app().secret_key
    assert create_app({"ADMIN_TOKEN": "other"}).secret_key != app.secret_key


def test_a_configured_secret_key_wins(monkeypatch, sample_index):
    monkeypatch.setenv("ARCHIVE_SEARCH_ADMIN_TOKEN", "12345")
    monkeypatch.setenv("ARCHIVE_SEARCH_SECRET_KEY", "shared-by-every-machine")
    assert create_app({"INDEX_DIR": str(sample_index)}).secret_key == "shared-by-every-machine"

"""URL sources when the web misbehaves (issue 10): a redirect loop, a 500, a slow or dripping
server, garbage or HTML where XML is expected, a broken or endless sitemap, a refused
connection. Each is one clear line from `archive-search index URL` (exit 1) and in the job of a
scheduled sync (`serve --sync-every`), the admin page says it, and the live index is kept.

The web is tests/websites.py: a real HTTP server on 127.0.0.1, in this process.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

import faultkit
from faultkit import clean_env, record, run_measured, wait_until
from indexer.storage.generations import read_current, read_meta

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from websites import Site, refused_url, themed_page  # noqa: E402

TOKEN = "web-faults-token"
HTTP_ENV = {"ARCHIVE_SEARCH_HTTP_TIMEOUT": "1", "ARCHIVE_SEARCH_HTTP_DELAY": "0", "ARCHIVE_SEARCH_HTTP_MAX_MB": "1"}

# (name, how the site is broken, the one-line reason expected). `path` is what the source URL is.
FAULTS = [
    ("redirect loop", "/loop/a", r"redirect loop \(http://127\.0\.0\.1:\d+/loop/a -> .*/loop/b -> .*/loop/a\)"),
    ("HTTP 500", "/error500", r"HTTP 500 Internal Server Error"),
    ("slow server", "/slow", r"timed out after 1 s"),
    ("dripping server", "/drip-sitemap.xml", r"timed out: the answer took over 6 s"),
    ("garbage", "/garbage.xml", r"not a WordPress site, a feed or a sitemap \(application/xml, 16 KB of binary data\)"),
    ("HTML where XML is expected", "/index-to-html.xml", r"an HTML page where a sitemap was expected"),
    ("broken sitemap XML", "/broken-sitemap.xml", r"malformed sitemap XML \(line 1: "),
    ("a listed page down", "/sitemap-with-a-down-page.xml",
     r"/error500: HTTP 500 Internal Server Error \(a page .*/sitemap-with-a-down-page\.xml lists\)"),
    ("a page over the size limit", "/big.html", r"larger than 1\.0 MB"),
    ("connection refused", None, r"cannot connect \(connection refused\)"),
]


@pytest.fixture
def site():
    server = Site().start()
    yield server
    server.stop()


def _index(*args, env=None):
    return run_measured([sys.executable, "-m", "indexer.cli", "index", *map(str, args)], timeout=120,
                        env=env or clean_env(**HTTP_ENV))


@pytest.mark.parametrize("name, path, reason", FAULTS, ids=[f[0] for f in FAULTS])
def test_archive_search_index_url_fails_in_one_line_and_keeps_the_live_index(site, tmp_path, name, path, reason):
    index_dir = tmp_path / "index"
    status, _, errors, _, _ = _index(site.base + "/sitemap.xml", "--index-dir", index_dir)
    assert status == 0, errors
    live = read_current(index_dir)
    url = refused_url() if path is None else site.base + path
    status, out, errors, seconds, rss = _index(url, "--index-dir", index_dir)
    assert status == 1
    lines = errors.strip().splitlines()
    assert len(lines) == 1, errors
    assert re.fullmatch(r"archive-search: error: http://127\.0\.0\.1:\d+/\S*: .+", lines[0]), lines[0]
    assert re.search(reason, lines[0]), lines[0]
    assert read_current(index_dir) == live
    record(f"web index: {name}", line=lines[0].replace(site.base, "http://127.0.0.1:PORT"),
           seconds=round(seconds, 2), peak_rss_mb=round(rss, 1))


def test_an_endless_sitemap_is_cut_with_a_reason_in_bounded_memory(site, tmp_path):
    env = clean_env(**HTTP_ENV, ARCHIVE_SEARCH_SITEMAP_MAX_URLS=300)
    status, out, errors, seconds, rss = _index(site.base + "/endless-sitemap.xml", "--index-dir",
                                               tmp_path / "index", env=env)
    assert status == 0, errors
    assert out.startswith("300 articles indexed")
    assert "sitemap cut at 300 pages, the limit of a run; the pages past it are left out" in out
    record("web index: endless sitemap", articles=300, seconds=round(seconds, 2), peak_rss_mb=round(rss, 1))


def _admin_page(server) -> str:
    """The admin page as a logged-in owner sees it (session cookie and CSRF token, like a browser)."""
    status, headers, body = server.get("/admin")
    cookie = headers["set-cookie"].split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', body.decode()).group(1)
    status, headers, _ = server.post("/admin/login", headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        body=f"token={TOKEN}&csrf_token={csrf}".encode())
    assert status == 303
    cookie = headers.get("set-cookie", cookie).split(";")[0]
    return server.get("/admin", headers={"Cookie": cookie})[2].decode()


def _next_sync(index_dir: Path, after: str | None, timeout: float = 60) -> dict:
    """The outcome of the first sync that ends after the one that ended at `after`."""
    def ended():
        state = json.loads((index_dir / "sync.json").read_text()) if (index_dir / "sync.json").exists() else {}
        last = state.get("last") or {}
        return last if last.get("finished_at") and last.get("job") != after else None
    assert wait_until(lambda: ended() is not None, timeout), "no sync ended in time"
    return ended()


@pytest.mark.slow
def test_scheduled_syncs_follow_the_site_and_a_failed_one_keeps_the_live_index(site, tmp_path, servers):
    index_dir = tmp_path / "index"
    env = clean_env(**HTTP_ENV, ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN, ARCHIVE_SEARCH_SYNC_EVERY="1s")
    server = servers(index_dir, archive=[site.base + "/sitemap.xml"], env=env, workers=2)
    assert server.json("/api/v1/search?q=hebergeurs")[1]["total"] == 1

    # A page changes: the next sync brings it in.
    site.routes["/posts/metiers-du-digital.html"] = (200, "text/html", themed_page(
        "Les métiers du digital", "Les ordinateurs quantiques arrivent dans les métiers du digital.", "2015-05-02"))
    site.lastmod["metiers-du-digital"] = "2026-11-30"
    last = _next_sync(index_dir, None)
    deadline = time.monotonic() + 60
    while server.json("/api/v1/search?q=quantiques")[1]["total"] != 1 and time.monotonic() < deadline:
        last = _next_sync(index_dir, last.get("job"))
    assert server.json("/api/v1/search?q=quantiques")[1]["total"] == 1
    assert last["state"] == "done"

    # Then the site breaks in each way in turn: every sync fails in one line, the index stays.
    sitemap_route = site.routes["/sitemap-posts.xml"]
    broken = {
        "HTTP 500": ((500, "text/html", "<h1>Erreur</h1>"), r"sitemap-posts\.xml: HTTP 500 Internal Server Error"),
        "garbage": ((200, "application/xml", bytes(range(256)) * 8), r"sitemap-posts\.xml: "),
        "HTML where XML is expected": ((200, "text/xml", themed_page("Oups", "rien")),
                                       r"an HTML page where a sitemap was expected"),
        "redirect loop": ((302, "text/html", "", {"Location": "/loop/a"}), r"redirect loop"),
        "slow server": (site.routes["/slow"], r"timed out after 1 s"),
        "connection refused": ((302, "text/html", "", {"Location": refused_url()}),
                               r"sitemap-posts\.xml: cannot connect \(connection refused\) \(redirected to "),
    }
    live = None  # the generation the first failed sync leaves live: every later failure keeps it
    for name, (route, reason) in broken.items():
        site.routes["/sitemap-posts.xml"] = route
        last = _next_sync(index_dir, last.get("job"))
        if last["state"] != "failed":  # a sync that began before the break: the next one sees it
            last = _next_sync(index_dir, last.get("job"))
        assert last["state"] == "failed", (name, last)
        assert re.search(reason, last["error"]) and "\n" not in last["error"], (name, last["error"])
        job = server.json("/api/v1/admin/reindex", headers={"Authorization": f"Bearer {TOKEN}"})[1]["job"]
        assert job["trigger"] == "sync" and job["errors"][-1] == last["error"]
        # The live index is kept: no generation built since. (A merge of its segments may
        # republish the same articles under a new name at any time, late on a busy machine:
        # its meta.json still names the build it comes from.)
        built = read_meta(index_dir / read_current(index_dir))["job"]
        live = live or built
        assert built == live, (name, built, live)
        assert server.json("/api/v1/search?q=quantiques")[1]["total"] == 1
        page = _admin_page(server)
        assert "Synchronisation automatique toutes les 1 s" in page
        assert "échec le" in page and "l’index en ligne est conservé" in page
        record(f"web sync: {name}", error=last["error"].replace(site.base, "http://127.0.0.1:PORT"))

    site.routes["/sitemap-posts.xml"] = sitemap_route
    last = _next_sync(index_dir, last.get("job"))
    if last["state"] != "done":
        last = _next_sync(index_dir, last.get("job"))
    assert last["state"] == "done"
    assert "réussie le" in _admin_page(server)
    assert faultkit.lock_is_free(index_dir)

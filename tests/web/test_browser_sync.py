"""Debian's Chromium against a real server that syncs a local site on a schedule
(`serve --sync-every`): the admin page shows the schedule, follows a sync that starts while it is
open, and shows the last sync's outcome, its one-line error when it failed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from test_browser import ADMIN_TOKEN, ROOT, browser, free_port, page, shot  # noqa: F401 (fixtures)
from websites import Site

pytestmark = pytest.mark.browser


@pytest.fixture
def syncing_server(tmp_path):
    site = Site().start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
    # Spaced requests: a sync lasts a few seconds, long enough to be seen running.
    env.update(ARCHIVE_SEARCH_ADMIN_TOKEN=ADMIN_TOKEN, ARCHIVE_SEARCH_HTTP_DELAY="0.4")
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer.cli", "serve", "--index-dir", str(tmp_path / "index"), "--port", str(port),
         "--archive", site.base + "/sitemap.xml", "--sync-every", "4s"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                pytest.fail("the server did not start:\n" + log.read())
            time.sleep(0.3)
    yield site, base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
    site.stop()


def test_the_admin_page_follows_scheduled_syncs(syncing_server, page):
    site, base = syncing_server
    page.goto(base + "/admin")
    page.get_by_label("Jeton d’administration").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#sync")).to_contain_text("Synchronisation automatique toutes les 4 s")
    # A sync starts while the page is open: admin.js sees it and shows its progress...
    expect(page.locator(".job__state")).to_contain_text("Synchronisation en cours", timeout=30_000)
    # ...then the page reloads with its outcome.
    expect(page.locator("#sync")).to_contain_text("Dernière : réussie le", timeout=30_000)
    # The site breaks: the next sync fails in one line, shown on the page; the index is kept.
    site.routes["/sitemap-posts.xml"] = (500, "text/html", "<h1>Erreur</h1>")
    expect(page.locator("#sync")).to_contain_text("Dernière : échec le", timeout=40_000)
    expect(page.locator("#sync")).to_contain_text("sitemap-posts.xml: HTTP 500 Internal Server Error")
    expect(page.locator("#sync")).to_contain_text("l’index en ligne est conservé")
    shot(page, "admin-sync-failed")
    assert not page.problems, page.problems

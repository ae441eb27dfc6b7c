"""Debian's Chromium, headless, against the real server (gunicorn workers started by `serve`).

The page: type a query, tick a facet, change page, check the results. The widget: a page from
another origin embeds /embed.js and gets results through CORS. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from servers import ROOT, Server, clean_env, free_port  # noqa: F401  (free_port: for the other browser tests)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
STARTUP = 120  # seconds: the server first builds the sample index
ADMIN_TOKEN = "browser-admin-token"


SERVER_LOGS: list[Path] = []  # for the message of a test the server failed


def server_log_tail(lines: int = 40) -> str:
    return "\n".join(SERVER_LOGS[-1].read_text(errors="replace").splitlines()[-lines:]) if SERVER_LOGS else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server on loopback, started on an empty index folder, as a newcomer would."""
    log = tmp_path_factory.mktemp("browser-log") / "server.log"
    SERVER_LOGS.append(log)
    running = Server(tmp_path_factory.mktemp("browser-index"), log,
                     env=clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=ADMIN_TOKEN)).wait_ready(STARTUP)
    yield running.base
    running.stop()
    assert "serving on http://127.0.0.1:" in running.output()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's string-evaluating waits would break the pages' CSP: tests wait with locators.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def result_titles(page) -> list[str]:
    return page.locator(".result__title").all_inner_texts()


def test_search_tick_a_facet_and_page(server, page):
    page.goto(server + "/")
    assert page.title() == "Recherche dans les archives"
    search_box = page.get_by_label("Rechercher dans les archives")
    expect(search_box).to_be_focused()  # autofocus, applied at a rendering after load

    # Completions arrive as you type.
    search_box.press_sequentially("num", delay=40)
    completions = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(completions.first).to_be_visible()
    assert "numérique" in completions.all_inner_texts()

    search_box.fill("numérique")
    search_box.press("Enter")
    page.wait_for_url(re.compile(r"q=num%C3%A9rique"))
    titles = result_titles(page)
    total = int(page.locator(".toolbar__count strong").inner_text())
    assert titles and total >= len(titles)
    assert page.locator(".result__snippet mark").count() > 0
    shot(page, "page-search")

    # Tick the first category: the form is submitted at once, the state is in the URL.
    box = page.locator('.facet input[name="category"]').first
    category = box.get_attribute("value")
    box.check()
    page.wait_for_url(re.compile(r"category="))
    assert page.locator(f'.facet input[name="category"][value="{category}"]').is_checked()
    narrowed = int(page.locator(".toolbar__count strong").inner_text())
    assert 0 < narrowed <= total
    assert page.locator(".active-filters .chip").count() == 1
    shot(page, "page-facet")

    # Page through everything, two per page.
    page.goto(server + "/?per_page=2&sort=date")
    first_page = result_titles(page)
    page.get_by_role("link", name="Suivante ›").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator('.pagination a[aria-current="page"]').inner_text() == "2"
    assert not set(first_page) & set(result_titles(page))
    shot(page, "page-pagination")

    # Keyboard: on a results page (no autofocus there) the skip link comes first.
    page.goto(server + "/?q=ovh")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    # A phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + "/?q=r%C3%A9seaux+sociaux")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    shot(page, "page-phone")
    assert not page.problems, page.problems  # nothing broken by the CSP or a script error


def test_did_you_mean_and_empty_state_render(server, page):
    page.goto(server + "/?q=numerqiue")
    assert "Résultats pour « numérique »" in page.locator(".notice").inner_text()
    page.goto(server + "/?q=zzzqqq")
    assert "Aucun article ne correspond" in page.locator(".empty").inner_text()
    shot(page, "page-empty")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def another_site(folder, page: str):
    """`page` served as the home page of a static site on another origin (another port)."""
    (folder / "index.html").write_text(page, encoding="utf-8")
    site = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                           functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()


@pytest.fixture
def other_site(tmp_path, server):
    """A static page on another origin (another port) that embeds the widget, under a strict CSP."""
    with another_site(tmp_path, f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src {server}; connect-src {server}; style-src 'none'">
<title>Un autre site</title></head>
<body><h1>Le blog d’un voisin</h1>
<div data-archive-search data-per-page="3" data-facets="tag,year"></div>
<script src="{server}/embed.js" async></script>
</body></html>""") as url:
        yield url


def test_the_widget_works_on_another_origin(server, other_site, page):
    api_calls = []
    page.on("response", lambda r: api_calls.append(r) if "/api/v1/search" in r.url else None)
    page.goto(other_site)
    widget = page.locator("[data-archive-search]")
    results = widget.locator("li.result")
    results.first.wait_for()
    assert results.count() == 3  # data-per-page
    assert api_calls and api_calls[0].headers["access-control-allow-origin"] == "*"

    widget.get_by_role("combobox", name="Rechercher dans les archives").fill("hébergeur")
    widget.get_by_role("combobox", name="Rechercher dans les archives").press("Enter")
    expect(widget.locator(".title").first).to_have_text("OVH. What ?")
    assert widget.locator("mark").count() > 0
    # Styles come from a constructed stylesheet, which the host's `style-src 'none'` does not block.
    assert widget.locator("button[type=submit]").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 94, 174)"

    widget.locator(".chip").first.click()
    expect(widget.locator('.chip[aria-pressed="true"]')).to_have_count(1)
    shot(page, "widget-other-origin")
    assert not page.problems, page.problems


def _api(server: str, path: str) -> dict:
    with urllib.request.urlopen(server + path, timeout=10) as response:
        return json.load(response)


def test_a_facet_value_is_found_by_typing_and_ticked(server, page):
    page.goto(server + "/?q=num%C3%A9rique")
    sources = page.locator(".facet").filter(has=page.locator("legend", has_text="Sources citées"))
    more = sources.locator(".facet__more summary")
    expect(more).to_have_text(re.compile(r"de plus|autres"))  # the answer lists more than the page shows
    more.click()
    finder = sources.get_by_label("Trouver parmi les sources citées")
    expect(finder).to_be_visible()
    finder.press_sequentially("STEPH", delay=40)  # the start of a word, whatever its case and accents
    found = sources.locator(".facet__found li")
    expect(found).to_have_count(1)
    expected = _api(server, "/api/v1/facets/source?q=num%C3%A9rique&prefix=steph")["values"][0]
    expect(found.locator("a")).to_have_text(expected["value"])
    expect(found.locator(".facet__count")).to_have_text(str(expected["count"]))
    expect(sources.locator("[role=status]")).to_have_text("1 valeur")
    assert not sources.locator(".facet__listed").is_visible()  # the found values stand for the list
    shot(page, "page-facet-find")
    found.locator("input").check()  # ticked like any value: the search is narrowed at once
    page.wait_for_url(re.compile(r"source=St%C3%A9phane"))
    assert page.locator(".active-filters .chip").count() == 1
    assert int(page.locator(".toolbar__count strong").inner_text()) == expected["count"]

    # Typing more than exists says so; clearing the box brings the listed values back.
    page.goto(server + "/?q=num%C3%A9rique")
    sources.locator(".facet__more summary").click()
    finder.fill("zzzz")
    expect(sources.locator("[role=status]")).to_have_text("Aucune valeur ne commence ainsi.")
    finder.fill("")
    expect(sources.locator(".facet__listed")).to_be_visible()
    assert not page.problems, page.problems


def test_a_facet_value_found_by_typing_is_shown_as_text(server, page):
    """A hostile source value pushed through the document API comes back as text, never markup."""
    hostile = "Zébulon &lt;img src=x onerror=alert(1)&gt;"  # read by the archive as `<img ...>`
    article = {"title": "Une étude citée par un pirate", "body": "<p>Un texte sur le numérique.</p>",
               "date": "2016-05-06", "tags": ["Pirates"], "sources": [hostile]}
    request = urllib.request.Request(server + "/api/v1/admin/articles/facet-find-hostile", method="PUT",
                                     data=json.dumps(article).encode(),
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
    deadline = time.monotonic() + 30
    while not _api(server, "/api/v1/facets/source?prefix=zebulon")["values"]:
        assert time.monotonic() < deadline, "the pushed article never became searchable:\n" + server_log_tail()
        time.sleep(0.2)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    sources = page.locator(".facet").filter(has=page.locator("legend", has_text="Sources citées"))
    sources.locator(".facet__more summary").click()
    sources.get_by_label("Trouver parmi les sources citées").press_sequentially("zéb", delay=40)
    found = sources.locator(".facet__found li a")
    expect(found).to_have_text("Zébulon <img src=x onerror=alert(1)>")
    assert sources.locator(".facet__found img").count() == 0 and not dialogs
    assert not page.problems, page.problems


def test_the_admin_page_shows_writes_of_the_document_api_as_they_come(server, page):
    page.goto(server + "/admin")
    page.get_by_label("Jeton d’administration").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Dernières écritures")).to_be_visible()
    expect(page.get_by_text("--forget-pushed")).to_be_visible()
    # Another client deletes an article the index does not hold (so no later test sees a change).
    request = urllib.request.Request(server + "/api/v1/admin/articles/%3Cb%3Eabsent", method="DELETE",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        task = json.load(response)["task"]
    row = page.locator(f'#tasks tr[data-id="{task["id"]}"]')
    expect(row).to_be_visible(timeout=10_000)  # admin.js polls the list with the session
    expect(row.locator("td").nth(1)).to_have_text("Suppression")
    expect(row.locator(".task__ids")).to_have_text("<b>absent")  # text, never markup
    # The change is said once (a live region), rather than the table being re-read at each look.
    expect(page.locator("#tasks-status")).to_contain_text(f"Écriture n° {task['id']} (Suppression)")
    assert page.locator("#tasks b").count() == 0
    shot(page, "admin-writes")
    assert not page.problems, page.problems


def test_admin_logs_in_and_follows_a_reindex_live(server, page):
    """Last in this file: the rebuild publishes a new generation of the index the others read."""
    page.goto(server + "/admin")
    page.get_by_label("Jeton d’administration").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="L’index", exact=True)).to_be_visible()
    articles = page.locator(".figures dd").first.inner_text()
    generation = page.locator(".figures code").inner_text()
    page.get_by_role("button", name="Reconstruire maintenant").click()
    # admin.js follows the job, then reloads the page, which shows the new index and the outcome.
    expect(page.locator(".figures code")).not_to_have_text(generation, timeout=60_000)
    expect(page.locator(".job__state")).to_contain_text("Terminée le")
    assert page.get_by_role("button", name="Reconstruire maintenant").is_enabled()
    assert page.locator(".figures dd").first.inner_text() == articles
    shot(page, "admin-after-reindex")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Jeton d’administration")).to_be_visible()
    assert not page.problems, page.problems

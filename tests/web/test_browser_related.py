"""Related articles in Debian's Chromium against the real server: the widget's related block on
another origin, and the search page's "Articles liés" toggle."""

from __future__ import annotations


import pytest
from playwright.sync_api import expect

from test_browser import another_site, browser, page, server, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SHARED = "Comment l’entreprise peut-elle intégrer le numérique ? Des pistes !"


@pytest.fixture
def article_page(tmp_path, server):  # noqa: F811
    """An article's page on another origin, under a strict CSP, with the related block only."""
    with another_site(tmp_path, f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src {server}; connect-src {server}; style-src 'none'">
<title>Les enjeux de la data</title></head>
<body><article><h1>Les enjeux de la data</h1><p>Le texte de l’article.</p></article>
<div id="related" data-archive-search-related data-article-id="105" data-limit="3"></div>
<div id="unknown" data-archive-search-related data-article-id="no-such-article"></div>
<script src="{server}/embed.js" async></script>
</body></html>""") as url:
        yield url


def test_the_widget_shows_related_articles_on_an_article_page(server, article_page, page):  # noqa: F811
    calls = []
    page.on("response", lambda r: calls.append(r) if "/related" in r.url else None)
    page.goto(article_page)
    block = page.locator("#related")
    items = block.locator("li.result")
    expect(items).to_have_count(3)  # data-limit
    expect(block.get_by_role("heading")).to_have_text("À lire aussi")
    expect(items.first.locator(".title")).to_have_text(SHARED)
    # By RULES.md the name-dropping article 105 cites nobody, so no "Cite aussi" line (test_related_api.py
    # checks that line on an index where two articles share their sources).
    expect(items.first.locator(".shares")).to_have_count(0)
    assert items.first.locator("a.title").get_attribute("href").startswith("https://")
    assert [r.status for r in calls if "no-such-article" in r.url] == [404]
    assert all(r.headers["access-control-allow-origin"] == "*" for r in calls)
    # An unknown article leaves its element empty; no search box is added to the page.
    assert page.locator("#unknown").evaluate("el => el.shadowRoot.querySelectorAll('li').length") == 0
    expect(page.get_by_role("combobox")).to_have_count(0)
    shot(page, "widget-related")
    assert [p for p in page.problems if "404" not in p] == []  # the browser logs the 404 it was sent


def test_the_search_page_shows_related_articles_for_a_result_on_request(server, page):  # noqa: F811
    page.goto(server + "/?q=fevad")
    first = page.locator(".result").filter(has_text="Les enjeux de la data")
    toggle = first.locator("details.related")
    expect(toggle.locator(".related__list")).to_have_count(0)  # nothing asked yet
    expect(toggle.get_by_role("link", name="Afficher les articles liés")).to_be_hidden()  # the no-JS link
    toggle.locator("summary").click()
    related = toggle.locator(".related__list li")
    expect(related.first).to_contain_text(SHARED)
    expect(related.first.locator(".related__shares")).to_have_count(0)  # 105 cites nobody (RULES.md)
    expect(related).to_have_count(5)
    shot(page, "page-related")
    assert not page.problems, page.problems

"""Accessibility in Debian's Chromium against the real server: axe-core finds no violation on the
search page, the admin page and the widget, in the states a reader or an editor puts them in; the
completions are an ARIA combobox used with the keyboard alone; focus is always visible; what a
search found is announced.

axe-core runs inside the page (tests/web/a11y/axe.py), so these pages are opened with the CSP
bypassed: theirs rightly forbids the injected script. test_security.py checks the CSP itself.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from a11y.axe import report, violations
from test_browser import ADMIN_TOKEN, another_site, browser, server, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def assert_no_violations(page, where: str) -> None:
    found = violations(page)
    assert not found, f"axe-core on {where}:\n{report(found)}"


def search_box(page):
    return page.get_by_role("combobox", name="Rechercher dans les archives")


# --- axe-core: 0 violations -------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "q=num%C3%A9rique", "q=num%C3%A9rique&page=2&per_page=3",
                                   "q=zzzqqxw", "q=numerqiue", "tag=Cloud&from=2015-01-01",
                                   "q=data&related=105"])
def test_the_search_page_has_no_violations(server, page, query):
    page.goto(f"{server}/?{query}")
    if query:  # checked once search.js has put in the sentence it adds
        expect(page.locator("#results-status")).not_to_be_empty()
    assert_no_violations(page, f"/?{query}")


def test_the_search_page_has_no_violations_with_its_widgets_open(server, page):
    page.goto(server + "/?q=num%C3%A9rique")
    # The completions open, one highlighted.
    box = search_box(page)
    box.fill("")
    box.press_sequentially("num", delay=30)
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
    box.press("ArrowDown")
    assert_no_violations(page, "the page with its completions open")
    box.press("Escape")
    # A facet's "more" opened and its finder used; a result's related articles shown.
    sources = page.locator(".facet").filter(has=page.locator("legend", has_text="Sources citées"))
    sources.locator(".facet__more summary").click()
    sources.get_by_label("Trouver parmi les sources citées").press_sequentially("ste", delay=30)
    expect(sources.locator(".facet__found li").first).to_be_visible()
    page.locator("details.related summary").first.click()
    expect(page.locator(".related__list li").first).to_be_visible()
    assert_no_violations(page, "the page with a facet's finder and related articles open")
    assert not page.problems, page.problems


def test_the_search_page_has_no_violations_on_a_phone(server, browser):  # noqa: F811
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740}, bypass_csp=True,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(server + "/?q=num%C3%A9rique")
        assert_no_violations(page, "a phone")
    finally:
        context.close()


def _log_in(page, server: str) -> None:
    page.goto(server + "/admin")
    page.get_by_label("Jeton d’administration").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="L’index", exact=True)).to_be_visible()


def test_the_admin_pages_have_no_violations(server, page):
    page.goto(server + "/admin")
    assert_no_violations(page, "the admin login")
    page.get_by_label("Jeton d’administration").fill("not the token")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_violations(page, "the admin login refused")
    # Searches and a click first, so the analytics report has tables and a chart to check.
    for q in ("numérique", "cloud", "zzzqqxw"):
        page.goto(f"{server}/?q={urllib.parse.quote(q)}")
    _log_in(page, server)
    expect(page.locator(".chart svg")).to_be_visible()
    assert_no_violations(page, "the admin page")
    shot(page, "admin-a11y")


# --- the widget ---------------------------------------------------------------------------------------

@pytest.fixture
def host_page(tmp_path, server):  # noqa: F811
    """A page of another site with the search widget and a related block, as a blog would embed them."""
    with another_site(tmp_path, f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Un blog voisin</title><link rel="icon" href="data:,"></head>
<body><main><h1>Le blog d’un voisin</h1>
<div id="search" data-archive-search data-per-page="3" data-facets="tag,year,source"></div>
<article><h2>Les enjeux de la data</h2><p>Le texte de l’article.</p></article>
<div id="related" data-archive-search-related data-article-id="105" data-limit="3"></div>
</main><script src="{server}/embed.js" async></script></body></html>""") as url:
        yield url


def test_the_widget_has_no_violations_and_announces_results(server, host_page, page):
    page.goto(host_page)
    widget = page.locator("#search")
    expect(widget.locator("li.result")).to_have_count(3)
    expect(page.locator("#related li.result")).to_have_count(3)
    assert_no_violations(page, "the widget and its related block")

    status = widget.locator(".status")
    box = widget.get_by_role("combobox", name="Rechercher dans les archives")
    # The widget's completions are the page's combobox: type, Down, Enter searches the word.
    box.press_sequentially("héber", delay=40)
    listbox = widget.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    assert "hébergeur" in options.all_inner_texts()
    assert_no_violations(page, "the widget with its completions open")
    shot(page, "widget-completions", full_page=False)
    assert page.evaluate("() => typeof window.ArchiveSearchCompletions") == "undefined"  # not the host's global
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.fill("hébergeur")
    box.press("Enter")
    expect(status).to_have_text(re.compile(r"^\d+ articles? pour « hébergeur »$"))
    widget.locator(".chip").first.click()
    expect(widget.locator('.chip[aria-pressed="true"]')).to_have_count(1)
    expect(status).to_have_text(re.compile(r"^\d+ articles? pour « hébergeur »"))
    assert_no_violations(page, "the widget after a search and a ticked chip")
    assert not page.problems, page.problems


# --- the combobox, with the keyboard alone --------------------------------------------------------

def test_completions_are_a_combobox_used_with_the_keyboard_alone(server, page):
    page.goto(server + "/")
    box = search_box(page)
    expect(box).to_be_focused()  # the box has the focus on arrival (autofocus, at a rendering after load)
    expect(box).to_have_attribute("aria-expanded", "false")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(box).to_have_attribute("aria-controls", "completions")
    expect(box).to_have_attribute("aria-autocomplete", "list")

    page.keyboard.type("num", delay=40)
    options = listbox.get_by_role("option")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    words = options.all_inner_texts()
    assert words and all(w.startswith("num") for w in words), words
    # How many are offered is said, since a list appearing under the box is otherwise silent.
    expect(page.locator("#completions-status")).to_have_text(re.compile(r"^\d+ suggestions?, flèches"))

    # Down highlights the first word (the focus stays in the box), down again the next, up back.
    page.keyboard.press("ArrowDown")
    first = options.nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    assert box.evaluate("el => el === document.activeElement")
    assert len(words) >= 2, words  # the sample has numérique, numériques…
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    # Up from the first word wraps to the last.
    page.keyboard.press("ArrowUp")
    expect(options.nth(len(words) - 1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    shot(page, "page-completions", full_page=False)

    # Escape closes the list and keeps what was typed; Down opens it again.
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    expect(box).to_have_value("num")
    page.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    expect(first).to_have_attribute("aria-selected", "true")

    # Enter searches the highlighted word.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=" + re.escape(urllib.parse.quote(words[0]))))
    expect(search_box(page)).to_have_value(words[0])
    assert page.locator(".result").count() > 0
    assert not page.problems, page.problems


def test_enter_without_a_highlighted_word_searches_what_was_typed(server, page):
    page.goto(server + "/")
    expect(search_box(page)).to_be_focused()  # autofocus lands at a rendering after load: then type
    listbox = page.get_by_role("listbox", name="Suggestions")
    page.keyboard.type("num", delay=40)
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")  # the first Escape closes the list, the second empties the box
    expect(listbox).to_be_hidden()
    expect(search_box(page)).to_have_value("num")
    page.keyboard.press("Escape")
    expect(search_box(page)).to_have_value("")
    page.keyboard.type("num", delay=40)
    expect(listbox).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=num(&|$)"))
    # Tab moves on and closes the list.
    page.keyboard.press("Tab")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()


# --- visible focus, announced results ------------------------------------------------------------

FOCUS_RING = """() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
        && style.outlineColor !== "rgba(0, 0, 0, 0)";
    const box = el.getBoundingClientRect();
    return {tag: el.tagName + (el.type ? "[" + el.type + "]" : "") + (el.id ? "#" + el.id : ""), text: (el.textContent || el.value || "").trim().slice(0, 40),
            ring: outline || style.boxShadow !== "none", onscreen: box.bottom > 0 && box.top < innerHeight
            && box.width > 0 && box.height > 0};
}"""


def _tab_through(page, steps: int) -> list[dict]:
    seen = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUS_RING))
    return seen


@pytest.mark.parametrize("where", ["page", "admin", "widget"])
def test_keyboard_focus_is_always_visible(server, page, host_page, where):
    if where == "page":
        page.goto(server + "/?q=num%C3%A9rique")
    elif where == "admin":
        _log_in(page, server)
    else:
        page.goto(host_page)
        expect(page.locator("#search li.result")).to_have_count(3)
    page.locator("body").evaluate("b => b.focus()")
    seen = _tab_through(page, 40)
    missing = [f for f in seen if not (f["ring"] and f["onscreen"]) and f["tag"] != "BODY"]
    assert not missing, f"focus without a visible ring on {where}: {missing}"
    if where == "page":  # the first Tab reaches the skip link, shown on focus
        assert seen[0]["text"] == "Aller au contenu"


def test_what_a_search_found_is_announced(server, page):
    with urllib.request.urlopen(server + "/?q=num%C3%A9rique", timeout=10) as response:
        served = response.read().decode()
    # Served empty: a live region is read when its text changes, so search.js fills it after load.
    assert re.search(r'<p id="results-status"[^>]*role="status"[^>]*></p>', served)
    page.goto(server + "/?q=num%C3%A9rique")
    status = page.locator("#results-status")
    expect(status).to_have_text(re.compile(r"^\d+ articles pour « numérique »$"))
    assert re.match(r"^\d+ articles pour « numérique » — Recherche dans les archives$", page.title())
    expect(page.get_by_role("heading", level=1)).to_have_text("Résultats de la recherche « numérique »")

    page.locator(".facet input[type=checkbox]").first.check()  # ticking reloads the page: said again
    page.wait_for_url(re.compile(r"tag="))
    expect(status).to_have_text(re.compile(r"^\d+ articles? pour « numérique » avec les filtres choisis$"))

    page.goto(server + "/?q=zzzqqxw")
    expect(status).to_have_text("Aucun article pour « zzzqqxw »")
    page.goto(server + "/?q=%3Cb%3Ex")  # the query is text in the sentence, never markup
    expect(status).to_contain_text("« <b>x »")
    assert page.locator("#results-status b").count() == 0
    page.goto(server + "/")
    expect(status).to_be_empty()  # nothing searched, nothing to say

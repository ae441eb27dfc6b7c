"""Click beacons in Debian's Chromium: a reader opens a result on the search page, then in the widget
on another site; the real server (its own, started by test_browser's fixture) counts both clicks
for their normalised queries, as the analytics API shows."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from test_browser import ADMIN_TOKEN, browser, other_site, page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def query_row(server: str, query: str) -> dict:
    request = urllib.request.Request(server + "/api/v1/admin/analytics?days=2&limit=100",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        rows = json.load(response)["top_queries"]
    return next((row for row in rows if row["query"] == query), {"searches": 0, "clicks": 0})


def wait_for_clicks(server: str, query: str, clicks: int, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = query_row(server, query)
        if row["clicks"] >= clicks or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def beacons_of(page) -> list:
    """The beacons the page sends (watched, not intercepted: the browser sends them as it
    leaves the page for the result, whose `.example` host resolves nowhere)."""
    beacons = []
    page.on("request", lambda r: beacons.append(r) if r.url.endswith("/api/v1/click") else None)
    return beacons


def test_a_click_on_the_page_is_counted_for_its_query(server, page):  # noqa: F811
    before = query_row(server, "numerique")
    beacons = beacons_of(page)
    page.goto(server + "/?" + urllib.parse.urlencode({"q": "Numérique"}))
    second = page.locator(".result__title a").nth(1)
    article_id = second.get_attribute("data-id")
    second.click(modifiers=["Control"], no_wait_after=True)  # a new tab: this page stays to be watched

    row = wait_for_clicks(server, "numerique", before["clicks"] + 1)
    assert row["clicks"] == before["clicks"] + 1
    assert row["searches"] == before["searches"] + 1  # the page's search, counted once
    sent = json.loads(beacons[0].post_data)
    assert sent == {"q": "Numérique", "id": article_id, "position": 2}
    assert "cookie" not in {k.lower() for k in beacons[0].headers}  # nothing about the reader


def test_a_click_in_the_widget_on_another_site_is_counted(server, other_site, page):  # noqa: F811
    before = query_row(server, "hebergeur")
    beacons = beacons_of(page)
    page.goto(other_site)
    widget = page.locator("[data-archive-search]")
    widget.locator("li.result").first.wait_for()
    widget.get_by_role("combobox", name="Rechercher dans les archives").fill("Hébergeur")
    widget.get_by_role("combobox", name="Rechercher dans les archives").press("Enter")
    first = widget.locator("a.title").first
    expect(first).to_have_text("OVH. What ?")  # the answer to this query, not the first load's
    first.click(modifiers=["Control"], no_wait_after=True)  # a new tab: this page stays to be watched

    row = wait_for_clicks(server, "hebergeur", before["clicks"] + 1)
    assert row["clicks"] == before["clicks"] + 1 and row["searches"] == before["searches"] + 1
    sent = json.loads(beacons[0].post_data)
    assert sent["q"] == "Hébergeur" and sent["position"] == 1 and sent["id"]

"""The WordPress REST reader against what a real WordPress rarely does but a broken or hostile
site may: HTML or garbage where JSON is expected, pagination ignored, the REST API closed to
visitors, no embedding, the `?rest_route=` form of the API, a malformed item. A real HTTP server
on 127.0.0.1 (tests/websites.py) plays the site; the real WordPress is in tests/wordpress/.

Each failure of the site as a whole is one line naming the URL, and the live index is kept.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.article import Article, Skipped
from indexer.build import build_index
from indexer.errors import SourceError
from indexer.search import IndexStore, SearchRequest, search
from indexer.sources import open_source
from indexer.sources.web.http import Client, Settings
from websites import Site

POSTS = [
    {"id": 7, "status": "publish", "date": "2021-03-04T10:00:00", "modified_gmt": "2021-03-04T09:00:00",
     "link": "/2021/03/cloud/", "title": {"rendered": "Le cloud souverain"},
     "content": {"rendered": "<p>Les hébergeurs français proposent un cloud souverain.</p>", "protected": False},
     "tags": [3], "categories": [5],
     "_embedded": {"author": [{"name": "Alice Martin"}],
                   "wp:term": [[{"taxonomy": "category", "name": "Numérique"}],
                               [{"taxonomy": "post_tag", "name": "cloud"}]]}},
    {"id": 9, "status": "publish", "date": "2021-04-01T10:00:00", "modified_gmt": "2021-04-01T09:00:00",
     "link": "/2021/04/secret/", "title": {"rendered": "Protégé : le secret"},
     "content": {"rendered": "", "protected": True}},
]


class FakeWordPress(Site):
    """A site advertising a REST API whose answers a test chooses (`mode`)."""

    def __init__(self, rest_route: bool = False):
        super().__init__()
        self.mode = "good"
        self.posts = [dict(p) for p in POSTS]
        self.rest_route = rest_route

    def static(self) -> None:
        super().static()
        rest_route = self.rest_route
        root = f"{self.base}/index.php?rest_route=/" if rest_route else f"{self.base}/wp-json/"
        self.routes["/"] = (200, "text/html", "<!DOCTYPE html><html><body>Un blog</body></html>",
                            {"Link": f'<{root}>; rel="https://api.w.org/"'})
        if rest_route:
            self.routes["/index.php"] = lambda req: self.api(req, parse_qs(urlsplit(req.path).query)["rest_route"][0])
        else:
            for route in ("wp/v2/posts", "wp/v2/pages", "wp/v2/tags", "wp/v2/categories"):
                self.routes[f"/wp-json/{route}"] = lambda req, route=route: self.api(req, "/" + route)

    def api(self, req, route: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}
        if route == "/wp/v2/pages":
            return self.json(req, [])
        if route in ("/wp/v2/tags", "/wp/v2/categories"):
            names = {"/wp/v2/tags": {3: "cloud"}, "/wp/v2/categories": {5: "Numérique"}}[route]
            return self.json(req, [{"id": int(i), "name": names[int(i)]} for i in query["include"].split(",")])
        if self.mode == "html":
            return req.answer(200, "text/html; charset=UTF-8", "<!DOCTYPE html><html><body>Maintenance</body></html>")
        if self.mode == "garbage":
            return req.answer(200, "application/json", bytes(range(256)) * 8)
        if self.mode == "object":
            return self.json(req, {"code": "rest_no_route", "message": "Aucune route"})
        if self.mode == "closed":
            return self.json(req, {"code": "rest_cannot_access", "message": "Réservé"}, status=401)
        if self.mode == "repeat":  # pagination ignored: every page is the first
            return self.json(req, [{"id": p["id"], "modified_gmt": p["modified_gmt"]} for p in self.posts],
                             headers={"X-WP-TotalPages": "3"})
        if "include" in query:
            wanted = {int(i) for i in query["include"].split(",")}
            items = [p for p in self.posts if p["id"] in wanted]
            if self.mode == "no-embed":
                items = [{k: v for k, v in p.items() if k != "_embedded"} for p in items]
            if self.mode == "stranger":  # an item nobody asked for, with a text that must not enter
                items = items + [dict(self.posts[0], id=666, title={"rendered": "Intrus"})]
            return self.json(req, items)
        listing = [{"id": p["id"], "modified_gmt": p["modified_gmt"]} for p in self.posts]
        per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
        pages = max(1, -(-len(listing) // per_page))
        if page > pages:  # what WordPress answers past the last page
            return self.json(req, {"code": "rest_post_invalid_page_number"}, status=400)
        headers = {} if self.mode == "no-page-count" else {"X-WP-Total": str(len(listing)),
                                                             "X-WP-TotalPages": str(pages)}
        return self.json(req, listing[(page - 1) * per_page:page * per_page], headers=headers)

    @staticmethod
    def json(req, data, status: int = 200, headers: dict | None = None) -> None:
        req.answer(status, "application/json; charset=UTF-8", json.dumps(data), headers=headers, validators=False)


@pytest.fixture
def site():
    server = FakeWordPress().start()
    yield server
    server.stop()


def read(url, state_dir=None):
    reader = open_source(url, state_dir=state_dir, client=Client(state_dir, Settings(delay=0.0, timeout=2.0)))
    return list(reader), reader


def test_a_site_gives_its_public_posts_by_their_own_ids(site):
    records, reader = read(site.base + "/")
    assert reader.kind == "wordpress" and reader.api_root == site.base + "/wp-json/"
    [cloud] = records
    assert (cloud.id, cloud.title, cloud.author, cloud.tags, cloud.categories, cloud.date) == \
        ("7", "Le cloud souverain", "Alice Martin", ["cloud"], ["Numérique"], "2021-03-04")
    assert reader.excluded == {"password-protected": 1}


def test_the_rest_route_form_of_the_api_and_a_site_without_embedding():
    site = FakeWordPress(rest_route=True).start()
    try:
        site.mode = "no-embed"
        records, reader = read(site.base + "/")
        assert reader.api_root == site.base + "/index.php?rest_route=/"
        [cloud] = records
        assert (cloud.tags, cloud.categories, cloud.author) == (["cloud"], ["Numérique"], "")
    finally:
        site.stop()


@pytest.mark.parametrize("mode", ["good", "no-page-count"])
def test_a_listing_of_several_pages_is_read_whole(site, mode):
    site.posts = [dict(POSTS[0], id=n, modified_gmt=f"2021-01-01T00:00:{n % 60:02d}") for n in range(1, 201)]
    site.mode = mode
    records, reader = read(site.base + "/")
    assert [int(r.id) for r in records] == list(range(1, 201))
    listed = [p for p, _ in site.log if "_fields=id" in p and "/posts" in p]
    assert len(listed) == (2 if mode == "good" else 3)  # without the page count: one page too far (400)


def test_a_malformed_item_is_skipped_and_an_item_not_asked_for_is_ignored(site):
    site.posts.append(dict(POSTS[0], id=8, modified_gmt="2021-05-01T00:00:00", title="pas un objet"))
    site.mode = "stranger"
    records, _ = read(site.base + "/")
    assert [r.id for r in records if isinstance(r, Article)] == ["7"]
    assert [str(r) for r in records if isinstance(r, Skipped)] == ["post 8: no title or content object in the API's answer"]


@pytest.mark.parametrize("mode, reason", [
    ("html", r"/wp-json/wp/v2/posts\?\S+: an HTML page where the REST API's JSON was expected$"),
    ("garbage", r"/wp-json/wp/v2/posts\?\S+: malformed JSON \(application/json, 2 KB of binary data\)"),
    ("object", r"malformed answer: a JSON object where a list of items was expected"),
    ("repeat", r"the API repeats item 7 on page 2 \(pagination ignored\?\)"),
    ("closed", r"HTTP 401 Unauthorized \(the site closes its REST API to visitors: give its feed or its sitemap instead\)"),
])
def test_a_broken_api_fails_in_one_line_and_the_live_index_is_kept(site, tmp_path, mode, reason, monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")
    index_dir = tmp_path / "index"
    build_index([site.base + "/"], index_dir)
    site.mode = mode
    with pytest.raises(SourceError, match=reason) as failure:
        build_index([site.base + "/"], index_dir)
    assert "\n" not in str(failure.value)
    found = search(IndexStore(index_dir), SearchRequest(q="hébergeurs"))
    assert [r["id"] for r in found["results"]] == ["7"]


def test_a_rerun_reads_only_the_changed_posts(site, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")
    index_dir = tmp_path / "index"
    build_index([site.base + "/"], index_dir)
    site.log.clear()
    build_index([site.base + "/"], index_dir)
    assert not [p for p, _ in site.log if "include=" in p]  # nothing changed: nothing fetched
    site.posts[0] = dict(site.posts[0], modified_gmt="2021-06-01T00:00:00",
                         content={"rendered": "<p>Un texte réécrit sur les ordinateurs quantiques.</p>", "protected": False})
    site.posts.pop(1)
    site.log.clear()
    report = build_index([site.base + "/"], index_dir)
    fetched = [p for p, _ in site.log if "include=" in p]
    assert len(fetched) == 1 and "include=7&" in fetched[0]
    assert report.articles == 1
    found = search(IndexStore(index_dir), SearchRequest(q="quantiques"))
    assert [r["id"] for r in found["results"]] == ["7"]

    # Past its age an item is read again, changed or not (a renamed tag leaves `modified` alone).
    monkeypatch.setattr("indexer.sources.web.wordpress.MAX_AGE", 0)
    site.log.clear()
    build_index([site.base + "/"], index_dir)
    assert len([p for p, _ in site.log if "include=7&" in p]) == 1


def test_an_item_read_in_the_second_it_was_saved_is_read_again(tmp_path):
    """WordPress's modification times are to the second: a save later in the same second as a
    read would be missed if that read were trusted."""
    from indexer.article import Article
    from indexer.sources.web.wordpress import ItemCache, _epoch

    cache = ItemCache(tmp_path, "http://site.example/wp-json/")
    from datetime import datetime, timedelta, timezone
    modified = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    cache.put([(7, "post", modified, Article(id="7", title="Un billet", body="texte"))])
    for read_after, trusted in ((0.4, False), (0.99, False), (1.0, True), (30.0, True)):
        cache.db.execute("UPDATE items SET fetched_at = ?", (_epoch(modified) + read_after,))
        assert (cache.get(7, modified) is not None) is trusted, read_after
    assert _epoch("not a date") == float("inf")

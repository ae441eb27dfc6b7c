"""URL sources against a real HTTP server on 127.0.0.1 (tests/websites.py): sitemaps, feeds,
detection, the polite client (robots.txt, User-Agent, conditional requests) and its limits."""

from __future__ import annotations

import time

import pytest

from indexer.article import Article, Skipped
from indexer.build import build_index
from indexer.errors import SourceError
from indexer.sources import open_source
from indexer.sources.web.detect import _api_link
from indexer.sources.web.http import Client, FetchError, Settings
from indexer.sources.web.sitemap import SitemapReader
from indexer.search import IndexStore, SearchRequest, search
from websites import POSTS, THEME_WORDS, Site, refused_url


@pytest.fixture(autouse=True)
def no_delay(monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")  # builds read the settings from the environment


@pytest.fixture
def site():
    server = Site().start()
    yield server
    server.stop()


def fast(**kw) -> Settings:
    return Settings(**{"delay": 0.0, "timeout": 2.0, "deadline": 6.0, **kw})


def read(url, state_dir=None, **settings) -> tuple[list[Article], list[Skipped], object]:
    reader = open_source(url, state_dir=state_dir, client=Client(state_dir, fast(**settings)))
    records = list(reader)
    return ([r for r in records if isinstance(r, Article)], [r for r in records if isinstance(r, Skipped)], reader)


def test_a_sitemap_index_gives_the_articles_of_its_pages_never_the_theme(site):
    articles, skipped, reader = read(site.base + "/sitemap.xml")
    assert reader.kind == "sitemap"
    by_id = {a.id: a for a in articles}
    assert sorted(by_id) == sorted([f"{site.base}/posts/{slug}.html" for slug in POSTS] + [f"{site.base}/a-propos.html"])
    cloud = by_id[f"{site.base}/posts/cloud-souverain.html"]
    assert cloud.title == "Le cloud souverain"
    assert cloud.date == "2021-03-04"
    assert cloud.tags == ["cloud", "souveraineté"]
    assert "hébergeurs français" in cloud.body
    for article in articles:
        assert not any(word in article.body for word in THEME_WORDS), article.body
    # Left out on purpose: robots.txt, noindex, a password form, another site; a gone page reported.
    assert reader.excluded == {"robots.txt disallows": 1, "noindex": 1, "password-protected": 1,
                               "not on the sitemap's site": 1}
    assert [s.reason for s in skipped] == ["HTTP 404 Not Found"]
    assert not site.requests_to("/private/secret.html")  # robots.txt is asked first, and obeyed
    assert len(site.requests_to("/robots.txt")) == 1
    assert all(h["user-agent"].startswith("archive-search/") for _, h in site.log)


def test_a_rerun_fetches_only_what_changed(site, tmp_path):
    index_dir = tmp_path / "index"
    build_index([site.base + "/sitemap.xml"], index_dir)
    site.log.clear()
    build_index([site.base + "/sitemap.xml"], index_dir)
    # lastmod unchanged: not asked at all; pages without lastmod: asked conditionally (304).
    for slug in POSTS:
        assert not site.requests_to(f"/posts/{slug}.html")
    asked = site.requests_to("/a-propos.html")
    assert asked and "if-none-match" in asked[0] and "if-modified-since" in asked[0]
    assert site.requests_to("/sitemap.xml")[0].get("if-none-match")
    # A page changes and its lastmod with it: fetched again, the index follows.
    from websites import themed_page
    site.routes["/posts/metiers-du-digital.html"] = (200, "text/html", themed_page(
        "Les métiers du digital", "Un texte réécrit sur la manœuvre des ordinateurs quantiques.", "2015-05-02"))
    site.lastmod["metiers-du-digital"] = "2026-11-30"
    site.log.clear()
    report = build_index([site.base + "/sitemap.xml"], index_dir)
    assert len(site.requests_to("/posts/metiers-du-digital.html")) == 1
    assert not site.requests_to("/posts/cloud-souverain.html")
    assert report.analysed == 1 and report.articles == 4
    found = search(IndexStore(index_dir), SearchRequest(q="quantiques"))
    assert [r["id"] for r in found["results"]] == [f"{site.base}/posts/metiers-du-digital.html"]


def test_an_rss_feed_gives_its_items(site):
    articles, skipped, reader = read(site.base + "/feed.rss")
    assert reader.kind == "feed" and not skipped
    assert [a.id for a in articles] == [f"{site.base}/?p={n}" for n in (1, 2, 3)]
    first = articles[0]
    assert (first.title, first.date, first.author) == ("Le cloud souverain", "2021-03-04", "Alice Martin")
    assert first.url == f"{site.base}/posts/cloud-souverain.html"
    assert first.tags == ["cloud", "souveraineté"]
    assert "hébergeurs français" in first.body and "alert" not in first.body_html
    assert reader.excluded == {"password-protected": 1}
    assert not any("mot de passe" in a.body for a in articles)


def test_an_atom_feed_gives_its_entries(site):
    articles, skipped, reader = read(site.base + "/feed.atom")
    assert reader.kind == "feed" and not skipped
    assert [a.id for a in articles] == [f"urn:culture:{slug}" for slug in POSTS]
    assert (articles[0].date, articles[0].author) == ("2021-03-04", "Bruno Petit")
    assert articles[1].url == f"{site.base}/posts/maturite-numerique.html"


def test_a_feed_is_asked_again_conditionally_and_read_from_the_cache(site, tmp_path):
    first, _, _ = read(site.base + "/feed.rss", tmp_path)
    site.log.clear()
    again, _, _ = read(site.base + "/feed.rss", tmp_path)
    assert site.requests_to("/feed.rss")[0]["if-none-match"].startswith('"')
    assert [a.id for a in again] == [a.id for a in first] and again[0].body == first[0].body
    answer = Client(tmp_path, fast()).get(site.base + "/feed.rss")
    assert answer.from_cache and answer.content_type == "application/rss+xml"


def test_a_home_page_is_refused_naming_its_feed(site):
    with pytest.raises(SourceError, match=r"an HTML page, not a WordPress site, a feed or a sitemap; its feed is "
                                          r"http://127\.0\.0\.1:\d+/feed\.rss"):
        read(site.base + "/")


def test_the_wordpress_api_link_is_found_in_a_header():
    headers = ['<https://blog.example/wp-json/>; rel="https://api.w.org/"',
               '<https://blog.example/?p=4>; rel=shortlink']
    assert _api_link(headers, "https://blog.example/") == "https://blog.example/wp-json/"
    assert _api_link(['</wp-json/>; rel="alternate https://api.w.org/"'], "https://b.example/x") == \
        "https://b.example/wp-json/"
    assert _api_link(['<https://blog.example/?p=4>; rel=shortlink'], "https://blog.example/") is None


@pytest.mark.parametrize("path, reason", [
    ("/loop/a", r"redirect loop \(http://127\.0\.0\.1:\d+/loop/a -> http://127\.0\.0\.1:\d+/loop/b -> "
                r"http://127\.0\.0\.1:\d+/loop/a\)"),
    ("/error500", r"HTTP 500 Internal Server Error"),
    ("/slow", r"timed out after 0\.5 s"),
    ("/garbage.xml", r"not a WordPress site, a feed or a sitemap \(application/xml, 16 KB of binary data\)$"),
    ("/html-as-sitemap.xml", r"an HTML page, not a WordPress site, a feed or a sitemap"),
    ("/index-to-html.xml", r"html-as-sitemap\.xml: an HTML page where a sitemap was expected"),
    ("/broken-sitemap.xml", r"malformed sitemap XML \(line 1: "),
    ("/sitemap-with-a-down-page.xml", r"/error500: HTTP 500 Internal Server Error \(a page http://127\.0\.0\.1:\d+"
                                      r"/sitemap-with-a-down-page\.xml lists\)$"),
    ("/big.html", r"larger than 1\.0 MB"),
    ("/hop/0", r"/hop/0: more than 5 redirects \(last to http://127\.0\.0\.1:\d+/hop/6\)$"),
    ("/to-ftp", r"only http and https URLs are read \(redirected to ftp://127\.0\.0\.1/feed\.rss\)"),
    ("/bomb.xml", r"/bomb\.xml: larger than 1\.0 MB$"),
])
def test_each_fault_is_one_clear_line(site, path, reason):
    with pytest.raises(SourceError, match=reason) as refused:
        read(site.base + path, timeout=0.5, max_bytes=1024 * 1024)
    assert "\n" not in str(refused.value)
    assert str(refused.value).startswith("http://127.0.0.1")


def test_a_refused_connection_is_one_clear_line():
    url = refused_url()
    with pytest.raises(SourceError, match="cannot connect \\(connection refused\\)") as refused:
        read(url)
    assert str(refused.value) == f"{url}: cannot connect (connection refused)"


def test_a_dripping_server_is_stopped_by_the_deadline(site):
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out: the answer took over 1\.5 s"):
        Client(None, fast(timeout=1.0, deadline=1.5)).get(site.base + "/drip-sitemap.xml")
    assert time.monotonic() - started < 5


def test_an_endless_sitemap_is_cut_at_the_size_limit_with_a_reason(site):
    client = Client(None, fast(max_bytes=200 * 1024))
    reader = SitemapReader(site.base + "/endless-sitemap.xml", client, max_urls=10**9)
    assert 1000 < reader.total < 30_000
    assert [c.reason for c in reader.cuts] == [
        f"sitemap larger than 1000 KB: read up to the limit, {reader.total:,} pages, the rest left out"]


def test_a_huge_sitemap_is_cut_at_the_page_limit(site):
    reader = SitemapReader(site.base + "/endless-sitemap.xml", Client(None, fast()), max_urls=2000)
    assert reader.total == 2000
    assert reader.cuts[0].reason == "sitemap cut at 2,000 pages, the limit of a run; the pages past it are left out"


def test_only_http_and_https(tmp_path):
    with pytest.raises(SourceError, match=r"^ftp://example\.org/feed: only http and https URLs are read$"):
        open_source("ftp://example.org/feed", state_dir=tmp_path)


def test_a_setting_that_is_no_number_is_refused():
    with pytest.raises(SourceError, match=r"ARCHIVE_SEARCH_HTTP_TIMEOUT='soon': expected a number of seconds"):
        Settings.from_env({"ARCHIVE_SEARCH_HTTP_TIMEOUT": "soon"})
    assert Settings.from_env({"ARCHIVE_SEARCH_HTTP_TIMEOUT": "2", "ARCHIVE_SEARCH_HTTP_MAX_MB": "0.5"}).max_bytes \
        == 512 * 1024


def test_a_json_answer_that_is_no_json_is_one_clear_line(site):
    answer = Client(None, fast()).get(site.base + "/")
    with pytest.raises(SourceError, match=r"^http://127\.0\.0\.1:\d+/: malformed JSON \(text/html, starting '<!DOCTYPE html"):
        answer.json()


def test_a_gzipped_sitemap_is_read(site):
    articles, skipped, reader = read(site.base + "/sitemap.xml.gz")
    assert reader.kind == "sitemap" and not skipped
    assert sorted(a.id for a in articles) == sorted(f"{site.base}/posts/{slug}.html" for slug in POSTS)


def test_a_compressed_answer_is_limited_by_what_it_decodes_to(site):
    with pytest.raises(FetchError, match=r"/bomb\.xml: larger than 1\.0 MB, cut off$"):
        Client(None, fast(max_bytes=1024 * 1024)).get(site.base + "/bomb.xml")


def test_requests_to_one_site_are_spaced_as_robots_txt_asks(site):
    site.routes["/robots.txt"] = (200, "text/plain", "User-agent: archive-search\nCrawl-delay: 0.3\n")
    read(site.base + "/sitemap-posts.xml")  # the client's own delay is 0 here
    times = [t for path, t in site.times if path != "/robots.txt"]
    assert len(times) == 1 + len(POSTS)
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.29


def test_entities_in_a_sitemap_are_never_expanded(site):
    with pytest.raises(SourceError, match=r"^http://127\.0\.0\.1:\d+/laughs-sitemap\.xml: XML with a DTD that cannot "
                                          r"be read without expanding its entities \(never done\)$"):
        read(site.base + "/laughs-sitemap.xml")


def test_a_feed_never_reads_an_external_entity(site):
    articles, _, _ = read(site.base + "/xxe-feed.rss")
    assert [(a.id, a.body) for a in articles] == [("xxe-1", "avant après")]


def test_a_build_reports_progress_in_pages_fetched_of_the_pages_listed(site, tmp_path):
    calls = []
    build_index([site.base + "/sitemap.xml"], tmp_path / "index", lambda done, total: calls.append((done, total)))
    # 8 pages listed (3 posts, the about page, 4 left out or gone; the other site's page is not
    # counted), known before the first fetch; then one step a page read (those left out on
    # purpose are not records: like a WXR export's drafts, they only make the estimate high).
    assert calls[:5] == [(1, 8), (2, 8), (3, 8), (4, 8), (5, 8)]
    assert calls[-1] == (5, 5)


def test_a_feed_is_read_as_a_feed_even_with_wordpress_api_link(site):
    articles, _, reader = read(site.base + "/wp/feed/")
    assert reader.kind == "feed" and len(articles) == 3


def test_a_short_retry_after_is_waited_for_once(site):
    started = time.monotonic()
    articles, _, _ = read(site.base + "/busy-once.rss")
    assert len(articles) == 3 and len(site.requests_to("/busy-once.rss")) == 2
    assert time.monotonic() - started >= 1
    site.routes["/busy.rss"] = (503, "text/html", "<h1>Trop de monde</h1>", {"Retry-After": "1"})
    with pytest.raises(SourceError, match=r"/busy\.rss: HTTP 503 Service Unavailable$"):
        read(site.base + "/busy.rss")
    assert len(site.requests_to("/busy.rss")) == 2


def test_the_page_limit_holds_across_the_sitemaps_of_an_index(site):
    reader = SitemapReader(site.base + "/sitemap.xml", Client(None, fast()), max_urls=2)
    assert reader.total == 2
    assert [c.reason for c in reader.cuts] == [
        "sitemap cut at 2 pages, the limit of a run; the pages past it are left out",
        "not read: the run's 2 pages are reached (1 sitemap file left out)"]
    assert not site.requests_to("/sitemap-misc.xml")


def test_the_number_of_sitemap_files_is_bounded(site):
    reader = SitemapReader(site.base + "/sitemap.xml", Client(None, fast()), max_sitemaps=2)
    assert [c.reason for c in reader.cuts] == ["not read: a run reads at most 2 sitemap files (1 sitemap file more left out)"]
    assert reader.total == 3


def test_sitemap_indexes_in_a_circle_or_nested_too_deep_end(site):
    reader = SitemapReader(site.base + "/cycle-a.xml", Client(None, fast()))
    assert reader.total == len(POSTS) and not reader.cuts
    assert len(site.requests_to("/cycle-a.xml")) == 1
    reader = SitemapReader(site.base + "/nest-0.xml", Client(None, fast()))
    assert reader.total == 0
    assert [(c.where.rsplit("/", 1)[1], c.reason) for c in reader.cuts] == [
        ("nest-4.xml", "not read: sitemap indexes nested deeper than 3")]


def test_five_redirects_are_followed(site):
    articles, _, reader = read(site.base + "/hop/2")
    assert reader.kind == "feed" and len(articles) == 3


def test_a_damaged_cache_is_started_again(site, tmp_path):
    from indexer.sources.web.cache import FILE

    read(site.base + "/feed.rss", tmp_path)
    (tmp_path / FILE).write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / (FILE + suffix)).unlink(missing_ok=True)
    site.log.clear()
    articles, _, _ = read(site.base + "/feed.rss", tmp_path)
    assert len(articles) == 3 and "if-none-match" not in site.requests_to("/feed.rss")[0]


@pytest.mark.parametrize("markup, listing", [
    ('<body class="home blog wp-embed-responsive"><article><h2><a href="/a/">A</a></h2></article></body>', True),
    ('<body class="archive author author-admin"><h1>Author: Camille</h1></body>', True),
    ('<body class="search search-results"><h1>Résultats</h1></body>', True),
    ('<head><script type="application/ld+json">{"@graph": [{"@type": "CollectionPage"}]}</script></head>'
     '<body><h1>Catégorie</h1></body>', True),
    ('<body class="post-template-default single single-post postid-4"><article><h1>Un article</h1>'
     '<p>Le texte.</p></article><aside><h3><a href="/b/">Lire aussi</a></h3></aside></body>', False),
    ('<body class="home page-template-default page page-id-2"><h1>Accueil</h1><p>Une page fixe.</p></body>', False),
    ('<head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Un blog"}</script></head>'
     '<body><h1>Un blog</h1></body>', False),
])
def test_a_page_listing_others_is_told_from_an_article(markup, listing):
    from indexer.sources.text import parse_html
    from indexer.sources.web.sitemap import is_listing
    assert is_listing(parse_html(f"<html>{markup}</html>")) is listing

"""The same real WordPress read through its RSS feed and its sitemap (issue 10): WordPress's own
feed and `wp-sitemap.xml` list only what the site shows the public, and our readers keep it so.
The sitemap's pages are read like the HTML folder reader reads pages: the article, not the
block theme around it."""

from __future__ import annotations

import pytest

from indexer.article import Article
from indexer.sources import open_source
from indexer.sources.web.feed import FeedReader
from indexer.sources.web.sitemap import SitemapReader
from searchkit import word


@pytest.fixture(autouse=True)
def no_delay(monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")  # one local site: no need to space requests


def posts_of_every_status(wordpress, text: str) -> tuple[int, dict[str, int]]:
    published = wordpress.insert_post(f"Publié {text}", f"<p>Le texte public {text}, assez long pour un "
                                      "article, avec une phrase de plus.</p>", tags=["flux"])
    hidden = {status: wordpress.insert_post(f"Caché {text}", f"<p>Secret {text}</p>", status=status)
              for status in ("draft", "pending", "private")}
    hidden["password"] = wordpress.insert_post(f"Protégé {text}", f"<p>Secret {text}</p>", password="secret")
    hidden["trash"] = wordpress.insert_post(f"Jeté {text}", f"<p>Secret {text}</p>")
    wordpress.trash_post(hidden["trash"])
    return published, hidden


def read(url: str, tmp_path) -> tuple[object, list[Article]]:
    reader = open_source(url, state_dir=tmp_path)
    return reader, [r for r in reader if isinstance(r, Article)]


def test_the_sites_rss_feed_gives_its_published_posts_only(wordpress, tmp_path):
    text = word()
    posts_of_every_status(wordpress, text)
    reader, articles = read(wordpress.base + "/feed/", tmp_path)
    assert isinstance(reader, FeedReader)
    mine = [a for a in articles if text in a.title or text in a.body]
    assert [a.title for a in mine] == [f"Publié {text}"]
    assert "Secret" not in mine[0].body and "flux" in [t.lower() for t in mine[0].tags]
    assert mine[0].url.startswith(wordpress.base + "/")


def test_the_sites_sitemap_gives_its_published_pages_without_the_theme(wordpress, tmp_path):
    text = word()
    published, _ = posts_of_every_status(wordpress, text)
    reader, articles = read(wordpress.base + "/wp-sitemap.xml", tmp_path)
    assert isinstance(reader, SitemapReader)
    mine = [a for a in articles if text in a.title or text in a.body]
    assert len(mine) == 1, [(a.id, a.title) for a in mine]
    page = mine[0]
    assert f"Publié {text}" in page.title and f"Le texte public {text}" in page.body
    assert "Secret" not in page.body
    # The block theme's header, navigation and footer are not the article.
    assert "Fièrement propulsé" not in page.body and "Proudly powered" not in page.body
    assert len(page.body) < 400, page.body

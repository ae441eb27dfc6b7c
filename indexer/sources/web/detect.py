"""What a URL is: a WordPress site, a feed or a sitemap, told from one answer (its headers, then
its root element or its HTML head); the reader for it."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from indexer.errors import SourceError
from indexer.sources import Reader
from indexer.sources.web.http import Client, FetchError, Response, describe, human_size
from indexer.sources.web.payload import ATOM_NS, RDF_NS, SITEMAP_SIZE_FACTOR, unzipped, xml_parser, xml_root

WP_API_REL = "https://api.w.org/"
ACCEPT = ("text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
SITEMAP_ROOTS = ("urlset", "sitemapindex")
FEED_ROOTS = ("rss", "rdf", "atom")
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def open_url(url: str, state_dir=None, client: Client | None = None) -> Reader:
    """The reader for `url`; SourceError("<url>: <why>") when it is none of the three."""
    client = client or Client(state_dir)
    # A sitemap may be larger than a page, and is cut rather than refused (sitemap.py).
    limit = client.settings.max_bytes
    answer = client.get(url, accept=ACCEPT, max_bytes=limit * SITEMAP_SIZE_FACTOR, truncate=True)
    body = unzipped(answer, limit * SITEMAP_SIZE_FACTOR, truncate=True)
    kind = xml_root(body)
    # What the answer is comes first: WordPress sends its API link with its feeds too, and a
    # feed given is a feed asked for.
    api_root = _api_link(answer.headers.get_list("link"), answer.final_url)
    if api_root and kind not in FEED_ROOTS + SITEMAP_ROOTS:
        return _wordpress(url, api_root, client, state_dir)
    if kind not in SITEMAP_ROOTS and (answer.truncated or len(body) > limit):
        raise answer.error(f"larger than {human_size(limit)}")
    if kind in FEED_ROOTS:
        from indexer.sources.web.feed import FeedReader

        return FeedReader(url, client, first=answer)
    if kind in SITEMAP_ROOTS:
        from indexer.sources.web.sitemap import SitemapReader

        return SitemapReader(url, client, state_dir, first=answer)
    if kind == "html" or "html" in answer.content_type:
        page = _html_head(body)
        api_root = next((urljoin(answer.final_url, link.get("href", "")) for link in page.iter("link")
                         if (link.get("rel") or "").strip().lower() == WP_API_REL and link.get("href")), None)
        if api_root:
            return _wordpress(url, api_root, client, state_dir)
        feeds = [urljoin(answer.final_url, link.get("href", "")) for link in page.iter("link")
                 if (link.get("type") or "").strip().lower() in FEED_TYPES and link.get("href")]
        hint = f"; its feed is {feeds[0]}" if feeds else "; give its feed or its sitemap"
        raise answer.error(f"an HTML page, not a WordPress site, a feed or a sitemap{hint}")
    if kind == "!doctype":
        raise answer.error("XML with a DTD that cannot be read without expanding its entities (never done)")
    if kind:
        raise answer.error(f"XML with root <{kind}>, not an RSS or Atom feed nor a sitemap")
    raise answer.error(f"not a WordPress site, a feed or a sitemap ({_describe(answer, body)})")


def _wordpress(url: str, api_root: str, client: Client, state_dir) -> Reader:
    try:
        from indexer.sources.web.wordpress import WordPressReader
    except ImportError:
        raise SourceError(f"{url}: a WordPress site (API at {api_root}), which this version cannot read") from None
    return WordPressReader(url, api_root if api_root.endswith("/") else api_root + "/", client, state_dir)


def _api_link(values: list[str], base: str) -> str | None:
    """The target of a `Link: <…>; rel="https://api.w.org/"` header, absolute."""
    for value in values:
        for target, params in _LINK.findall(value):
            for param in params.split(";"):
                name, _, rel = param.partition("=")
                if name.strip().lower() == "rel" and WP_API_REL in rel.strip().strip('"').split():
                    return urljoin(base, target.strip())
    return None


def _html_head(body: bytes):
    from lxml import html as lxml_html

    try:
        return lxml_html.document_fromstring(body[:1 << 20])
    except (etree.ParserError, ValueError):
        return etree.Element("html")


def _describe(answer: Response, body: bytes) -> str:
    return describe(answer.content_type, body)


__all__ = ["open_url", "FetchError"]

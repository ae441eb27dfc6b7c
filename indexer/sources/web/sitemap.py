"""A sitemap (`<urlset>`) or a sitemap index (`<sitemapindex>`): the pages it lists, each
fetched politely and read like a saved HTML page (html.py: the article, never the theme).

Bounded: at most MAX_URLS pages and MAX_SITEMAPS sitemap files a run, each sitemap file read
up to a size limit; a sitemap cut at a limit says so in the build's report. Incremental: a
page whose `<lastmod>` has not changed since the last run is not fetched again (its article
comes from the cache beside the index), and one without `<lastmod>` is asked conditionally.

A page that is gone (4xx), too large, not HTML or `noindex` is left out and reported; a page
that cannot be fetched now (network, timeout, 5xx) fails the run: the live index is kept and
the next run tries again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from urllib.parse import urljoin, urlsplit

from lxml import etree

from indexer.article import Article, Skipped
from indexer.sources import Reader
from indexer.sources.html import decode_page, is_noindex, page_article
from indexer.sources.text import TooDeep, parse_html
from indexer.sources.web.payload import ATOM_NS, SITEMAP_SIZE_FACTOR, unzipped, xml_parser
from indexer.sources.web.feed import PASSWORD_FORM
from indexer.sources.web.http import Client, FetchError, Response, human_size

MAX_URLS = 50_000      # the sitemap protocol's limit for one file; a run reads no more in all
MAX_SITEMAPS = 100     # sitemap files a run reads (an index and the sitemaps it names)
MAX_DEPTH = 3          # an index of indexes of sitemaps; deeper nesting is a loop or a trap
ACCEPT_XML = "application/xml, text/xml;q=0.9, */*;q=0.5"
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
# Pages that list others (is_listing): body classes of WordPress and most themes, schema.org types.
LISTING_CLASSES = {"blog", "archive", "search", "search-results"}
LISTING_TYPES = ("CollectionPage", "SearchResultsPage", "ProfilePage")


class SitemapReader(Reader):
    kind = "sitemap"

    def __init__(self, url: str, client: Client, state_dir=None, first: Response | None = None,
                 max_urls: int | None = None, max_sitemaps: int = MAX_SITEMAPS):
        self.client = client
        self.cache = client.cache  # in memory when there is no index folder
        self.max_urls = max_urls or int(os.environ.get("ARCHIVE_SEARCH_SITEMAP_MAX_URLS") or MAX_URLS)
        self.max_sitemaps = max_sitemaps
        self._first = first
        self._pages: list[tuple[str, str]] | None = None  # (loc, lastmod)
        self.cuts: list[Skipped] = []
        self._off_site = 0  # pages of other sites the sitemap lists (counted again by each iteration)
        super().__init__(url)

    def count(self) -> int:
        return len(self._list())

    # --- the sitemap files ------------------------------------------------------------------

    def _list(self) -> list[tuple[str, str]]:
        if self._pages is not None:
            return self._pages
        pages: list[tuple[str, str]] = []
        seen_pages: set[str] = set()
        queue: list[tuple[str, int]] = [(self.path, 0)]
        seen_sitemaps = {self.path}
        read = 0
        site = _origin(self.path)
        while queue:
            url, depth = queue.pop(0)
            if len(pages) >= self.max_urls:
                self.cuts.append(Skipped(url, f"not read: the run's {self.max_urls:,} pages are reached "
                                              f"({_files(len(queue) + 1)} left out)"))
                break
            if read >= self.max_sitemaps:
                self.cuts.append(Skipped(url, f"not read: a run reads at most {_files(self.max_sitemaps)} "
                                              f"({_files(len(queue) + 1)} more left out)"))
                break
            read += 1
            answer = self._first if url == self.path and self._first is not None else None
            children, locs = self._read_sitemap(url, answer, room=self.max_urls - len(pages))
            for child in children:
                if child in seen_sitemaps:
                    continue
                if depth + 1 > MAX_DEPTH:
                    self.cuts.append(Skipped(child, f"not read: sitemap indexes nested deeper than {MAX_DEPTH}"))
                    continue
                seen_sitemaps.add(child)
                queue.append((child, depth + 1))
            for loc, lastmod in locs:
                if _origin(loc) != site:
                    self._off_site += 1
                elif loc not in seen_pages:
                    seen_pages.add(loc)
                    pages.append((loc, lastmod))
        self._pages = pages
        return pages

    def _read_sitemap(self, url: str, answer: Response | None, room: int) -> tuple[list[str], list[tuple[str, str]]]:
        """(child sitemaps, (page, lastmod) pairs) of one sitemap file, streamed through the
        parser and cut at `room` pages or the size limit, with the cut in `self.cuts`."""
        limit = self.client.settings.max_bytes * SITEMAP_SIZE_FACTOR
        if answer is None:
            answer = self.client.get(url, accept=ACCEPT_XML, max_bytes=limit, truncate=True)
        body = unzipped(answer, limit, truncate=True)
        cut_at_size = answer.truncated or len(body) >= limit
        parser = xml_parser()
        children: list[str] = []
        locs: list[tuple[str, str]] = []
        root = None
        entry: dict[str, str] = {}
        try:
            for offset in range(0, len(body), 65536):
                parser.feed(body[offset:offset + 65536])
                for event, element in parser.read_events():
                    name = etree.QName(element).localname
                    if root is None:
                        root = name
                        if name not in ("urlset", "sitemapindex"):
                            raise answer.error(_not_a_sitemap(name, element))
                        continue
                    if event != "end":
                        continue
                    if name in ("loc", "lastmod"):
                        entry[name] = (element.text or "").strip()
                    elif name in ("url", "sitemap"):
                        loc = urljoin(answer.final_url, entry.get("loc", "")) if entry.get("loc") else ""
                        if loc and name == "sitemap":
                            children.append(loc)
                        elif loc:
                            if len(locs) >= room:
                                self.cuts.append(Skipped(url, f"sitemap cut at {self.max_urls:,} pages, the limit "
                                                              "of a run; the pages past it are left out"))
                                return children, locs
                            locs.append((loc, entry.get("lastmod", "")))
                        entry = {}
                        # What was read is let go: memory stays bounded however long the file.
                        element.clear()
                        parent = element.getparent()
                        while parent is not None and element.getprevious() is not None:
                            del parent[0]
            parser.close()
        except etree.XMLSyntaxError as error:
            if root is None and not cut_at_size:
                raise answer.error(_malformed(body, error)) from None
            if not cut_at_size:
                raise answer.error(f"malformed sitemap XML (line {error.lineno}: {error.msg})") from None
        if root is None:
            raise answer.error("an empty sitemap" if not body.strip() else _malformed(body, None))
        if cut_at_size:
            self.cuts.append(Skipped(url, f"sitemap larger than {human_size(limit)}: read up to the limit, "
                                          f"{len(locs):,} pages, the rest left out"))
        return children, locs

    # --- the pages --------------------------------------------------------------------------

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        pages = self._list()
        if self._off_site:
            self.excluded["not on the sitemap's site"] += self._off_site
        for cut in self.cuts:
            yield cut.where, cut
        for loc, lastmod in pages:
            record = self._page(loc, lastmod)
            if record is not None:
                yield loc, record
        self.cache.forget_pages(self.path, {loc for loc, _ in pages})

    def _page(self, loc: str, lastmod: str) -> Article | Skipped | None:
        cached = self.cache.page(self.path, loc)
        if cached is not None and lastmod and cached[0] == lastmod:
            return Article(**json.loads(cached[1]))  # unchanged since the last run: not asked at all
        try:
            answer = self.client.get(loc, conditional=cached is not None, keep_body=False, accept=ACCEPT_HTML)
            if answer.not_modified and cached is not None:
                self.cache.put_page(self.path, loc, lastmod, cached[1])
                return Article(**json.loads(cached[1]))
        except FetchError as error:
            if error.transient:  # the site is down or overloaded: the run fails, the live index is kept
                raise FetchError(loc, f"{error.reason} (a page {self.path} lists)", error.status, True) from None
            if "robots.txt disallows" in error.reason:
                self.excluded["robots.txt disallows"] += 1
                return None
            return Skipped(loc, error.reason)
        if answer.content_type not in HTML_TYPES:
            return Skipped(loc, f"not an HTML page ({answer.content_type})")
        if "noindex" in answer.headers.get("x-robots-tag", "").lower():
            self.excluded["noindex"] += 1
            return None
        try:
            markup = answer.text if answer.charset else decode_page(answer.content)
            page = parse_html(markup)
        except UnicodeError:
            return Skipped(loc, "cannot tell the page's character encoding")
        except TooDeep:
            return Skipped(loc, "HTML nested too deeply to read")
        if page is None:
            return Skipped(loc, "empty page")
        if is_noindex(page):
            self.excluded["noindex"] += 1
            return None
        if page.xpath(f"//form[contains(concat(' ', normalize-space(@class), ' '), ' {PASSWORD_FORM} ')]"):
            self.excluded["password-protected"] += 1
            return None
        if is_listing(page):
            self.excluded["a listing of other pages (home, archive, search)"] += 1
            return None
        article = page_article(page, loc)
        article.url = article.url or answer.final_url
        self.cache.put_page(self.path, loc, lastmod, json.dumps(asdict(article), ensure_ascii=False))
        return article


def is_listing(page) -> bool:
    """Whether a page lists other pages rather than holding an article: a blog's home, an archive
    of a category, a tag, an author or a month, search results. Sitemaps list them (WordPress's
    does: its home and its authors), and indexed they would repeat every excerpt they show,
    a protected post's title among them. Told by the classes WordPress and most themes give
    `<body>` (`blog`, `archive`, `search`) or by schema.org's page types in JSON-LD."""
    body = next(page.iter("body"), None)
    if body is not None and LISTING_CLASSES & set((body.get("class") or "").split()):
        return True
    for script in page.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            if any(f'"{kind}"' in script.text for kind in LISTING_TYPES):
                return True
    return False


def _files(n: int) -> str:
    return f"{n:,} sitemap file{'s' if n > 1 else ''}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _not_a_sitemap(name: str, element) -> str:
    if name in ("html", "HTML"):
        return "an HTML page where a sitemap was expected"
    if name in ("rss", "RDF") or etree.QName(element).namespace == ATOM_NS:
        return "a feed where a sitemap was expected"
    return f"XML with root <{name}>, not a sitemap"


def _malformed(body: bytes, error) -> str:
    start = body[:40].decode("utf-8", errors="replace").strip()
    if start.lower().startswith(("<!doctype html", "<html")):
        return "an HTML page where a sitemap was expected"
    if error is not None:
        return f"malformed sitemap XML (line {error.lineno}: {error.msg})"
    return f"not a sitemap (starting {start!r})"

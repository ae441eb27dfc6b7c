"""Sources that are URLs: a WordPress site, an RSS 2.0 or Atom feed, a sitemap (or sitemap index).

`open_source` (indexer/sources/__init__.py) hands every source that looks like a URL to
`open_url` (detect.py), which asks the URL once and picks the reader (a feed or a sitemap by
its root element first: WordPress sends its API link with its feeds too):

- a WordPress site (its REST API link: an HTTP `Link: <…/wp-json/>; rel="https://api.w.org/"`
  header, or `<link rel="https://api.w.org/" href="…">` in the page)
  -> `indexer.sources.web.wordpress.WordPressReader`;
- an RSS 2.0, RSS 1.0 or Atom feed -> `feed.FeedReader`;
- a `<urlset>` sitemap or a `<sitemapindex>` -> `sitemap.SitemapReader`;
- anything else: SourceError("<url>: <why>").

The contract every URL reader keeps (and the WordPress reader with it)
------------------------------------------------------------------------
A URL reader is an `indexer.sources.Reader`: `kind`, `path` (the URL as given), `total`
(computed by `count()` when constructed: fetch what is needed to count, cheaply), `excluded`
(a Counter of records left out on purpose, by reason: "draft", "password-protected",
"robots.txt disallows"...), and `records()` yielding `(where, Article | Skipped)` in a stable
order, `where` being a URL or `post <id>` for the reports. It never yields an unpublished or
private item. A failure of the source as a whole (network, HTTP 4xx/5xx, timeout, too large,
malformed answer) raises `SourceError("<url>: <one-line reason>")` — from the constructor or
from `records()` — and the build then keeps the live index. One bad item is a `Skipped`.

The WordPress reader's constructor, as `open_url` calls it:

    WordPressReader(site_url: str, api_root: str, client: http.Client, state_dir: Path | None)

- `site_url`: the URL as the user gave it; also the reader's `path`.
- `api_root`: the REST API root the site advertises, absolute, ending in `/`
  (e.g. `https://blog.example/wp-json/`, or `https://blog.example/?rest_route=/`).
- `client`: the one polite HTTP client (http.py), shared by every reader of a build; every
  request goes through `client.get(url)` (never another HTTP library): it sends the
  User-Agent, honours robots.txt, bounds the rate per host, the redirects, the time and the
  size, and sends If-None-Match / If-Modified-Since from its cache.
- `state_dir`: the index folder, where a reader may keep its own small SQLite file for
  incremental runs (name it `web-<kind>.sqlite`; `web-cache.sqlite` is the client's);
  None when there is no index (a test reading a source alone): then keep nothing.

The HTTP client (http.py), stable for every URL reader
-----------------------------------------------------
    client = Client(state_dir=None, settings=None)   # settings: http.Settings.from_env()
    response = client.get(url, *, conditional=True, keep_body=True, accept=None,
                          max_bytes=None, truncate=False)

`get` returns a `Response` for a 2xx (or a 304 it answered from its cache) and raises
`FetchError` (a SourceError; `.url`, `.reason`, `.status` (int or None), `.transient`)
otherwise: `"<url>: HTTP 503 Service Unavailable"`, `"<url>: timed out after 20 s"`,
`"<url>: cannot connect (connection refused)"`, `"<url>: redirect loop (…)"`,
`"<url>: larger than 10 MB"`, `"<url>: robots.txt disallows it for archive-search"`.

Response: `url` (as asked), `final_url` (after redirects), `status`, `headers` (case-insensitive),
`content` (bytes), `text`, `json()` (SourceError "<url>: malformed JSON …" when it is not),
`content_type` (the media type alone, lowercase), `from_cache` (True: a 304, `content` is the
body kept from the last run), `not_modified` (a 304 with `keep_body=False`: `content` is empty,
the caller kept its own copy), `truncated` (`truncate=True` and the body was cut at the limit),
`error(reason)` (a FetchError naming the URL, for the caller's own checks).
"""

from __future__ import annotations

import re

__all__ = ["is_url", "open_url"]

# Anything with a scheme is taken for a URL (so `ftp://…` is refused as one, not looked for on disk).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(source) -> bool:
    return isinstance(source, str) and bool(_URL.match(source))


def open_url(url: str, state_dir=None, client=None):
    """The reader for a URL source (see detect.py)."""
    from indexer.sources.web.detect import open_url as detect

    return detect(url, state_dir=state_dir, client=client)

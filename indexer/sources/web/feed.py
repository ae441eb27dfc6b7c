"""An RSS 2.0, RSS 1.0 or Atom feed, read with feedparser: one article per item.

A feed is a window on a site (its last 10 or 20 items): only what it holds is indexed, and an
item that slid out of it leaves the index at the next run. A sitemap or the WordPress API
gives the whole archive.
"""

from __future__ import annotations

from collections.abc import Iterator

import feedparser

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import Reader
from indexer.sources.text import html_body, labels, parse_date, plain, plain_body
from indexer.sources.web.payload import unzipped
from indexer.sources.web.http import Client, Response

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8"
# WordPress puts a password form where a protected post's text would be.
PASSWORD_FORM = "post-password-form"


class FeedReader(Reader):
    kind = "feed"

    def __init__(self, url: str, client: Client, first: Response | None = None):
        self.client = client
        self._answer = first
        self._entries: list | None = None
        super().__init__(url)

    def count(self) -> int:
        return len(self._read())

    def _read(self) -> list:
        if self._entries is None:
            answer = self._answer or self.client.get(self.path, accept=ACCEPT)
            # feedparser is given bytes, never a URL: it fetches nothing itself.
            parsed = feedparser.parse(unzipped(answer, self.client.settings.max_bytes),
                                      response_headers={"content-type": answer.headers.get("content-type", "")})
            if not parsed.get("version") or (parsed.get("bozo") and not parsed.entries):
                why = parsed.get("bozo_exception")
                raise SourceError(f"{self.path}: not a readable RSS or Atom feed"
                                  + (f" ({_one_line(why)})" if why else ""))
            self._entries = list(parsed.entries)
        return self._entries

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        for number, entry in enumerate(self._read(), 1):
            link = (entry.get("link") or "").strip()
            item_id = (entry.get("id") or "").strip() or link
            where = f"{self.path} item {item_id or f'#{number}'}"
            if not item_id:
                yield where, Skipped(where, "no guid, id or link")
                continue
            markup, is_html = _content(entry)
            if PASSWORD_FORM in markup:
                self.excluded["password-protected"] += 1
                continue
            body_html, body = html_body(markup) if is_html else plain_body(markup)
            author = entry.get("author_detail", {}).get("name") or entry.get("author") or ""
            yield where, Article(
                id=item_id,
                title=plain(entry.get("title") or ""),
                body=body,
                body_html=body_html,
                url=link,
                date=parse_date(entry.get("published") or "") or parse_date(entry.get("updated") or ""),
                author=plain(author),
                tags=labels(tag.get("term") or tag.get("label") or "" for tag in entry.get("tags", [])),
            )


def _content(entry) -> tuple[str, bool]:
    """The item's fullest text (content:encoded, Atom content, then the summary) and whether it is HTML."""
    for part in entry.get("content", []):
        if part.get("value"):
            return part["value"], "html" in (part.get("type") or "text/html")
    detail = entry.get("summary_detail") or {}
    summary = entry.get("summary") or ""
    return summary, "html" in (detail.get("type") or "text/html")


def _one_line(error) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__

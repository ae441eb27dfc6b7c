"""A WordPress site read through its REST API: published posts and pages, incrementally.

A run lists every published post and page by id and modification time (`_fields=id,modified_gmt`,
100 a request, cheap for the server), then fetches in full (`include=…&_embed`) only the ones the
last run did not see at that modification time; the others come from a small SQLite cache beside
the index (`web-wordpress.sqlite`). A post deleted, unpublished, made private or scheduled drops out
of the listing, and so out of the build. Listing beats `modified_after`: it needs no clock or time
zone agreement with the site, and the listing is needed anyway to notice removals.

Only what anyone may read enters: the API shows visitors published items only (the reader asks
`status=publish` and checks each item's status again), and a password-protected post
(`content.protected`) is left out whole, as the WXR reader does. Ids are the posts' own ids, the
ids of the site's WXR export, so moving from an export to the live site changes no id.

An item is read again, changed or not, a week after it was fetched: a tag or an author renamed
does not change the posts' modification time. Term and author names come embedded
(`_embed=author,wp:term`); a site that strips embedding gets its term names from the taxonomy
endpoints.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import Reader
from indexer.sources.text import html_body, labels, parse_date, plain
from indexer.sources.web.http import Client, FetchError

FILE = "web-wordpress.sqlite"
# The endpoints read, in this order (the same ids as a WXR export's post and page items).
TYPES = (("post", "wp/v2/posts"), ("page", "wp/v2/pages"))
PER_PAGE = 100        # the REST API's largest page
MAX_ITEMS = 1_000_000  # a listing past this is a server gone wrong, not a blog
# Bump when what an item becomes changes: cached articles are then read again.
VERSION = 1
# What does not touch a post's modification time (a tag or an author renamed) is read again at
# the latest this long after the item was fetched; each run refreshes the items past this age.
MAX_AGE = 7 * 24 * 3600
SAME_SECOND = 1.0  # a read this soon after `modified_gmt` may have missed a save in that second
TAXONOMIES = {"post_tag": "wp/v2/tags", "category": "wp/v2/categories"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS items (
    api TEXT, id INTEGER, type TEXT, modified TEXT, article TEXT, excluded TEXT, fetched_at REAL,
    PRIMARY KEY (api, id));
"""


class WordPressReader(Reader):
    """Published posts and pages of a WordPress site (see the module's docstring)."""

    kind = "wordpress"

    def __init__(self, site_url: str, api_root: str, client: Client, state_dir: Path | None):
        self.api_root = api_root
        self.client = client
        self.cache = ItemCache(state_dir, api_root)
        self.listing: list[tuple[str, int, str]] = []  # (type, id, modified_gmt)
        self.fetched = 0  # items read in full by the last run (the rest came from the cache)
        self._terms: dict[str, dict[int, str]] = {}
        super().__init__(site_url)

    def count(self) -> int:
        self.listing = [(kind, item_id, modified) for kind, route in TYPES
                        for item_id, modified in self._list(route)]
        return len(self.listing)

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        try:
            yield from self._records()
        finally:
            self.cache.close()  # the file is not held open once the build has read the site

    def _records(self) -> Iterator[tuple[str, Article | Skipped]]:
        self.fetched = 0
        for start in range(0, len(self.listing), PER_PAGE):
            window = self.listing[start:start + PER_PAGE]
            known = {item_id: self.cache.get(item_id, modified) for _, item_id, modified in window}
            fetched = []
            for kind, route in TYPES:
                wanted = [item_id for k, item_id, _ in window if k == kind and known[item_id] is None]
                if wanted:
                    for item_id, modified, record in self._fetch(route, kind, wanted):
                        fetched.append((item_id, kind, modified, record))
                        known[item_id] = record
            self.cache.put(fetched)
            for kind, item_id, _ in window:
                record = known[item_id]
                if record is None:
                    self.excluded["unpublished meanwhile"] += 1  # listed, then gone when fetched
                elif isinstance(record, str):
                    self.excluded[record] += 1
                else:
                    yield f"{kind} {item_id}", record
        self.cache.keep_only({item_id for _, item_id, _ in self.listing})

    # --- the API -------------------------------------------------------------------------------------

    def endpoint(self, route: str, **params) -> str:
        """The URL of `route` below the API root, as `/wp-json/` or as `?rest_route=/`."""
        query = urlencode(params)
        joiner = "&" if "?" in self.api_root else "?"
        return self.api_root + route + (joiner + query if query else "")

    def _get(self, url: str, conditional: bool = False):
        try:
            answer = self.client.get(url, conditional=conditional, accept="application/json")
        except FetchError as error:
            if error.status in (401, 403):
                raise SourceError(f"{error} (the site closes its REST API to visitors: "
                                  "give its feed or its sitemap instead)") from None
            raise
        if "html" in answer.content_type:
            # A maintenance page, a login wall or a cache's error page, answered with a 200.
            raise answer.error("an HTML page where the REST API's JSON was expected")
        return answer, answer.json()

    def _list(self, route: str) -> Iterator[tuple[int, str]]:
        """(id, modified_gmt) of every published item of `route`, by id."""
        seen: set[int] = set()
        page, pages, guessed = 1, None, False
        while pages is None or page <= pages:
            url = self.endpoint(route, status="publish", per_page=PER_PAGE, page=page, orderby="id",
                                order="asc", _fields="id,modified_gmt")
            try:
                answer, items = self._get(url, conditional=True)
            except FetchError as error:
                if route == TYPES[1][1] and error.status == 404 and page == 1:
                    return  # a site without the pages endpoint has posts only
                if guessed and error.status == 400:
                    return  # a page past the last one, asked because the page count was not given
                raise
            if not isinstance(items, list):
                raise answer.error(f"malformed answer: a JSON {_kind(items)} where a list of items was expected")
            total = answer.headers.get("x-wp-totalpages", "")
            # Without the header (a proxy that drops it), a full page means there may be another.
            guessed = not total.isdigit()
            pages = int(total) if not guessed else (page + 1 if len(items) == PER_PAGE else page)
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int) or isinstance(item["id"], bool):
                    raise answer.error("malformed answer: an item without an integer id")
                if item["id"] in seen:
                    raise answer.error(f"the API repeats item {item['id']} on page {page} (pagination ignored?)")
                seen.add(item["id"])
                yield item["id"], str(item.get("modified_gmt") or "")
            if len(seen) > MAX_ITEMS:
                raise answer.error(f"more than {MAX_ITEMS:,} items listed: not read")
            if not items:
                break
            page += 1

    def _fetch(self, route: str, kind: str, ids: list[int]) -> Iterator[tuple[int, str, Article | Skipped | str]]:
        """(id, modified_gmt, record) of the items `ids` read in full; an item gone meanwhile is absent.
        A record is an Article, a Skipped, or the reason it is left out."""
        url = self.endpoint(route, status="publish", include=",".join(map(str, ids)), per_page=PER_PAGE,
                            orderby="include", _embed="author,wp:term")
        answer, items = self._get(url)
        if not isinstance(items, list):
            raise answer.error(f"malformed answer: a JSON {_kind(items)} where a list of items was expected")
        self.fetched += len(items)
        wanted = set(ids)
        for item in items:
            if not isinstance(item, dict) or item.get("id") not in wanted:
                continue  # not an item asked for: nothing of it is trusted
            yield item["id"], str(item.get("modified_gmt") or ""), self._record(kind, item)

    def _record(self, kind: str, item: dict) -> Article | Skipped | str:
        where = f"{kind} {item['id']}"
        status = item.get("status", "publish")
        if status != "publish":
            return f"status {status}"
        content, title = item.get("content"), item.get("title")
        if not isinstance(content, dict) or not isinstance(title, dict):
            return Skipped(where, "no title or content object in the API's answer")
        if content.get("protected"):
            return "password-protected"
        rendered, heading = content.get("rendered"), title.get("rendered")
        if not isinstance(rendered, str) or not isinstance(heading, str):
            return Skipped(where, "title or content is not text")
        body_html, body = html_body(rendered)
        tags, categories = self._term_labels(item)
        return Article(
            id=str(item["id"]),
            title=plain(heading),
            body=body,
            body_html=body_html,
            url=item["link"] if isinstance(item.get("link"), str) else "",
            date=parse_date(item["date"]) if isinstance(item.get("date"), str) else "",
            author=_author(item),
            tags=tags,
            categories=categories,
        )

    def _term_labels(self, item: dict) -> tuple[list[str], list[str]]:
        embedded = item.get("_embedded") if isinstance(item.get("_embedded"), dict) else {}
        names: dict[str, list[str]] = {"post_tag": [], "category": []}
        groups = embedded.get("wp:term")
        if isinstance(groups, list):
            for group in groups:
                for term in group if isinstance(group, list) else []:
                    if isinstance(term, dict) and term.get("taxonomy") in names and isinstance(term.get("name"), str):
                        names[term["taxonomy"]].append(term["name"])
        else:  # no embedding on this site: the term ids, named through the taxonomy endpoints
            for taxonomy, field in (("post_tag", "tags"), ("category", "categories")):
                ids = item.get(field) if isinstance(item.get(field), list) else []
                names[taxonomy] = self._term_names(taxonomy, [i for i in ids if isinstance(i, int)])
        return labels(names["post_tag"]), labels(names["category"])

    def _term_names(self, taxonomy: str, ids: list[int]) -> list[str]:
        """Names of terms by id, asked once per run (one request for the ids not known yet)."""
        known = self._terms.setdefault(taxonomy, {})
        unknown = [i for i in dict.fromkeys(ids) if i not in known][:PER_PAGE]
        if unknown:
            url = self.endpoint(TAXONOMIES[taxonomy], include=",".join(map(str, unknown)), per_page=PER_PAGE,
                                _fields="id,name")
            _, terms = self._get(url)
            for term in terms if isinstance(terms, list) else []:
                if isinstance(term, dict) and isinstance(term.get("name"), str):
                    known[term.get("id")] = term["name"]
            for term_id in unknown:
                known.setdefault(term_id, "")
        return [known.get(i, "") for i in ids]


def _author(item: dict) -> str:
    embedded = item.get("_embedded")
    authors = embedded.get("author") if isinstance(embedded, dict) else None
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        name = authors[0].get("name")  # a site hiding its users embeds an error object instead
        if isinstance(name, str):
            return plain(name)
    return ""


def _kind(value) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


class ItemCache:
    """The items a run read, by id, with their modification time: an Article, or why it was left out.

    Without an index folder (a source read alone) it lives in memory and is forgotten."""

    def __init__(self, state_dir: Path | str | None, api: str):
        self.api = api
        self.state_dir = state_dir
        self._db: sqlite3.Connection | None = None
        self._memory: sqlite3.Connection | None = None  # without an index folder: kept until the reader goes

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, opened when first needed (again after `close`)."""
        if self._memory is not None:
            return self._memory
        if self._db is None:
            if self.state_dir is None:
                self._memory = db = sqlite3.connect(":memory:", isolation_level=None)
            else:
                Path(self.state_dir).mkdir(parents=True, exist_ok=True)
                self._db = db = sqlite3.connect(str(Path(self.state_dir) / FILE), timeout=30, isolation_level=None)
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is None or row[0] != str(VERSION):
                db.execute("DELETE FROM items")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(VERSION),))
        return self._memory if self._memory is not None else self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, item_id: int, modified: str) -> Article | str | None:
        """What the last run read of this item at this modification time, or None (read it again)."""
        if not modified:
            return None  # no modification time to compare: never trusted
        # WordPress keeps modification times to the second: an item read in the second it was
        # modified may have been saved again in that second, unseen. Trusted once read later.
        row = self.db.execute("SELECT article, excluded FROM items WHERE api = ? AND id = ? AND modified = ? "
                              "AND fetched_at > ? AND fetched_at >= ?",
                              (self.api, item_id, modified, time.time() - MAX_AGE,
                               _epoch(modified) + SAME_SECOND)).fetchone()
        if row is None:
            return None
        article, excluded = row
        if excluded:
            return excluded
        try:
            return Article(**json.loads(article))
        except (TypeError, ValueError):
            return None

    def put(self, items: list[tuple[int, str, str, Article | Skipped | str]]) -> None:
        """Keeps what a run read: (id, type, modified_gmt, record) each, in one transaction."""
        rows = []
        for item_id, kind, modified, record in items:
            if isinstance(record, Skipped) or not modified:
                continue  # a bad item is read again next time: it may have been fixed
            article = json.dumps(asdict(record), ensure_ascii=False) if isinstance(record, Article) else None
            excluded = record if isinstance(record, str) else None
            rows.append((self.api, item_id, kind, modified, article, excluded, time.time()))
        if rows:
            with self.db:  # one commit, not one a row
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def keep_only(self, ids: set[int]) -> None:
        """Forgets the items the site no longer lists (the cache never outgrows the site)."""
        known = [row[0] for row in self.db.execute("SELECT id FROM items WHERE api = ?", (self.api,))]
        gone = [(self.api, i) for i in known if i not in ids]
        if gone:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("DELETE FROM items WHERE api = ? AND id = ?", gone)


def _epoch(modified_gmt: str) -> float:
    """`modified_gmt` (`2026-11-30T17:47:25`, UTC) in seconds; +inf when unreadable (never trusted)."""
    try:
        return datetime.fromisoformat(modified_gmt).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return float("inf")

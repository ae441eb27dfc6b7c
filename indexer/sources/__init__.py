"""Archive readers: `open_source` picks the reader for a path; every Article leaves through `finish`."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from indexer.article import Article, Skipped
from indexer.errors import SourceError

__all__ = ["Reader", "close_sources", "finish", "open_source", "open_sources", "split_sources", "unique"]

HTML_SUFFIXES = (".html", ".htm")
TEXT_SUFFIXES = (".md", ".markdown", ".txt")
PUBLISHED_STATUSES = ("publish", "published")


class Reader:
    """One source: `kind`, `path`, `total` (an up-front estimate) and, once read, `excluded`.

    Iterating yields Article or Skipped in a stable order; every Article has been through `finish`
    and ids are unique (a repeated id is reported as Skipped). `excluded` counts the records left
    out on purpose (drafts, private pages...) by reason; it is filled as the reader is iterated.
    """

    kind = ""

    def __init__(self, path: str):
        self.path = str(path)
        self.excluded: Counter[str] = Counter()
        self.total = self.count()

    def count(self) -> int:
        """How many records to expect, counted cheaply (for progress bars)."""
        raise NotImplementedError

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        """(where, record) pairs, where is a file, `file:line` or `item <id>` for reports."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[Article | Skipped]:
        self.excluded.clear()
        first_seen: dict[str, str] = {}
        for where, record in self.records():
            if isinstance(record, Article):
                record = finish(record, where)
            if isinstance(record, Article):
                if record.id in first_seen:
                    record = Skipped(where, f"duplicate id {record.id!r} (first seen at {first_seen[record.id]})")
                else:
                    first_seen[record.id] = where
            yield record


def finish(article: Article, where: str = "") -> Article | Skipped:
    """Complete an Article the same way for every reader: unique labels, no empty record.

    The sources an article quotes are found later, by the build (quotes.py), and only for
    new or changed articles: it is the costliest step of reading an archive."""
    if not article.title and not article.body:
        return Skipped(where or article.id, "no title and no text")
    article.tags = unique(article.tags)
    article.categories = unique(article.categories)
    article.sources = unique(article.sources)
    return article


def unique(values: list[str]) -> list[str]:
    """Values without empty ones and without repeats (whatever their case), first spelling kept."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


def exclusion(fields: dict) -> str | None:
    """Why a Markdown or JSON record is not published (draft, published: false, a status), or None."""
    if _is_true(fields.get("draft")):
        return "draft"
    if "published" in fields and not _is_true(fields["published"]):
        return "unpublished"
    status = fields.get("status")
    if status is not None and str(status).strip().lower() not in PUBLISHED_STATUSES:
        return f"status {str(status).strip().lower()}"
    return None


def _is_true(value) -> bool:
    return value is True or (isinstance(value, (str, int)) and str(value).strip().lower() in ("true", "yes", "1"))


def article_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files below `folder` with one of the suffixes (any case), sorted, hidden folders and files left out."""
    found = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        found += [Path(directory, f) for f in files if not f.startswith(".") and f.lower().endswith(suffixes)]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def file_id(folder: Path, file: Path) -> str:
    """A file's article id: its path below the source folder, without extension, with `/`."""
    return file.relative_to(folder).with_suffix("").as_posix()


# A URL (its scheme's colon, and a port's) is one source; elsewhere ':' separates sources.
_LISTED_SOURCE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/:]*(?::\d*)?[^:]*|[^:]+")


def split_sources(text: str) -> list[str]:
    """The sources of a `:`-separated list (ARCHIVE_SEARCH_ARCHIVE, `serve --archive`), URLs kept whole."""
    return [match.group(0) for match in _LISTED_SOURCE.finditer(text or "") if match.group(0).strip()]


def open_sources(sources: list, state_dir=None) -> list[Reader]:
    """The readers of a build's sources; URL sources share one HTTP client (one rate per host,
    one robots.txt per site) and keep their state in `state_dir` (the index folder)."""
    from indexer.sources import web

    client = None
    if any(web.is_url(str(s)) for s in sources):
        from indexer.sources.web.http import Client

        client = Client(state_dir)
    try:
        return [open_source(s, state_dir=state_dir, client=client) for s in sources]
    except BaseException:
        if client is not None:
            client.close()
        raise


def close_sources(readers: list[Reader]) -> None:
    """Closes what URL readers hold open (their HTTP client's connections and cache file)."""
    for client in {id(c): c for c in (getattr(r, "client", None) for r in readers) if c is not None}.values():
        client.close()


def open_source(path: str | os.PathLike, state_dir=None, client=None) -> Reader:
    """The reader for a WordPress export, a JSON Lines file, a folder of HTML or Markdown/text
    files, or a URL (a WordPress site, a feed, a sitemap: indexer/sources/web/).

    Raises SourceError("<path>: <reason>") when the source as a whole cannot be read.
    """
    from indexer.sources import web

    if web.is_url(str(path)):
        return web.open_url(str(path), state_dir=state_dir, client=client)
    # Readers import Reader from this module, so they are imported here rather than at the top.
    from indexer.sources.html import HtmlReader
    from indexer.sources.jsonl import JsonlReader
    from indexer.sources.markdown import MarkdownReader
    from indexer.sources.wxr import WxrReader

    where = Path(path)
    if not where.exists():
        raise SourceError(f"{path}: no such file or folder")
    if where.is_dir():
        if article_files(where, HTML_SUFFIXES):
            return HtmlReader(str(path))
        if article_files(where, TEXT_SUFFIXES):
            return MarkdownReader(str(path))
        raise SourceError(f"{path}: folder holds no .html, .md or .txt files")
    suffix = where.suffix.lower()
    if suffix == ".xml":
        return WxrReader(str(path))
    if suffix in (".jsonl", ".ndjson"):
        return JsonlReader(str(path))
    raise SourceError(f"{path}: unknown format (expected a WordPress .xml export, a .jsonl file or a folder)")

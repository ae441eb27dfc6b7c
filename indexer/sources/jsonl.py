"""JSON Lines reader: one article object per line, each bad line reported as `file:line`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import Reader, exclusion
from indexer.sources.text import html_body, labels, parse_date, plain, plain_body

STRING_FIELDS = ("title", "body", "body_html", "content", "url", "date", "author")
LABEL_FIELDS = ("tags", "categories")


# `\ud83d` alone: valid JSON, but half of an emoji that an exporter split, and no text
# (it cannot be written as UTF-8). Pairs are joined by the JSON decoder already.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BadRecord(ValueError):
    """A line that cannot become an article; the message says why."""


class JsonlReader(Reader):
    """One article per non-blank line: `id` required; `body` plain or `body_html`/`content` HTML."""

    kind = "jsonl"

    def count(self) -> int:
        try:
            with open(self.path, "rb") as f:
                return sum(1 for line in f if line.strip())
        except OSError as error:
            raise SourceError(f"{self.path}: cannot read ({error.strerror})") from None

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                where = f"{self.path}:{number}"
                try:
                    article = self._article(_decode(raw))
                except BadRecord as bad:
                    yield where, Skipped(where, str(bad))
                    continue
                if article is not None:
                    yield where, article

    def _article(self, fields: dict) -> Article | None:
        why = exclusion(fields)
        if why:
            self.excluded[why] += 1
            return None
        # HTML wins when both are given: its links and citations are what quote extraction reads.
        html = fields.get("body_html") or fields.get("content")
        body_html, body = html_body(html) if html else plain_body(fields.get("body") or "")
        return Article(
            id=str(fields["id"]).strip(),
            title=plain(fields.get("title") or ""),
            body=body,
            body_html=body_html,
            url=(fields.get("url") or "").strip(),
            date=parse_date(fields.get("date") or ""),
            author=plain(fields.get("author") or ""),
            tags=labels(fields.get("tags") or []),
            categories=labels(fields.get("categories") or []),
            sources=labels(fields.get("sources") or []),
        )


def _decode(raw: bytes) -> dict:
    """The line's object with its fields checked (labels as lists); BadRecord says what is wrong."""
    try:
        fields = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise BadRecord(f"not UTF-8 (byte {raw[error.start]:#04x} at column {error.start + 1})") from None
    except json.JSONDecodeError as error:
        raise BadRecord(f"bad JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(fields, dict):
        raise BadRecord(f"not a JSON object but {type(fields).__name__}")
    if _SURROGATE_ESCAPE.search(raw):
        fields = _without_lone_surrogates(fields)
    record_id = fields.get("id")
    if record_id is None or str(record_id).strip() == "":
        raise BadRecord("no id")
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)):
        raise BadRecord(f"id must be a string or an integer, not {type(record_id).__name__}")
    for name in STRING_FIELDS:
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise BadRecord(f"{name} must be a string, not {type(fields[name]).__name__}")
    for name in LABEL_FIELDS:
        value = fields.get(name)
        if isinstance(value, str):
            # "a, b" is a common way to write a list in a hand-made export.
            fields[name] = value.split(",")
        elif value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise BadRecord(f"{name} must be a list of strings or a comma-separated string")
    sources = fields.get("sources")
    if sources is not None and not (isinstance(sources, list) and all(isinstance(v, str) for v in sources)):
        raise BadRecord("sources must be a list of strings")
    return fields


def _without_lone_surrogates(value):
    """The decoded record with each lone surrogate replaced by U+FFFD, the article kept."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_lone_surrogates(v) for k, v in value.items()}
    return value

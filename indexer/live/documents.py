"""Articles written through the document API: the JSON a client sends, checked field by field.

A bad field is a `DocumentError` naming it, so the API can answer 400 and apply nothing of the
request. A sound article is cleaned like every reader's (indexer/sources/): markup removed from
the text and kept aside for quote extraction, labels without repeats, the date as YYYY-MM-DD.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict

from indexer.article import Article
from indexer.errors import ArchiveSearchError
from indexer.sources import PUBLISHED_STATUSES, finish
from indexer.sources.text import html_body, parse_date, plain, plain_body

# Limits of one request (the web answers 413 past them) and of one article's fields.
MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_BATCH = 1000
MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 2000
MAX_LABELS = 500
MAX_LABEL_CHARS = 300

STRINGS = ("title", "body", "url", "date", "author")
LABELS = ("tags", "categories", "sources")
FIELDS = ("id", *STRINGS, *LABELS, "status")

# A body is read as HTML when it holds markup a text would not (a tag from this list).
_HTML = re.compile(r"<(?:p|div|br|a|h[1-6]|ul|ol|li|blockquote|em|strong|b|i|u|span|img|figure|table|"
                   r"q|cite|article|section|pre|code|hr|sup|sub|small|iframe|script|style)\b[^>]*>", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"(?:https?://[^\s]+|/[^\s]*)?", re.I)


class DocumentError(ArchiveSearchError):
    """A written article the API refuses; `field` names what is wrong (`articles[3].date`)."""

    code = "bad_document"

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class TooLarge(ArchiveSearchError):
    """A request larger than the document API takes (413)."""

    code = "too_large"


def check_id(article_id, field: str = "id") -> str:
    if isinstance(article_id, bool) or not isinstance(article_id, (str, int)):
        raise DocumentError("id must be a string or an integer", field)
    text = str(article_id).strip()
    if not text:
        raise DocumentError("id must not be empty", field)
    if len(text) > MAX_ID_CHARS:
        raise DocumentError(f"id must be at most {MAX_ID_CHARS} characters", field)
    if _CONTROL.search(text):
        raise DocumentError("id must not hold control characters", field)
    return text


def article_from_json(fields, article_id: str | None = None, where: str = "") -> Article:
    """The Article a client's JSON object describes. With `article_id` (from the URL), an `id`
    in the object must be the same; without it, the object must carry one. `where` prefixes
    the field names of errors (`articles[3].`)."""
    if not isinstance(fields, dict):
        raise DocumentError(f"an article must be a JSON object, not {_kind(fields)}", where.rstrip(".") or "body")
    for name in fields:
        if name not in FIELDS:
            raise DocumentError(f"unknown field {name!r} (fields: {', '.join(FIELDS)})", where + str(name))
    if article_id is None:
        if "id" not in fields:
            raise DocumentError("each article of a batch needs its id", where + "id")
        article_id = check_id(fields["id"], where + "id")
    elif "id" in fields and check_id(fields["id"], where + "id") != article_id:
        raise DocumentError("id differs from the id in the URL", where + "id")
    for name in STRINGS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise DocumentError(f"{name} must be a string, not {_kind(value)}", where + name)
    for name in ("title", "body"):
        if name not in fields:
            raise DocumentError(f"{name} is required", where + name)
    status = fields.get("status")
    if status is not None and (not isinstance(status, str) or status.strip().lower() not in PUBLISHED_STATUSES):
        raise DocumentError("only published articles are indexed (status 'publish'); "
                            "DELETE an article that is no longer published", where + "status")
    labels = {name: _labels(fields.get(name), where + name) for name in LABELS}
    title = plain(fields["title"])
    if len(title) > MAX_TITLE_CHARS:
        raise DocumentError(f"title must be at most {MAX_TITLE_CHARS} characters", where + "title")
    url = (fields.get("url") or "").strip()
    if not _URL.fullmatch(url):
        raise DocumentError("url must be an http(s) address or a path starting with /", where + "url")
    date = parse_date(fields.get("date") or "")
    if fields.get("date") and not date:
        raise DocumentError("date must be YYYY-MM-DD, an ISO date-time or an RFC 2822 date", where + "date")
    raw = fields["body"]
    body_html, body = html_body(raw) if _HTML.search(raw) else plain_body(raw)
    article = finish(Article(id=article_id, title=title, body=body, body_html=body_html, url=url, date=date,
                             author=plain(fields.get("author") or ""), tags=labels["tags"],
                             categories=labels["categories"], sources=labels["sources"]))
    if not isinstance(article, Article):
        raise DocumentError("an article needs a title or a text", where + "body")
    return article


def _labels(value, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DocumentError(f"{field.rsplit('.', 1)[-1]} must be a list of strings", field)
    if len(value) > MAX_LABELS:
        raise DocumentError(f"at most {MAX_LABELS} values", field)
    cleaned = [plain(v) for v in value]
    if any(len(v) > MAX_LABEL_CHARS for v in cleaned):
        raise DocumentError(f"a value must be at most {MAX_LABEL_CHARS} characters", field)
    return cleaned


def batch_from_body(raw: bytes, ndjson: bool | None = None) -> list[Article]:
    """The articles of a batch request: a JSON array, or NDJSON (one object a line; also read
    when the body does not start with `[`). All sound, or a DocumentError for the first bad one."""
    if len(raw) > MAX_REQUEST_BYTES:
        raise TooLarge(f"a request may carry at most {MAX_REQUEST_BYTES // (1024 * 1024)} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"the body is not UTF-8 (byte {error.start})", "body") from None
    if ndjson is None:
        ndjson = not text.lstrip().startswith("[")
    if ndjson:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                items.append((f"line {number}", _json(line, f"line {number}")))
    else:
        parsed = _json(text, "body")
        if not isinstance(parsed, list):
            raise DocumentError("a batch is a JSON array of articles, or NDJSON", "body")
        items = [(f"articles[{i}]", item) for i, item in enumerate(parsed)]
    if not items:
        raise DocumentError("the batch holds no article", "body")
    if len(items) > MAX_BATCH:
        raise TooLarge(f"a batch may hold at most {MAX_BATCH} articles, not {len(items)}")
    articles, seen = [], {}
    for where, item in items:
        article = article_from_json(item, where=where + ".")
        if article.id in seen:
            raise DocumentError(f"id {article.id!r} is also in {seen[article.id]}", where + ".id")
        seen[article.id] = where
        articles.append(article)
    return articles


def articles_from_file(path) -> list[Article]:
    """The articles of a JSON Lines file, or of a file holding a JSON array (the CLI's `put`):
    all of them checked, or a DocumentError naming the file, line and field."""
    from pathlib import Path

    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise DocumentError(f"{path}: cannot read ({error.strerror})", "file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"{path}: not UTF-8 (byte {error.start})", "file") from None
    if text.lstrip().startswith("["):
        parsed = _json(text, str(path))
        if not isinstance(parsed, list):
            raise DocumentError(f"{path}: a JSON array of articles, or JSON Lines", "file")
        items = [(f"{path} articles[{i}]", item) for i, item in enumerate(parsed)]
    else:
        items = [(f"{path}:{n}", _json(line, f"{path}:{n}")) for n, line in enumerate(text.splitlines(), 1)
                 if line.strip()]
    articles, seen = [], {}
    for where, item in items:
        try:
            article = article_from_json(item)
        except DocumentError as error:
            raise DocumentError(f"{where}: {error.field}: {error}", error.field) from None
        if article.id in seen:
            raise DocumentError(f"{where}: id {article.id!r} is also at {seen[article.id]}", "id")
        seen[article.id] = where
        articles.append(article)
    return articles


def _json(text: str, field: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(f"bad JSON: {error.msg} (line {error.lineno}, column {error.colno})", field) from None


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def to_record(article: Article) -> dict:
    """An article as the journal keeps it (and `from_record` reads it back)."""
    return asdict(article)


def from_record(data: dict) -> Article:
    return Article(**{k: v for k, v in data.items() if k in Article.__dataclass_fields__})

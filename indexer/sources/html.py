"""HTML folder reader: the article of each saved page, never the theme around it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import UnicodeDammit
from lxml import etree

from indexer.article import Article, Skipped
from indexer.sources import HTML_SUFFIXES, Reader, article_files, file_id
from indexer.sources.text import (
    TooDeep,
    drop,
    drop_boilerplate,
    element_text,
    in_boilerplate,
    inner_html,
    labels,
    parse_date,
    parse_html,
    plain,
)

# Where the article is, most specific first; the first match outside the theme's furniture wins.
CONTAINERS = [
    etree.XPath("//article"),
    etree.XPath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]"
    ),
    etree.XPath("//main"),
    etree.XPath("//*[@role='main']"),
    etree.XPath("//body"),
]
# Article, NewsArticle, ReportageNewsArticle, BlogPosting, LiveBlogPosting...
ARTICLE_TYPE_ENDINGS = ("Article", "BlogPosting")
TITLE_SEPARATORS = (" | ", " – ", " - ", " — ")
# Browsers read these labels as windows-1252, and so do the pages written for them.
_LATIN1_LABELS = ("iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii")


class HtmlReader(Reader):
    """One article per `.html`/`.htm` page below a folder; `noindex` pages are excluded."""

    kind = "html"

    def count(self) -> int:
        return len(article_files(Path(self.path), HTML_SUFFIXES))

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        folder = Path(self.path)
        for file in article_files(folder, HTML_SUFFIXES):
            where = file.relative_to(folder).as_posix()
            try:
                page = parse_html(decode_page(file.read_bytes()))
            except OSError as error:
                yield where, Skipped(where, f"cannot read ({error.strerror})")
                continue
            except UnicodeError:
                yield where, Skipped(where, "cannot tell the page's character encoding")
                continue
            except TooDeep:
                yield where, Skipped(where, "HTML nested too deeply to read")
                continue
            if page is None:
                yield where, Skipped(where, "empty page")
                continue
            if is_noindex(page):
                self.excluded["noindex"] += 1
                continue
            yield where, page_article(page, file_id(folder, file))


def decode_page(data: bytes) -> str:
    """The page as text: BOM, then `<meta charset>`, then UTF-8, then windows-1252."""
    dammit = UnicodeDammit(data, is_html=True)
    if dammit.unicode_markup is None:
        raise UnicodeError("undecodable")
    if (dammit.original_encoding or "").lower() in _LATIN1_LABELS:
        return data.decode("windows-1252", errors="replace")
    return dammit.unicode_markup


def is_noindex(page) -> bool:
    return any("noindex" in content.lower() for content in _meta(page, "robots"))


def page_article(page, article_id: str) -> Article:
    """The Article of a parsed page: metadata first (JSON-LD, Open Graph, meta), then the markup."""
    ld = _json_ld_article(page)
    container = _container(page)
    heading = next((h for h in container.iter("h1") if not in_boilerplate(h)), None)
    if heading is None:
        heading = next((h for h in page.iter("h1") if not in_boilerplate(h)), None)
    linked = _rel_links(container)  # read before the entry footer holding them is dropped
    article = Article(
        id=article_id,
        title=_title(page, ld, heading),
        body="",
        url=next(filter(None, [*_canonical(page), *_meta(page, "og:url"), _text(ld.get("url"))]), "").strip(),
        date=next(filter(None, map(parse_date, [
            _text(ld.get("datePublished")),
            *_meta(page, "article:published_time"),
            *(time.get("datetime", "") for time in container.iter("time")),
        ])), ""),
        author=(", ".join(labels(_authors(ld.get("author")))) or plain((_meta(page, "author") or [""])[0])
                or next(iter(labels(linked["author"])), "")),
        tags=labels(_list(ld.get("keywords")) or _meta(page, "article:tag") or _split(_meta(page, "keywords"))
                    or linked["tag"]),
        categories=labels(_list(ld.get("articleSection")) or _meta(page, "article:section") or linked["category"]),
    )
    # The title is already known: its heading would only repeat it at the top of the body.
    if heading is not None and container in heading.iterancestors() and plain(element_text(heading)) == article.title:
        drop(heading)
    drop_boilerplate(container)
    article.body, article.body_html = element_text(container), inner_html(container)
    return article


def _title(page, ld: dict, heading) -> str:
    site = (_meta(page, "og:site_name") or [""])[0]
    candidates = (
        _without_site(plain(_text(ld.get("headline"))), site),
        _without_site(plain((_meta(page, "og:title") or [""])[0]), site),
        plain(element_text(heading)) if heading is not None else "",
        _page_title(page, site),
    )
    return next(filter(None, candidates), "")


def _rel_links(container) -> dict[str, list[str]]:
    """Texts of WordPress's `rel="tag"`, `rel="category tag"` and `rel="author"` links."""
    found: dict[str, list[str]] = {"tag": [], "category": [], "author": []}
    for link in container.iter("a"):
        rel = (link.get("rel") or "").lower().split()
        kind = "category" if "category" in rel else "tag" if "tag" in rel else "author" if "author" in rel else ""
        if kind:
            found[kind].append(element_text(link))
    return found


def _canonical(page) -> list[str]:
    return [link.get("href", "") for link in page.iter("link") if (link.get("rel") or "").lower() == "canonical"]


def _container(page):
    for find in CONTAINERS:
        for candidate in find(page):
            if not in_boilerplate(candidate):
                return candidate
    return page


def _meta(page, name: str) -> list[str]:
    """Every `content` of `<meta property=name>` or `<meta name=name>` (case-insensitive), in page order."""
    name = name.lower()
    return [
        meta.get("content", "").strip()
        for meta in page.iter("meta")
        if name in ((meta.get("property") or "").lower(), (meta.get("name") or "").lower()) and meta.get("content")
    ]


def _page_title(page, site: str) -> str:
    title = plain(element_text(page.find(".//title"))) if page.find(".//title") is not None else ""
    if site:
        return _without_site(title, site)
    # No site name known: the part after the last separator is taken for it.
    cut = max(title.rfind(separator) for separator in TITLE_SEPARATORS)
    return title[:cut].strip() if cut > 0 else title


def _without_site(title: str, site: str) -> str:
    for separator in TITLE_SEPARATORS:
        if site and title.endswith(separator + site):
            return title[: -len(separator + site)].strip()
    return title


def _json_ld_article(page) -> dict:
    """The page's JSON-LD Article/BlogPosting/NewsArticle, with `@id` references resolved; {} if none."""
    nodes: list = []
    for script in page.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue  # a theme's broken JSON-LD must not cost the page
        for node in data if isinstance(data, list) else [data]:
            if isinstance(node, dict):
                nodes += node["@graph"] if isinstance(node.get("@graph"), list) else [node]
    by_id = {node["@id"]: node for node in nodes if isinstance(node, dict) and isinstance(node.get("@id"), str)}
    for node in nodes:
        types = node.get("@type") if isinstance(node, dict) else None
        if any(_text(t).endswith(ARTICLE_TYPE_ENDINGS) for t in (types if isinstance(types, list) else [types])):
            return {key: _resolve(value, by_id) for key, value in node.items()}
    return {}


def _resolve(value, by_id: dict):
    """Yoast-style graphs name the author by `@id`; one level of lookup is all a page needs."""
    if isinstance(value, list):
        return [_resolve(one, by_id) if isinstance(one, dict) else one for one in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        return by_id.get(_text(value["@id"]), value)
    return value


def _authors(value) -> list[str]:
    """JSON-LD author: a name, a Person, or a list of either."""
    names = []
    for one in value if isinstance(value, list) else [value]:
        name = one.get("name") if isinstance(one, dict) else one
        if isinstance(name, str):
            names.append(name)
    return names


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _list(value) -> list[str]:
    """JSON-LD keywords and sections come as a list or as one comma-separated string."""
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _split(values: list[str]) -> list[str]:
    return [part for value in values for part in re.split(r"[,;]", value)]

"""What only markup says: cited titles (`<cite>`), the origin of a quotation (`<blockquote cite>`,
`<q cite>`), links that cite a study or an article, and the code that never cites anything.

A link is a source when it carries cited content: its anchor or its sentence says so ("selon
cette étude", "la note de conjoncture", "d’après l’article"), it does not point at a home page,
and its host is no URL shortener, social network or video platform (those hide or only carry
the real source, which the text names) and not the article's own site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from lxml import etree

from indexer.sources.quotes.lexicon import CITING_CUE, LINK_CUE, PLATFORMS, SHORTENERS
from indexer.sources.text import drop, element_text, parse_html

CODE_TAGS = ("code", "pre", "kbd", "samp", "tt", "var")
MARKUP_WORTH_A_PARSE = re.compile(r"<(?:cite|blockquote|q|a|code|pre|kbd|samp|tt|var)\b", re.I)
BLOCKS = {"p", "li", "td", "th", "dd", "dt", "blockquote", "div", "figcaption", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "body"}
BARE_URL = re.compile(r"https?://[^\s<>\"'«»()\[\]]{1,300}")
_LINK_CUE = re.compile(LINK_CUE)
_CITING_CUE = re.compile(CITING_CUE)


def _says_it_cites(anchor: str, before: str = "") -> bool:
    return bool(_LINK_CUE.search(anchor.lower()) or (before and _CITING_CUE.search(before.lower())))
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")


def parse(html: str):
    """The body's tree when its markup can say something (links, citations, code); else None."""
    if not html.strip() or not MARKUP_WORTH_A_PARSE.search(html):
        return None
    try:
        root = parse_html(html)
    except (etree.ParserError, ValueError):
        return None
    return None if root is None else root.find("body")


def text_without_code(body) -> str | None:
    """The body's text with `<code>`, `<pre>`, `<kbd>`… removed (they never cite); None if it has none."""
    code = list(body.iter(*CODE_TAGS))
    if not code:
        return None
    for element in code:
        if element.getparent() is not None and not any(a.tag in CODE_TAGS for a in element.iterancestors()):
            drop(element)
    return element_text(body)


def markup_mentions(body, site: str = "") -> Iterator[str]:
    """`<cite>` titles, quotation origins and citing links, in document order."""
    text, offsets = _text_and_link_offsets(body)
    for element in body.iter("cite", "blockquote", "q", "a"):
        if element.tag == "cite":
            title = " ".join(_text(element).split())
            if 0 < len(title) <= 120:
                yield title
        elif element.tag == "a":
            url = element.get("href") or ""
            if _may_cite(url, site) and (
                _says_it_cites(_text(element)) or _says_it_cites("", _words_before(text, offsets.get(element, 0)))
            ):
                yield domain(url)
        else:
            url = element.get("cite") or ""
            if _may_cite(url, site):  # a quotation's origin cites by definition
                yield domain(url)


def bare_url_mentions(text: str, site: str = "") -> Iterator[tuple[int, str]]:
    """Bare URLs of the text that cite, judged by the words of their sentence right before them."""
    for match in BARE_URL.finditer(text):
        start = max((m.end() for m in _SENTENCE_END.finditer(text, max(0, match.start() - BEFORE), match.start())),
                    default=max(0, match.start() - BEFORE))
        if _may_cite(match.group(), site) and _says_it_cites("", text[start:match.start()]):
            yield match.start(), domain(match.group())


def cites(url: str, anchor: str, before: str, site: str = "") -> bool:
    """Whether a link cites: its anchor or the words of its sentence just before it name what it
    carries ("la note de conjoncture", "selon cette étude : https://…"); a link on a term that only
    glosses it (a Wikipedia page on "FIFO") or on a product, a page to read next, does not."""
    return _may_cite(url, site) and _says_it_cites(anchor, before)


def _may_cite(url: str, site: str = "") -> bool:
    """What the address alone rules out: no host, a shortener, a platform, the site itself, a home page."""
    host = domain(url)
    if not host or _on(host, SHORTENERS) or _on(host, PLATFORMS) or "/wp-content/" in url:
        return False
    if site and (host == site or host.endswith("." + site) or site.endswith("." + host)):
        return False  # the site's own pages and uploads
    path = urlsplit(url.strip()).path
    return not (path.strip("/") == "" or re.fullmatch(r"/?(?:index\.\w+|[a-z]{2}/?)", path))  # a home page


def domain(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or "." not in host:
        return ""
    return host.rstrip(".").removeprefix("www.")


def site_of(url: str) -> str:
    return domain(url)


def _on(host: str, hosts: set[str]) -> bool:
    """The host or one of its parent domains is in `hosts` ("m.facebook.com" is facebook.com)."""
    parts = host.split(".")
    return any(".".join(parts[i:]) in hosts for i in range(len(parts) - 1))


BEFORE = 60  # characters of a link's sentence, before it, that may say what it cites


def _text_and_link_offsets(body) -> tuple[str, dict]:
    """The body's text, blocks apart, and where each link starts in it: one walk of the tree, so
    that reading the words before every link costs the text's length, not the links' count times it."""
    parts: list[str] = []
    size = 0
    offsets = {}
    for event, element in etree.iterwalk(body, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in BLOCKS:
                parts.append("\n")
                size += 1
            elif tag == "a":
                offsets[element] = size
            if element.text:
                parts.append(element.text)
                size += len(element.text)
        else:
            if tag in BLOCKS:
                parts.append("\n")
                size += 1
            if element.tail and element is not body:
                parts.append(element.tail)
                size += len(element.tail)
    return "".join(parts), offsets


def _words_before(text: str, offset: int) -> str:
    """The words of its sentence just before a link's anchor, at most BEFORE characters."""
    before = text[max(0, offset - 2 * BEFORE):offset]
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
    return before[sentence_start:][-BEFORE:]


def _text(element) -> str:
    return "".join(element.itertext())

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
    for element in body.iter("cite", "blockquote", "q", "a"):
        if any(a.tag in CODE_TAGS for a in element.iterancestors()):
            continue
        if element.tag == "cite":
            title = " ".join(_text(element).split())
            if 0 < len(title) <= 120:
                yield title
        elif element.tag == "a":
            url = element.get("href") or ""
            if cites(url, _text(element), _words_before(element), site):
                yield domain(url)
        else:
            url = element.get("cite") or ""
            if cites(url, "étude", "", site):  # a quotation's origin cites by definition
                yield domain(url)


def bare_url_mentions(text: str, site: str = "") -> Iterator[tuple[int, str]]:
    """Bare URLs of the text that cite, judged by the words of their sentence right before them."""
    for match in BARE_URL.finditer(text):
        start = max((m.end() for m in _SENTENCE_END.finditer(text, max(0, match.start() - BEFORE), match.start())),
                    default=max(0, match.start() - BEFORE))
        if cites(match.group(), "", text[start:match.start()], site):
            yield match.start(), domain(match.group())


def cites(url: str, anchor: str, before: str, site: str = "") -> bool:
    """Whether a link cites: its anchor or the words of its sentence just before it name what it
    carries ("la note de conjoncture", "selon cette étude : https://…"); a link on a term that only
    glosses it (a Wikipedia page on "FIFO") or on a product, a page to read next, does not."""
    host = domain(url)
    if not host or host in SHORTENERS or _on(host, PLATFORMS) or "/wp-content/" in url:
        return False
    if site and (host == site or host.endswith("." + site) or site.endswith("." + host)):
        return False  # the site's own pages and uploads
    path = urlsplit(url.strip()).path
    if path.strip("/") == "" or re.fullmatch(r"/?(?:index\.\w+|[a-z]{2}/?)", path):
        return False  # a home page cites nothing
    return bool(_LINK_CUE.search(anchor) or _CITING_CUE.search(before))


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
    return host in hosts or any(host.endswith("." + h) for h in hosts)


BEFORE = 60  # characters of a link's sentence, before it, that may say what it cites


def _words_before(element) -> str:
    """The words of its sentence just before a link's anchor, read backwards from the link over
    its previous siblings and up to its block: a few dozen characters, whatever the block's size."""
    pieces: list[str] = []
    size = 0
    node = element
    while node is not None and size < BEFORE:
        previous = node.getprevious()
        if previous is not None:
            for piece in (previous.tail or "", _text(previous)[-BEFORE:]):
                pieces.append(piece)
                size += len(piece)
            node = previous
            continue
        parent = node.getparent()
        if parent is None:
            break
        pieces.append(parent.text or "")
        size += len(parent.text or "")
        if parent.tag in BLOCKS:
            break
        node = parent
    before = "".join(reversed(pieces))[-2 * BEFORE:]
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
    return before[sentence_start:][-BEFORE:]


def _text(element) -> str:
    return "".join(element.itertext())

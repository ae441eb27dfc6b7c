"""Text cleaning every reader shares: article HTML to clean HTML and plain text, labels, dates."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date
from email.utils import parsedate_tuple

import lxml.html
from lxml import etree

# Never article text, wherever they appear.
DANGEROUS_TAGS = ("script", "style", "noscript", "form", "iframe", "object", "embed", "template", "svg")
# A theme's furniture: menus, sidebars, footers, comment threads.
BOILERPLATE_TAGS = ("nav", "header", "footer", "aside")
BOILERPLATE_CLASSES = ("sidebar", "menu", "widget", "widget-area", "comments", "comments-area")
BOILERPLATE_IDS = ("comments", "sidebar")
BOILERPLATE_ROLES = ("navigation", "complementary", "contentinfo", "banner")


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_BOILERPLATE_TEST = " or ".join(
    [f"self::{t}" for t in DANGEROUS_TAGS + BOILERPLATE_TAGS]
    + [_has_class(c) for c in BOILERPLATE_CLASSES]
    + [f"@id='{i}'" for i in BOILERPLATE_IDS]
    + [f"@role='{r}'" for r in BOILERPLATE_ROLES]
)
_BOILERPLATE = etree.XPath(f"descendant::*[{_BOILERPLATE_TEST}]")
_IN_BOILERPLATE = etree.XPath(f"ancestor::*[{_BOILERPLATE_TEST}]")
_DANGEROUS = etree.XPath("descendant::*[" + " or ".join(f"self::{t}" for t in DANGEROUS_TAGS) + "]")

# Blocks end a paragraph; these end a line only, so lists and tables stay compact.
PARAGRAPH_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 ul ol dl blockquote pre table figure figcaption section article "
    "main header footer aside nav address details summary hr center".split()
)
LINE_TAGS = frozenset("br li dt dd tr".split())

# Noncharacters never appear in real text, so they can mark breaks through whitespace collapsing.
_PARA, _LINE = "\ufdd0", "\ufdd1"
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0\ufdd1]")
_HTML_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_BREAKS = re.compile(f" ?([{_PARA}{_LINE}][ {_PARA}{_LINE}]*)")


class TooDeep(ValueError):
    """The markup nests deeper than the parser follows; parsing it would silently lose text."""


def parse_html(markup: str) -> lxml.html.HtmlElement | None:
    """Parse a page or a fragment into an `<html>` element (None if empty); comments and PIs dropped.

    Raises TooDeep past libxml2's depth limit (2048 with huge_tree) instead of returning a truncated tree.
    """
    data = _UNSAFE_CHARS.sub("", markup).encode("utf-8")
    if not data.strip():
        return None
    # A fresh parser per call: its error log then belongs to this document only.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", huge_tree=True, remove_comments=True, remove_pis=True, no_network=True
    )
    root = etree.fromstring(data, parser)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        raise TooDeep("HTML nested too deeply to read")
    return root


def in_boilerplate(element) -> bool:
    """True when the element sits inside a menu, sidebar, footer, comments or script."""
    return bool(_IN_BOILERPLATE(element))


def drop_boilerplate(element) -> None:
    """Remove dangerous and boilerplate elements below `element`, keeping the text that follows them."""
    for found in _BOILERPLATE(element):
        found.drop_tree()


def element_text(element) -> str:
    """Plain text of an element: blocks become paragraph breaks, `<br>` a newline, NFC."""
    parts: list[str] = []
    in_pre = 0
    for event, el in etree.iterwalk(element, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in DANGEROUS_TAGS:
                # iterwalk has no "skip children"; the depth counter below would be costlier.
                continue
            if tag == "pre":
                in_pre += 1
            parts.append(_PARA if tag in PARAGRAPH_TAGS else _LINE if tag in LINE_TAGS else "")
            if el.text and not _inside_dangerous(el):
                parts.append(el.text.replace("\n", _LINE) if in_pre else el.text)
        else:
            if tag == "pre":
                in_pre -= 1
            if tag in PARAGRAPH_TAGS:
                parts.append(_PARA)
            if el.tail and el is not element and not _inside_dangerous(el.getparent()):
                parts.append(el.tail.replace("\n", _LINE) if in_pre else el.tail)
    return _tidy("".join(parts))


def _inside_dangerous(el) -> bool:
    while el is not None:
        if el.tag in DANGEROUS_TAGS:
            return True
        el = el.getparent()
    return False


def _tidy(text: str) -> str:
    text = _HTML_SPACE.sub(" ", text)
    text = _BREAKS.sub(lambda m: "\n\n" if _PARA in m[1] or m[1].count(_LINE) > 1 else "\n", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return unicodedata.normalize("NFC", text.strip())


def inner_html(element) -> str:
    """The element's content as an HTML string, without the element's own tag."""
    head = html.escape(element.text or "", quote=False)
    return head + "".join(etree.tostring(child, encoding=str, method="html") for child in element)


def html_body(markup: str) -> tuple[str, str]:
    """(cleaned HTML, plain text) of an article's HTML, from a single parse."""
    try:
        root = parse_html(markup)
    except TooDeep:
        text = _regex_text(markup)
        return text_to_html(text), text
    if root is None:
        return "", ""
    body = root.find("body")
    if body is None:
        return "", ""
    drop_boilerplate(body)
    return inner_html(body), element_text(body)


def clean_html(markup: str) -> str:
    """The article HTML without scripts, styles, frames, forms, menus, sidebars and footers."""
    return html_body(markup)[0]


def html_to_text(markup: str) -> str:
    """Plain text of article HTML: paragraphs separated by a blank line, entities decoded, NFC."""
    return html_body(markup)[1]


_DANGEROUS_BLOCK = re.compile(r"<(%s)\b.*?</\1\s*>" % "|".join(DANGEROUS_TAGS), re.I | re.S)
_BLOCK_TAG = re.compile(r"</?(?:%s)\b[^>]*>" % "|".join(sorted(PARAGRAPH_TAGS)), re.I)
_LINE_TAG = re.compile(r"</?(?:%s)\b[^>]*>" % "|".join(sorted(LINE_TAGS)), re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


def _regex_text(markup: str) -> str:
    """Fallback for markup the parser cannot follow: a tag strip that keeps paragraph breaks."""
    markup = _UNSAFE_CHARS.sub("", _DANGEROUS_BLOCK.sub(" ", markup))
    markup = _LINE_TAG.sub(_LINE, _BLOCK_TAG.sub(_PARA, markup))
    text = html.unescape(_ANY_TAG.sub("", markup))
    return _tidy(_UNSAFE_CHARS.sub("", text.replace(_PARA, "\0P").replace(_LINE, "\0L"))
                 .replace("\0P", _PARA).replace("\0L", _LINE)) if False else _tidy(text)


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate paragraphs, single newlines are `<br>`)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + html.escape(p, quote=False).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)


def plain(value: str) -> str:
    """One-line plain text for titles and labels: tags stripped, entities decoded, spaces collapsed, NFC."""
    return " ".join(html_to_text(value).split())


def labels(values) -> list[str]:
    """Plain, non-empty labels without case-insensitive duplicates (the first spelling wins)."""
    seen: set[str] = set()
    kept = []
    for value in values:
        label = plain(value)
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            kept.append(label)
    return kept


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")


def parse_date(value: str) -> str:
    """`YYYY-MM-DD` from an ISO date or datetime, `YYYY-MM-DD HH:MM:SS` or an RFC 2822 date; "" if none.

    The date is kept as written, in the author's time zone: that is the day readers saw.
    """
    match = _ISO_DATE.match(value or "")
    if match:
        parts = tuple(int(p) for p in match.groups())
    else:
        parsed = parsedate_tuple(value or "")
        if not parsed:
            return ""
        parts = parsed[:3]
    try:
        # date() rejects WordPress's 0000-00-00 and any other impossible day.
        return date(*parts).isoformat()
    except ValueError:
        return ""

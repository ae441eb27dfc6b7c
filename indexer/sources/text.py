"""Text cleaning every reader shares: article HTML to clean HTML and plain text, labels, dates."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date
from email.utils import parsedate

from lxml import etree

# Never article text, wherever they appear.
DANGEROUS_TAGS = ("script", "style", "noscript", "form", "iframe", "object", "embed", "template", "svg")
# A theme's furniture: menus, sidebars, footers, comment threads.
BOILERPLATE_TAGS = ("nav", "header", "footer", "aside")
BOILERPLATE_CLASSES = ("sidebar", "menu", "widget", "widget-area", "comments", "comments-area")
# Older themes name their furniture by id.
BOILERPLATE_IDS = ("comments", "sidebar", "header", "footer", "menu", "nav", "navigation")
BOILERPLATE_ROLES = ("navigation", "complementary", "contentinfo", "banner")


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_BOILERPLATE_ATTRS = " or ".join(
    [_has_class(c) for c in BOILERPLATE_CLASSES]
    + [f"@id='{i}'" for i in BOILERPLATE_IDS]
    + [f"@role='{r}'" for r in BOILERPLATE_ROLES]
)
_BOILERPLATE_BY_ATTRS = etree.XPath(f"descendant::*[@class or @id or @role][{_BOILERPLATE_ATTRS}]")
_IN_BOILERPLATE = etree.XPath(
    "ancestor::*[" + " or ".join(f"self::{t}" for t in DANGEROUS_TAGS + BOILERPLATE_TAGS) + f" or {_BOILERPLATE_ATTRS}]"
)

# Blocks end a paragraph; these end a line only, so lists and tables stay compact.
PARAGRAPH_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 ul ol dl blockquote pre table figure figcaption section article "
    "main header footer aside nav address details summary hr center".split()
)
LINE_TAGS = frozenset("br li dt dd tr".split())

# Noncharacters never appear in real text, so they can mark breaks through whitespace collapsing.
_PARA, _LINE = "\ufdd0", "\ufdd1"
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0\ufdd1\ufeff]")
_SPACES = re.compile("  +")
_BREAKS = re.compile(f"[{_PARA}{_LINE}][ {_PARA}{_LINE}]*")


class TooDeep(ValueError):
    """The markup nests deeper than the parser follows; parsing it would silently lose text."""


def parse_html(markup: str) -> etree._Element | None:
    """Parse a page or a fragment into an `<html>` element (None if empty); comments and PIs dropped.

    Raises TooDeep past libxml2's depth limit (2048 with huge_tree) instead of returning a truncated tree.
    """
    data = _UNSAFE_CHARS.sub("", markup).encode("utf-8")
    if not data.strip():
        return None
    # A fresh parser per call: its error log then belongs to this document only.
    # etree's parser, not lxml.html's: its Python element classes make a big body 2x slower to walk.
    parser = etree.HTMLParser(
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
    # iter() by tag name is near free (lxml skips names the document never uses); one XPath for attributes.
    for found in list(element.iter(*DANGEROUS_TAGS, *BOILERPLATE_TAGS)) + _BOILERPLATE_BY_ATTRS(element):
        if found is not element:
            drop(found)


def drop(element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def element_text(element) -> str:
    """Plain text of an element: blocks become paragraph breaks, `<br>` a newline, NFC."""
    parts: list[str] = []
    in_pre = 0
    hidden = 0  # depth inside a script, style or other dangerous element
    for event, el in etree.iterwalk(element, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if hidden or tag in DANGEROUS_TAGS:
                hidden += 1
                continue
            in_pre += tag == "pre"
            parts.append(_PARA if tag in PARAGRAPH_TAGS else _LINE if tag in LINE_TAGS else "")
            if el.text:
                parts.append(el.text.replace("\n", _LINE) if in_pre else el.text)
            continue
        if hidden:
            hidden -= 1
            if hidden:
                continue
        else:
            in_pre -= tag == "pre"
            if tag in PARAGRAPH_TAGS:
                parts.append(_PARA)
        if el.tail and el is not element:
            parts.append(el.tail.replace("\n", _LINE) if in_pre else el.tail)
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    # str.replace and a literal-led pattern: a character-class regex is 10x slower on a 50 MB body.
    for space in "\t\n\r\f\v":
        text = text.replace(space, " ")
    text = _SPACES.sub(" ", text)
    text = _BREAKS.sub(lambda m: "\n\n" if _PARA in m[0] or m[0].count(_LINE) > 1 else "\n", text)
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
    return _tidy(html.unescape(_ANY_TAG.sub("", markup)))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate paragraphs, single newlines are `<br>`)."""
    paragraphs = _paragraphs(text)
    return "".join("<p>" + html.escape(p, quote=False).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)


def plain_body(text: str) -> tuple[str, str]:
    """(HTML, plain text) of a plain-text body: what `html_body(text_to_html(text))` gives,
    without the parse (a third of reading a JSON Lines article)."""
    markup = text_to_html(text)
    # text_to_html's paragraphs, then what the parser drops from them (parse_html).
    paragraphs = [_UNSAFE_CHARS.sub("", p) for p in _paragraphs(text)]
    return markup, _tidy(_PARA.join(p.replace("\n", _LINE + " ") for p in paragraphs))


def plain(value: str) -> str:
    """One-line plain text for titles and labels: tags stripped, entities decoded, spaces collapsed, NFC."""
    if "<" not in value and "&" not in value:
        return _tidy(value)  # no markup: no parser needed (most tags and names)
    # Only line breaks and runs of spaces go: a no-break space before « ? » stays as written.
    return _SPACES.sub(" ", html_to_text(value).replace("\n", " "))


def labels(values) -> list[str]:
    """Plain, non-empty labels (tags, categories); `finish` removes the duplicates."""
    return [label for label in map(plain, values) if label]


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")


def parse_date(value: str) -> str:
    """`YYYY-MM-DD` from an ISO date or datetime, `YYYY-MM-DD HH:MM:SS` or an RFC 2822 date; "" if none.

    The date is kept as written, in the author's time zone: that is the day readers saw.
    """
    match = _ISO_DATE.match(value or "")
    if match:
        parts = tuple(int(p) for p in match.groups())
    else:
        parsed = parsedate(value or "")
        if not parsed:
            return ""
        parts = parsed[:3]
    try:
        # date() rejects WordPress's 0000-00-00 and any other impossible day.
        return date(*parts).isoformat()
    except ValueError:
        return ""

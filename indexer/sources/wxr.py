"""WordPress export (WXR) reader: published posts and pages, streamed from safely parsed XML."""

from __future__ import annotations

import codecs
import mmap
import re
from collections.abc import Iterator

from lxml import etree

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import Reader
from indexer.sources.text import html_body, labels, parse_date, plain

WP_NAMESPACE = re.compile(r"^http://wordpress\.org/export/1\.\d+/$")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
INDEXED_TYPES = ("post", "page")

# No entity is expanded, no DTD or network fetched: XXE and billion laughs have nothing to work with.
_SAFE_XML = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_CHUNK = 1 << 20
_HEAD = 1 << 16
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# An estimate for progress bars: items that can be indexed, before their status is read.
_INDEXED_TYPE = re.compile(rb"<wp:post_type>(?:<!\[CDATA\[)?(?:post|page)(?:\]\]>)?</wp:post_type>")


class WxrReader(Reader):
    """Published (`publish`, no password) posts and pages of a WordPress export; everything else is excluded."""

    kind = "wxr"

    def __init__(self, path: str):
        self.wp = _check_head(path)
        super().__init__(path)

    def count(self) -> int:
        with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return sum(1 for _ in _INDEXED_TYPE.finditer(data))

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        authors: dict[str, str] = {}  # login -> display name, from the <wp:author> entries
        items = 0
        try:
            for element in self._elements():
                if element.tag == "item":
                    items += 1
                    record = self._item(element, authors, items)
                    if record:
                        yield record
                else:
                    login = (element.findtext(f"{{{self.wp}}}author_login") or "").strip()
                    authors[login] = plain(element.findtext(f"{{{self.wp}}}author_display_name") or "")
                _forget(element)
        except etree.XMLSyntaxError as error:
            # A cut-off export must not quietly replace a full index: the items before the break
            # have been yielded, the source as a whole is refused.
            raise SourceError(
                f"{self.path}: XML breaks off at line {error.lineno} after {items} items ({_reason(error)})"
            ) from None
        except OSError as error:
            raise SourceError(f"{self.path}: cannot read ({error.strerror})") from None

    def _elements(self) -> Iterator[etree._Element]:
        """`<item>` and `<wp:author>` elements as each ends; the ones before a syntax error come first."""
        parser = etree.XMLPullParser(events=("end",), tag=("item", f"{{{self.wp}}}author"), **_SAFE_XML)
        try:
            with open(self.path, "rb") as f:
                for chunk in _readable_chunks(f):
                    parser.feed(chunk)
                    yield from (element for _, element in parser.read_events())
                parser.close()
        except etree.XMLSyntaxError:
            yield from (element for _, element in parser.read_events())
            raise
        yield from (element for _, element in parser.read_events())

    def _item(self, item, authors: dict[str, str], number: int) -> tuple[str, Article | Skipped] | None:
        def wp(name: str) -> str:
            return (item.findtext(f"{{{self.wp}}}{name}") or "").strip()

        post_id, post_type, status = wp("post_id"), wp("post_type"), wp("status")
        if post_type not in INDEXED_TYPES:
            reason = f"post type {post_type or '(none)'}"
        elif status != "publish":
            reason = f"status {status or '(none)'}"
        elif wp("post_password"):
            reason = "password-protected"
        else:
            reason = None
        if reason:
            self.excluded[reason] += 1
            return None
        where = f"item {post_id}" if post_id else f"item #{number} (line {item.sourceline})"
        if not post_id:
            return where, Skipped(where, "no wp:post_id")

        body_html, body = html_body(wordpress_html(item.findtext(f"{{{CONTENT_NS}}}encoded") or ""))
        terms: dict[str, list[str]] = {"post_tag": [], "category": []}
        for category in item.iterfind("category"):
            if category.get("domain") in terms:
                terms[category.get("domain")].append(category.text or "")
        creator = (item.findtext(f"{{{DC_NS}}}creator") or "").strip()
        article = Article(
            id=post_id,
            title=plain(item.findtext("title") or ""),
            body=body,
            body_html=body_html,
            url=(item.findtext("link") or "").strip(),
            date=parse_date(wp("post_date")) or parse_date(item.findtext("pubDate") or ""),
            author=authors.get(creator) or plain(creator),
            tags=labels(terms["post_tag"]),
            categories=labels(terms["category"]),
        )
        return where, article


def _check_head(path: str) -> str:
    """The export's wp namespace; SourceError for a DTD, a non-WXR root or XML broken before the root."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
            first = _FIRST_ELEMENT.search(head)
            if _DOCTYPE.search(head, 0, first.start() if first else len(head)):
                raise SourceError(f"{path}: DTD not allowed in a WordPress export")
            f.seek(0)
            parser = etree.XMLPullParser(events=("start",), **_SAFE_XML)
            for chunk in _readable_chunks(f):
                parser.feed(chunk)
                for _, root in parser.read_events():
                    return _wp_namespace(path, root)
            parser.close()
    except etree.XMLSyntaxError as error:
        raise SourceError(f"{path}: not well-formed XML (line {error.lineno}: {_reason(error)})") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    raise SourceError(f"{path}: no XML element in the file")


def _wp_namespace(path: str, root) -> str:
    # The head scan misses a DOCTYPE after 64 KB of prolog or in UTF-16; the parser's docinfo does not.
    if root.getroottree().docinfo.doctype:
        raise SourceError(f"{path}: DTD not allowed in a WordPress export")
    name = etree.QName(root).localname
    if name != "rss":
        raise SourceError(f"{path}: not a WordPress export (root element <{name}>, expected <rss>)")
    for uri in root.nsmap.values():
        if WP_NAMESPACE.match(uri):
            return uri
    raise SourceError(f"{path}: an RSS feed, not a WordPress export (no wp: namespace)")


def _reason(error: etree.XMLSyntaxError) -> str:
    """libxml2's message on one line, without the position it repeats and the text it quotes."""
    return re.sub(r", line \d+, column \d+$", "", error.msg.splitlines()[0] if error.msg else "syntax error")


def _readable_chunks(f) -> Iterator[bytes]:
    """The file in chunks, with invalid UTF-8 bytes replaced by U+FFFD rather than failing the export."""
    head = f.read(_CHUNK)
    declared = _DECLARED_ENCODING.match(head)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        declared and declared[1].lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")
    ):
        yield head  # another encoding: the parser decodes it
        yield from iter(lambda: f.read(_CHUNK), b"")
        return
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    data = head
    while data:
        yield decoder.decode(data).encode("utf-8")
        data = f.read(_CHUNK)
    yield decoder.decode(b"", final=True).encode("utf-8")


def _forget(element) -> None:
    """Free a handled element and everything before it, so a large export is never held in memory."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]


# --- WordPress content: shortcodes, block comments and wpautop paragraphs -------------------------

_COMMENT = re.compile(r"<!--.*?-->", re.S)  # Gutenberg block delimiters, <!--more-->, editors' notes
# Media shortcodes carry no text: drop them with whatever they wrap.
_MEDIA_SHORTCODE = re.compile(
    r"\[(gallery|embed|audio|video|playlist)\b[^\]]*\](?:(?:(?!\[\1\b).)*?\[/\1\])?", re.S | re.I
)
_SHORTCODE_TAG = re.compile(r"\[(/?)([a-z][a-z0-9_-]*)(\s[^\[\]]*)?/?\]")
# Shortcodes that come alone, without attributes or a closing tag; anything else in square
# brackets, like « [sic] » or « [NDLR] », is the author's text.
_BARE_SHORTCODES = ("caption", "wp_caption", "contact-form-7", "toc")
_BLOCK_MARKUP = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tr|td|th|figure|figcaption"
    r"|hr|address|section|article|aside|header|footer|nav|details|summary|form|iframe|script|style)\b",
    re.I,
)


def wordpress_html(content: str) -> str:
    """A post's `content:encoded` as ordinary HTML: no shortcodes or comments, paragraphs as `<p>`."""
    content = _COMMENT.sub("", content)
    content = _MEDIA_SHORTCODE.sub("", content)
    closed = set(re.findall(r"\[/([a-z][a-z0-9_-]*)\]", content))

    def shortcode_tag(match: re.Match) -> str:
        slash, name, attributes = match[1], match[2], match[3] or ""
        if slash or name in closed or name in _BARE_SHORTCODES or "=" in attributes or "://" in attributes:
            return ""  # the tag goes, the text it wraps (a caption) stays
        return match[0]

    return autop(_SHORTCODE_TAG.sub(shortcode_tag, content))


def autop(content: str) -> str:
    """WordPress's wpautop, simplified: blank lines separate paragraphs, single newlines are `<br>`.

    A chunk that already holds block markup (Gutenberg blocks, lists, headings) is left as written.
    """
    paragraphs = []
    for chunk in re.split(r"\n[ \t]*\n", content.replace("\r\n", "\n")):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _BLOCK_MARKUP.search(chunk):
            paragraphs.append(chunk)
        else:
            paragraphs.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n\n".join(paragraphs)

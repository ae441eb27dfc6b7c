"""Markdown/text folder reader: one article per file, YAML front matter, Markdown rendered without a dependency."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import yaml

from indexer.article import Article, Skipped
from indexer.sources import TEXT_SUFFIXES, Reader, article_files, exclusion, file_id
from indexer.sources.text import html_body, labels, parse_date, plain


class BadFile(ValueError):
    """A file that cannot become an article; `where` may point at a line."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.line = line


class MarkdownReader(Reader):
    """`.md`, `.markdown` and `.txt` files below a folder; drafts and unpublished files are excluded."""

    kind = "markdown"

    def count(self) -> int:
        return len(article_files(Path(self.path), TEXT_SUFFIXES))

    def records(self) -> Iterator[tuple[str, Article | Skipped]]:
        folder = Path(self.path)
        for file in article_files(folder, TEXT_SUFFIXES):
            where = file.relative_to(folder).as_posix()
            try:
                article = self._article(file, file_id(folder, file))
            except BadFile as bad:
                yield where, Skipped(f"{where}:{bad.line}" if bad.line else where, str(bad))
                continue
            if article is not None:
                yield where, article

    def _article(self, file: Path, article_id: str) -> Article | None:
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise BadFile(f"not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start})") from None
        except OSError as error:
            raise BadFile(f"cannot read ({error.strerror})") from None
        meta, markdown = front_matter(text)
        why = exclusion(meta)
        if why:
            self.excluded[why] += 1
            return None
        rendered = render_markdown(markdown)
        title = plain(_text(meta, "title"))
        if not title:
            heading = _FIRST_H1.search(rendered)
            if heading:
                title = plain(heading[1])
                rendered = rendered[: heading.start()] + rendered[heading.end():]
        dated_name = _DATED_NAME.match(file.stem)
        if not title:
            title = (dated_name[2] if dated_name else file.stem).replace("-", " ").replace("_", " ").strip()
        body_html, body = html_body(rendered)
        return Article(
            id=article_id,
            title=title,
            body=body,
            body_html=body_html,
            url=_text(meta, "url").strip(),
            date=parse_date(_text(meta, "date")) or (parse_date(dated_name[1]) if dated_name else ""),
            author=plain(_text(meta, "author")),
            tags=labels(_labels(meta, "tags")),
            categories=labels(_labels(meta, "categories")),
        )


_FIRST_H1 = re.compile(r"<h1>(.*?)</h1>\n?", re.S)
_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")  # Jekyll's 2015-03-28-titre.md


def front_matter(text: str) -> tuple[dict, str]:
    """(YAML front matter as a dict, the rest of the file); BadFile for YAML that does not read."""
    if not re.match(r"---[ \t]*\n", text):
        return {}, text
    end = re.compile(r"^(?:---|\.\.\.)[ \t]*$\n?", re.M).search(text, text.index("\n") + 1)
    if not end:
        raise BadFile("front matter opened with --- is never closed", 1)
    try:
        meta = yaml.safe_load(text[text.index("\n") + 1: end.start()])
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise BadFile(f"bad YAML front matter: {problem}", mark.line + 2 if mark else 1) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise BadFile(f"front matter is not a mapping but {type(meta).__name__}", 2)
    return meta, text[end.end():]


def _text(meta: dict, name: str) -> str:
    value = meta.get(name)
    if value is None:
        return ""
    if isinstance(value, (str, int, float, date)) and not isinstance(value, bool):
        return str(value)
    raise BadFile(f"front matter {name} must be text, not {type(value).__name__}")


def _labels(meta: dict, name: str) -> list[str]:
    value = meta.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise BadFile(f"front matter {name} must be a list or a comma-separated string")


# --- Markdown to HTML: enough for search (text, headings, quotes, lists, links), nothing more ---------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_REFERENCE = re.compile(r"""^ {0,3}\[([^\]]{1,200})\]:[ \t]*<?(\S+?)>?(?:[ \t]+["'(].*["')])?[ \t]*$""")


def render_markdown(text: str) -> str:
    """Markdown as simple HTML; raw HTML passes through (the cleaner removes what must go).

    Line by line, without recursion, so hostile nesting (thousands of `>`) costs nothing.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    references = {}
    for line in lines:
        found = _REFERENCE.match(line)
        if found:
            references[found[1].strip().lower()] = found[2]
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    quote: list[str] = []

    def inline(s: str) -> str:
        return render_inline(s, references)

    def close_open_blocks() -> None:
        if paragraph:
            blocks.append(f"<p>{inline(chr(10).join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
        if quote:
            blocks.append(f"<blockquote><p>{inline(chr(10).join(quote))}</p></blockquote>")
            quote.clear()

    fence = ""
    code: list[str] = []
    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                blocks.append("<pre><code>" + html.escape("\n".join(code), quote=False) + "</code></pre>")
                fence, code = "", []
            else:
                code.append(line)
            continue
        opening = _FENCE.match(line)
        if opening:
            close_open_blocks()
            fence = opening[1]
            continue
        if not line.strip() or _REFERENCE.match(line) or _TABLE_RULE.match(line) and "|" in line:
            close_open_blocks()
            continue
        if paragraph and _SETEXT.match(line):
            level = 1 if line.strip()[0] == "=" else 2
            blocks.append(f"<h{level}>{inline(' '.join(paragraph))}</h{level}>")
            paragraph.clear()
            continue
        heading, rule, quoted, item = _ATX.match(line), _RULE.match(line), _QUOTE.match(line), _ITEM.match(line)
        if heading:
            close_open_blocks()
            level = len(heading[1])
            blocks.append(f"<h{level}>{inline(heading[2] or '')}</h{level}>")
        elif rule:
            close_open_blocks()
            blocks.append("<hr>")
        elif quoted:
            if not quote:
                close_open_blocks()
            quote.append(line[quoted.end():])
        elif item:
            if not items:
                close_open_blocks()
            items.append(item[1])
        elif items and line[:1] in " \t":
            items[-1] += "\n" + line.strip()
        else:
            if items or quote:
                close_open_blocks()
            paragraph.append(line)
    if fence:  # an unclosed fence runs to the end of the file, as in CommonMark
        blocks.append("<pre><code>" + html.escape("\n".join(code), quote=False) + "</code></pre>")
    close_open_blocks()
    return "\n".join(blocks)


# Bounded repetitions: a line of ten thousand `*` or `[` must not cost quadratic time.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_CODE_SPAN = re.compile(r"(`+)(.{1,2000}?)\1", re.S)
_AUTOLINK = re.compile(r"<(https?://[^\s<>]{1,2000})>")
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\](?:\([^)\n]{0,2000}\)|\[[^\]\n]{0,200}\])")
_LINK = re.compile(r"""\[([^\]\n]{1,500})\]\([ \t]*<?([^)\s>]{1,2000})>?(?:[ \t]+["'][^"'\n]{0,500}["'])?[ \t]*\)""")
_REFERENCE_LINK = re.compile(r"\[([^\]\n]{1,500})\](?:\[([^\]\n]{0,200})\])?")
_BARE_URL = re.compile(r"""(?<![\w"'=/>])https?://[^\s<>"'\x00]{1,2000}""")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,1000}?)(?<=\S)\1", re.S)
_EM_STAR = re.compile(r"\*(?=[^\s*])(.{1,1000}?)(?<=[^\s*])\*", re.S)
_EM_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.{1,1000}?)(?<=\S)_(?!\w)", re.S)
_STRIKE = re.compile(r"~~(?=\S)(.{1,1000}?)(?<=\S)~~", re.S)
_HELD = re.compile(r"\x00(\d+)\x00")


def render_inline(text: str, references: dict[str, str]) -> str:
    """Inline Markdown as HTML: links keep their URL in `<a href>`, images go, emphasis becomes tags."""
    held: list[str] = []

    def hold(markup: str) -> str:
        # Rendered pieces wait behind a placeholder so later rules cannot touch their text or URL.
        held.append(markup)
        return f"\x00{len(held) - 1}\x00"

    def link(url: str, label: str) -> str:
        return hold(f'<a href="{html.escape(url)}">') + label + hold("</a>")

    def reference(match: re.Match) -> str:
        url = references.get((match[2] or match[1]).strip().lower())
        return link(url, match[1]) if url else match[0]  # « [sic] » is text, not a link

    def bare_url(match: re.Match) -> str:
        url = match[0].rstrip(".,;:!?)»")
        return link(url, hold(html.escape(url, quote=False))) + match[0][len(url):]

    text = text.replace("\x00", "")
    text = _ESCAPED.sub(lambda m: hold(html.escape(m[1])), text)
    text = _CODE_SPAN.sub(lambda m: hold("<code>" + html.escape(m[2].strip(), quote=False) + "</code>"), text)
    text = _AUTOLINK.sub(lambda m: link(m[1], hold(html.escape(m[1], quote=False))), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: link(m[2], m[1]), text)
    text = _REFERENCE_LINK.sub(reference, text)
    text = _BARE_URL.sub(bare_url, text)
    text = _STRONG.sub(r"<strong>\2</strong>", text)
    text = _EM_STAR.sub(r"<em>\1</em>", text)
    text = _EM_UNDERSCORE.sub(r"<em>\1</em>", text)
    text = _STRIKE.sub(r"<del>\1</del>", text)
    while _HELD.search(text):  # a held piece may hold an earlier one (an escape inside a URL)
        text = _HELD.sub(lambda m: held[int(m[1])], text)
    return text

"""Quoted sources: the studies, surveys, organisations, outlets and people an article cites.

Owns `extract_sources` (what fills `Article.sources`) and the spelling rules of the source facet
(`source_key`, `merge_spellings`), so that one facet value stands for "Fevad" and "FEVAD".

A name is a source only where a citation cue makes it one (cues.py: "selon", a verb of saying
and its speaker, a speaker before a quote, a study and its maker, an outlet, an attributing
parenthesis) and only if it looks like a name (names.py); text in `<code>`, `<pre>`, `<kbd>`
never yields one, and a link counts only when it cites (links.py). Capitalised words elsewhere
(headings, acronyms, options, shortcuts, places in parentheses, products) are text.

Rules, not a statistical model, chosen on the numbers of the labelled set in
bench/sources_eval (see BENCHMARKS.md, "Sources facet quality"): CHOICE_NOTE below says why.

Values are shown as the article writes them, with two exceptions: a study word, a civility, a
leading article and a year are dropped (``Enquête CEGOS 2012`` -> ``CEGOS``, ``M. Aubusson`` ->
``Aubusson``, ``la Fevad`` -> ``Fevad``; a capitalised article stays inside a sentence,
``selon Le Monde``), an organisation given with its acronym is its acronym (``la Confédération
des petites et moyennes entreprises (CPME)`` -> ``CPME``), and a few well-known names that French
writers spell several ways are given their own spelling (``Mac Kinsey`` -> ``McKinsey``).

Every repetition is bounded, and names are matched atomically (never given back), so hostile input
(megabytes of text, thousands of parentheses) costs linear time.
"""

from __future__ import annotations

import unicodedata

from indexer.sources.quotes import cues, links
from indexer.sources.quotes.names import cleaned, is_name
from indexer.sources.quotes.spelling import canonical, merge_spellings, source_key, without_short_forms

__all__ = ["QUOTES_VERSION", "extract_sources", "merge_spellings", "source_key"]

# Bump when the rules change: an incremental build then finds every article's sources again.
QUOTES_VERSION = "2"

CHOICE_NOTE = ""


def extract_sources(text: str, html: str = "", url: str = "") -> list[str]:
    """The sources an article cites, de-duplicated, in order of first appearance.

    `text` is the plain text; `html`, when given, removes what code elements hold and adds what
    only markup says (cited titles, quotation origins, citing links), after the sources found in
    the text. `url`, the article's own address, keeps its site's links out.
    """
    body = links.parse(html)
    site = links.site_of(url) if url else ""
    if body is not None:
        text = links.text_without_code(body) or text
    text = _matchable(text)
    found = sorted(list(cues.mentions(text)) + list(links.bare_url_mentions(text, site)), key=lambda m: m[0])
    names = [name for _, name in found]
    if body is not None:
        names.extend(name for name in links.markup_mentions(body, site) if is_name(cleaned(name)) or "." in name)
    return without_short_forms(merge_spellings(canonical(name) for name in names))


def _matchable(text: str) -> str:
    """NFC with plain spaces (non-breaking spaces around « » must not defeat a pattern), after a
    newline so that the patterns that start with a space or a line break see the first word too."""
    return "\n" + unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")

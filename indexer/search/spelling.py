"""Did-you-mean: a misspelt query rewritten in the archive's own spelling, accents included.

A word is taken as misspelt when no article holds it: none of its terms is in the index.
Its correction is the archive word nearest in edit distance, then the most used, shown as
the archive writes it: `numerqiue` -> `numérique`.
"""

from __future__ import annotations

from indexer.analysis import FOLDED_STOP_WORDS, analyze_word, fold, normalize, word_spans
from indexer.schema import SEARCHED_FIELDS
from indexer.search.scoring import term_cache
from indexer.storage.store import Generation

MIN_WORD = 3
CANDIDATES = 5  # nearest words tried, most used first


def correct_query(generation: Generation, q: str) -> str | None:
    """The query with its misspelt words corrected, or None when nothing needs it."""
    text = normalize(q)
    out, last = [], 0
    for start, end, word in word_spans(text):
        folded = fold(word)
        if (_is_syntax(text, start, end, word) or len(folded) < MIN_WORD or folded.isdigit()
                or folded in FOLDED_STOP_WORDS or _in_index(generation, word)):
            continue
        # The lexicon also remembers words of articles since deleted: a correction must find some.
        better = next((w for w in generation.lexicon.nearest(folded)[:CANDIDATES]
                       if _in_index(generation, generation.lexicon.surface(w))), None)
        if better is not None:
            out += [text[last:start], generation.lexicon.surface(better)]
            last = end
    if not out:
        return None
    return "".join(out) + text[last:]


def _is_syntax(text: str, start: int, end: int, word: str) -> bool:
    """`OR`, a `field:` name and wildcard words (`prefix*`, `*suffix`) are not words to correct."""
    return word == "OR" or text[end:end + 1] in (":", "*", "?") or text[start - 1:start] in ("*", "?")


def _in_index(generation: Generation, word: str) -> bool:
    """Whether some live article holds every term of `word` (in any searched field), from this
    thread's posting lists (a query's own words were read there by its ranking)."""
    cache = term_cache(generation)
    terms = [p.term for p in analyze_word(word, False)]
    return all(any(len(cache.postings(f, t)[0]) for f in SEARCHED_FIELDS) for t in terms)

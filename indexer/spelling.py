"""Did-you-mean: a misspelt query rewritten in the archive's own spelling, accents included.

A word is taken as misspelt when no article holds it (after folding). Its correction is
the archive word nearest in edit distance, then the most frequent, among folded words
(Whoosh's ReaderCorrector ranks every candidate within the distance by frequency alone);
it is shown as the archive writes it: `numerqiue` -> `numérique`.
"""

from __future__ import annotations

from indexer.analysis import FOLDED_STOP_WORDS, fold, normalize, word_spans
from indexer.store import Generation

MIN_WORD = 3


def correct_query(generation: Generation, q: str) -> str | None:
    """The query with its misspelt words corrected, or None when nothing needs it."""
    text = normalize(q)
    reader = generation.searcher().reader()
    out, last, changed = [], 0, False
    for start, end, word in word_spans(text):
        if _is_syntax(text, start, end, word):
            continue
        folded = fold(word)
        if len(folded) < MIN_WORD or folded.isdigit() or folded in FOLDED_STOP_WORDS:
            continue
        if reader.doc_frequency("words", folded):
            continue
        better = nearest_word(reader, folded)
        if better is None:
            continue
        out.append(text[last:start])
        out.append(generation.spellings.get(better, better))
        last, changed = end, True
    if not changed:
        return None
    out.append(text[last:])
    return "".join(out)


def _is_syntax(text: str, start: int, end: int, word: str) -> bool:
    """`OR`, a `field:` name and wildcard words (`prefix*`, `*suffix`) are not words to correct."""
    return word == "OR" or text[end:end + 1] in (":", "*", "?") or text[start - 1:start] in ("*", "?")


def nearest_word(reader, folded: str) -> str | None:
    maxdist = 1 if len(folded) <= 4 else 2
    for distance in range(1, maxdist + 1):
        candidates = [w for w in reader.terms_within("words", folded, distance, prefix=1) if w != folded]
        if candidates:
            return max(candidates, key=lambda w: (reader.doc_frequency("words", w), w))
    return None

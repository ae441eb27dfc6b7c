"""Snippets: the passage of an article that best shows why it matched, with <mark>ed words.

The snippet is the one HTML field of an answer: the article's text is escaped, and the
only markup added is `<mark>` around matched words. Only the shown results get one.
"""

from __future__ import annotations

from html import escape
from itertools import islice

from indexer.analysis import normalize, word_matches
from indexer.query import Highlight

WINDOW = 40          # words in a snippet
SCAN_CHARS = 200_000  # a huge article is searched for matches in its first part only
SCAN_AFTER_FIRST_MATCH = 600  # words read past the first match, looking for a better window


def make_snippet(text: str, highlight: Highlight, window: int = WINDOW) -> str:
    head = normalize(text[:SCAN_CHARS])  # same length: offsets hold in `text` too
    words, marks = _matched_words(head, highlight, window)
    if not words:
        return ""
    start = _best_window(words, marks, window)
    end = min(len(words), start + window)

    out = ["… "] if start > 0 else []
    pos = words[start][0] if start > 0 else 0  # from the very beginning: leading punctuation included
    for i in range(start, end):
        for s, e, _ in marks.get(i, ()):
            out.append(escape(text[pos:s], quote=False))
            out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
            pos = e
    last_offset, last_word = words[end - 1]
    out.append(escape(text[pos:last_offset + len(last_word)], quote=False))
    if end < len(words) or len(text) > SCAN_CHARS:
        out.append(" …")
    return " ".join("".join(out).split())


def _matched_words(head: str, highlight: Highlight, window: int):
    """The words of `head` as `(offset, word)`, and for each matched word the `(start, end,
    term)` of its matched pieces. Reading stops early once a window holds every query term:
    no later window can be better, and most bodies are read only up to their first match."""
    if not highlight.stems and not highlight.prefixes:  # nothing to mark (no query): the opening
        return [(m.start(), m.group()) for m in islice(word_matches(head), window + 1)], {}
    words: list[tuple[int, str]] = []
    marks: dict[int, list] = {}
    hits: list[int] = []
    checked = 0  # hits whose window was complete and has been looked at
    wanted = len(highlight.stems) if not highlight.prefixes else None  # prefixes: no known end
    for i, m in enumerate(word_matches(head)):
        offset, word = m.start(), m.group()
        words.append((offset, word))
        pieces = highlight.pieces(word)
        if pieces:
            marks[i] = [(offset + start, offset + end, term) for start, end, term in pieces]
            hits.append(i)
        if hits and i > hits[0] + SCAN_AFTER_FIRST_MATCH:
            break
        while wanted is not None and checked < len(hits) and i >= hits[checked] + window:
            first = hits[checked]
            terms = {t for h in hits[checked:] if h < first + window for _, _, t in marks[h]}
            if len(terms) >= wanted:
                return words, marks
            checked += 1
    return words, marks


def _best_window(words, marks: dict, window: int) -> int:
    """First word of the window holding the most distinct matched terms (then the earliest),
    started a few words before its first match so the reader gets context."""
    hits = sorted(marks)
    if not hits:
        return 0
    best, best_score = hits[0], -1
    right = 0
    for left_i, left in enumerate(hits):
        while right < len(hits) and hits[right] < left + window:
            right += 1
        score = len({term for h in hits[left_i:right] for _, _, term in marks[h]})
        if score > best_score:
            best, best_score = left, score
    return max(0, min(best - 4, len(words) - window))

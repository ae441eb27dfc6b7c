"""Snippets: the passage of an article that best shows why it matched, with <mark>ed words.

The snippet is the one HTML field of an answer: the article's text is escaped, and the
only markup added is `<mark>` around matched words. Only the shown results get one.
"""

from __future__ import annotations

import re
from html import escape
from itertools import compress, islice

from indexer.analysis import normalize, word_list, word_matches
from indexer.search.query import Highlight

WINDOW = 40          # words in a snippet
SCAN_CHARS = 200_000  # a huge article is searched for matches in its first part only
SCAN_AFTER_FIRST_MATCH = 600  # words read past the first match, looking for a better window
CHUNK = 800  # characters of the first chunk read: most snippets are settled in it

_SPACE = re.compile(r"\s")
_WORD_START = re.compile(r"[^\W_]")


def make_snippet(text: str, highlight: Highlight, window: int = WINDOW) -> str:
    head = normalize(text[:SCAN_CHARS])  # same length: offsets hold in `text` too
    written, matched, hits, more, chunks = _scan(head, highlight, window)
    if not written:
        return ""
    start = _best_window(hits, [matched[written[h]] for h in hits], window, len(written))
    end = min(len(written), start + window)
    # Offsets only for the shown words (the scan above never made a match object), read
    # from the start of the chunk they begin in.
    chunk_start, words_before = next(c for c in reversed(chunks) if c[1] <= start)
    shown = list(islice(word_matches(head, chunk_start), start - words_before, end - words_before))

    out = ["… "] if start > 0 else []
    pos = shown[0].start() if start > 0 else 0  # from the very beginning: leading punctuation included
    for match in shown:
        for s, e, _ in matched.get(match.group(), ()):
            s, e = match.start() + s, match.start() + e
            out.append(escape(text[pos:s], quote=False))
            out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
            pos = e
    out.append(escape(text[pos:shown[-1].end()], quote=False))
    if end < len(written) or more or len(text) > SCAN_CHARS:
        out.append(" …")
    return " ".join("".join(out).split())


def _scan(head: str, highlight: Highlight, window: int):
    """Reads the words of `head` a chunk at a time (each twice the last) until the snippet is
    settled: a window holds every query term (no later one can be better), or the words
    run SCAN_AFTER_FIRST_MATCH past the first match. Most bodies are settled in their first
    chunk. Returns the words read, the matched pieces of each matched word, the indexes of
    the matched words, whether words follow the part read, and `(offset, words before)` of
    each chunk."""
    written: list[str] = []
    matched: dict[str, tuple] = {}  # the highlight's matched words (those of other texts too)
    hits: list[int] = []
    marking = bool(highlight.stems or highlight.prefixes)
    wanted = len(highlight.stems) if not highlight.prefixes else None  # prefixes: no known end
    chunks: list[tuple[int, int]] = [(0, 0)]
    pos, size = 0, CHUNK
    while pos < len(head):
        gap = _SPACE.search(head, pos + size)  # a chunk ends between words
        cut = gap.start() if gap else len(head)
        new = word_list(head, pos, cut)
        if marking and new:
            matched = highlight.hits(new)
            hits += compress(range(len(written), len(written) + len(new)), map(matched.__contains__, new))
        written += new
        pos = cut  # chunks of CHUNK characters: the reading stops soon after the window it needs
        if hits:  # no need to read much past the words that may count (the snippet is the same)
            size = CHUNK
            unread = _last_read(hits) + 2 - len(written)
            first_window = hits[0] + window + 1 - len(written)  # the first hit's window, often the one
            if 0 < first_window < unread:
                unread = first_window
            size = min(size, max(0, int(unread * pos / len(written) * 1.2)) + 64)
        chunks.append((pos, len(written)))
        if _settled(written, hits, matched, marking, wanted, window):
            break
    more = pos < len(head) and _WORD_START.search(head, pos) is not None
    if hits and len(written) > _last_read(hits):
        del written[_last_read(hits) + 1:]
        hits = [h for h in hits if h < len(written)]
        more = True
    return written, matched, hits, more, chunks


def _last_read(hits: list[int]) -> int:
    """Index of the last word read past the first match (the word that stops the reading counts)."""
    return hits[0] + SCAN_AFTER_FIRST_MATCH + 1


def _settled(written, hits, matched, marking, wanted, window) -> bool:
    if not marking:
        return len(written) > window  # nothing to mark: the opening words
    if not hits:
        return False
    if len(written) > _last_read(hits):
        return True
    if wanted is None:
        return False
    right = 0
    for left_i, left in enumerate(hits):
        if left + window > len(written):
            return False  # this window is not read to its end yet
        while right < len(hits) and hits[right] < left + window:
            right += 1
        if len({t for h in hits[left_i:right] for _, _, t in matched[written[h]]}) >= wanted:
            return True
    return False


def _best_window(hits: list[int], pieces: list[tuple], window: int, words: int) -> int:
    """First word of the window holding the most distinct matched terms (then the earliest),
    started a few words before its first match so the reader gets context."""
    if not hits:
        return 0
    best, best_score = hits[0], -1
    right = 0
    for left_i, left in enumerate(hits):
        while right < len(hits) and hits[right] < left + window:
            right += 1
        score = len({term for found in pieces[left_i:right] for _, _, term in found})
        if score > best_score:
            best, best_score = left, score
    return max(0, min(best - 4, words - window))

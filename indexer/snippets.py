"""Snippets: the passage of an article that best shows why it matched, with <mark>ed words.

The snippet is the one HTML field of an answer: the article's text is escaped, and the
only markup added is `<mark>` around matched words. Only the shown results get one.
"""

from __future__ import annotations

from html import escape

from indexer.analysis import analyze
from indexer.query import Highlight

WINDOW = 32          # words in a snippet
SCAN_CHARS = 200_000  # a huge article is searched for matches in its first part only


def make_snippet(text: str, highlight: Highlight, window: int = WINDOW) -> str:
    head = text[:SCAN_CHARS]
    tokens = list(analyze(head))  # (start, end, folded, term, position)
    if not tokens:
        return ""
    prefixes = tuple(highlight.prefixes)
    hits = [i for i, (_, _, folded, term, _) in enumerate(tokens)
            if term in highlight.stems or (prefixes and folded.startswith(prefixes))]
    start = _best_window(tokens, hits, window)
    end = min(len(tokens), start + window)

    out = ["… "] if start > 0 else []
    pos = tokens[start][0] if start > 0 else 0  # from the very beginning: stop words included
    for i in hits:
        if start <= i < end:
            s, e = tokens[i][0], tokens[i][1]
            out.append(escape(head[pos:s], quote=False))
            out.append(f"<mark>{escape(head[s:e], quote=False)}</mark>")
            pos = e
    out.append(escape(head[pos:tokens[end - 1][1]], quote=False))
    if end < len(tokens) or len(text) > len(head):
        out.append(" …")
    return " ".join("".join(out).split())


def _best_window(tokens, hits: list[int], window: int) -> int:
    """First token of the window holding the most distinct matched words (then the earliest),
    started a few words before the first match so the reader gets context."""
    if not hits:
        return 0
    best, best_score = hits[0], -1
    right = 0
    for left_i, left in enumerate(hits):
        while right < len(hits) and hits[right] < left + window:
            right += 1
        score = len({tokens[h][3] for h in hits[left_i:right]})
        if score > best_score:
            best, best_score = left, score
    return max(0, min(best - 4, len(tokens) - window))

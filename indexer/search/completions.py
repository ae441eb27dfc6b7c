"""Completions for a search box: the archive's words (and tags) that start as the reader typed.

The last word typed is completed from the archive's lexicon, most used first, and shown in
the archive's spelling: `transformation num` -> `transformation numérique`.
"""

from __future__ import annotations

from indexer.analysis import FOLDED_STOP_WORDS, fold, normalize, word_spans
from indexer.storage.columns import facet_key
from indexer.storage.store import IndexStore

MIN_PREFIX = 2
MAX_LIMIT = 20


def suggest(store: IndexStore, prefix: str, limit: int = 8) -> dict:
    """`{"query": prefix, "suggestions": [...]}` for the contract's `/api/v1/suggest`."""
    limit = max(1, min(limit, MAX_LIMIT))
    text = normalize(prefix)[:200]
    spans = list(word_spans(text))
    if not spans or spans[-1][1] != len(text.rstrip("*")) or text[-1:].isspace():
        return {"query": prefix, "suggestions": []}
    start, _, last = spans[-1]
    folded = fold(last)
    if len(folded) < MIN_PREFIX:
        return {"query": prefix, "suggestions": []}

    generation = store.current()
    # Keep what the reader typed (curly apostrophe included) before the completed word.
    head = prefix[:start] if len(prefix) == len(text) else text[:start]
    out: list[str] = []
    whole = facet_key(text)
    out += generation.columns.facets["tag"].with_key_prefix(whole)[:limit // 2]

    seen = {facet_key(s) for s in out}
    for word in generation.lexicon.with_prefix(folded, 2 * limit):
        if word in FOLDED_STOP_WORDS:
            continue
        completion = head + generation.lexicon.surface(word)
        if facet_key(completion) not in seen and len(out) < limit:
            out.append(completion)
            seen.add(facet_key(completion))
    return {"query": prefix, "suggestions": out}

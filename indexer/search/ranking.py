"""Ranking: a query's matches over the whole index (for facet counts) and its best-scored
allowed documents (for the page), from one vectorised evaluation (scoring.py)."""

from __future__ import annotations

import time

import numpy as np

from indexer.errors import SearchTimeout
from indexer.search.scoring import TermCache, evaluate


def rank(cache: TermCache, query, limit: int, allowed: np.ndarray | None,
         deadline: float | None = None) -> tuple[np.ndarray, list]:
    """The matches of `query` as a bool array, and the top `limit` of those `allowed` as
    `(docnum, score)`, best first (equal scores: lower document number first, as Whoosh)."""

    def check() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise SearchTimeout("the search took too long and was stopped; try a more precise query")

    result = evaluate(query, cache, check)
    if not limit:
        return result.mask, []
    candidates = np.flatnonzero(result.mask if allowed is None else result.mask & allowed)
    scores = result.scores[candidates]
    if len(candidates) > limit:
        # Keep every document tied with the last one in, so that ties go to the lower numbers.
        threshold = -np.partition(-scores, limit - 1)[limit - 1]
        keep = scores >= threshold
        candidates, scores = candidates[keep], scores[keep]
    order = np.lexsort((candidates, -scores))[:limit]
    return result.mask, [(int(candidates[i]), float(scores[i])) for i in order]

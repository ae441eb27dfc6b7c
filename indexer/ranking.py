"""One pass over a query's matches: every matching document (for facet counts) and the
best-scored allowed ones (for the page).

Whoosh would need two passes for this: `docs_for_query` for the full set of matches, then
`search` for the ranking, evaluating the query (phrases and all) twice. Scoring only the
documents the facet and date filters allow also saves the scoring of the others.
"""

from __future__ import annotations

import time
from heapq import heappush, heapreplace

import numpy as np
from whoosh.collectors import Collector

from indexer.errors import SearchTimeout

CHECK_EVERY = 512  # matches between two looks at the clock


class RankingCollector(Collector):
    """Collects all matches, and the top `limit` of those `allowed` (a bool array, or None: all)."""

    def __init__(self, limit: int, allowed: np.ndarray | None, deadline: float | None = None):
        self.limit = limit
        self.allowed = allowed
        self.deadline = deadline  # time.monotonic() value past which the search is given up

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.matched: list[int] = []
        self._heap: list[tuple[float, int]] = []  # (score, -docnum): ties go to the lower docnum

    def collect_matches(self):
        matcher, offset, allowed, limit = self.matcher, self.offset, self.allowed, self.limit
        matched, heap, deadline = self.matched, self._heap, self.deadline
        while matcher.is_active():
            docnum = offset + matcher.id()
            matched.append(docnum)
            if deadline is not None and not len(matched) % CHECK_EVERY and time.monotonic() > deadline:
                raise SearchTimeout("the search took too long and was stopped; try a more precise query")
            if limit and (allowed is None or allowed[docnum]):
                score = matcher.score()
                if len(heap) < limit:
                    heappush(heap, (score, -docnum))
                elif score > heap[0][0]:
                    heapreplace(heap, (score, -docnum))
            matcher.next()

    def finish(self):
        pass

    def ranked(self) -> list[tuple[int, float]]:
        """`(docnum, score)`, best first."""
        return [(-d, s) for s, d in sorted(self._heap, reverse=True)]


def rank(searcher, query, limit: int, allowed: np.ndarray | None,
         deadline: float | None = None) -> tuple[np.ndarray, list]:
    """The matches of `query` as a bool array over the index's documents, and the ranking."""
    collector = RankingCollector(limit, allowed, deadline)
    searcher.search_with_collector(query, collector)
    matches = np.zeros(searcher.doc_count_all(), dtype=bool)
    matches[np.array(collector.matched, dtype=np.int64)] = True
    return matches, collector.ranked()

"""Vectorised BM25F: a query's matches and scores over the whole index in a few NumPy operations.

Whoosh matches and scores one posting at a time in Python, which costs most of a search
on a large archive. Here each term's posting list is read from Whoosh once, kept as arrays
(document numbers, weights) in a per-generation cache, and a query is evaluated as array
operations: an OR adds scores, an AND keeps the documents every part matched, a NOT
removes. The scores are Whoosh's own BM25F (same formula, statistics and field lengths),
so ranking does not change. Phrases still need positions: Whoosh finds the documents
holding them, and they are scored as their words are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as Q

B = 0.75
K1 = 1.2
CACHE_POSTINGS = 10_000_000  # posting entries kept per generation (12 bytes each)


class TermCache:
    """Posting lists as arrays and per-field document lengths, for one generation's searcher."""

    def __init__(self, searcher, live: np.ndarray):
        self.searcher = searcher
        self.live = live  # documents not deleted
        self.size = searcher.doc_count_all()
        self._postings: OrderedDict = OrderedDict()
        self._entries = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (int32, ascending) and weights of a term."""
        key = (field, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = self._read(field, text)
        with self._lock:
            self._postings[key] = found
            self._entries += len(found[0])
            while self._entries > CACHE_POSTINGS and len(self._postings) > 1:
                _, (ids, _) = self._postings.popitem(last=False)
                self._entries -= len(ids)
        return found

    def _read(self, field: str, text: str):
        ids, weights = [], []
        for leaf, offset in self.searcher.reader().leaf_readers():
            if (field, text) not in leaf:
                continue
            m = leaf.postings(field, text)
            while m.is_active():
                ids.append(m.id() + offset)
                weights.append(m.weight())
                m.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float64)

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length in `field`, as Whoosh stores it (for BM25's normalisation)."""
        found = self._lengths.get(field)
        if found is None:
            values = []
            for leaf, _ in self.searcher.reader().leaf_readers():
                values.extend(leaf.doc_field_length(d, field) for d in range(leaf.doc_count_all()))
            found = self._lengths[field] = np.array(values, dtype=np.float64)
        return found


class Evaluation:
    """A query's result: which documents match, and their scores (0 where they do not)."""

    def __init__(self, mask: np.ndarray, scores: np.ndarray):
        self.mask = mask
        self.scores = scores


def evaluate(query, cache: TermCache, deadline_check=None) -> Evaluation:
    """Evaluates the queries query.py builds: Term, Or, And, AndNot, Phrase, Every, NullQuery."""
    n = cache.size
    if deadline_check:
        deadline_check()
    if isinstance(query, Q.Term):
        ids, weights = cache.postings(query.fieldname, query.text)
        scores = np.zeros(n, dtype=np.float64)
        if len(ids):
            scores[ids] = _bm25(cache, query.fieldname, query.text, ids, weights)
        mask = np.zeros(n, dtype=bool)
        mask[ids] = True
        return Evaluation(mask, scores)
    if isinstance(query, Q.Or):
        parts = [evaluate(q, cache, deadline_check) for q in query.subqueries]
        mask = np.logical_or.reduce([p.mask for p in parts])
        return Evaluation(mask, np.add.reduce([p.scores for p in parts]))
    if isinstance(query, Q.And):
        parts = [evaluate(q, cache, deadline_check) for q in query.subqueries]
        mask = np.logical_and.reduce([p.mask for p in parts])
        return Evaluation(mask, np.where(mask, np.add.reduce([p.scores for p in parts]), 0))
    if isinstance(query, Q.AndNot):
        positive = evaluate(query.a, cache, deadline_check)
        negative = evaluate(query.b, cache, deadline_check)
        mask = positive.mask & ~negative.mask
        return Evaluation(mask, np.where(mask, positive.scores, 0))
    if isinstance(query, Q.Phrase):
        words = Q.And([Q.Term(query.fieldname, w) for w in query.words])
        both = evaluate(words, cache, deadline_check)
        mask = np.zeros(n, dtype=bool)
        mask[_phrase_docs(cache, query, np.flatnonzero(both.mask), deadline_check)] = True
        return Evaluation(mask, np.where(mask, both.scores, 0))
    if isinstance(query, Q.Every):
        return Evaluation(cache.live.copy(), cache.live.astype(np.float64))  # Whoosh scores it 1
    if query is Q.NullQuery or isinstance(query, type(Q.NullQuery)):
        return Evaluation(np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float64))
    raise TypeError(f"no vectorised evaluation for {type(query).__name__}")


def _phrase_docs(cache: TermCache, phrase: Q.Phrase, candidates: np.ndarray, deadline_check) -> list[int]:
    """The candidates (documents holding every word) where the words follow each other, read
    from their positions; only these documents' positions are decoded."""
    found = []
    for leaf, offset in cache.searcher.reader().leaf_readers():
        local = candidates[(candidates >= offset) & (candidates < offset + leaf.doc_count_all())] - offset
        if not len(local):
            continue
        matchers = [leaf.postings(phrase.fieldname, w) for w in phrase.words]
        for i, docnum in enumerate(local.tolist()):
            if deadline_check and not i % 512:
                deadline_check()
            positions = []
            for m in matchers:
                m.skip_to(docnum)
                positions.append(m.value_as("positions"))
            if _in_order(positions, phrase.slop):
                found.append(docnum + offset)
    return found


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether some position of the first word starts a run where each next word comes at most
    `slop` positions after the previous one (slop 1: right after)."""
    starts = positions[0]
    for following in positions[1:]:
        later = set(following)
        starts = [q for p in starts for q in range(p + 1, p + slop + 1) if q in later]
        if not starts:
            return False
    return True


def _bm25(cache: TermCache, field: str, text: str, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    searcher = cache.searcher
    idf = searcher.idf(field, text)
    avgfl = searcher.avg_field_length(field) or 1
    fl = cache.lengths(field)[ids]
    return (idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))).astype(np.float64)

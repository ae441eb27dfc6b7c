"""Vectorised BM25F: a query's matches and scores over the whole index in a few NumPy operations.

Whoosh matches and scores one posting at a time in Python, which costs most of a search
on a large archive. Here each term's postings are read from the posting arrays beside each
segment (storage/segments.py), scored once per generation and kept in a cache (document
numbers, scores), and a query is evaluated as array operations: an OR adds scores, an AND
keeps the documents every part matched, a NOT removes. The scores are Whoosh's own BM25F
(same formula, statistics and field lengths; tests/test_ranking.py compares them with
Whoosh's searcher), so ranking does not change. A phrase keeps the documents holding every
word where the words follow each other (positions from the same arrays), scored as its
words are.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np
from whoosh import query as Q

from indexer.storage.store import B, K1, Generation

CACHE_POSTINGS = 2_000_000  # posting entries kept per generation and thread (12 bytes each)


class TermCache:
    """Each term's live documents and BM25F scores in one generation, read once."""

    def __init__(self, generation: Generation):
        # A weak reference: the generation holds this cache (per thread), and a cycle would
        # keep a replaced generation alive until Python's next full collection.
        self._generation = weakref.ref(generation)
        self.live = generation.live  # documents not deleted
        self.size = generation.size
        self._postings: OrderedDict = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (int32, ascending) and BM25F scores of a term."""
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

    @property
    def generation(self) -> Generation:
        return self._generation()

    def _read(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        g = self.generation
        ids, weights, lengths, frequency = g.postings(field, text)
        if not len(ids):
            return ids, weights
        # Whoosh's BM25F (scoring.BM25F), with its statistics: deleted documents count.
        idf = g.idf(frequency)
        avgfl = g.avg_field_length(field) or 1
        return ids, idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl)))


def term_cache(generation: Generation) -> TermCache:
    """This thread's posting lists for `generation`."""
    return generation.thread_cache("terms", TermCache)


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
        ids, term_scores = cache.postings(query.fieldname, query.text)
        scores = np.zeros(n, dtype=np.float64)
        if len(ids):
            scores[ids] = term_scores
        mask = np.zeros(n, dtype=bool)
        mask[ids] = True
        return Evaluation(mask, scores)
    if isinstance(query, Q.Or):
        leaves = _term_leaves(query)
        if leaves:  # a word in several fields, a prefix's words: summed sparse, in one pass
            return _terms_sum(leaves, cache, n)
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


def _term_leaves(query) -> list | None:
    """The terms of an Or made of terms only (nested Ors included), in order; else None."""
    if isinstance(query, Q.Term):
        return [query]
    if not isinstance(query, Q.Or):
        return None
    leaves = []
    for q in query.subqueries:
        found = _term_leaves(q)
        if found is None:
            return None
        leaves.extend(found)
    return leaves


def _terms_sum(terms: list, cache: TermCache, n: int) -> Evaluation:
    """An Or of terms without a dense array per term: each term's scores at its postings,
    summed per document by one bincount (in the terms' order, as the dense sum would)."""
    ids, scores = [], []
    for term in terms:
        term_ids, term_scores = cache.postings(term.fieldname, term.text)
        if len(term_ids):
            ids.append(term_ids)
            scores.append(term_scores)
    mask = np.zeros(n, dtype=bool)
    if not ids:
        return Evaluation(mask, np.zeros(n, dtype=np.float64))
    all_ids = np.concatenate(ids)
    mask[all_ids] = True
    return Evaluation(mask, np.bincount(all_ids, weights=np.concatenate(scores), minlength=n))


def _phrase_docs(cache: TermCache, phrase: Q.Phrase, candidates: np.ndarray, deadline_check) -> list[int]:
    """The candidates (documents holding every word) where the words follow each other, read
    from each segment's positions, for that segment's candidates only."""
    if phrase.slop != 1:
        raise TypeError("only exact phrases (slop 1) are evaluated")
    found = []
    for part, local in cache.generation.segments_of(candidates):
        if deadline_check:
            deadline_check()
        found.extend((_phrase_in_arrays(part.files, phrase, local) + part.offset).tolist())
    return found


def _phrase_in_arrays(arrays, phrase: Q.Phrase, candidates: np.ndarray) -> np.ndarray:
    """The candidates (of one segment, ascending) where the words follow each other, from the
    segment's position arrays: word i of the phrase at position p is the key (document,
    p - i), and the phrase is where every word has the same key."""
    common = None
    for i, word in enumerate(phrase.words):
        ids, occurrences, positions = arrays.positions(phrase.fieldname, word)
        wanted = np.repeat(np.isin(ids, candidates, assume_unique=True), occurrences)
        docs = np.repeat(ids, occurrences)[wanted].astype(np.int64)
        starts = positions[wanted].astype(np.int64) - i
        possible = starts >= 0  # word i cannot start the phrase before position i
        keys = (docs[possible] << 32) | starts[possible]
        common = keys if common is None else np.intersect1d(common, keys, assume_unique=True)
        if not len(common):
            break
    return np.unique(common >> 32).astype(np.int64)

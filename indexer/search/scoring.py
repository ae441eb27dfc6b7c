"""Vectorised BM25F: a query's matches and scores over the whole index in a few NumPy operations.

Whoosh matches and scores one posting at a time in Python, which costs most of a search
on a large archive. Here each term's posting list is read once (from the posting arrays
beside each segment, segment_arrays.py, else from Whoosh), kept as arrays (document
numbers, weights) in a per-generation cache, and a query is evaluated as array
operations: an OR adds scores, an AND keeps the documents every part matched, a NOT
removes. The scores are Whoosh's own BM25F (same formula, statistics and field lengths),
so ranking does not change. A phrase keeps the documents holding every word where the
words follow each other (positions from the same arrays), scored as its words are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as Q

from indexer.storage.postings import read_postings, read_values

from indexer.storage.store import B, K1  # one definition for Whoosh's searcher and ours
CACHE_POSTINGS = 10_000_000  # posting entries kept per generation (12 bytes each)


class TermCache:
    """Posting lists as arrays and per-field document lengths, for one generation's searcher."""

    def __init__(self, searcher, live: np.ndarray, arrays: dict | None = None):
        self.searcher = searcher
        self.live = live  # documents not deleted
        self.arrays = arrays or {}  # segment id -> SegmentArrays (segment_arrays.py)
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
        """From each segment's posting arrays, else from Whoosh (postings.py); deleted
        documents dropped (Whoosh leaves them out itself, the arrays keep them)."""
        id_parts, weight_parts = [], []
        for leaf, offset in self.searcher.reader().leaf_readers():
            arrays = self.arrays.get(leaf.segment().segment_id())
            if arrays is not None:
                ids, weights = arrays.postings(field, text)
                id_parts.append(ids + np.int32(offset))
                weight_parts.append(weights)
            else:
                ids, weights = [], []
                read_postings(leaf, field, text, offset, ids, weights)
                id_parts.append(np.array(ids, dtype=np.int32))
                weight_parts.append(np.array(weights, dtype=np.float32))
        ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int32)
        weights = np.concatenate(weight_parts).astype(np.float64) if weight_parts else np.zeros(0)
        live = self.live[ids]
        if not live.all():
            ids, weights = ids[live], weights[live]
        return ids, weights

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length in `field`, as Whoosh stores it (for BM25's normalisation)."""
        found = self._lengths.get(field)
        if found is None:
            values = []
            for leaf, _ in self.searcher.reader().leaf_readers():
                values.extend(leaf.doc_field_length(d, field) for d in range(leaf.doc_count_all()))
            found = self._lengths[field] = np.array(values, dtype=np.float64)
        return found


def term_cache(generation) -> "TermCache":
    """This thread's posting arrays for `generation`, bound to its searcher."""
    return generation.thread_cache(
        "terms", lambda g: TermCache(g.searcher(), g.columns.live, g.arrays))


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
        term_ids, weights = cache.postings(term.fieldname, term.text)
        if len(term_ids):
            ids.append(term_ids)
            scores.append(_bm25(cache, term.fieldname, term.text, term_ids, weights))
    mask = np.zeros(n, dtype=bool)
    if not ids:
        return Evaluation(mask, np.zeros(n, dtype=np.float64))
    all_ids = np.concatenate(ids)
    mask[all_ids] = True
    return Evaluation(mask, np.bincount(all_ids, weights=np.concatenate(scores), minlength=n))


def _phrase_docs(cache: TermCache, phrase: Q.Phrase, candidates: np.ndarray, deadline_check) -> list[int]:
    """The candidates (documents holding every word) where the words follow each other, read
    from their positions; only these documents' positions are decoded, a word at a time."""
    found = []
    decode = cache.searcher.schema[phrase.fieldname].format.decode_positions
    for leaf, offset in cache.searcher.reader().leaf_readers():
        inside = (candidates >= offset) & (candidates < offset + leaf.doc_count_all())
        if not inside.any():
            continue
        arrays = cache.arrays.get(leaf.segment().segment_id())
        if arrays is not None and phrase.slop == 1:
            found.extend((_phrase_in_arrays(arrays, phrase, candidates[inside] - offset) + offset).tolist())
            continue
        local = (candidates[inside] - offset).tolist()
        values = [read_values(leaf, phrase.fieldname, w, local) for w in phrase.words]
        for i, docnum in enumerate(local):
            if deadline_check and not i % 512:
                deadline_check()
            if _in_order((decode(column[i]) for column in values), phrase.slop):
                found.append(docnum + offset)
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


def _in_order(positions, slop: int) -> bool:
    """Whether some position of the first word starts a run where each next word comes at most
    `slop` positions after the previous one (slop 1: right after). `positions` is an iterable
    of each word's positions, consumed only as far as needed."""
    words = iter(positions)
    starts = next(words)
    for following in words:
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

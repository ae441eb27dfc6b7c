"""Related articles: Elasticsearch's more_like_this over the engine's own posting arrays, plus the
tags and the quoted sources an article shares with others.

An article's own text is read again through the index's analysis (its title, body and tags, as
stored), each term weighted as more_like_this weighs it (frequency in the article x inverse
document frequency, x the field's boost); its best terms then form a query whose BM25F scores
come from the same cached posting arrays as a search (scoring.TermCache), in a few NumPy
operations. The text's part is scaled to at most 1; each tag and each quoted source the two
articles share adds its own weight, more for a value few articles have: two articles citing
the same study are related even when they say it in other words.
"""

from __future__ import annotations

import weakref
from math import log

import numpy as np

from indexer.analysis import term_positions, words
from indexer.errors import ArticleNotFound, QueryError
from indexer.search.fields import public_fields
from indexer.search.scoring import term_cache
from indexer.storage.columns import facet_key
from indexer.storage.store import Generation, IndexStore

MAX_LIMIT = 20
DEFAULT_LIMIT = 5
TEXT_FIELDS = {"title": 3.0, "body": 1.0, "tags": 2.0}  # as the schema boosts them
MAX_QUERY_TERMS = 25   # more_like_this's default
MIN_TERM_FREQ = 1      # a short article's words count once (more_like_this asks 2 of long texts)
MIN_DOC_FREQ = 2       # a term no other article has relates it to nothing
MAX_BODY_CHARS = 20_000  # the start of a very long article says what it is about
# What one shared value adds at most (the text's part is at most 1), scaled by its rarity.
SHARED_WEIGHT = {"source": 1.0, "tag": 0.5}


def check_limit(limit: int) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be an integer from 1 to {MAX_LIMIT}", param="limit")
    return limit


def related_articles(store: IndexStore, article_id: str, limit: int = DEFAULT_LIMIT) -> dict:
    """`{"id": ..., "results": [...]}`: the published articles most related to one, best first,
    each with the search result's fields, its `score` and what it `shares` (tags, sources).
    ArticleNotFound for an unknown (or unpublished, or deleted) id."""
    check_limit(limit)
    generation = store.current()
    docnum = generation.find(str(article_id))
    if docnum is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    doc = generation.stored_fields(docnum)
    scores = _text_scores(generation, doc, docnum)
    for name in SHARED_WEIGHT:
        _add_shared(generation, name, doc, scores)
    scores[docnum] = 0  # never the article itself
    scores[~generation.live] = 0
    candidates = np.flatnonzero(scores > 0)
    order = np.lexsort((candidates, -scores[candidates]))[:limit]
    results = []
    for i in order:
        other = int(candidates[i])
        fields = generation.stored_fields(other)
        result = public_fields(fields)
        result["score"] = round(float(scores[other]), 4)
        result["shares"] = {
            "tags": _common(doc.get("tag_list"), fields.get("tag_list")),
            "sources": _common(doc.get("source_list"), fields.get("source_list")),
        }
        results.append(result)
    return {"id": doc["id"], "results": results}


class DocFrequencies:
    """A generation's document frequencies as related articles ask them, remembered: an article
    asks some 300 terms, and each lookup in every segment's sorted term table costs a bisection
    in Python; the next articles ask mostly the same words."""

    KEPT = 300_000  # (field, term) pairs, some 150 bytes each

    def __init__(self, generation: Generation):
        # A weak reference, as scoring.TermCache's: the generation holds this cache.
        self._generation = weakref.ref(generation)
        self._known: dict[tuple[str, str], int] = {}

    def __call__(self, field: str, term: str) -> int:
        key = (field, term)
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self.KEPT:
                self._known.clear()
            found = self._known[key] = self._generation().doc_frequency(field, term)
        return found


def weighted_terms(generation: Generation, doc: dict) -> list[tuple[float, str, str]]:
    """The article's best terms, as (weight, field, term), best first."""
    doc_frequency = generation.thread_cache("related_doc_frequencies", DocFrequencies)
    texts = {"title": doc.get("title") or "", "body": (doc.get("body") or "")[:MAX_BODY_CHARS],
             "tags": " ".join(doc.get("tag_list") or [])}
    found = []
    for field, boost in TEXT_FIELDS.items():
        for term, positions in term_positions(words(texts[field])).items():
            if len(positions) < MIN_TERM_FREQ:
                continue
            frequency = doc_frequency(field, term)
            if frequency < MIN_DOC_FREQ:
                continue
            found.append((boost * len(positions) * generation.idf(frequency), field, term))
    found.sort(key=lambda t: (-t[0], t[1], t[2]))
    return found[:MAX_QUERY_TERMS]


def _text_scores(generation: Generation, doc: dict, docnum: int) -> np.ndarray:
    """Each document's BM25F score for the article's best terms (an OR of them), scaled so
    that the best other article has 1."""
    cache = term_cache(generation)
    ids, values = [], []
    for _, field, term in weighted_terms(generation, doc):
        term_ids, term_scores = cache.postings(field, term)
        if len(term_ids):
            ids.append(term_ids)
            values.append(term_scores)
    if not ids:
        return np.zeros(generation.size, dtype=np.float64)
    scores = np.bincount(np.concatenate(ids), weights=np.concatenate(values), minlength=generation.size)
    others = scores.copy()
    others[docnum] = 0
    best = others.max()
    return scores / best if best > 0 else np.zeros(generation.size, dtype=np.float64)


def _add_shared(generation: Generation, name: str, doc: dict, scores: np.ndarray) -> None:
    """Adds to `scores` what sharing each of the article's `name` values (tag, source) is worth:
    up to SHARED_WEIGHT[name], less for a value many articles have."""
    column = generation.columns.facets[name]
    values = doc.get("tag_list" if name == "tag" else "source_list") or []
    wanted = [column.index[k] for k in {facet_key(v) for v in values} if k in column.index]
    if not wanted:
        return
    hit = np.isin(column.value_ids, wanted)
    docs, value_ids = column.docs[hit], column.value_ids[hit]
    live = generation.live[docs]
    docs, value_ids = docs[live], value_ids[live]
    holders = np.bincount(value_ids, minlength=max(wanted) + 1)  # articles having each value
    size = max(generation.articles, 2)
    rarity = np.log1p(size / np.maximum(holders, 1)) / log(1 + size / 2)  # 1 for a value two articles share
    np.add.at(scores, docs, SHARED_WEIGHT[name] * np.minimum(rarity[value_ids], 1.0))


def _common(mine, theirs) -> list[str]:
    """Their values that are also mine (compared as facets compare them), in their spelling."""
    keys = {facet_key(v) for v in mine or []}
    return [v for v in theirs or [] if facet_key(v) in keys]

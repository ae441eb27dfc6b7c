"""The one search function: the HTML page, the JSON API and the CLI all call `search`.

It returns the contract's JSON shape (CONTRACT.md, `GET /api/v1/search`): ranked or
dated results with snippets, disjunctive facet counts, and did-you-mean.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from datetime import date


import numpy as np

from indexer.search.completions import suggest  # noqa: F401  (the search surface: search, suggest, get_article)
from indexer.search import curation
from indexer.search.curation import BadSettings, read_settings, update_settings  # noqa: F401
from indexer.search.curation import synonyms_as_lines, synonyms_from_lines, pins_as_lines, pins_from_lines  # noqa: F401
from indexer.search.related import related_articles  # noqa: F401
from indexer.errors import ArticleNotFound, QueryError
from indexer.search.facets import FACETS, disjunctive_counts, facet_mask, listed, top_values
from indexer.search.fields import public_fields as _public_fields
from indexer.search.query import ParsedQuery, parse_query
from indexer.search.ranking import rank
from indexer.search.scoring import term_cache
from indexer.search.snippets import make_snippet
from indexer.search.spelling import correct_query
from indexer.storage.columns import facet_key
from indexer.storage.store import Generation, IndexStore

SORTS = ("relevance", "date", "-date")
MAX_PER_PAGE = 50
MAX_PAGE = 1000          # deep pages cost a full ranking and nobody reads them
MAX_FILTER_VALUES = 50   # values of one facet in one request
MAX_VALUE_LIMIT = 100    # values a facet value search lists
MAX_VALUE_PREFIX = 200   # characters of a facet value search's prefix
TIME_LIMIT = 2.0         # seconds a search may run before it is stopped (SearchTimeout)


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None
    debug: bool = False  # add `debug`: the settings version, synonyms applied, pins

    def validate(self) -> "SearchRequest":
        """Raises QueryError naming the first bad parameter."""
        if not isinstance(self.page, int) or not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be an integer from 1 to {MAX_PAGE}", param="page")
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be an integer from 1 to {MAX_PER_PAGE}", param="per_page")
        if self.sort not in SORTS:
            raise QueryError("sort must be one of: " + ", ".join(SORTS), param="sort")
        for name, values in self.filters.items():
            if name not in FACETS:
                raise QueryError(f"unknown facet {name!r}", param=name)
            if len(values) > MAX_FILTER_VALUES:
                raise QueryError(f"at most {MAX_FILTER_VALUES} values of {name}", param=name)
        for param, value in (("from", self.date_from), ("to", self.date_to)):
            if value is not None and not _is_date(value):
                raise QueryError(f"{param} must be a date written YYYY-MM-DD", param=param)
        return self


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def search(store: IndexStore, request: SearchRequest, time_limit: float | None = TIME_LIMIT) -> dict:
    """Answers a search request with the contract's JSON object.

    Raises QueryError for a refused request and SearchTimeout past `time_limit` seconds.
    """
    request.validate()
    started = time.perf_counter()
    deadline = time.monotonic() + time_limit if time_limit else None
    generation = store.current()
    settings = curation.current(store.index_dir)
    synonyms = settings.expansions or None
    parsed = parse_query(request.q, generation.lexicon, synonyms)
    normalized = curation.normalize_query(request.q) if settings.pins or request.debug else ""
    pins = settings.pins.get(normalized, []) if request.sort == "relevance" else []

    answer = _answer(generation, parsed, request, deadline, pins)
    suggestion = correct_query(generation, request.q)  # after: the ranking has read the query's words
    corrected = False
    if answer["total"] == 0 and suggestion:
        retry = parse_query(suggestion, generation.lexicon, synonyms)
        retried = _answer(generation, retry, request, deadline, [])
        if retried["total"]:
            answer, corrected, parsed = retried, True, retry
    answer.update(query=request.q, suggestion=suggestion, corrected=corrected,
                  took_ms=round((time.perf_counter() - started) * 1000, 2))
    if request.debug:
        answer["debug"] = {
            "generation": generation.name, "settings_version": settings.version,
            "normalized_query": normalized, "synonyms": parsed.synonyms,
            "pinned": answer.pop("_pinned", []),
        }
    return _ordered(answer)


def settings_version(store: IndexStore) -> int:
    """The version of the synonyms and pins in force (part of every cache key of an answer)."""
    return curation.current(store.index_dir).version


def _ordered(answer: dict) -> dict:
    keys = ("query", "total", "page", "per_page", "pages", "took_ms", "suggestion", "corrected",
            "results", "facets", "debug")
    return {k: answer[k] for k in keys if k in answer}


def _pinned_docs(generation: Generation, pins: list[str], allowed) -> list[int]:
    """The pinned articles that are live (published) and pass the filters, in the pin's order."""
    docs = []
    for article_id in pins:
        docnum = generation.find(article_id)
        if docnum is not None and (allowed is None or allowed[docnum]):
            docs.append(docnum)
    return docs


def _filters(columns, request: SearchRequest):
    """The request's filters as document masks: `(selected values by facet, each filtered facet's
    mask, the date mask or None, what the page may show: dates and every facet filter, or None)`."""
    selected = {k: v for k, v in request.filters.items() if v}
    masks = {name: columns.facets[name].mask(values, columns.size) for name, values in selected.items()}
    date_mask = columns.date_mask(request.date_from, request.date_to)
    allowed = date_mask
    for m in masks.values():
        allowed = m if allowed is None else allowed & m
    return selected, masks, date_mask, allowed


def _answer(generation: Generation, parsed: ParsedQuery, request: SearchRequest,
            deadline: float | None, pins: list[str] = ()) -> dict:
    columns = generation.columns
    selected, masks, date_mask, allowed = _filters(columns, request)

    start = (request.page - 1) * request.per_page
    end = start + request.per_page
    by_relevance = request.sort == "relevance" and parsed.query is not None
    pinned = _pinned_docs(generation, pins, allowed) if by_relevance and pins else []
    ranked = []
    if parsed.query is None:
        base = columns.live.copy()
    elif by_relevance:
        base, ranked = rank(term_cache(generation), parsed.query, end + len(pinned), allowed, deadline)
    else:
        base, _ = rank(term_cache(generation), parsed.query, 0, None, deadline)
    if pinned:
        # Pinned first, each once; a pinned article the query does not match joins the hits.
        scores, first = dict(ranked), set(pinned)
        ranked = [(d, scores.get(d)) for d in pinned] + [(d, s) for d, s in ranked if d not in first]
        base = base.copy()
        base[pinned] = True
    # Dates narrow every facet's counts; a facet's own values do not narrow its counts.
    if date_mask is not None:
        base &= date_mask
    hits = base if allowed is None else base & allowed
    total = int(hits.sum())

    if by_relevance:
        page = [(d, None if s is None else round(float(s), 4)) for d, s in ranked[start:end]]
    else:
        docs = columns.newest_first(hits, reverse=request.sort == "-date")[start:end].tolist()
        page = [(d, None) for d in docs]
    results = []
    for docnum, score in page:
        doc = generation.stored_fields(docnum)
        result = _public_fields(doc)
        result["snippet"] = make_snippet(doc.get("body") or "", parsed.highlight)
        result["score"] = score
        results.append(result)
    return {
        "total": total, "page": request.page, "per_page": request.per_page,
        "pages": math.ceil(total / request.per_page) if total else 0,
        "results": results,
        "_pinned": [generation.stored_fields(d)["id"] for d in pinned],
        "facets": disjunctive_counts(columns, base, masks, selected),
    }


def facet_values(store: IndexStore, facet: str, request: SearchRequest, prefix: str = "",
                 limit: int = 20, time_limit: float | None = TIME_LIMIT) -> dict:
    """The values of one facet whose words start as `prefix` does (case and accents aside), with
    their counts among the results of `request` (its query, its other facets' filters and dates:
    the counts of the search's own `facets` object), most frequent first; for the long tails a
    search lists only the head of (CONTRACT.md, `GET /api/v1/facets/{facet}`)."""
    request.validate()
    if facet not in FACETS:
        raise QueryError(f"unknown facet {facet!r}; facets: " + ", ".join(FACETS), param="facet")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_VALUE_LIMIT:
        raise QueryError(f"limit must be an integer from 1 to {MAX_VALUE_LIMIT}", param="limit")
    if len(prefix) > MAX_VALUE_PREFIX:
        raise QueryError(f"prefix is too long (at most {MAX_VALUE_PREFIX} characters)", param="prefix")
    started = time.perf_counter()
    deadline = time.monotonic() + time_limit if time_limit else None
    generation = store.current()
    columns = generation.columns
    selected, masks, date_mask, allowed = _filters(columns, request)
    # The search's own matches: its synonyms and pinned articles too (search() above).
    settings = curation.current(store.index_dir)
    synonyms = settings.expansions or None
    normalized = curation.normalize_query(request.q) if settings.pins else ""
    pins = settings.pins.get(normalized, []) if request.sort == "relevance" else []

    def matches(q: str, pins) -> np.ndarray:
        parsed = parse_query(q, generation.lexicon, synonyms)
        if parsed.query is None:
            base = columns.live.copy()
        else:
            base, _ = rank(term_cache(generation), parsed.query, 0, None, deadline)
            pinned = _pinned_docs(generation, pins, allowed) if request.sort == "relevance" and pins else []
            if pinned:
                base = base.copy()
                base[pinned] = True
        return base if date_mask is None else base & date_mask

    base = matches(request.q, pins)
    # As the search does: a query that finds nothing shows its correction's results, if any.
    if request.q and not (base if allowed is None else base & allowed).any():
        suggestion = correct_query(generation, request.q)
        if suggestion:
            retried = matches(suggestion, [])
            if (retried if allowed is None else retried & allowed).any():
                base = retried
    column = columns.facets[facet]
    counts = column.counts(facet_mask(base, masks, facet))
    among = np.sort(column.local(column.dictionary.with_word_prefix(prefix)))
    found = int((counts[among] > 0).sum())
    chosen = {facet_key(v) for v in selected.get(facet, [])}
    items = listed(column, counts, top_values(counts, limit, among), chosen)
    if facet == "year":
        items.sort(key=lambda it: it["value"], reverse=True)
    return {"facet": facet, "prefix": prefix, "query": request.q, "total": found, "values": items,
            "took_ms": round((time.perf_counter() - started) * 1000, 2)}


def get_article(store: IndexStore, article_id: str) -> dict:
    """One article as the API shows it, with its whole text."""
    generation = store.current()
    docnum = generation.find(str(article_id))
    if docnum is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    doc = generation.stored_fields(docnum)
    article = _public_fields(doc)
    article["body"] = doc.get("body") or ""
    return article

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


from indexer.search.completions import suggest  # noqa: F401  (the search surface: search, suggest, get_article)
from indexer.errors import ArticleNotFound, QueryError
from indexer.search.facets import FACETS, disjunctive_counts
from indexer.search.query import ParsedQuery, parse_query
from indexer.search.ranking import rank
from indexer.search.scoring import term_cache
from indexer.search.snippets import make_snippet
from indexer.search.spelling import correct_query
from indexer.storage.store import Generation, IndexStore

SORTS = ("relevance", "date", "-date")
MAX_PER_PAGE = 50
MAX_PAGE = 1000          # deep pages cost a full ranking and nobody reads them
MAX_FILTER_VALUES = 50   # values of one facet in one request
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
    parsed = parse_query(request.q, generation.lexicon)
    suggestion = correct_query(generation, request.q)

    answer = _answer(generation, parsed, request, deadline)
    corrected = False
    if answer["total"] == 0 and suggestion:
        retry = parse_query(suggestion, generation.lexicon)
        retried = _answer(generation, retry, request, deadline)
        if retried["total"]:
            answer, corrected = retried, True
    answer.update(query=request.q, suggestion=suggestion, corrected=corrected,
                  took_ms=round((time.perf_counter() - started) * 1000, 2))
    return _ordered(answer)


def _ordered(answer: dict) -> dict:
    keys = ("query", "total", "page", "per_page", "pages", "took_ms", "suggestion", "corrected",
            "results", "facets")
    return {k: answer[k] for k in keys}


def _answer(generation: Generation, parsed: ParsedQuery, request: SearchRequest,
            deadline: float | None) -> dict:
    columns = generation.columns
    selected = {k: v for k, v in request.filters.items() if v}
    masks = {name: columns.facets[name].mask(values, columns.size) for name, values in selected.items()}
    date_mask = columns.date_mask(request.date_from, request.date_to)
    allowed = date_mask  # what the page may show: dates and every facet filter
    for m in masks.values():
        allowed = m if allowed is None else allowed & m

    start = (request.page - 1) * request.per_page
    end = start + request.per_page
    by_relevance = request.sort == "relevance" and parsed.query is not None
    ranked = []
    if parsed.query is None:
        base = columns.live.copy()
    elif by_relevance:
        base, ranked = rank(term_cache(generation), parsed.query, end, allowed, deadline)
    else:
        base, _ = rank(term_cache(generation), parsed.query, 0, None, deadline)
    # Dates narrow every facet's counts; a facet's own values do not narrow its counts.
    if date_mask is not None:
        base &= date_mask
    hits = base if allowed is None else base & allowed
    total = int(hits.sum())

    if by_relevance:
        page = [(d, round(float(s), 4)) for d, s in ranked[start:end]]
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
        "facets": disjunctive_counts(columns, base, masks, selected),
    }


def _public_fields(doc: dict) -> dict:
    """The stored fields of an article, named and typed as the API shows them."""
    return {
        "id": doc["id"], "url": doc.get("url") or "", "title": doc.get("title") or "",
        "date": doc.get("date") or "", "author": doc.get("author") or "",
        "tags": doc.get("tag_list") or [], "categories": doc.get("category_list") or [],
        "sources": doc.get("source_list") or [],
    }


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

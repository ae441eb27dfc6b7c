"""Request parameters to an engine SearchRequest; a bad value is a QueryError naming its parameter.

The page and the API read their parameters here, so they accept and refuse exactly the same URLs.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from indexer.errors import QueryError
from indexer.search import FACETS
from indexer.search import SearchRequest
DEFAULT_PER_PAGE = 10
DEFAULT_VALUE_LIMIT = 20


def _integer(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name} must be an integer, not {raw!r}", param=name) from None


def _flag(args: MultiDict, name: str) -> bool:
    raw = args.get(name, "").strip().lower()
    if raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise QueryError(f"{name} must be 1 or 0 (true or false), not {raw!r}", param=name)


def search_request(args: MultiDict) -> SearchRequest:
    """The SearchRequest these query-string `args` ask for, validated by the engine's own rules."""
    request = SearchRequest(
        q=args.get("q", "").strip(),
        page=_integer(args, "page", 1),
        per_page=_integer(args, "per_page", DEFAULT_PER_PAGE),
        sort=args.get("sort", "").strip() or "relevance",
        # Repeated parameters are ORed by the engine; empty values (an untouched form field) mean nothing.
        filters={facet: [v for v in args.getlist(facet) if v.strip()] for facet in FACETS},
        date_from=args.get("from", "").strip() or None,
        date_to=args.get("to", "").strip() or None,
        debug=_flag(args, "debug"),
    )
    request.validate()
    return request


def facet_request(args: MultiDict) -> tuple[SearchRequest, str, int]:
    """A facet value search's parameters: the search's own (`q`, filters, dates), the `prefix` its
    values' words start with, and how many to list (`limit`)."""
    return search_request(args), args.get("prefix", "").strip(), _integer(args, "limit", DEFAULT_VALUE_LIMIT)

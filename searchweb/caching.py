"""Conditional GET for the API: an ETag from the index generation and the normalised request.

The body cannot be the key, since `took_ms` changes on every answer; the generation changes
whenever a new index is published, so (code version, generation, path, sorted parameters) names
an answer, and a match is answered 304 before any search is run.
"""

from __future__ import annotations

import functools
import hashlib

from flask import current_app, request

from indexer import __version__

from .engine import index_state, store

# Kept by browsers and shared proxies, but asked again before each use: a pushed article is
# searchable within a second, and a cache holding answers for a minute would hide it. Asking again
# is cheap: a matching ETag is answered 304 from one stat, before any search.
CACHE_CONTROL = "public, no-cache"


def request_etag(generation: str) -> str:
    """The ETag of the current request's answer from index `generation`."""
    args = sorted((k, v.strip()) for k, vs in request.args.lists() for v in vs if v.strip())
    blob = repr((__version__, generation, request.path, args)).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def cacheable(response):
    """Mark a 200 answer cacheable by browsers and shared proxies, revalidated at each use."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def by_generation(view):
    """Decorate a GET view whose answer depends only on the published index (and the editor's
    settings) and the request's URL."""

    @functools.wraps(view)
    def conditional(*args, **kwargs):
        etag = request_etag(index_state(store()))
        if etag in request.if_none_match:
            response = current_app.response_class(status=304)
        else:
            response = current_app.make_response(view(*args, **kwargs))
        response.set_etag(etag)
        return cacheable(response)

    return conditional

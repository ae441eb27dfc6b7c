"""The JSON API under /api/v1 and /healthz: the engine's answers as the contract spells them."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from indexer.errors import IndexMissing, QueryError
from indexer.live import pending_writes
from indexer.search import facet_values, get_article, related_articles, suggest

from .caching import by_generation, cacheable
from .engine import search_answer, store
from .openapi import openapi_document
from .params import facet_request, search_request

bp = Blueprint("api", __name__)

SUGGEST_LIMIT = 8
RELATED_LIMIT = 5


@bp.get("/api/v1/search")
@by_generation
def search_json():
    return jsonify(search_answer(search_request(request.args)))


@bp.get("/api/v1/facets/<any_text:facet>")
@by_generation
def facet_values_json(facet: str):
    """One facet's values starting as `prefix`, counted among the results of the search's own
    parameters (`q`, filters, dates): the long tail the search's `facets` cuts."""
    index = store()
    req, prefix, limit = facet_request(request.args)
    return jsonify(index.run(lambda: facet_values(index, facet, req, prefix, limit)))


# Article ids are free text, "/" included (a folder archive's ids are paths), so the path
# `/api/v1/articles/a/related` could be the article `a/related` or the related list of `a`: it is
# always the list (what embed.js and every page built so far ask for). An article whose id ends in
# `/related` is fetched by `?id=`, which takes any id; "%2F" is no way out, since servers and proxies
# decode it to "/" before the app routes the path.
@bp.get("/api/v1/articles/<article_id:article_id>")
@by_generation
def article_json(article_id: str):
    index = store()
    return jsonify(index.run(lambda: get_article(index, article_id)))


@bp.get("/api/v1/articles")
@by_generation
def article_by_id_json():
    """Any article by `?id=` (the address of an id ending in `/related`, which the path cannot give)."""
    article_id = request.args.get("id", "").strip()  # as ids are stored (and as the ETag reads it)
    if not article_id:
        raise QueryError("id is required: the article's id, percent-encoded as any query value", param="id")
    index = store()
    return jsonify(index.run(lambda: get_article(index, article_id)))


@bp.get("/api/v1/articles/<article_id:article_id>/related")
@by_generation
def related_json(article_id: str):
    """The published articles most related to one (its weighted terms, tags and quoted sources)."""
    index = store()
    limit = _integer_arg("limit", RELATED_LIMIT)
    return jsonify(index.run(lambda: related_articles(index, article_id, limit)))


def _integer_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name} must be an integer, not {raw!r}", param=name) from None


@bp.get("/api/v1/suggest")
@by_generation
def suggest_json():
    index, prefix = store(), request.args.get("q", "").strip()
    return jsonify(index.run(lambda: suggest(index, prefix, limit=SUGGEST_LIMIT)))


@bp.get("/api/v1/openapi.json")
def openapi_json():
    response = jsonify(openapi_document())
    response.add_etag()  # the document changes only with the code
    return cacheable(response).make_conditional(request)


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 while an index answers, 503 when there is none."""
    try:
        info = store().info()
    except IndexMissing:
        response = jsonify({"status": "degraded", "articles": 0, "generation": None})
        response.status_code = 503
    else:
        response = jsonify(
            {
                "status": "degraded" if info.get("degraded") else "ok",
                "articles": info["articles"],
                "generation": info["generation"],
                "built_at": info.get("built_at"),
                "segments": info["segments"],
                "pending_writes": pending_writes(store().index_dir, info["journal_seq"]),
            }
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_app_request
def allow_any_origin(response):
    """Any site may read the API with a plain GET (no cookies are honoured cross-site: no credentials)."""
    if request.path.startswith("/api/") and request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
            response.headers["Access-Control-Max-Age"] = "600"
    return response

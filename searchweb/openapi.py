"""The OpenAPI 3.1 description of the HTTP API, served at /api/v1/openapi.json.

Tests validate it as a document and check real answers against its schemas, so it cannot drift.
"""

from __future__ import annotations

from indexer import __version__

from indexer.live.documents import MAX_BATCH, MAX_ID_CHARS, MAX_REQUEST_BYTES
from indexer.search.query import MAX_QUERY_CHARS
from indexer.search import MAX_FILTER_VALUES, MAX_PAGE, MAX_PER_PAGE, MAX_VALUE_LIMIT, MAX_VALUE_PREFIX
from indexer.search import curation, related

from .admin import MAX_DAYS
from .clicks import MAX_POSITION
from .documents import DEFAULT_TASKS, MAX_TASKS
from .params import DEFAULT_PER_PAGE, DEFAULT_VALUE_LIMIT, FACETS


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _error(description: str) -> dict:
    return _json("Error", description)


NULLABLE_STRING = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": {"type": "string"}}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable, e.g. `bad_query`, `not_found`."},
                    "message": {"type": "string"},
                    "param": {"type": "string", "description": "The request parameter at fault (400 only); for a "
                              "written article, the field at fault: `title`, `articles[2].date`, `line 4.url`."},
                },
            },
            "job": {"description": "With 409: the build already running.", "$ref": "#/components/schemas/Job"},
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count", "selected"],
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0, "description": "Ignores this facet's own filter."},
            "selected": {"type": "boolean"},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["id", "url", "title", "date", "author", "tags", "categories", "sources", "snippet", "score"],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string", "description": "Plain text."},
            "date": {"type": "string", "description": "`YYYY-MM-DD`, or empty when unknown."},
            "author": {"type": "string"},
            "tags": STRINGS,
            "categories": STRINGS,
            "sources": STRINGS,
            "snippet": {"type": "string", "description": "Escaped text with `<mark>` around matched words; the one HTML field."},
            "score": {"type": ["number", "null"]},
        },
    },
    "SearchAnswer": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "pages", "took_ms", "suggestion", "results", "facets"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 50},
            "pages": {"type": "integer", "minimum": 0},
            "took_ms": {"type": "number"},
            "suggestion": {**NULLABLE_STRING, "description": "A corrected query in the archive's spelling."},
            "corrected": {"type": "boolean", "description": "True when `q` found nothing and the results are those of `suggestion`."},
            "results": {"type": "array", "items": _ref("SearchResult"),
                        "description": "Pinned articles first (relevance order only); a pinned article the "
                        "words do not match has a null `score`."},
            "debug": {**_ref("SearchDebug"), "description": "Only with `debug=1`."},
            "facets": {
                "type": "object",
                "required": list(FACETS),
                "properties": {facet: {"type": "array", "items": _ref("FacetValue")} for facet in FACETS},
            },
        },
    },
    "SearchDebug": {
        "type": "object",
        "required": ["generation", "settings_version", "normalized_query", "synonyms", "pinned"],
        "properties": {
            "generation": {"type": "string", "description": "The index generation that answered."},
            "settings_version": {"type": "integer", "minimum": 0,
                                 "description": "The version of the synonyms and pins in force (0: none ever set)."},
            "normalized_query": {"type": "string", "description": "The query's terms, as pins are looked up."},
            "synonyms": {"type": "array", "description": "The synonyms applied: a word or phrase's terms and "
                         "the phrases it also stood for.",
                         "items": {"type": "object", "required": ["terms", "synonyms"],
                                   "properties": {"terms": {"type": "string"}, "synonyms": STRINGS}}},
            "pinned": {**STRINGS, "description": "Ids of the pinned articles shown first."},
        },
    },
    "RelatedArticle": {
        "type": "object",
        "required": ["id", "url", "title", "date", "author", "tags", "categories", "sources", "score", "shares"],
        "properties": {
            "id": {"type": "string"}, "url": {"type": "string"}, "title": {"type": "string"},
            "date": {"type": "string"}, "author": {"type": "string"}, "tags": STRINGS, "categories": STRINGS,
            "sources": STRINGS,
            "score": {"type": "number", "exclusiveMinimum": 0,
                      "description": "Likeness of words (up to 1) plus what shared tags and quoted sources add."},
            "shares": {"type": "object", "required": ["tags", "sources"],
                       "properties": {"tags": STRINGS, "sources": STRINGS},
                       "description": "The tags and quoted sources both articles have, in this article's spelling."},
        },
    },
    "RelatedAnswer": {
        "type": "object",
        "required": ["id", "results"],
        "properties": {"id": {"type": "string"},
                       "results": {"type": "array", "items": _ref("RelatedArticle"), "description": "Best first."}},
    },
    "SynonymRule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["synonyms"],
        "description": "Without `input`: each word or phrase stands for every other (both ways). With `input`: "
                       "a search for `input` also finds the `synonyms` (one way). Each is read through the index's "
                       "French analysis (case, accents, elision, plurals do not count); a phrase matches as a phrase.",
        "properties": {
            "input": {"type": "string", "minLength": 1, "maxLength": curation.MAX_PHRASE_CHARS},
            "synonyms": {"type": "array", "minItems": 1, "maxItems": curation.MAX_SYNONYMS,
                         "items": {"type": "string", "minLength": 1, "maxLength": curation.MAX_PHRASE_CHARS}},
        },
    },
    "Pin": {
        "type": "object",
        "additionalProperties": False,
        "required": ["query", "articles"],
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": curation.MAX_PHRASE_CHARS,
                      "description": "Compared as the index reads it: case, accents, plurals and stop words do not count."},
            "articles": {"type": "array", "minItems": 1, "maxItems": curation.MAX_PINNED, "uniqueItems": True,
                         "items": {"type": "string", "minLength": 1, "maxLength": curation.MAX_ID_CHARS},
                         "description": "Shown first, in this order, when published and within the reader's filters."},
        },
    },
    "Synonyms": {
        "type": "object",
        "required": ["version", "updated_at", "synonyms"],
        "properties": {"version": {"type": "integer", "minimum": 0}, "updated_at": NULLABLE_STRING,
                       "synonyms": {"type": "array", "maxItems": curation.MAX_RULES, "items": _ref("SynonymRule")}},
    },
    "Pins": {
        "type": "object",
        "required": ["version", "updated_at", "pins"],
        "properties": {"version": {"type": "integer", "minimum": 0}, "updated_at": NULLABLE_STRING,
                       "pins": {"type": "array", "maxItems": curation.MAX_RULES, "items": _ref("Pin")}},
    },
    "FacetValues": {
        "type": "object",
        "required": ["facet", "prefix", "query", "total", "values", "took_ms"],
        "properties": {
            "facet": {"enum": list(FACETS)},
            "prefix": {"type": "string"},
            "query": {"type": "string", "description": "The search's `q`."},
            "total": {"type": "integer", "minimum": 0,
                      "description": "Values matching the prefix with at least one result (all of them, "
                                     "not only those listed)."},
            "values": {"type": "array", "items": _ref("FacetValue"),
                       "description": "Most frequent first, then by value; `year`: newest first."},
            "took_ms": {"type": "number"},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "url", "title", "date", "author", "tags", "categories", "sources", "body"],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "date": {"type": "string"},
            "author": {"type": "string"},
            "tags": STRINGS,
            "categories": STRINGS,
            "sources": STRINGS,
            "body": {"type": "string", "description": "Plain text."},
        },
    },
    "Suggestions": {
        "type": "object",
        "required": ["query", "suggestions"],
        "properties": {"query": {"type": "string"}, "suggestions": STRINGS},
    },
    "Job": {
        "type": "object",
        "required": ["id", "state", "processed", "total", "indexed", "skipped", "errors", "started_at", "finished_at"],
        "properties": {
            "id": {"type": "string"},
            "state": {"enum": ["queued", "running", "done", "failed"]},
            "processed": {"type": "integer", "minimum": 0},
            "total": {"type": ["integer", "null"], "minimum": 0},
            "indexed": {"type": "integer", "minimum": 0},
            "skipped": {"type": "integer", "minimum": 0, "description": "Records skipped; their reasons are in `errors`."},
            "errors": {"type": "array", "items": {"type": "string"},
                       "description": "Skipped records' reasons, and why the build failed if it did."},
            "started_at": NULLABLE_STRING,
            "finished_at": NULLABLE_STRING,
            "trigger": {"enum": ["sync"], "description": "Present on a build started by `serve --sync-every`: "
                                                         "a scheduled sync of the archive (its URL sources above all)."},
        },
    },
    "JobAnswer": {
        "type": "object",
        "required": ["job"],
        "properties": {"job": {"oneOf": [_ref("Job"), {"type": "null"}]}},
    },
    "ArticleInput": {
        "type": "object",
        "description": "An article written through the admin API: the fields of a search result, plus `body`.",
        "required": ["title", "body"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": ["string", "integer"], "maxLength": MAX_ID_CHARS,
                   "description": "Optional with PUT (then the same as the path's); required in a batch."},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "HTML or plain text, cleaned like every reader's."},
            "url": {"type": "string", "description": "An http(s) address or a path starting with `/`."},
            "date": {"type": "string", "description": "`YYYY-MM-DD`, an ISO date-time or an RFC 2822 date."},
            "author": {"type": "string"},
            "tags": STRINGS,
            "categories": STRINGS,
            "sources": {**STRINGS, "description": "Optional: the sources quoted are also found in the text."},
            "status": {"type": "string", "enum": ["publish"],
                       "description": "Optional; only published articles are indexed."},
        },
    },
    "Task": {
        "type": "object",
        "required": ["id", "kind", "state", "articles", "ids", "error", "enqueued_at", "finished_at"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "kind": {"enum": ["put", "delete", "batch", None],
                     "description": "null only for a task known from the journal alone."},
            "state": {"enum": ["enqueued", "processing", "succeeded", "failed"]},
            "articles": {"type": ["integer", "null"], "minimum": 0, "description": "Articles written or removed."},
            "ids": {**STRINGS, "description": "The first article ids of the task."},
            "error": {**NULLABLE_STRING, "description": "Why it failed, or why it still waits."},
            "enqueued_at": NULLABLE_STRING,
            "finished_at": NULLABLE_STRING,
        },
    },
    "TaskAnswer": {
        "type": "object",
        "required": ["task"],
        "properties": {"task": _ref("Task")},
    },
    "TaskList": {
        "type": "object",
        "required": ["tasks"],
        "properties": {"tasks": {"type": "array", "items": _ref("Task"), "description": "Newest first."}},
    },
    "Health": {
        "type": "object",
        "required": ["status", "articles", "generation"],
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "articles": {"type": "integer", "minimum": 0},
            "generation": NULLABLE_STRING,
            "built_at": NULLABLE_STRING,
            "segments": {"type": "integer", "minimum": 0, "description": "Segments of the live generation."},
            "pending_writes": {"type": "integer", "minimum": 0,
                               "description": "Pushed writes acknowledged and not yet searchable."},
        },
    },
}


def _query(name: str, description: str, schema: dict, **more) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema, **more}


FACET_DESCRIPTIONS = {
    "tag": "Tag", "category": "Category", "source": "Quoted source (study, outlet, person)",
    "year": "Year of publication", "author": "Author",
}

SEARCH_PARAMETERS = [
    _query("q", "Words (all required), \"a phrase\", -word, a OR b, prefix*, title:, tag:, source:. Empty: every article.",
           {"type": "string", "default": "", "maxLength": MAX_QUERY_CHARS}),
    _query("page", "Page of results, from 1.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _query("per_page", "Results per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}),
    _query("sort", "`relevance`, `date` (newest first) or `-date` (oldest first).",
           {"enum": ["relevance", "date", "-date"], "default": "relevance"}),
    *(
        _query(facet, f"{FACET_DESCRIPTIONS[facet]}; repeat for several values (ORed; different facets are ANDed).",
               {"type": "array", "items": {"type": "string"}, "maxItems": MAX_FILTER_VALUES},
               style="form", explode=True)
        for facet in FACETS
    ),
    _query("from", "Published on or after this day.", {"type": "string", "format": "date"}),
    _query("to", "Published on or before this day.", {"type": "string", "format": "date"}),
    _query("debug", "`1`: add `debug` to the answer (synonyms applied, pinned articles, settings version).",
           {"enum": ["0", "1", "true", "false"], "default": "0"}),
]

CACHED = {
    "ETag": {"description": "Send it back in `If-None-Match` to get a 304 while nothing changed.", "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string", "example": "public, no-cache"}},
    "Access-Control-Allow-Origin": {"schema": {"const": "*"}},
}

ANALYTICS_SCHEMAS = {
    "Click": {
        "type": "object",
        "required": ["q", "id", "position"],
        "description": "A reader opened a result. Send it as a beacon (`navigator.sendBeacon`, text/plain is "
                       "fine: the body is read as JSON whatever its type).",
        "properties": {
            "q": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": "\\S",
                  "description": "The query "
                  "the result was found with, as typed."},
            "id": {"type": ["string", "integer"], "minLength": 1, "maxLength": MAX_ID_CHARS,
                   "pattern": "^[^\\x00-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$",
                   "description": "The opened article's id (not empty, no control characters)."},
            "position": {"type": "integer", "minimum": 1, "maximum": MAX_POSITION,
                         "description": "Its rank in the answer, 1 for the first (across pages)."},
        },
    },
    "QueryFigures": {
        "type": "object",
        "required": ["query", "searches", "found", "zero", "clicks", "click_through_rate", "last_day"],
        "properties": {
            "query": {"type": "string", "description": "Normalised: lowercase, accents folded, one space."},
            "searches": {"type": "integer", "minimum": 1},
            "found": {"type": "integer", "minimum": 0, "description": "Searches with at least one result."},
            "zero": {"type": "integer", "minimum": 0, "description": "Searches without any."},
            "clicks": {"type": "integer", "minimum": 0},
            "click_through_rate": {"type": ["number", "null"], "description": "clicks / searches."},
            "last_day": {"type": "string", "format": "date"},
        },
    },
    "ZeroResultQuery": {
        "type": "object",
        "required": ["query", "zero", "searches", "last_day"],
        "properties": {
            "query": {"type": "string"},
            "zero": {"type": "integer", "minimum": 1},
            "searches": {"type": "integer", "minimum": 1},
            "last_day": {"type": "string", "format": "date", "description": "The last day it found nothing."},
        },
    },
    "Analytics": {
        "type": "object",
        "required": ["from", "to", "days", "totals", "per_day", "top_queries", "zero_result_queries", "error",
                     "enabled", "retention_days"],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date", "description": "Today (UTC), included."},
            "days": {"type": "integer", "minimum": 1},
            "totals": {
                "type": "object",
                "required": ["searches", "found", "zero", "clicks", "click_through_rate", "mean_click_position"],
                "properties": {
                    "searches": {"type": "integer", "minimum": 0},
                    "found": {"type": "integer", "minimum": 0},
                    "zero": {"type": "integer", "minimum": 0},
                    "clicks": {"type": "integer", "minimum": 0},
                    "click_through_rate": {"type": ["number", "null"]},
                    "mean_click_position": {"type": ["number", "null"]},
                },
            },
            "per_day": {"type": "array", "description": "Every day of the period, oldest first, zeros included.",
                        "items": {"type": "object", "required": ["day", "searches", "zero", "clicks"],
                                  "properties": {"day": {"type": "string", "format": "date"},
                                                 "searches": {"type": "integer", "minimum": 0},
                                                 "zero": {"type": "integer", "minimum": 0},
                                                 "clicks": {"type": "integer", "minimum": 0}}}},
            "top_queries": {"type": "array", "items": _ref("QueryFigures"), "description": "Most searched first."},
            "zero_result_queries": {"type": "array", "items": _ref("ZeroResultQuery"),
                                    "description": "Most often unanswered first: the editor's to-do list."},
            "error": {"type": ["string", "null"], "description": "Why the figures could not be read (then empty)."},
            "enabled": {"type": "boolean", "description": "Whether this server records searches."},
            "retention_days": {"type": "integer", "minimum": 1},
        },
    },
}
SCHEMAS.update(ANALYTICS_SCHEMAS)


NOT_MODIFIED = {"description": "Not modified since the ETag sent in `If-None-Match`."}
ADMIN = [{"bearerAuth": []}]
ADMIN_REFUSALS = {
    "401": _error("Missing or wrong token."),
    "403": _error("Admin is off (no token configured), or a session request without its CSRF header."),
}
LIMIT = f"{MAX_REQUEST_BYTES // (1024 * 1024)} MB"


def _write_responses(what: str) -> dict:
    """The answers of a write: nothing is recorded unless it is a 202."""
    return {
        "202": {**_json("TaskAnswer", f"{what} The write is durable (it survives a crash) and becomes "
                        "searchable within seconds; follow the task at `Location`."),
                "headers": {"Location": {"description": "The task's URL.", "schema": {"type": "string"}}}},
        "400": _error("A bad field (`bad_document`, named in `error.param`), a body that is not JSON, or a "
                      "wrong Content-Type (`bad_content_type`). Nothing was recorded."),
        **ADMIN_REFUSALS,
        "413": _error(f"Over {LIMIT}, or a batch of more than {MAX_BATCH} articles (`too_large`). "
                      "Nothing was recorded."),
        "503": _error("The journal cannot take writes (`journal_error`). Nothing was recorded."),
        "507": _error("The disk is full (`insufficient_storage`). Nothing was recorded."),
    }


# The rule for ids in the path (api.py says why).
ID_IN_PATH = ("The id as it is, `/` included (`2015/mon-article`); `%2F` is the same as `/` (servers decode it "
              "before routing). A path ending in `/related` names the related list of the id before it "
              "(`/api/v1/articles/{id}/related`): fetch an article whose id ends in `/related` from "
              "`/api/v1/articles?id=…`, which takes any id.")

ARTICLE_ID = {"name": "id", "in": "path", "required": True,
              "schema": {"type": "string", "maxLength": MAX_ID_CHARS}}


def _cached(schema_name: str, description: str) -> dict:
    return {**_json(schema_name, description), "headers": CACHED}


def _settings_path(kind: str, schema: str) -> dict:
    """GET and PUT of the editor's synonyms or pins (stored beside the index; no reindex)."""
    item = {"type": "array", "items": _ref("SynonymRule" if kind == "synonyms" else "Pin")}
    return {
        "get": {
            "summary": f"The {kind} in force",
            "operationId": f"get{schema}",
            "security": ADMIN,
            "responses": {"200": {**_json(schema, f"The {kind} and the version of the settings."),
                                  "headers": {"Cache-Control": {"schema": {"const": "no-store"}}}},
                          **ADMIN_REFUSALS,
                          "503": _error("settings.json cannot be read (`settings_unreadable`): searches keep "
                                        "the last good rules; a PUT replaces the file and sets it aside.")},
        },
        "put": {
            "summary": f"Replace the {kind}",
            "description": "In force at every server process's next request, without a reindex.",
            "operationId": f"put{schema}",
            "security": ADMIN,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": [kind], "properties": {kind: item}}}}},
            "responses": {
                "200": _json(schema, f"The {kind} stored; `version` is the new settings version."),
                "400": _error("A bad rule (`bad_settings`, named in `error.param`, e.g. `synonyms[2].input`): "
                              "an empty or stop-word-only term, a word made its own synonym, one-way rules "
                              "that loop, too many or too long. Nothing was stored."),
                **ADMIN_REFUSALS,
                "413": _error("A body over the app's 64 kB."),
            },
        },
    }


def _paths() -> dict:
    return {
        "/api/v1/search": {
            "get": {
                "summary": "Search the archive",
                "operationId": "search",
                "parameters": SEARCH_PARAMETERS,
                "responses": {
                    "200": _cached("SearchAnswer", "One page of results, with facet counts."),
                    "304": NOT_MODIFIED,
                    "400": _error("A bad parameter, named in `error.param`."),
                    "429": _error("Too many requests (when rate limiting is on); see `Retry-After`."),
                    "503": _error("No index has been built yet (`no_index`), or the search ran over its "
                                  "time limit and was stopped (`timeout`, with `Retry-After`)."),
                },
            }
        },
        "/api/v1/facets/{facet}": {
            "get": {
                "summary": "Find a facet's values by the start of their words",
                "operationId": "facetValues",
                "description": "For facets with more values than a search lists (it lists the 100 most "
                               "frequent): the values whose words start with `prefix` (case and accents "
                               "ignored; `institut nat` finds `Institut national…`), counted exactly as the "
                               "search's `facets` with the same `q`, filters and dates.",
                "parameters": [
                    {"name": "facet", "in": "path", "required": True,
                     "description": "One of " + ", ".join(FACETS) + " (any other: 400).",
                     "schema": {"enum": list(FACETS)}},
                    _query("prefix", "The start of a word of the values (several words: the last may be cut). "
                           "Empty: the most frequent values.", {"type": "string", "default": "",
                                                                  "maxLength": MAX_VALUE_PREFIX}),
                    _query("limit", "Values listed.", {"type": "integer", "minimum": 1, "maximum": MAX_VALUE_LIMIT,
                                                       "default": DEFAULT_VALUE_LIMIT}),
                    *SEARCH_PARAMETERS,
                ],
                "responses": {
                    "200": _cached("FacetValues", "The matching values with their counts."),
                    "304": NOT_MODIFIED,
                    "400": _error("An unknown facet (`param` is `facet`), or a bad parameter, named in `error.param`."),
                    "429": _error("Too many requests (when rate limiting is on); see `Retry-After`."),
                    "503": _error("No index has been built yet (`no_index`), or the search ran over its "
                                  "time limit and was stopped (`timeout`, with `Retry-After`)."),
                },
            }
        },
        "/api/v1/articles/{id}": {
            "get": {
                "summary": "One article",
                "description": ID_IN_PATH,
                "operationId": "getArticle",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _cached("Article", "The article, as plain text."),
                    "304": NOT_MODIFIED,
                    "404": _error("No article has this id."),
                },
            }
        },
        "/api/v1/articles": {
            "get": {
                "summary": "One article, any id",
                "description": "The same answer as `/api/v1/articles/{id}`, for any id: the one address of an "
                               "article whose id ends in `/related`.",
                "operationId": "getArticleById",
                "parameters": [_query("id", "The article's id (percent-encoded as any query value); "
                                      "blanks around it are not part of it, so it holds a non-blank character.",
                                      {"type": "string", "pattern": r"\S", "maxLength": MAX_ID_CHARS},
                                      required=True)],
                "responses": {
                    "200": _cached("Article", "The article, as plain text."),
                    "304": NOT_MODIFIED,
                    "400": _error("No `id` (`param` is `id`)."),
                    "404": _error("No article has this id."),
                },
            }
        },
        "/api/v1/articles/{id}/related": {
            "get": {
                "summary": "The articles most related to one",
                "description": "From the article's own best terms (Elasticsearch's more_like_this), its tags and the "
                               "sources it quotes (two articles citing the same study are related). Never the "
                               "article itself; published articles only. The id is everything between "
                               "`/api/v1/articles/` and the last `/related`, whatever it holds (`a/related/related` "
                               "is the list of `a/related`).",
                "operationId": "relatedArticles",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                               _query("limit", "How many, best first.",
                                      {"type": "integer", "minimum": 1, "maximum": related.MAX_LIMIT,
                                       "default": related.DEFAULT_LIMIT})],
                "responses": {
                    "200": _cached("RelatedAnswer", "The related articles, best first (maybe none)."),
                    "304": NOT_MODIFIED,
                    "400": _error("A bad `limit`."),
                    "404": _error("No published article has this id."),
                },
            }
        },
        "/api/v1/suggest": {
            "get": {
                "summary": "Completions for a search box",
                "operationId": "suggest",
                "parameters": [_query("q", "What the reader has typed so far.", {"type": "string", "default": ""})],
                "responses": {"200": _cached("Suggestions", "Completions, best first."), "304": NOT_MODIFIED},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        },
        "/api/v1/admin/reindex": {
            "get": {
                "summary": "The current or last reindex job",
                "operationId": "reindexStatus",
                "security": ADMIN,
                "responses": {
                    "200": _json("JobAnswer", "The job, or null if none ever ran."),
                    "401": _error("Missing or wrong token."),
                    "403": _error("Admin is off (no token configured)."),
                },
            },
            "post": {
                "summary": "Start a reindex of the configured archive",
                "operationId": "reindex",
                "security": ADMIN,
                "responses": {
                    "202": _json("JobAnswer", "The build started in its own process; poll the GET for progress."),
                    "401": _error("Missing or wrong token."),
                    "403": _error("Admin is off (no token configured)."),
                    "409": _error("A build is already running; `job` is that build."),
                },
            },
        },
        "/api/v1/admin/articles/{id}": {
            "put": {
                "summary": "Create or replace one article",
                "operationId": "putArticle",
                "security": ADMIN,
                "parameters": [ARTICLE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ArticleInput")}},
                },
                "responses": _write_responses("The article is recorded."),
            },
            "delete": {
                "summary": "Remove one article",
                "operationId": "deleteArticle",
                "security": ADMIN,
                "parameters": [ARTICLE_ID],
                "responses": {
                    **{status: answer for status, answer in _write_responses(
                        "The deletion is recorded (an id the index does not hold is no error).").items()
                       if status != "413"},  # it has no body
                    "400": _error("A bad id (`bad_document`, `param` is `id`): too long, or with control "
                                  "characters. Nothing was recorded."),
                },
            },
        },
        "/api/v1/admin/articles": {
            "post": {
                "summary": "Write a batch of articles, all or nothing",
                "operationId": "postArticles",
                "security": ADMIN,
                "requestBody": {
                    "required": True,
                    "description": f"At most {MAX_BATCH} articles, each with its `id` (ids may not repeat).",
                    "content": {
                        "application/json": {"schema": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH,
                                                        "items": {**_ref("ArticleInput"), "required": ["id"]}}},
                        "application/x-ndjson": {"schema": {
                            "type": "string", "description": "One article (a JSON object) a line."}},
                    },
                },
                "responses": _write_responses("The batch is recorded, as one task."),
            },
        },
        "/api/v1/admin/tasks/{id}": {
            "get": {
                "summary": "One write task",
                "operationId": "getTask",
                "security": ADMIN,
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {
                    "200": {**_json("TaskAnswer", "The task as it stands."),
                            "headers": {"Cache-Control": {"schema": {"const": "no-store"}}}},
                    **ADMIN_REFUSALS,
                    "404": _error("No task has this id."),
                },
            },
        },
        "/api/v1/admin/tasks": {
            "get": {
                "summary": "The last write tasks",
                "operationId": "listTasks",
                "security": ADMIN,
                "parameters": [_query("limit", "How many, newest first.",
                                      {"type": "integer", "minimum": 1, "maximum": MAX_TASKS, "default": DEFAULT_TASKS})],
                "responses": {
                    "200": {**_json("TaskList", "The tasks, newest first."),
                            "headers": {"Cache-Control": {"schema": {"const": "no-store"}}}},
                    "400": _error("A bad `limit`."),
                    **ADMIN_REFUSALS,
                },
            },
        },
        "/api/v1/admin/synonyms": _settings_path("synonyms", "Synonyms"),
        "/api/v1/admin/pins": _settings_path("pins", "Pins"),
        "/api/v1/click": {
            "post": {
                "summary": "Report a click on a result (search analytics)",
                "operationId": "click",
                "description": "Counted for the query's row of the day (or of the day before); a query nobody "
                               "searched is accepted and not counted. Nothing about the sender is kept.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("Click")}, "text/plain": {"schema": _ref("Click")}}},
                "responses": {
                    "204": {"description": "Received."},
                    "400": _error("Not a click (`bad_click`, the field in `error.param`)."),
                    "413": _error("Over 4 kB (`too_large`)."),
                    "429": _error("Too many requests (when rate limiting is on); see `Retry-After`."),
                },
            }
        },
        "/api/v1/admin/analytics": {
            "get": {
                "summary": "Search analytics: totals, searches per day, top and zero-result queries",
                "operationId": "analytics",
                "security": ADMIN,
                "parameters": [
                    _query("days", "The period: the last N days (UTC), today included.",
                           {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": 30}),
                    _query("limit", "Rows of each top list (1 to 100).",
                           {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
                ],
                "responses": {
                    "200": {**_json("Analytics", "The figures of the period."),
                            "headers": {"Cache-Control": {"schema": {"const": "no-store"}}}},
                    "400": _error("A bad `days`."),
                    **ADMIN_REFUSALS,
                },
            }
        },
        "/api/v1/admin/analytics.csv": {
            "get": {
                "summary": "Search analytics as CSV: one row per day and query",
                "operationId": "analyticsCsv",
                "security": ADMIN,
                "parameters": [_query("days", "The period: the last N days (UTC), today included.",
                                      {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": 30})],
                "responses": {
                    "200": {"description": "`day,query,searches,found,zero_results,clicks`; a query starting with "
                                           "`=`, `+`, `-` or `@` is prefixed with `'` (spreadsheets would run it).",
                            "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "400": _error("A bad `days`."),
                    **ADMIN_REFUSALS,
                    "503": _error("The analytics file cannot be read (`analytics_unreadable`)."),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Health for load balancers",
                "operationId": "health",
                "responses": {
                    "200": _json("Health", "An index answers."),
                    "503": _json("Health", "No index yet."),
                },
            }
        },
        "/embed.js": {
            "get": {
                "summary": "The embeddable search widget",
                "operationId": "widget",
                "responses": {"200": {"description": "The script", "content": {"text/javascript": {"schema": {"type": "string"}}}}},
            }
        },
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "archive-search",
            "version": __version__,
            "description": "Full-text search of an archive of French articles. Every error is "
            "`{\"error\": {\"code\", \"message\"}}`; GET answers may be read from any origin.",
        },
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "ARCHIVE_SEARCH_ADMIN_TOKEN"}},
        },
    }

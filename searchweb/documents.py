"""The document API: articles written over HTTP (one, a batch, a deletion) and the tasks that follow them.

    PUT    /api/v1/admin/articles/<id>   create or replace one article (a JSON object)
    DELETE /api/v1/admin/articles/<id>   remove one article
    POST   /api/v1/admin/articles        a batch: a JSON array or NDJSON, all or nothing
    GET    /api/v1/admin/tasks/<id>      one task
    GET    /api/v1/admin/tasks?limit=N   the last tasks, newest first

HTTP only: the engine (`indexer.live`) checks the fields and records the write in its journal,
durably, before the 202 goes out. A refused request (auth, a bad field, too large, a full disk)
records nothing. Auth is the admin API's own (`admin.api_refusal`).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request, url_for

from indexer import live
from indexer.errors import QueryError
from indexer.live import documents as engine_documents
from indexer.live.documents import DocumentError, TooLarge, article_from_json, batch_from_body, check_id

from .admin import api_refusal
from .errors import error_response

bp = Blueprint("documents", __name__)

# The media types a write is read from (parameters such as `charset=utf-8` are allowed).
JSON = "application/json"
NDJSON = "application/x-ndjson"

DEFAULT_TASKS = 20
MAX_TASKS = 100
MAX_TASK_ID = 2**63 - 1  # SQLite's largest integer: a larger id names no task


def _index_dir() -> str:
    return current_app.config["INDEX_DIR"]


def _max_bytes() -> int:
    # Read at each request from the engine, so that the web and the engine always agree.
    return engine_documents.MAX_REQUEST_BYTES


@bp.before_request
def _admin_only():
    """This request's own size limit, then auth: a refused request reads no body, records nothing."""
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    if writes:
        # The app takes 64 KiB at most; an article or a batch may be larger.
        request.max_content_length = _max_bytes()
    return api_refusal(changes_state=writes)


@bp.errorhandler(413)
def _too_large(error):
    """A body over the limit, refused by Werkzeug before it is read: said like the engine's TooLarge."""
    return error_response(413, TooLarge.code, f"a request may carry at most {_size(_max_bytes())}")


def _size(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MB" if size >= mib and size % mib == 0 else f"{size} bytes"


class BadContentType(DocumentError):
    """A write sent as something else than the media types it is read from."""

    code = "bad_content_type"


def _body(accepted: tuple[str, ...]) -> bytes:
    if request.mimetype not in accepted:
        sent = f"not {request.mimetype}" if request.mimetype else "none was sent"
        raise BadContentType(f"Content-Type must be {' or '.join(accepted)} ({sent})", "Content-Type")
    return request.get_data(cache=False)  # over the limit: a 413 (Werkzeug), nothing read


def _json_object() -> object:
    raw = _body((JSON,))
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DocumentError(f"the body is not UTF-8 (byte {error.start})", "body") from None
    except json.JSONDecodeError as error:
        raise DocumentError(f"bad JSON: {error.msg} (line {error.lineno}, column {error.colno})", "body") from None


def _accepted(task: dict):
    """202: the write is in the journal (durable); `Location` is where to follow it."""
    response = jsonify({"task": task})
    response.status_code = 202
    response.headers["Location"] = url_for("documents.task_json", task_id=task["id"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.put("/api/v1/admin/articles/<article_id:article_id>")
def put_article(article_id: str):
    article_id = check_id(article_id)
    article = article_from_json(_json_object(), article_id)
    return _accepted(live.put(_index_dir(), [article], kind="put"))


@bp.delete("/api/v1/admin/articles/<article_id:article_id>")
def delete_article(article_id: str):
    return _accepted(live.delete(_index_dir(), [check_id(article_id)]))


@bp.post("/api/v1/admin/articles")
def post_batch():
    raw = _body((JSON, NDJSON))
    articles = batch_from_body(raw, ndjson=request.mimetype == NDJSON)
    return _accepted(live.put(_index_dir(), articles, kind="batch"))


@bp.get("/api/v1/admin/tasks/<int:task_id>")
def task_json(task_id: int):
    if task_id > MAX_TASK_ID:
        raise live.TaskNotFound(f"no task {task_id}")
    response = jsonify({"task": live.get_task(_index_dir(), task_id)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/v1/admin/tasks")
def tasks_json():
    raw = request.args.get("limit", "").strip()
    try:
        limit = int(raw) if raw else DEFAULT_TASKS
    except ValueError:
        raise QueryError(f"limit must be an integer, not {raw!r}", param="limit") from None
    if not 1 <= limit <= MAX_TASKS:
        raise QueryError(f"limit must be between 1 and {MAX_TASKS}", param="limit")
    response = jsonify({"tasks": live.recent_tasks(_index_dir(), limit)})
    response.headers["Cache-Control"] = "no-store"
    return response

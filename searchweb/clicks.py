"""`POST /api/v1/click`: the beacon the page and the widget send when a reader opens a result.

A tiny JSON body, `{"q": "...", "id": "...", "position": 3}`, sent with `navigator.sendBeacon`
(as text/plain, so no preflight is needed from another site). It is checked, counted for the
query's row of the day, and answered 204. Nothing about the sender is read or kept: not a cookie,
not the address (beyond the rate limiter's memory), not the user agent.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request

from indexer.live.documents import DocumentError, check_id
from indexer.search.query import MAX_QUERY_CHARS

from . import metrics
from .errors import error_response

bp = Blueprint("clicks", __name__)

MAX_BODY = 4096         # bytes: a query, an id and a number
MAX_POSITION = 50_000   # the deepest result a page can show (1000 pages of 50)


def _refusal(message: str, param: str | None = None):
    return error_response(400, "bad_click", message, param=param)


@bp.post("/api/v1/click")
def click():
    if (request.content_length or 0) > MAX_BODY:
        return error_response(413, "too_large", f"A click is at most {MAX_BODY} bytes.")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:  # (a chunked body has no length to check beforehand)
        return error_response(413, "too_large", f"A click is at most {MAX_BODY} bytes.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _refusal("The body must be a JSON object: {\"q\": ..., \"id\": ..., \"position\": ...}.")
    if not isinstance(body, dict):
        return _refusal("The body must be a JSON object: {\"q\": ..., \"id\": ..., \"position\": ...}.")
    q, position = body.get("q"), body.get("position")
    if not isinstance(q, str) or not q.strip():
        return _refusal("q must be the query the result was found with.", "q")
    if len(q) > MAX_QUERY_CHARS:
        return _refusal(f"q is at most {MAX_QUERY_CHARS} characters.", "q")
    try:
        check_id(body.get("id"))
    except DocumentError as bad:
        return _refusal(str(bad), "id")
    if isinstance(position, float) and position.is_integer():
        position = int(position)  # (JSON has one number type: 3.0 is the integer 3)
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= MAX_POSITION:
        return _refusal(f"position must be an integer from 1 to {MAX_POSITION} (1: the first result).", "position")
    metrics.CLICKS.inc()
    recorder = current_app.extensions.get("archive_search.analytics")
    if recorder is not None:
        recorder.click(q, position)
    response = current_app.response_class(status=204)
    response.headers["Access-Control-Allow-Origin"] = "*"  # (a beacon does not read it; a fetch may)
    response.headers["Cache-Control"] = "no-store"
    return response

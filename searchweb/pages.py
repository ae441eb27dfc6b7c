"""The readers' search page (`GET /`) and the widget script (`GET /embed.js`).

The page asks the engine exactly what the API asks it (same parameters, same `search` call) and
renders the same answer dict; every state lives in the URL, and every link just rewrites it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from indexer.search.facets import MAX_FACET_VALUES

from .engine import search_answer
from .params import FACETS, search_request

bp = Blueprint("pages", __name__)

FACET_LABELS = {
    "tag": "Mots-clés",
    "category": "Rubriques",
    "source": "Sources citées",
    "year": "Années",
    "author": "Auteurs",
}
SORT_LABELS = {"relevance": "Pertinence", "date": "Plus récents d’abord", "-date": "Plus anciens d’abord"}
CLEAR_FILTERS = {**dict.fromkeys(FACETS), "from": None, "to": None}  # for url_with(**...)
# What the page shows about one listed result rather than which results it lists: a link that changes
# the search (or its page) drops it, for that result may no longer be listed.
RESULT_VIEW = ("related",)
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


@bp.get("/")
def search_page():
    search_req = search_request(request.args)
    answer = search_answer(search_req)
    return render_template(
        "search.html",
        answer=answer,
        search_req=search_req,
        filtered=any(search_req.filters.values()) or search_req.date_from or search_req.date_to,
        facet_labels=FACET_LABELS,
        sort_labels=SORT_LABELS,
        page_numbers=page_window(answer["page"], answer["pages"]),
        clear_filters=CLEAR_FILTERS,
        max_facet_values=MAX_FACET_VALUES,
    )


# The widget's script: the page's completions (combobox.js) and embed.js, in one function so that
# nothing of ours becomes a global of the host page.
WIDGET_PARTS = ("combobox.js", "embed.js")


@functools.cache
def widget_script(static_folder: str) -> bytes:
    parts = [(Path(static_folder) / name).read_text(encoding="utf-8") for name in WIDGET_PARTS]
    return ("(function () {\n" + "\n".join(parts) + "\n})();\n").encode()


@bp.get("/embed.js")
def embed_js():
    """The widget, loadable from any site (a script is not readable cross-site without CORS)."""
    response = current_app.response_class(widget_script(current_app.static_folder), mimetype="text/javascript")
    response.add_etag()
    response.make_conditional(request)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- helpers the template uses ----------------------------------------------------------------------

@bp.app_template_filter("date_fr")
def date_fr(iso: str | None) -> str:
    """`2015-03-28` -> `28 mars 2015` (`1er` for the first day, as French writes it)."""
    try:
        year, month, day = (int(part) for part in (iso or "").split("-"))
        return f"{'1er' if day == 1 else day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso or ""


@bp.app_template_filter("http_url")
def http_url(url: str | None) -> str | None:
    """The url if it is a web address; None for `javascript:`, `data:` and the like, which never become links."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


@bp.app_template_global()
def url_with(**changes) -> str:
    """This page's URL with some parameters replaced (None removes one); any change but paging resets the page.

    Only a change of a RESULT_VIEW parameter (opening a result's related articles) keeps the search as it
    is, page included when given; any other change closes those views.
    """
    args = request.args.copy()
    if "page" not in changes:
        args.pop("page", None)
    if not changes.keys() & set(RESULT_VIEW):
        _close_result_views(args)
    for name, value in changes.items():
        args.pop(name, None)
        if value is not None:
            args.setlist(name, value if isinstance(value, list) else [value])
    return _url(args)


@bp.app_template_global()
def url_toggling(facet: str, value: str) -> str:
    """This page's URL with one facet value ticked if it was not, unticked if it was (back to page 1,
    result views closed)."""
    args = request.args.copy()
    args.pop("page", None)
    _close_result_views(args)
    values = args.getlist(facet)
    args.setlist(facet, [v for v in values if v != value] if value in values else [*values, value])
    return _url(args)


def _close_result_views(args) -> None:
    for name in RESULT_VIEW:
        args.pop(name, None)


def _url(args) -> str:
    query = urlencode([(k, v) for k, vs in args.lists() for v in vs if v != ""])
    return url_for("pages.search_page") + (f"?{query}" if query else "")


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to offer: the first, the last and a few around the current one; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)} - {0})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


"""The editor's synonyms and pinned results over HTTP: the admin API and the admin page's form.

    GET/PUT /api/v1/admin/synonyms   {"version", "updated_at", "synonyms": [...]}
    GET/PUT /api/v1/admin/pins       {"version", "updated_at", "pins": [...]}
    POST    /admin/curation          the admin page's form (lines, CSRF token)

HTTP only: the engine (`indexer.search.curation`) checks the rules (a refused one is a 400
naming it, and nothing is stored) and writes settings.json beside the index, which every
server process reads again at its next request.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for

from indexer.search import (
    BadSettings,
    pins_as_lines,
    pins_from_lines,
    read_settings,
    synonyms_as_lines,
    synonyms_from_lines,
    update_settings,
)

from . import security
from .admin import admin_api, admin_page
from .errors import error_response

bp = Blueprint("curation", __name__)

KINDS = ("synonyms", "pins")


def _index_dir() -> str:
    return current_app.config["INDEX_DIR"]


def _shown(settings: dict, kind: str):
    response = jsonify({"version": settings["version"], "updated_at": settings["updated_at"], kind: settings[kind]})
    response.headers["Cache-Control"] = "no-store"
    return response


def _get(kind: str):
    try:
        settings = read_settings(_index_dir())
    except (OSError, ValueError) as e:  # damaged by hand or on disk: searches keep the last good rules
        return error_response(503, "settings_unreadable", f"settings.json cannot be read ({e}); searches keep "
                              "the last good rules; a PUT replaces it and sets the damaged file aside")
    return _shown(settings, kind)


def _put(kind: str):
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict) or kind not in body:
        return error_response(400, "bad_settings", f'send a JSON object {{"{kind}": [...]}}', param=kind)
    return _shown(update_settings(_index_dir(), **{kind: body[kind]}), kind)


@bp.get("/api/v1/admin/synonyms")
@admin_api(changes_state=False)
def synonyms_json():
    return _get("synonyms")


@bp.put("/api/v1/admin/synonyms")
@admin_api(changes_state=True)
def synonyms_put():
    return _put("synonyms")


@bp.get("/api/v1/admin/pins")
@admin_api(changes_state=False)
def pins_json():
    return _get("pins")


@bp.put("/api/v1/admin/pins")
@admin_api(changes_state=True)
def pins_put():
    return _put("pins")


# --- the admin page ----------------------------------------------------------------------------------

@bp.app_template_global()
def curation_lines() -> dict:
    """The synonyms and pins as the admin page's text areas show them."""
    try:
        settings = read_settings(_index_dir())
    except (OSError, ValueError):
        return {"synonyms": "", "pins": "", "version": None, "unreadable": True}
    return {"synonyms": synonyms_as_lines(settings["synonyms"]), "pins": pins_as_lines(settings["pins"]),
            "version": settings["version"], "unreadable": False}


@bp.post("/admin/curation")
@admin_page
def curation_form():
    if not security.logged_in():
        return redirect(url_for("admin.dashboard"), code=303)
    synonyms = synonyms_from_lines(request.form.get("synonyms", ""))
    pins = pins_from_lines(request.form.get("pins", ""))
    try:
        saved = update_settings(_index_dir(), synonyms=synonyms, pins=pins)
    except BadSettings as e:
        flash(f"Rien n’a été enregistré : {_line_of(e.param)} : {e}")
    else:
        flash(f"Synonymes et épingles enregistrés (version {saved['version']}), en vigueur dès maintenant.")
    return redirect(url_for("admin.dashboard") + "#curation", code=303)


def _line_of(param: str) -> str:
    """`synonyms[2].input` as the form's reader counts: `synonymes, règle 3` (blank lines and
    comments are not rules)."""
    kind, _, rest = param.partition("[")
    label = "synonymes" if kind == "synonyms" else "épingles"
    number = rest.split("]", 1)[0]
    return f"{label}, règle {int(number) + 1}" if number.isdigit() else label

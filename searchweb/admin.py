"""Admin: reindexing over HTTP (Bearer token) and the owner's page at /admin (login, figures, live progress,
the last writes of the document API, which documents.py serves).

No token configured means admin is off: every admin URL answers 403 and does nothing.
The API accepts the Bearer token, or the admin page's session (a write then also needs the CSRF header).
"""

from __future__ import annotations

import csv
import functools
import io
from datetime import datetime

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for

from indexer import live
from indexer.errors import IndexBusy, IndexMissing
from indexer.jobs import current_job, start_reindex
from indexer.sync import read_state as sync_state

from . import analytics, security
from .engine import archive_sources, store
from .errors import error_response

bp = Blueprint("admin", __name__)

ADMIN_OFF = "Admin is off: the server has no ARCHIVE_SEARCH_ADMIN_TOKEN."

# The last writes of the document API the page lists (admin.js keeps the list up to date).
TASKS_SHOWN = 10
IDS_SHOWN = 3
TASK_KINDS = {"put": "Écriture", "delete": "Suppression", "batch": "Lot"}
ANALYTICS_PERIODS = (7, 30, 90)  # the page's choices; the API takes any number of days up to MAX_DAYS
ANALYTICS_TOP = 15
MAX_DAYS = 366
TASK_STATES = {"enqueued": "En attente", "processing": "En cours", "succeeded": "Appliquée", "failed": "Échec"}


def _index_dir() -> str:
    return current_app.config["INDEX_DIR"]


def _reindex() -> dict:
    """Start a rebuild of the configured archive in its own process; IndexBusy if one is running."""
    return start_reindex(_index_dir(), archive_sources(current_app.config["ARCHIVE"]))


def admin_api(changes_state: bool):
    """Decorate an admin API view: it runs for the admin (the Bearer token, or the admin page's session
    with the CSRF header when the call changes state); anyone else gets the refusal (api_refusal)."""
    return _guarded_by(lambda: api_refusal(changes_state))


def admin_page(view):
    """Decorate a view of the admin page: admin off or (for a POST) a failed CSRF check is refused
    (_page_refusal); whether the reader is logged in is the view's to say."""
    return _guarded_by(_page_refusal)(view)


def _guarded_by(refusal_of):
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            refusal = refusal_of()
            return refusal if refusal is not None else view(*args, **kwargs)
        return guarded
    return decorate


def api_refusal(changes_state: bool):
    """The error answer for an admin API call that may not proceed, or None when it may."""
    if security.admin_token() is None:
        return error_response(403, "admin_off", ADMIN_OFF)
    bearer = security.bearer_token(request)
    if bearer is not None:
        if security.token_matches(bearer):
            return None
        return _unauthorized("invalid_token", "Wrong admin token.")
    if security.logged_in():
        if not changes_state or security.csrf_ok(request):
            return None
        return error_response(403, "csrf", f"Missing or wrong {security.CSRF_HEADER} header, or a cross-site request.")
    # A token in the query string would end up in logs and browser history: it is never read.
    return _unauthorized(None, "Send the admin token as 'Authorization: Bearer <token>'.")


def _unauthorized(error: str | None, message: str):
    response = error_response(401, "unauthorized", message)
    challenge = 'Bearer realm="archive-search"' + (f', error="{error}"' if error else "")
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.post("/api/v1/admin/reindex")
@admin_api(changes_state=True)
def reindex_json():
    response = jsonify({"job": _reindex()})  # IndexBusy becomes a 409 carrying the running job
    response.status_code = 202
    response.headers["Location"] = url_for("admin.reindex_status")
    return response


@bp.get("/api/v1/admin/reindex")
@admin_api(changes_state=False)
def reindex_status():
    response = jsonify({"job": current_job(_index_dir())})
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the admin page -----------------------------------------------------------------------------------

def _page_refusal():
    if security.admin_token() is None:
        return error_response(403, "admin_off", ADMIN_OFF, page_message="L’administration est désactivée : "
                              "le serveur n’a pas de jeton ARCHIVE_SEARCH_ADMIN_TOKEN.")
    if request.method == "POST" and not security.csrf_ok(request):
        return error_response(403, "csrf", "CSRF check failed.", page_message="Formulaire expiré ou "
                              "envoyé depuis un autre site : rechargez la page et recommencez.")
    return None


@bp.route("/admin", methods=["GET"])
@admin_page
def dashboard():
    if not security.logged_in():
        return render_template("admin_login.html")
    try:
        info = store().info()
    except IndexMissing:
        info = None
    days = request.args.get("days", type=int)
    days = days if days in ANALYTICS_PERIODS else ANALYTICS_PERIODS[1]
    searches = analytics.report(analytics.analytics_file(current_app.config), days=days, top=ANALYTICS_TOP)
    response = current_app.make_response(
        render_template("admin.html", searches=searches, chart=searches_chart(searches["per_day"]),
                        analytics_periods=ANALYTICS_PERIODS,
                        analytics_on="archive_search.analytics" in current_app.extensions,
                        info=info, job=current_job(_index_dir()), live_status=live.status(_index_dir()),
                        archive=archive_sources(current_app.config["ARCHIVE"]), sync=sync_state(_index_dir()),
                        tasks=live.recent_tasks(_index_dir(), TASKS_SHOWN), tasks_shown=TASKS_SHOWN,
                        task_labels={"kinds": TASK_KINDS, "states": TASK_STATES})
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/login")
@admin_page
def login():
    if not security.token_matches(request.form.get("token")):
        return render_template("admin_login.html", wrong_token=True), 401
    security.log_in()
    return redirect(url_for("admin.dashboard"), code=303)


@bp.post("/admin/logout")
@admin_page
def logout():
    session.clear()
    return redirect(url_for("admin.dashboard"), code=303)


@bp.post("/admin/reindex")
@admin_page
def reindex_form():
    if not security.logged_in():
        return redirect(url_for("admin.dashboard"), code=303)
    try:
        _reindex()
        flash("Reconstruction de l’index lancée.")
    except IndexBusy:
        flash("Une reconstruction est déjà en cours.")
    return redirect(url_for("admin.dashboard"), code=303)


@bp.app_template_filter("size_fr")
def size_fr(size: int | None) -> str:
    """Bytes as a French reader expects them: `1,4 Mo`."""
    value = float(size or 0)
    if value < 1024:
        return f"{value:.0f} octets"
    for unit in ("Ko", "Mo", "Go"):
        value /= 1024
        if value < 1024 or unit == "Go":
            break
    return f"{value:.1f} {unit}".replace(".", ",")


@bp.app_template_filter("datetime_fr")
def datetime_fr(iso: str | None) -> str:
    """An ISO timestamp as `28/03/2015 à 14:05 UTC` (left as it is if it is not one)."""
    try:
        return datetime.fromisoformat(iso).strftime("%d/%m/%Y à %H:%M %Z").strip()
    except (TypeError, ValueError):
        return iso or "—"


@bp.app_template_global()
def job_state(job: dict) -> str:
    """A reindex job in one French sentence (admin.js keeps the running one up to date)."""
    if job["state"] == "queued":
        return "En attente de démarrage…"
    if job["state"] == "running":
        what = "Synchronisation en cours" if job.get("trigger") == "sync" else "En cours"
        return f"{what} : {job.get('processed') or 0} sur {job.get('total') or '?'} articles lus."
    if job.get("trigger") == "sync" and job["state"] in ("done", "failed"):
        outcome = "terminée" if job["state"] == "done" else "échec"
        return f"Synchronisation : {outcome} le {datetime_fr(job.get('finished_at'))}."
    if job["state"] == "done":
        return (f"Terminée le {datetime_fr(job.get('finished_at'))} : {job.get('indexed') or 0} articles indexés, "
                f"{job.get('skipped') or 0} ignorés.")
    return f"Échec le {datetime_fr(job.get('finished_at'))}."


@bp.app_template_global()
def sync_outcome(last: dict) -> str:
    """The last scheduled sync in one French sentence."""
    when = datetime_fr(last.get("finished_at"))
    if last.get("state") == "done":
        return f"réussie le {when} ({last.get('indexed') or 0} articles indexés)."
    if last.get("state") == "skipped":
        return f"sautée le {when} : {last.get('error') or ''}"
    return f"échec le {when} : {last.get('error') or 'raison inconnue'} (l’index en ligne est conservé)."


@bp.app_template_filter("duration_fr")
def duration_fr(seconds) -> str:
    """`1 h 30 min`, `15 min`, `45 s`."""
    seconds = int(round(float(seconds or 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p) or "0 s"


@bp.app_template_global()
def task_ids(task: dict) -> str:
    """A task's first article ids, and how many more (admin.js says it the same way)."""
    ids = task.get("ids") or []
    shown = ", ".join(ids[:IDS_SHOWN])
    more = max((task.get("articles") or 0), len(ids)) - min(len(ids), IDS_SHOWN)
    return f"{shown} et {more} autre{'s' if more > 1 else ''}" if more > 0 else (shown or "—")


# --- search analytics ------------------------------------------------------------------------------

def _days_or_refusal():
    raw = request.args.get("days", "30").strip() or "30"
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        return None, error_response(400, "bad_request", f"days must be an integer from 1 to {MAX_DAYS}", param="days")
    return days, None


@bp.get("/api/v1/admin/analytics")
@admin_api(changes_state=False)
def analytics_json():
    days, refusal = _days_or_refusal()
    if refusal is not None:
        return refusal
    top = min(max(request.args.get("limit", 20, type=int) or 20, 1), 100)
    answer = analytics.report(analytics.analytics_file(current_app.config), days=days, top=top)
    answer["enabled"] = "archive_search.analytics" in current_app.extensions
    answer["retention_days"] = analytics.retention_days(current_app.config)
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/v1/admin/analytics.csv")
@admin_api(changes_state=False)
def analytics_csv():
    """Every (day, query) row of the period, for a spreadsheet (the page's "export" link)."""
    days, refusal = _days_or_refusal()
    if refusal is not None:
        return refusal
    out = io.StringIO()
    writer = csv.writer(out)
    try:
        for row in analytics.csv_rows(analytics.analytics_file(current_app.config), days=days):
            writer.writerow([spreadsheet_safe(cell) for cell in row])
    except analytics.sqlite3.Error as error:
        return error_response(503, "analytics_unreadable", f"The analytics file cannot be read: {error}")
    response = current_app.response_class(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="recherches-{days}-jours.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def spreadsheet_safe(cell):
    """A query a reader typed as `=HYPERLINK(...)` stays text in a spreadsheet (CSV injection)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def searches_chart(per_day: list[dict], width: int = 640, height: int = 160) -> dict:
    """Bars of searches per day (and their zero-result part) in SVG units, for admin.html to draw."""
    peak = max((d["searches"] for d in per_day), default=0) or 1
    slot = width / max(len(per_day), 1)
    bars = []
    for i, d in enumerate(per_day):
        h = round(d["searches"] / peak * (height - 20), 1)
        hz = round(d["zero"] / peak * (height - 20), 1)
        bars.append({"x": round(i * slot + slot * 0.1, 1), "w": round(slot * 0.8, 1), "y": round(height - h, 1),
                     "h": h, "yz": round(height - hz, 1), "hz": hz, **d})
    return {"width": width, "height": height, "peak": peak if any(d["searches"] for d in per_day) else 0,
            "bars": bars}

"""How failures become answers: one JSON error shape under /api/, a French HTML page elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer import errors as engine_errors
from indexer.errors import (
    ArchiveSearchError,
    ArticleNotFound,
    IndexBusy,
    IndexMissing,
    QueryError,
)
from indexer.live import TaskNotFound
from indexer.live.documents import DocumentError, TooLarge
from indexer.live.journal import JournalError, JournalFull

# A search stopped at its time limit (looked up by name, so this module never depends on
# the engine having it).
SearchTimeout = getattr(engine_errors, "SearchTimeout", None)

# The engine's named errors and the HTTP status each one means (the first class that matches wins:
# a subclass comes before its base).
STATUS = {
    QueryError: 400,
    DocumentError: 400,  # a written article's bad field, named in `param`
    ArticleNotFound: 404,
    TaskNotFound: 404,
    IndexBusy: 409,
    TooLarge: 413,
    IndexMissing: 503,
    JournalFull: 507,  # the disk is full: the write was refused, nothing of it kept
    JournalError: 503,  # the journal cannot take writes: nothing recorded
}
if SearchTimeout is not None:
    STATUS[SearchTimeout] = 503

# Seconds a client is asked to wait before retrying a search that was stopped for taking too long.
TIMEOUT_RETRY_AFTER = 5
TIMEOUT_PAGE = ("Cette recherche a pris trop de temps et a été interrompue. "
                "Essayez une recherche plus précise, ou réessayez dans un instant.")

# What a reader is told, in French, for each status (the API keeps its precise English message).
PAGES = {
    400: ("Requête incorrecte", "Un paramètre de l’adresse n’a pas une valeur valable."),
    401: ("Identification requise", "Cette page demande le jeton d’administration."),
    403: ("Accès refusé", "Vous n’avez pas accès à cette page."),
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page du site."),
    405: ("Méthode non autorisée", "Cette adresse ne s’utilise pas de cette façon."),
    409: ("Reconstruction en cours", "Une reconstruction de l’index est déjà en cours."),
    413: ("Requête trop volumineuse", "La requête envoyée est trop volumineuse."),
    429: ("Trop de requêtes", "Vous avez envoyé beaucoup de requêtes : patientez un instant, puis réessayez."),
    500: ("Erreur du serveur", "Une erreur inattendue s’est produite. Réessayez dans un instant."),
    503: ("Index indisponible", "L’index de recherche n’est pas encore construit. Réessayez dans un instant."),
    507: ("Espace disque insuffisant", "Le disque du serveur est plein : rien n’a été enregistré."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, *, param: str | None = None,
                   page_message: str | None = None, **extra):
    """The answer for a failure: `{"error": {"code", "message"}}` under /api/, an HTML page elsewhere.

    `message` is the API's (English, precise); the page says `page_message`, or its status's French text.
    """
    if wants_json():
        error = {"code": code, "message": message}
        if param:
            error["param"] = param
        response = jsonify({"error": error, **extra})
    else:
        title, explanation = PAGES.get(status, PAGES[500])
        response = current_app.response_class(
            render_template(
                "error.html", status=status, title=title, explanation=page_message or explanation,
                param=param, detail=message if status == 400 else None,
            )
        )
    response.status_code = status
    return response


def _engine_error(error: ArchiveSearchError):
    status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 500)
    if status == 500 or isinstance(error, JournalError):  # the operator has something to fix
        current_app.logger.error("engine error: %r", error)
    param = error.field if isinstance(error, DocumentError) else getattr(error, "param", None)
    message = str(error)
    if param and param not in message:
        message = f"{param}: {message}"
    extra = {}
    if isinstance(error, IndexBusy) and getattr(error, "job", None) is not None:
        extra["job"] = error.job
    timeout = SearchTimeout is not None and isinstance(error, SearchTimeout)
    if timeout:
        param = None  # the query is valid: it is not a 400, and names no parameter
    response = error_response(status, error.code, message, param=param,
                              page_message=TIMEOUT_PAGE if timeout else None, **extra)
    if timeout:
        response.headers["Retry-After"] = str(TIMEOUT_RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
    return response


def _http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    response = error_response(error.code or 500, code, error.description or error.name)
    if getattr(error, "valid_methods", None):  # a 405 says what is allowed
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected(error: Exception):
    current_app.logger.exception("unhandled error")
    return error_response(500, "internal_error", "Something went wrong on our side.")


def init_app(app: Flask) -> None:
    app.register_error_handler(ArchiveSearchError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

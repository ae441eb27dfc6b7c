"""The web face of archive-search: a Flask app (pages, JSON API, widget, admin) over the engine.

Only HTTP lives here: parameter checking, rendering, auth, CORS and caching headers.
Every search goes through `indexer.search.search`, the same call for the page and the API.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping

from flask import Flask
from werkzeug.routing import PathConverter

from indexer.search import IndexStore

DEFAULTS = {
    "INDEX_DIR": "./index",
    "ARCHIVE": [],  # sources an admin reindex rebuilds from; empty means the bundled sample
    "ADMIN_TOKEN": None,  # None: admin is off (403)
    "RATE_LIMIT": None,  # e.g. "60/minute"; None: no limit
    # Seconds a search may run before the engine stops it (503, code "timeout");
    # None: the engine's own limit (indexer.search.TIME_LIMIT).
    "SEARCH_TIME_LIMIT": None,
    "SECRET_KEY": None,
    "SESSION_COOKIE_NAME": "archive_search_session",
    "SESSION_COOKIE_HTTPONLY": True,
    # The session only ever carries the admin login: no reason to send it on any cross-site request.
    "SESSION_COOKIE_SAMESITE": "Strict",
    # Nothing else accepts an upload; the document API raises it for its own writes (documents.py).
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # Open newly published generations in a background thread of each process (a server's
    # workers); tests that drive the app in-process switch on the request instead.
    "WATCH_INDEX": False,
    # Search analytics (analytics.py): on unless "off"; the file defaults to the index folder's
    # analytics.sqlite3; rows older than the retention are pruned.
    "ANALYTICS": "on",
    "ANALYTICS_FILE": None,
    "ANALYTICS_RETENTION_DAYS": 90,
    # Who may read /metrics (metrics.py): this Bearer token when set, else the admin token.
    "METRICS_TOKEN": None,
}


# Settings read from the environment, and the config key each one sets.
ENVIRONMENT = {
    "ARCHIVE_SEARCH_INDEX_DIR": "INDEX_DIR",
    "ARCHIVE_SEARCH_ADMIN_TOKEN": "ADMIN_TOKEN",
    "ARCHIVE_SEARCH_RATE_LIMIT": "RATE_LIMIT",
    "ARCHIVE_SEARCH_SECRET_KEY": "SECRET_KEY",
    "ARCHIVE_SEARCH_ANALYTICS": "ANALYTICS",
    "ARCHIVE_SEARCH_ANALYTICS_FILE": "ANALYTICS_FILE",
    "ARCHIVE_SEARCH_ANALYTICS_RETENTION_DAYS": "ANALYTICS_RETENTION_DAYS",
    "ARCHIVE_SEARCH_METRICS_TOKEN": "METRICS_TOKEN",
}


def settings_from_env(environ: Mapping[str, str]) -> dict:
    """The settings present in `environ`, as config keys.

    Read by hand rather than with `from_prefixed_env`, which would turn a numeric token into an int.
    """
    config = {key: environ[name] for name, key in ENVIRONMENT.items() if environ.get(name)}
    if environ.get("ARCHIVE_SEARCH_ARCHIVE"):
        from indexer.sources import split_sources

        config["ARCHIVE"] = split_sources(environ["ARCHIVE_SEARCH_ARCHIVE"])
    return config


def session_secret(config: Mapping) -> str:
    """The key that signs session cookies, the same in every worker process.

    A configured key wins; otherwise it is derived from the admin token (so every worker and every
    restart agrees, and changing the token logs everybody out); without admin there is no session
    worth keeping, and a random key will do.
    """
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    if config.get("ADMIN_TOKEN"):
        return hmac.new(config["ADMIN_TOKEN"].encode(), b"archive-search session", hashlib.sha256).hexdigest()
    return secrets.token_hex(32)


class ArticleIdConverter(PathConverter):
    """An article id in a URL: any characters, "/" included (a file's path). Werkzeug's `path`
    stops at a line feed, and the route would answer 404 where the id check answers 400."""

    regex = r"[\s\S]+?"
    part_isolating = False  # (Werkzeug would take a regex without "/" for one path segment)


class AnyTextConverter(ArticleIdConverter):
    """A path parameter that may hold any character (a facet name), so that whatever is sent
    reaches the view and its 400 rather than a routing 404."""


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app: config from defaults, then `ARCHIVE_SEARCH_*` variables, then `test_config`."""
    app = Flask(__name__)
    app.url_map.converters["article_id"] = ArticleIdConverter
    app.url_map.converters["any_text"] = AnyTextConverter
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(settings_from_env(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SECRET_KEY"] = session_secret(app.config)

    # One store per process, reused by every request: it keeps its segments open and opens a
    # newly published generation (a live index publishes a few a second) in the background.
    store = IndexStore(app.config["INDEX_DIR"])
    if app.config["WATCH_INDEX"]:
        store.watch()
    app.extensions["archive_search.store"] = store

    from . import admin, api, clicks, curation, documents, errors, metrics, pages, ratelimit, related, security
    from .analytics import Recorder, analytics_file, retention_days
    from .engine import AnswerCache

    app.extensions["archive_search.answers"] = AnswerCache()
    if str(app.config["ANALYTICS"]).lower() not in ("off", "0", "false", "no"):
        app.extensions["archive_search.analytics"] = Recorder(analytics_file(app.config),
                                                              retention_days(app.config))

    security.init_app(app)
    ratelimit.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(curation.bp)
    app.register_blueprint(related.bp)
    app.register_blueprint(clicks.bp)
    metrics.init_app(app)
    return app

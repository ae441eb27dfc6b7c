"""Related articles on the search page: shown under a result on request (`?related=<id>`
without JavaScript; static/related.js fetches the API's list when the reader opens it)."""

from __future__ import annotations

from flask import Blueprint, current_app

from indexer.errors import ArchiveSearchError
from indexer.search import related_articles

from .engine import store

bp = Blueprint("related", __name__)

SHOWN = 5


@bp.app_template_global()
def related_of(article_id: str) -> list[dict]:
    """The articles related to one, for the page (none when it cannot say: the search still shows)."""
    index = store()
    try:
        return index.run(lambda: related_articles(index, article_id, SHOWN))["results"]
    except ArchiveSearchError as e:
        current_app.logger.info("no related articles for %r: %s", article_id, e)
        return []

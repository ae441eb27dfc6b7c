"""The engine as a request sees it: this process's IndexStore and the archive a reindex reads."""

from __future__ import annotations

from flask import current_app

from indexer.sample import SAMPLE_ARCHIVE
from indexer.store import IndexStore


def store() -> IndexStore:
    """The process's one IndexStore (created by `create_app`)."""
    return current_app.extensions["archive_search.store"]


def archive_sources(configured: list[str] | None) -> list[str]:
    """What a build reads: the configured archive, else the bundled sample (so a newcomer gets a search)."""
    return list(configured) if configured else [SAMPLE_ARCHIVE]

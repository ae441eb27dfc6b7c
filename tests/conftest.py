"""Shared fixtures: real indexes built from the bundled sample and from small fixture files."""

from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.sample import SAMPLE_ARCHIVE
from indexer.storage.store import IndexStore


@pytest.fixture(scope="session", autouse=True)
def analytics_apart(tmp_path_factory):
    """Apps made in-process record searches in a file of the run's own, not in the shared sample
    index's folder (tests that count set ANALYTICS_FILE themselves; servers started by tests drop
    ARCHIVE_SEARCH_* variables and keep theirs beside their own index)."""
    import os
    os.environ.setdefault("ARCHIVE_SEARCH_ANALYTICS_FILE", str(tmp_path_factory.mktemp("analytics") / "analytics.sqlite3"))


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory) -> Path:
    """The bundled sample archive, indexed once for the whole run (read-only for tests)."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    build_index([SAMPLE_ARCHIVE], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def sample_store(sample_index_dir) -> IndexStore:
    return IndexStore(sample_index_dir)


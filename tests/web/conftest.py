"""Fixtures for the web tests: the real app over real indexes built with the engine's build_index.

`sample_index` is the bundled sample archive; `hostile_index` holds articles written to attack the
page (script titles, `javascript:` links, SVG handlers). Both are built once and only read; admin
tests that rebuild get an index of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import build_index
from searchweb import create_app

from archives import write_jsonl

XSS = '<script>alert("xss")</script>'

HOSTILE_ARTICLES = [
    {
        "id": "evil-1",
        "title": f'{XSS} Le titre piégé "><img src=x onerror=alert(1)>',
        "body": "Un texte piégé sur le hameçonnage <svg onload=alert(2)> et les pirates "
                '"><script>alert(3)</script> du numérique.',
        "url": "javascript:alert(document.cookie)",
        "date": "2016-02-01",
        "author": "<i onmouseover=alert(4)>Mallory</i>",
        "tags": ['<b onclick="alert(5)">gras</b>', "pirates"],
        "categories": ["Sécurité & <em>piratage</em>"],
    },
    {
        "id": "evil-2",
        "title": "Hameçonnage : un lien data",
        "body": "Les pirates envoient des liens vers des pages de hameçonnage. <img src=x onerror=alert(6)>",
        "url": "data:text/html,<script>alert(7)</script>",
        "date": "2016-03-04",
        "author": "Eve",
        "tags": ["pirates"],
        "categories": ["Sécurité & <em>piratage</em>"],
    },
    {
        "id": "plain-3",
        "title": "Un article honnête sur les pirates",
        "body": "Les pirates du web sont un sujet de hameçonnage honnête.",
        "url": "https://example.org/honnete?a=1&b=2",
        "date": "2016-04-05",
        "author": "Alice",
        "tags": ["pirates"],
        "categories": ["Sécurité & <em>piratage</em>"],
    },
]


@pytest.fixture(scope="session")
def sample_index(sample_index_dir) -> Path:
    """The bundled sample, indexed once for the whole run (tests/conftest.py)."""
    return sample_index_dir


@pytest.fixture(scope="session")
def hostile_index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("web-hostile")
    source = write_jsonl(folder / "hostile.jsonl", HOSTILE_ARTICLES)
    build_index([str(source)], folder / "index")
    return folder / "index"


@pytest.fixture
def app(sample_index, monkeypatch):
    for name in ("INDEX_DIR", "ARCHIVE", "ADMIN_TOKEN", "RATE_LIMIT", "SECRET_KEY"):
        monkeypatch.delenv(f"ARCHIVE_SEARCH_{name}", raising=False)
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def hostile_client(hostile_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(hostile_index)}).test_client()


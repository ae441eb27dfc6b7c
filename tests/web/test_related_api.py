"""Related articles over HTTP: the API's answers and errors, caching, the search page's toggle
(without JavaScript), hostile archive text, OpenAPI conformance."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from archives import write_jsonl
from indexer.build import build_index
from indexer.sample import SAMPLE_ARCHIVE
from searchweb import create_app
from test_openapi import conforms


# The sample's name-dropping article 105 used to share FEVAD, Nicolas Bordas and TBWA Europe with 109; by
# bench/sources_eval/RULES.md the people it merely mentions are not sources, so these tests add to the
# sample one article that quotes them.
QUOTING = {
    "id": "111", "title": "Le e-commerce selon la Fevad",
    "body": "Les ventes en ligne progressent encore (Etude FEVAD). « Les marques doivent suivre », affirme "
            "Nicolas Bordas, vice-président de TBWA Europe.",
}


@pytest.fixture(scope="module")
def quoting_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-quoting")
    build_index([SAMPLE_ARCHIVE, str(write_jsonl(folder / "quoting.jsonl", [QUOTING]))], folder / "index")
    return create_app({"TESTING": True, "INDEX_DIR": str(folder / "index")}).test_client()


def test_the_articles_quoting_the_same_sources_are_related(quoting_client):
    client = quoting_client
    response = client.get("/api/v1/articles/111/related")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["id"] == "111" and len(answer["results"]) == 5
    assert answer["results"][0]["id"] == "109"
    assert answer["results"][0]["shares"]["sources"] == ["FEVAD", "Nicolas Bordas", "TBWA Europe"]
    assert "111" not in [r["id"] for r in answer["results"]]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Conditional GET, as every read of the published index.
    again = client.get("/api/v1/articles/111/related", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert len(client.get("/api/v1/articles/109/related?limit=2").get_json()["results"]) == 2


@pytest.mark.parametrize("url, status, param", [
    ("/api/v1/articles/no-such-article/related", 404, None),
    ("/api/v1/articles/105/related?limit=0", 400, "limit"),
    ("/api/v1/articles/105/related?limit=21", 400, "limit"),
    ("/api/v1/articles/105/related?limit=cinq", 400, "limit"),
    ("/api/v1/articles/105/related?limit=99999999999999999999", 400, "limit"),
])
def test_errors_are_json_with_the_right_status(client, url, status, param):
    response = client.get(url)
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.get_json()["error"].get("param") == param


def test_the_answers_conform_to_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for url in ("/api/v1/articles/105/related", "/api/v1/articles/2/related?limit=20",
                "/api/v1/articles/absent/related", "/api/v1/articles/105/related?limit=0"):
        conforms(spec, "/api/v1/articles/{id}/related", "get", client.get(url))


def test_the_search_page_offers_related_articles_and_shows_them_on_request(quoting_client):
    client = quoting_client
    page = client.get("/?q=fevad").get_data(as_text=True)
    assert page.count('<details class="related"') == 3
    assert 'data-url="/api/v1/articles/111/related?limit=5"' in page
    assert "related=111" in page and "Afficher les articles liés" in page

    page = client.get("/?q=fevad&related=111").get_data(as_text=True)
    opened = page[page.index('data-url="/api/v1/articles/111/related'):]
    opened = opened[:opened.index("</details>")]
    assert "open data-loaded" in opened
    assert "Comment l’entreprise peut-elle intégrer le numérique" in opened
    assert "cite aussi FEVAD, Nicolas Bordas, TBWA Europe" in opened
    # An unknown id asked for shows nothing more, and never an error.
    assert client.get("/?q=fevad&related=nope").status_code == 200


def test_hostile_archive_text_in_related_articles_stays_text(hostile_client):
    answer = hostile_client.get("/api/v1/articles/plain-3/related").get_json()
    assert {r["id"] for r in answer["results"]} == {"evil-1", "evil-2"}
    page = hostile_client.get("/?q=honnête&related=plain-3").get_data(as_text=True)
    related = page[page.index('<ul class="related__list">'):]
    related = related[:related.index("</ul>")]
    assert "<script" not in related and "<img" not in related
    assert "Le titre piégé &#34;&gt;" in related  # what indexing left of the markup, escaped
    assert "javascript:" not in related and "data:text" not in related  # such urls never become links


def test_links_that_change_the_search_close_the_related_block_and_its_toggles_keep_the_search(quoting_client):
    """`related` opens a block under one listed result: ticking a facet, removing a filter or changing
    page may list other results, so those links drop it; the related toggles keep the search as it is."""
    client = quoting_client
    search = {"q": "numérique", "tag": "E-commerce", "per_page": "1", "page": "2"}  # 101 then 109
    page = client.get("/?" + urlencode({**search, "related": "109"})).get_data(as_text=True)
    assert page.count("open data-loaded") == 1
    hrefs = [urlsplit(html.unescape(h)) for h in re.findall(r'href="([^"]*)"', page)]
    searches = [{k: v[0] if len(v) == 1 else v for k, v in parse_qs(h.query).items()}
                for h in hrefs if h.path == "/" and h.query]
    toggles = [q for q in searches if "related" in q]
    others = [q for q in searches if "related" not in q]
    assert toggles == [], "no link keeps `related` (the only result's block is open: it has no toggle)"
    pages = [q for q in others if q.keys() == search.keys() and q["page"] != "2"]
    ticks = [q for q in others if q.get("tag") == ["E-commerce", "Réseaux sociaux"]]
    untick = [q for q in others if "tag" not in q and q.get("per_page") == "1"]
    assert pages and ticks and untick, "the page links its other page, another tag and its filter's removal"

    # Following them opens no block: the article asked for may no longer be listed (101 on page 1).
    for query in (pages[0], ticks[0], untick[0]):
        assert "open data-loaded" not in client.get("/?" + urlencode(query, doseq=True)).get_data(as_text=True)

    # On page 1 (109 is not listed) the toggle under 101 keeps the whole search, page included.
    page = client.get("/?" + urlencode({**search, "page": "1"})).get_data(as_text=True)
    toggle = next(urlsplit(html.unescape(h)) for h in re.findall(r'href="([^"]*related=[^"]*)"', page))
    assert parse_qs(toggle.query) == {**{k: [v] for k, v in search.items()}, "page": ["1"], "related": ["101"]}
    assert "open data-loaded" in client.get(f"/?{toggle.query}").get_data(as_text=True)

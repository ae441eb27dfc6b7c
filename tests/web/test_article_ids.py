"""Article ids are free text, "/" included (a folder archive's ids are paths), through the real server
(gunicorn, started by `serve`): `/api/v1/articles/{id}/related` is always the related list of the id
before the last `/related`; an article whose id ends in `/related` is fetched by `?id=`, which takes
any id; a "%2F" in the path is decoded to "/" before the app routes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from archives import write_jsonl
from indexer.build import build_index
from searchweb import create_app

from servers import Server
from test_openapi import conforms

STARTUP = 60
BODY = "Le cloud souverain et les hébergeurs français face aux géants du numérique."
ARTICLES = [
    {"id": "2015/cloud", "title": "Le cloud", "body": BODY},
    {"id": "2015/cloud/related", "title": "Un article nommé related", "body": BODY + " Une suite."},
    {"id": "related", "title": "Related tout court", "body": BODY + " Encore."},
    {"id": "2016/autre", "title": "Un autre", "body": BODY + " Autre chose."},
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("article-ids")
    build_index([str(write_jsonl(folder / "paths.jsonl", ARTICLES))], folder / "index")
    return folder / "index"


@pytest.fixture(scope="module")
def server(index_dir, tmp_path_factory):
    """`serve` with one gunicorn worker over the index of path-like ids."""
    running = Server(index_dir, tmp_path_factory.mktemp("article-ids-log") / "server.log", workers=1)
    yield running.wait_ready(STARTUP).base
    running.stop()


def get(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def by_query(article_id: str) -> str:
    return "/api/v1/articles?" + urllib.parse.urlencode({"id": article_id})


def related_ids(answer: dict) -> list[str]:
    return [r["id"] for r in answer["results"]]


def test_a_path_like_id_is_fetched_by_its_path(server):
    status, article = get(server, "/api/v1/articles/2015/cloud")
    assert (status, article["id"], article["title"]) == (200, "2015/cloud", "Le cloud")
    assert get(server, "/api/v1/articles/related")[1]["title"] == "Related tout court"


def test_a_path_ending_in_related_is_always_the_related_list(server):
    status, answer = get(server, "/api/v1/articles/2015/cloud/related")
    assert status == 200 and answer["id"] == "2015/cloud" and "2015/cloud/related" in related_ids(answer)
    # The list of the article whose id ends in /related: the id is all before the last /related.
    status, answer = get(server, "/api/v1/articles/2015/cloud/related/related")
    assert status == 200 and answer["id"] == "2015/cloud/related" and "2015/cloud" in related_ids(answer)
    assert get(server, "/api/v1/articles/related/related")[1]["id"] == "related"


def test_an_id_ending_in_related_is_fetched_by_query(server):
    status, article = get(server, by_query("2015/cloud/related"))
    assert (status, article["id"], article["title"]) == (200, "2015/cloud/related", "Un article nommé related")
    # Any id: the query form gives what the path gives.
    for article_id in ("2015/cloud", "related", "2016/autre"):
        assert get(server, by_query(article_id)) == get(server, f"/api/v1/articles/{article_id}")
    status, answer = get(server, by_query("2015/nothing"))
    assert status == 404 and answer["error"]["code"] == "not_found"


def test_an_encoded_slash_is_a_slash_so_it_gives_no_other_way(server):
    # The server decodes %2F before routing (what embed.js's encodeURIComponent relies on for the
    # list of any id): the path cannot tell the article `2015/cloud/related` from the list of `2015/cloud`.
    assert get(server, "/api/v1/articles/2015%2Fcloud") == get(server, "/api/v1/articles/2015/cloud")
    assert get(server, "/api/v1/articles/2015%2Fcloud%2Frelated")[1]["id"] == "2015/cloud"
    assert get(server, "/api/v1/articles/2015%2Fcloud%2Frelated/related")[1]["id"] == "2015/cloud/related"


@pytest.mark.parametrize("query", ["", "?id=", "?id=%20%20", "?other=2015/cloud"])
def test_the_query_form_without_an_id_is_a_400_naming_it(server, query):
    status, answer = get(server, "/api/v1/articles" + query)
    assert status == 400 and answer["error"]["param"] == "id"


def test_the_query_form_is_cached_by_generation_and_conforms_to_the_openapi_document(index_dir):
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    first = client.get(by_query("2015/cloud/related"))
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert client.get(by_query("2015/cloud/related"), headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(by_query("2015/cloud")).headers["ETag"] != first.headers["ETag"]
    for path in (by_query("2015/cloud/related"), by_query("absent"), "/api/v1/articles?id="):
        conforms(spec, "/api/v1/articles", "get", client.get(path))
    conforms(spec, "/api/v1/articles/{id}", "get", client.get("/api/v1/articles/2015/cloud"))
    assert "/related" in spec["paths"]["/api/v1/articles/{id}"]["get"]["description"]

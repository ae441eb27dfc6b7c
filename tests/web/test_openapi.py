"""The OpenAPI document is valid, and the API's real answers conform to its schemas."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate

from searchweb import create_app

TOKEN = "openapi-token"


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def conforms(spec: dict, path: str, method: str, response) -> None:
    """Check `response` against what the document says `method path` answers with its status."""
    declared = spec["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    # Resolve `#/components/...` references against the document itself.
    Draft202012Validator({**schema, "components": spec["components"]}).validate(response.get_json())


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def _template(path: str) -> str:
    """A Flask rule or an OpenAPI path with its variables unnamed: `/tasks/<int:task_id>` -> `/tasks/{}`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_route_of_the_app_is_described(app, spec):
    described = {(_template(path), method.upper()) for path, item in spec["paths"].items() for method in item}
    routes = {(_template(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/embed.js")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == described


def test_search_parameters_are_all_described(spec):
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "sort", "tag", "category", "source", "year", "author", "from", "to", "debug"}


@pytest.mark.parametrize("url, path", [
    ("/api/v1/search?q=h%C3%A9bergeur", "/api/v1/search"),
    ("/api/v1/search?q=numerqiue", "/api/v1/search"),
    ("/api/v1/search?tag=OVH&tag=Cloud&year=2015&sort=date&per_page=2", "/api/v1/search"),
    ("/api/v1/search?per_page=0", "/api/v1/search"),
    ("/api/v1/search?from=hier", "/api/v1/search"),
    ("/api/v1/articles/103", "/api/v1/articles/{id}"),
    ("/api/v1/articles/absent", "/api/v1/articles/{id}"),
    ("/api/v1/suggest?q=num", "/api/v1/suggest"),
    ("/healthz", "/healthz"),
])
def test_real_answers_conform(client, spec, url, path):
    conforms(spec, path, "get", client.get(url))


def test_health_without_index_conforms(spec, tmp_path):
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    conforms(spec, "/healthz", "get", client.get("/healthz"))
    conforms(spec, "/api/v1/search", "get", client.get("/api/v1/search"))


def test_admin_answers_conform(spec, sample_index):
    client = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "ADMIN_TOKEN": TOKEN}).test_client()
    conforms(spec, "/api/v1/admin/reindex", "get", client.get("/api/v1/admin/reindex"))  # 401
    conforms(spec, "/api/v1/admin/reindex", "get",
             client.get("/api/v1/admin/reindex", headers={"Authorization": f"Bearer {TOKEN}"}))  # 200
    off = create_app({"TESTING": True, "INDEX_DIR": str(sample_index)}).test_client()
    conforms(spec, "/api/v1/admin/reindex", "post", off.post("/api/v1/admin/reindex"))  # 403


def test_document_api_answers_conform(spec, sample_index, tmp_path, monkeypatch):
    from indexer.live import documents

    index_dir = shutil.copytree(sample_index, tmp_path / "index")  # these calls write
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "ADMIN_TOKEN": TOKEN}).test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    one = {"title": "Un article", "body": "<p>Du texte.</p>", "tags": ["a"], "date": "2020-01-02"}
    batch = [{"id": f"b{n}", **one} for n in range(3)]
    article, articles = "/api/v1/admin/articles/{id}", "/api/v1/admin/articles"
    task, tasks = "/api/v1/admin/tasks/{id}", "/api/v1/admin/tasks"

    answers = [
        (article, "put", client.put("/api/v1/admin/articles/a", json=one, headers=auth), 202),
        (article, "put", client.put("/api/v1/admin/articles/a", json={**one, "date": "x"}, headers=auth), 400),
        (article, "put", client.put("/api/v1/admin/articles/a", data="{", content_type="text/plain",
                                    headers=auth), 400),
        (article, "put", client.put("/api/v1/admin/articles/a", json=one), 401),
        (article, "delete", client.delete("/api/v1/admin/articles/a", headers=auth), 202),
        (article, "delete", client.delete("/api/v1/admin/articles/" + "x" * 300, headers=auth), 400),
        (articles, "post", client.post(articles, json=batch, headers=auth), 202),
        (articles, "post", client.post(articles, data="\n".join(json.dumps(a) for a in batch),
                                       content_type="application/x-ndjson", headers=auth), 202),
        (articles, "post", client.post(articles, json=batch + [batch[0]], headers=auth), 400),
        (articles, "post", client.post(articles, json=[{"id": str(n), **one} for n in range(documents.MAX_BATCH + 1)],
                                       headers=auth), 413),
        (task, "get", client.get("/api/v1/admin/tasks/1", headers=auth), 200),
        (task, "get", client.get("/api/v1/admin/tasks/999", headers=auth), 404),
        (task, "get", client.get("/api/v1/admin/tasks/1"), 401),
        (tasks, "get", client.get("/api/v1/admin/tasks?limit=2", headers=auth), 200),
        (tasks, "get", client.get("/api/v1/admin/tasks?limit=0", headers=auth), 400),
    ]
    monkeypatch.setattr(documents, "MAX_REQUEST_BYTES", 100)
    answers.append((article, "put", client.put("/api/v1/admin/articles/a", json={**one, "body": "x" * 200},
                                               headers=auth), 413))
    off = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    answers += [(articles, "post", off.post(articles, json=batch, headers=auth), 403),
                (tasks, "get", off.get(tasks, headers=auth), 403)]

    for path, method, response, status in answers:
        assert response.status_code == status, (path, method, response.get_json())
        conforms(spec, path, method, response)
    # The request bodies the document declares are those the API takes.
    def body_schema(path, method):
        schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return Draft202012Validator({**schema, "components": spec["components"]})

    body_schema(article, "put").validate(one)
    body_schema(articles, "post").validate(batch)
    with pytest.raises(ValidationError):
        body_schema(articles, "post").validate([one])  # a batch's articles carry their id
    with pytest.raises(ValidationError):
        body_schema(article, "put").validate({**one, "colour": "bleu"})

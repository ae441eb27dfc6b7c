"""The OpenAPI document is valid, and the API's real answers conform to its schemas."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
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


def test_every_route_of_the_app_is_described(app, spec):
    described = {path.replace("{id}", "<article_id>") for path in spec["paths"]}
    routes = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/embed.js")}
    assert routes == described


def test_search_parameters_are_all_described(spec):
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "sort", "tag", "category", "source", "year", "author", "from", "to"}


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

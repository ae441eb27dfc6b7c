"""`GET /api/v1/facets/{facet}`: a facet's values found by the start of their words, counted as
the search with the same parameters counts them; JSON errors for what it refuses."""

from __future__ import annotations

import pytest

from test_openapi import conforms


def values(client, facet, **params):
    response = client.get(f"/api/v1/facets/{facet}", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_values_are_found_by_the_start_of_any_word_whatever_case_and_accents(client):
    # (The sample's sources are those it cites by bench/sources_eval/RULES.md: "Stéphane Richard, PDG
    # d’Orange : « … »" is one; the people its name-dropping article merely mentions are not.)
    found = values(client, "source", prefix="STEPH")
    assert found["facet"] == "source" and found["prefix"] == "STEPH" and found["query"] == ""
    assert [v["value"] for v in found["values"]] == ["Stéphane Richard"]
    assert found["total"] == 1
    assert [v["value"] for v in values(client, "source", prefix="rosn")["values"]] == ["Joël de Rosnay"]
    assert [v["value"] for v in values(client, "tag", prefix="numerique")["values"]] == ["Transformation numérique"]
    assert values(client, "tag", prefix="transformation num")["values"][0]["value"] == "Transformation numérique"
    assert values(client, "source", prefix="zzzz") | {"took_ms": 0} == \
        {"facet": "source", "prefix": "zzzz", "query": "", "total": 0, "values": [], "took_ms": 0}


def test_counts_are_those_of_the_search_with_the_same_parameters(client):
    params = {"q": "numérique", "year": "2015", "tag": "Réseaux sociaux"}
    search = client.get("/api/v1/search", query_string=params).get_json()
    for facet in ("tag", "source", "year"):
        found = values(client, facet, limit=100, **params)
        assert found["values"] == search["facets"][facet][:len(found["values"])] or facet == "year"
        assert sorted(found["values"], key=lambda v: v["value"]) == \
            sorted(search["facets"][facet], key=lambda v: v["value"])
    tagged = values(client, "tag", prefix="réseaux", **params)["values"]
    assert tagged == [v for v in search["facets"]["tag"] if v["value"] == "Réseaux sociaux"]
    assert tagged[0]["selected"] and tagged[0]["count"] > 0


def test_the_empty_prefix_lists_the_most_frequent_values_up_to_the_limit(client):
    everything = client.get("/api/v1/search").get_json()["facets"]["source"]
    first = values(client, "source", limit=3)
    assert first["values"] == everything[:3] and first["total"] == len(everything)


@pytest.mark.parametrize("url, param", [
    ("/api/v1/facets/colour?prefix=a", "facet"),
    ("/api/v1/facets/Tag", "facet"),
    ("/api/v1/facets/a%2Fb%0A", "facet"),
    ("/api/v1/facets/tag?limit=0", "limit"),
    ("/api/v1/facets/tag?limit=101", "limit"),
    ("/api/v1/facets/tag?limit=beaucoup", "limit"),
    ("/api/v1/facets/tag?prefix=" + "x" * 201, "prefix"),
    ("/api/v1/facets/tag?per_page=0", "per_page"),
    ("/api/v1/facets/tag?from=hier", "from"),
])
def test_a_bad_facet_or_parameter_is_a_json_400_naming_it(client, url, param):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]["param"] == param
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_answers_conform_to_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for url in ("/api/v1/facets/source?prefix=fr&q=num%C3%A9rique", "/api/v1/facets/year", "/api/v1/facets/nope"):
        conforms(spec, "/api/v1/facets/{facet}", "get", client.get(url))


def test_an_answer_is_cached_by_generation(client):
    first = client.get("/api/v1/facets/tag?prefix=r")
    again = client.get("/api/v1/facets/tag?prefix=r", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

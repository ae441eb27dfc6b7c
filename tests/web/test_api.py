"""The JSON API over the real sample index: shapes, every parameter error, facets, caching, CORS."""

from __future__ import annotations

import pytest


def ids(answer):
    return [r["id"] for r in answer["results"]]


def counts(answer, facet):
    return {f["value"]: f["count"] for f in answer["facets"][facet]}


def get(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- search ------------------------------------------------------------------------------------------

def test_search_answers_the_contract_shape(client):
    answer = get(client, q="hébergeur")
    assert list(answer)[:9] == ["query", "total", "page", "per_page", "pages", "took_ms", "suggestion",
                                "corrected", "results"]
    assert answer["query"] == "hébergeur"
    assert ids(answer)[0] == "103"
    first = answer["results"][0]
    assert first["title"] == "OVH. What ?"
    assert set(first) == {"id", "url", "title", "date", "author", "tags", "categories", "sources", "snippet", "score"}
    assert "<mark>" in first["snippet"]
    assert set(answer["facets"]) == {"tag", "category", "source", "year", "author"}


def test_empty_query_lists_every_article_and_pages(client):
    everything = get(client, per_page=50)
    assert everything["total"] >= 10
    first, second = get(client, per_page=3, sort="date"), get(client, per_page=3, sort="date", page=2)
    assert first["pages"] == -(-everything["total"] // 3)
    assert not set(ids(first)) & set(ids(second))
    dates = [r["date"] for r in first["results"] + second["results"]]
    assert dates == sorted(dates, reverse=True)
    oldest = get(client, per_page=50, sort="-date")
    assert [r["date"] for r in oldest["results"]] == sorted(r["date"] for r in oldest["results"])


def test_a_page_past_the_end_is_empty_not_an_error(client):
    assert get(client, page=99)["results"] == []


@pytest.mark.parametrize("params, param", [
    ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "51"}, "per_page"),
    ({"per_page": "dix"}, "per_page"),
    ({"sort": "title"}, "sort"),
    ({"from": "2015-13-01"}, "from"),
    ({"from": "28/03/2015"}, "from"),
    ({"to": "demain"}, "to"),
])
def test_a_bad_parameter_is_a_400_naming_it(client, params, param):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message"}
    assert error["param"] == param
    assert param in error["message"]


def test_an_unknown_facet_value_finds_nothing_but_is_no_error(client):
    answer = get(client, tag="Pas un mot-clé")
    assert answer["total"] == 0 and answer["results"] == []


def test_values_of_one_facet_are_ored(client):
    tags = counts(get(client), "tag")
    a, b = sorted(tags, key=tags.get, reverse=True)[:2]
    only_a, only_b = set(ids(get(client, tag=a, per_page=50))), set(ids(get(client, tag=b, per_page=50)))
    both = get(client, tag=[a, b], per_page=50)
    assert set(ids(both)) == only_a | only_b
    assert both["total"] == len(only_a | only_b)


def test_different_facets_are_anded(client):
    tag, year = "Réseaux sociaux", None
    tagged = get(client, tag=tag, per_page=50)
    year = tagged["results"][0]["date"][:4]
    dated = set(ids(get(client, year=year, per_page=50)))
    both = get(client, tag=tag, year=year, per_page=50)
    assert set(ids(both)) == set(ids(tagged)) & dated
    assert all(tag in r["tags"] and r["date"].startswith(year) for r in both["results"])


def test_a_facets_counts_ignore_its_own_filter_and_honour_the_others(client):
    unfiltered = get(client)
    tags = counts(unfiltered, "tag")
    tag = max(tags, key=tags.get)
    filtered = get(client, tag=tag)
    assert counts(filtered, "tag") == tags  # the reader can still widen to other tags
    assert {f["value"] for f in filtered["facets"]["tag"] if f["selected"]} == {tag}
    years_within_tag = {}
    for result in get(client, tag=tag, per_page=50)["results"]:
        years_within_tag[result["date"][:4]] = years_within_tag.get(result["date"][:4], 0) + 1
    assert {y: n for y, n in counts(filtered, "year").items() if n} == years_within_tag


def test_dates_narrow_the_results(client):
    everything = get(client, per_page=50)
    dates = sorted(r["date"] for r in everything["results"])
    middle = dates[len(dates) // 2]
    later = get(client, per_page=50, **{"from": middle})
    assert later["results"] and all(r["date"] >= middle for r in later["results"])
    earlier = get(client, per_page=50, to=middle)
    assert all(r["date"] <= middle for r in earlier["results"])


def test_a_misspelt_query_gets_a_suggestion_and_its_results(client):
    answer = get(client, q="numerqiue")
    assert answer["suggestion"] == "numérique"
    assert answer["corrected"] is True and answer["total"] > 0


def test_a_malformed_query_is_read_as_words_never_a_500(client):
    for q in ['"non fermé', "title:", "((", "OR OR", "-", "*"]:
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200, q


# --- articles, suggest, health ---------------------------------------------------------------------

def test_an_article_by_id(client):
    response = client.get("/api/v1/articles/103")
    assert response.status_code == 200
    article = response.get_json()
    assert article["title"] == "OVH. What ?"
    assert set(article) == {"id", "url", "title", "date", "author", "tags", "categories", "sources", "body"}
    assert "<" not in article["body"]


def test_an_unknown_article_is_a_json_404(client):
    response = client.get("/api/v1/articles/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_suggest_completes_a_prefix_in_the_archives_spelling(client):
    response = client.get("/api/v1/suggest?q=num")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["query"] == "num"
    assert "numérique" in answer["suggestions"]
    assert client.get("/api/v1/suggest").get_json()["suggestions"] == []


def test_healthz(client):
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["articles"] >= 10 and health["generation"]


def test_healthz_without_an_index_is_503(tmp_path):
    from searchweb import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded"
    search = client.get("/api/v1/search")
    assert search.status_code == 503 and search.get_json()["error"]["code"] == "no_index"


# --- errors are JSON everywhere under /api/ ----------------------------------------------------------

def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/v1/search")
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(app):
    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/broken", view_func=broken)
    app.add_url_rule("/broken", view_func=broken)
    client = app.test_client()
    response = client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
    page = client.get("/broken")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "secret internals" not in page.get_data(as_text=True)


# --- CORS and caching ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/search?q=ovh", "/api/v1/articles/103", "/api/v1/suggest?q=ov",
                                  "/api/v1/openapi.json", "/api/v1/articles/nope", "/api/v1/search?page=x"])
def test_get_answers_may_be_read_from_any_origin_without_credentials(client, path):
    response = client.get(path, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_is_answered(client):
    response = client.options("/api/v1/search", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["/api/v1/search?q=ovh&tag=OVH", "/api/v1/articles/103", "/api/v1/suggest?q=ov",
                                  "/api/v1/openapi.json"])
def test_etag_and_cache_control_then_304(client, path):
    first = client.get(path)
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_etag_names_the_query_not_the_order_of_its_parameters(client):
    a = client.get("/api/v1/search?q=ovh&tag=OVH&page=1").headers["ETag"]
    b = client.get("/api/v1/search?page=1&tag=OVH&q=ovh").headers["ETag"]
    c = client.get("/api/v1/search?q=cloud").headers["ETag"]
    assert a == b != c


def test_errors_are_not_cached(client):
    response = client.get("/api/v1/search?page=x")
    assert "ETag" not in response.headers
    assert response.headers.get("Cache-Control") != "public, no-cache"


def test_the_page_and_the_api_share_one_search_and_its_cache(client, monkeypatch):
    from searchweb import engine

    asked = []

    def counting_search(index, req):
        asked.append(req)
        return real_search(index, req)

    real_search = engine.search
    monkeypatch.setattr(engine, "search", counting_search)
    api = client.get("/api/v1/search?q=ovh&tag=OVH&tag=Cloud").get_json()
    client.get("/api/v1/search?tag=Cloud&q=ovh&tag=OVH", headers={"Cache-Control": "no-cache"})
    page = client.get("/?q=ovh&tag=Cloud&tag=OVH").get_data(as_text=True)
    assert len(asked) == 1
    assert api["results"][0]["title"] in page

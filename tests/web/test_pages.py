"""The readers' page over the real sample index: results, facets, sorting, paging, messages, errors."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest


def page(client, query=""):
    response = client.get("/" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def links(body: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', body)]


def test_the_page_is_french_and_has_a_labelled_search_box(client):
    body = page(client)
    assert '<html lang="fr">' in body
    assert '<label class="search-form__label" for="q">' in body
    assert re.search(r'<input id="q"[^>]*type="search"[^>]*name="q"[^>]*autofocus', body, re.S)
    # The completions' list is there, hidden, for search.js to fill (the combobox is the browser suite's).
    assert re.search(r'<ul id="completions" [^>]*role="listbox"[^>]*hidden>', body)
    assert 'role="search"' in body and "<main" in body and "<aside" in body and "<nav" in body


def test_results_show_title_link_french_date_author_tags_and_snippet(client):
    body = page(client, "q=h%C3%A9bergeur")
    assert ">OVH. What ?</a>" in body
    assert re.search(r'<time datetime="2015-\d\d-\d\d">\d{1,2}(er)? [a-zéû]+ 2015</time>', body)
    assert "#OVH" in body
    assert "<mark>" in body
    assert "« hébergeur »" in body or "hébergeur" in body


def test_facets_have_counts_checkboxes_and_toggle_links(client):
    body = page(client)
    assert "Mots-clés" in body and "Rubriques" in body and "Années" in body
    box = re.search(r'<input type="checkbox" id="(f-tag-\d+)" name="tag" value="OVH" form="recherche"', body)
    assert box, "an OVH checkbox belongs to the search form"
    toggle = next(h for h in links(body) if parse_qs(urlsplit(h).query).get("tag") == ["OVH"])
    ticked = page(client, urlsplit(toggle).query)
    assert re.search(r'name="tag" value="OVH" form="recherche"\s+aria-labelledby="[^"]+" checked', ticked)
    untoggle = [h for h in links(ticked) if urlsplit(h).path == "/" and "tag=OVH" not in h]
    assert untoggle, "a ticked value links back to the unfiltered page"


def test_several_values_of_one_facet_and_the_url_keeps_them_all(client):
    body = page(client, "tag=OVH&tag=Big+Data&sort=date")
    assert body.count(" checked") >= 2
    assert "OVH. What ?" in body
    # Every toggle link keeps the other parameters and drops the page number.
    for href in links(body):
        query = parse_qs(urlsplit(href).query)
        if "year" in query:
            assert query.get("sort") == ["date"] and {"OVH", "Big Data"} <= set(query.get("tag", []))
            assert "page" not in query


def test_sort_select_marks_the_current_order(client):
    body = page(client, "sort=-date")
    assert re.search(r'<option value="-date"\s+selected>', body)


def test_pagination_links_every_page_and_marks_the_current_one(client):
    body = page(client, "per_page=3&page=2")
    assert 'aria-current="page"' in body
    assert re.search(r'<a aria-current="page" href="[^"]*page=2[^"]*">2</a>', body)
    hrefs = links(body)
    assert any("page=1" in h for h in hrefs) and any("page=3" in h for h in hrefs)
    assert all("per_page=3" in h for h in hrefs if "page=" in h)
    assert 'rel="prev"' in body and 'rel="next"' in body


def test_did_you_mean_and_corrected_messages(client):
    body = page(client, "q=numerqiue")
    assert "Aucun résultat pour « numerqiue ». Résultats pour « <strong>numérique</strong> »." in body


def test_a_suggestion_alongside_results_is_offered_as_a_link(client, monkeypatch):
    # The sample offers no query that both finds articles and looks misspelt: add a suggestion.
    from searchweb import engine

    def search_with_suggestion(index, req):
        return {**real_search(index, req), "suggestion": "numérique"}

    real_search = engine.search
    monkeypatch.setattr(engine, "search", search_with_suggestion)
    body = page(client, "q=ovh")
    assert "Essayez avec « <a href=\"/?q=num%C3%A9rique\">numérique</a> »" in body


def test_an_empty_result_helps_the_reader(client):
    body = page(client, "q=zzzzqqqq&tag=OVH")
    assert "Aucun article ne correspond à « zzzzqqqq »" in body
    assert "Chercher sans les filtres" in body
    assert "Parcourir toutes les archives" in body


def test_dates_are_kept_in_the_form_and_shown_as_removable_filters(client):
    body = page(client, "from=2015-01-01&to=2015-12-31")
    assert 'name="from" form="recherche" value="2015-01-01"' in body
    assert "Depuis le 1er janvier 2015" in body and "Jusqu’au 31 décembre 2015" in body


def test_a_bad_parameter_gets_a_french_error_page_naming_it(client):
    response = client.get("/?page=abc")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Requête incorrecte" in body and "<code>page</code>" in body


@pytest.mark.parametrize("path, status, title", [
    ("/nulle-part", 404, "Page introuvable"),
])
def test_errors_outside_the_api_are_french_html_pages(client, path, status, title):
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert title in response.get_data(as_text=True)


def test_wrong_method_on_a_page_is_a_french_405(client):
    response = client.post("/")
    assert response.status_code == 405 and "Méthode non autorisée" in response.get_data(as_text=True)


def test_no_index_is_a_french_503_page(tmp_path):
    from searchweb import create_app

    response = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client().get("/")
    assert response.status_code == 503 and "Index indisponible" in response.get_data(as_text=True)


def test_the_widget_script_is_served_as_javascript_to_any_site(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    script = response.get_data(as_text=True)
    assert "attachShadow" in script and "function completions(" in script  # embed.js and combobox.js
    # One function around both: the completions never become a global of the host page.
    assert script.startswith("(function () {") and script.rstrip().endswith("})();")
    again = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


# --- hostile archive content and hostile queries ---------------------------------------------------

def test_hostile_archive_text_is_escaped_in_the_page(hostile_client):
    body = hostile_client.get("/?q=pirates").get_data(as_text=True)
    assert "Un article honnête sur les pirates" in body
    for raw in ("<script>alert", "<img src=x", "<svg onload", "<b onclick", "<i onmouseover", "<em>piratage"):
        assert raw not in body, raw
    answer = hostile_client.get("/api/v1/search?q=pirates&per_page=50").get_json()
    for result in answer["results"]:
        for text in (result["title"], result["author"], *result["tags"], *result["categories"]):
            assert html.escape(text, quote=False) in body.replace("&#34;", '"').replace("&#39;", "'") or not text


def test_only_mark_survives_in_snippets(hostile_client):
    body = hostile_client.get("/?q=hame%C3%A7onnage").get_data(as_text=True)
    snippets = re.findall(r'<p class="result__snippet">(.*?)</p>', body, re.S)
    assert snippets
    for snippet in snippets:
        assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) <= {"mark"}


def test_javascript_and_data_urls_never_become_links(hostile_client):
    body = hostile_client.get("/?q=pirates").get_data(as_text=True)
    hrefs = links(body)
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
    assert "https://example.org/honnete?a=1&b=2" in hrefs


@pytest.mark.parametrize("q", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)"])
def test_hostile_queries_are_escaped_everywhere(client, q):
    response = client.get("/", query_string={"q": q, "tag": q})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert q not in body
    assert "<script>alert" not in body and "<img src=x" not in body
    api = client.get("/api/v1/search", query_string={"q": q})
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get_json()["query"] == q.strip()


def test_ticked_values_are_listed_first_even_when_rare(client):
    sources = client.get("/api/v1/search").get_json()["facets"]["source"]
    rare = sources[-1]["value"]
    body = page(client, f"source={rare}")
    first = re.search(r'name="source" value="([^"]*)"', body).group(1)
    assert html.unescape(first) == rare

"""Synonyms and pinned results through the real server (gunicorn, two workers, started by `serve`):
an editor's change applies in every worker at once, without a reindex; the admin API's refusals;
the admin page's form; OpenAPI conformance."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from searchweb import create_app

from servers import Server, clean_env
from test_openapi import conforms

TOKEN = "curation-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STARTUP = 60
READS = 12  # requests after a change: with two workers, both answer some of them


@pytest.fixture(scope="module")
def server(sample_index, tmp_path_factory):
    """`serve` with two gunicorn workers over a copy of the sample index (the tests write settings)."""
    folder = tmp_path_factory.mktemp("curation-server")
    index_dir = shutil.copytree(sample_index, folder / "index")
    running = Server(index_dir, folder / "server.log", env=clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN))
    yield running.wait_ready(STARTUP).base, index_dir
    running.stop()


def call(base: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def found(base: str, q: str, **params) -> set[str]:
    """The ids found for `q`, the same in READS requests (every worker answers some)."""
    answers = set()
    for _ in range(READS):
        query = urllib.parse.urlencode({"q": q, "per_page": 50, **params})
        status, answer = call(base, "GET", f"/api/v1/search?{query}")
        assert status == 200
        answers.add(tuple(r["id"] for r in answer["results"]))
    assert len(answers) == 1, f"workers disagree on {q!r}: {answers}"
    return set(answers.pop())


def first(base: str, q: str, **params) -> str:
    query = urllib.parse.urlencode({"q": q, **params})
    return call(base, "GET", f"/api/v1/search?{query}")[1]["results"][0]["id"]


def test_synonyms_change_results_in_every_worker_without_a_reindex(server):
    base, index_dir = server
    assert found(base, "big data") == {"103", "105"}
    assert found(base, "données massives") == {"102"}  # both words, apart
    assert found(base, "mégadonnées") == set()
    assert found(base, "DRH") == {"109"}
    ressources = found(base, "ressources humaines")
    generation = call(base, "GET", "/healthz")[1]["generation"]

    status, saved = call(base, "PUT", "/api/v1/admin/synonyms", headers=AUTH, body={"synonyms": [
        {"synonyms": ["big data", "mégadonnées", "données massives"]},  # both ways, multi-word
        {"input": "DRH", "synonyms": ["ressources humaines"]},      # one way
    ]})
    assert status == 200 and saved["version"] == 1

    # Both ways: each finds the others' articles, a synonym phrase as a phrase (102 has "données"
    # and "massive" apart: "big data" does not find it); accents, case, plurals do not count.
    assert found(base, "mégadonnées") == found(base, "MEGADONNEES") == {"103", "105"}
    assert found(base, "données massives") == found(base, "donnees massive") == {"102", "103", "105"}
    assert found(base, "big data") == found(base, "Big Datas") == {"103", "105"}
    # One way: DRH finds "ressources humaines"; "ressources humaines" does not find DRH alone.
    assert found(base, "DRH") == {"109"} | ressources
    assert found(base, "ressources humaines") == ressources
    status, answer = call(base, "GET", "/api/v1/search?q=DRH&debug=1")
    assert answer["debug"]["synonyms"] == [{"terms": "drh", "synonyms": ["ressourc humain"]}]
    assert answer["debug"]["settings_version"] == 1
    assert answer["debug"]["generation"] == generation == call(base, "GET", "/healthz")[1]["generation"]

    # Taken back: the next requests of every worker see it.
    assert call(base, "PUT", "/api/v1/admin/synonyms", headers=AUTH, body={"synonyms": []})[0] == 200
    assert found(base, "big data") == {"103", "105"}
    assert json.loads((index_dir / "settings.json").read_text())["version"] == 2


def test_a_pin_puts_an_article_first_in_every_worker(server):
    base, _ = server
    assert first(base, "cloud") != "107"
    status, saved = call(base, "PUT", "/api/v1/admin/pins", headers=AUTH,
                         body={"pins": [{"query": "Clouds", "articles": ["107", "103"]}]})
    assert status == 200 and saved["pins"] == [{"query": "Clouds", "articles": ["107", "103"]}]
    for _ in range(READS):
        status, answer = call(base, "GET", "/api/v1/search?q=cloud&debug=1")
        assert [r["id"] for r in answer["results"][:2]] == ["107", "103"]
        assert answer["debug"]["pinned"] == ["107", "103"]
    assert first(base, "cloud", tag="Cloud") == "103"  # 107 fails the filter
    assert call(base, "GET", "/api/v1/admin/pins", headers=AUTH)[1]["pins"] == saved["pins"]
    call(base, "PUT", "/api/v1/admin/pins", headers=AUTH, body={"pins": []})


@pytest.mark.parametrize("path, body, param", [
    ("/api/v1/admin/synonyms", {"synonyms": [{"synonyms": ["IoT", "  "]}]}, "synonyms[0].synonyms[1]"),
    ("/api/v1/admin/synonyms", {"synonyms": [{"input": "a1", "synonyms": ["b1"]}, {"input": "b1", "synonyms": ["a1"]}]},
     "synonyms[1]"),
    ("/api/v1/admin/synonyms", {"synonyms": [{"synonyms": ["x" * 500, "y"]}]}, "synonyms[0].synonyms[0]"),
    ("/api/v1/admin/synonyms", {"synonyms": {"IoT": "objets"}}, "synonyms"),
    ("/api/v1/admin/synonyms", {"pins": []}, "synonyms"),
    ("/api/v1/admin/synonyms", [1, 2], "synonyms"),
    ("/api/v1/admin/pins", {"pins": [{"query": "cloud", "articles": []}]}, "pins[0].articles"),
    ("/api/v1/admin/pins", {"pins": [{"query": "de la", "articles": ["103"]}]}, "pins[0].query"),
])
def test_a_bad_rule_is_a_400_naming_it_and_nothing_changes(server, path, body, param):
    base, index_dir = server
    before = (index_dir / "settings.json").read_bytes() if (index_dir / "settings.json").exists() else None
    status, answer = call(base, "PUT", path, body=body, headers=AUTH)
    assert status == 400 and answer["error"]["code"] == "bad_settings" and answer["error"]["param"] == param
    after = (index_dir / "settings.json").read_bytes() if (index_dir / "settings.json").exists() else None
    assert after == before


@pytest.mark.parametrize("kind, rules, param, message", [
    ("synonyms", "IA", "synonyms", "must be a list of rules"),
    ("pins", "ovh", "pins", "must be a list of pins"),
    ("synonyms", [{"synonyms": ["IA", "robot"]}] * 501, "synonyms", "at most 500 rules"),
    ("pins", [{"query": "cloud", "articles": ["1"]}] * 501, "pins", "at most 500 pinned queries"),
    ("synonyms", [{"synonyms": ["IA", "robot"]}, "IA, robot"], "synonyms[1]", "must be an object"),
    ("pins", [{"query": "cloud", "articles": ["1"]}, ["cloud", "1"]], "pins[1]", "must be an object"),
    ("synonyms", [{"synonyms": ["IA", "robot"], "weight": 2}], "synonyms[0]", "unknown key 'weight'"),
    ("pins", [{"query": "cloud", "articles": ["1"], "boost": 2}], "pins[0]", "unknown key 'boost'"),
    ("synonyms", [{"input": "IA"}], "synonyms[0].synonyms", "must be a non-empty list"),
    ("pins", [{"query": "cloud", "articles": "103"}], "pins[0].articles", "must be a non-empty list of article ids"),
    ("synonyms", [{"synonyms": [f"mot{i}" for i in range(21)]}], "synonyms[0].synonyms", "at most 20 synonyms"),
    ("pins", [{"query": "cloud", "articles": [str(i) for i in range(11)]}], "pins[0].articles", "at most 10 articles"),
])
def test_synonyms_and_pins_are_refused_alike_naming_the_rule(server, kind, rules, param, message):
    """The two lists share one shape (a list of at most 500 objects of known keys, each with a list
    of its own): the same refusals, in the words of each."""
    base, _ = server
    status, answer = call(base, "PUT", f"/api/v1/admin/{kind}", body={kind: rules}, headers=AUTH)
    assert status == 400
    error = answer["error"]
    assert (error["code"], error["param"]) == ("bad_settings", param)
    assert error["message"].endswith(message) and param in error["message"]


def test_the_admin_api_needs_the_token(server):
    base, _ = server
    for method, body in (("GET", None), ("PUT", {"synonyms": []})):
        assert call(base, method, "/api/v1/admin/synonyms", body=body)[0] == 401
        assert call(base, method, "/api/v1/admin/pins", body=body,
                    headers={"Authorization": "Bearer wrong"})[0] == 401


# --- in-process: the admin page's form, admin off, the OpenAPI document ---------------------------------------

def csrf_of(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


@pytest.fixture
def admin_client(sample_index, tmp_path):
    index_dir = shutil.copytree(sample_index, tmp_path / "index")
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "ADMIN_TOKEN": TOKEN}).test_client()


def test_the_admin_page_edits_synonyms_and_pins_as_lines_with_its_csrf_token(admin_client):
    token = csrf_of(admin_client.get("/admin").get_data(as_text=True))
    assert admin_client.post("/admin/login", data={"token": TOKEN, "csrf_token": token}).status_code == 303
    page = admin_client.get("/admin").get_data(as_text=True)
    assert 'id="curation"' in page
    csrf = csrf_of(page)
    form = {"synonyms": "# les sigles\nIoT, objets connectés\nDRH => ressources humaines\n",
            "pins": "cloud => 107"}
    # Without the token, or from another site: refused, nothing stored.
    assert admin_client.post("/admin/curation", data=form).status_code == 403
    assert admin_client.post("/admin/curation", data={**form, "csrf_token": csrf},
                             headers={"Origin": "https://evil.example"}).status_code == 403
    assert admin_client.get("/api/v1/admin/synonyms", headers=AUTH).get_json()["version"] == 0

    saved = admin_client.post("/admin/curation", data={**form, "csrf_token": csrf})
    assert saved.status_code == 303
    assert admin_client.get("/api/v1/admin/synonyms", headers=AUTH).get_json()["synonyms"] == [
        {"synonyms": ["IoT", "objets connectés"]}, {"input": "DRH", "synonyms": ["ressources humaines"]}]
    page = admin_client.get("/admin").get_data(as_text=True)
    assert "IoT, objets connectés\nDRH =&gt; ressources humaines\n</textarea>" in page
    assert "cloud =&gt; 107" in page and "version 1" in page
    assert admin_client.get("/api/v1/search?q=cloud").get_json()["results"][0]["id"] == "107"

    # A bad line is said in French, naming the rule, and nothing is stored.
    admin_client.post("/admin/curation", data={"synonyms": "IoT, IOT", "pins": "", "csrf_token": csrf})
    page = admin_client.get("/admin").get_data(as_text=True)
    assert "Rien n’a été enregistré : synonymes, règle 1" in page
    assert admin_client.get("/api/v1/admin/synonyms", headers=AUTH).get_json()["version"] == 1
    # Hostile text in a rule is shown as text.
    admin_client.post("/admin/curation", data={"synonyms": "</textarea><script>alert(1)</script>, pirate",
                                               "pins": "", "csrf_token": csrf})
    page = admin_client.get("/admin").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;, pirate" in page


def test_a_damaged_settings_file_saved_over_continues_the_versions_caches_know(admin_client):
    """Answers are cached by settings version (ETags, the answer cache): the settings saved over a
    damaged file take the next version, never one that was already given (nor a timestamp)."""
    for pins in ([{"query": "cloud", "articles": ["107"]}], [{"query": "cloud", "articles": ["103"]}]):
        assert admin_client.put("/api/v1/admin/pins", headers=AUTH, json={"pins": pins}).get_json()["version"] in (1, 2)
    pinned = admin_client.get("/api/v1/search?q=cloud&debug=1")
    assert pinned.get_json()["debug"]["settings_version"] == 2
    index_dir = Path(admin_client.application.config["INDEX_DIR"])
    (index_dir / "settings.json").write_bytes(b"\x00" * 40)  # its version cannot be read any more
    assert admin_client.get("/api/v1/search?q=cloud").status_code == 200  # the last good settings apply
    unreadable = admin_client.get("/api/v1/admin/pins", headers=AUTH)  # said, not a 500
    assert unreadable.status_code == 503 and unreadable.get_json()["error"]["code"] == "settings_unreadable"
    conforms(admin_client.get("/api/v1/openapi.json").get_json(), "/api/v1/admin/pins", "get", unreadable)

    saved = admin_client.put("/api/v1/admin/pins", headers=AUTH, json={"pins": []})
    assert saved.status_code == 200 and saved.get_json()["version"] == 3
    after = admin_client.get("/api/v1/search?q=cloud&debug=1", headers={"If-None-Match": pinned.headers["ETag"]})
    assert after.status_code == 200 and after.get_json()["debug"]["settings_version"] == 3
    assert after.get_json()["debug"]["pinned"] == []
    [aside] = index_dir.glob("settings.json.damaged-*")
    assert aside.read_bytes() == b"\x00" * 40


def test_with_admin_off_it_is_a_403(sample_index, tmp_path):
    client = create_app({"TESTING": True, "INDEX_DIR": str(shutil.copytree(sample_index, tmp_path / "i"))}).test_client()
    for response in (client.get("/api/v1/admin/synonyms", headers=AUTH),
                     client.put("/api/v1/admin/pins", json={"pins": []}, headers=AUTH)):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "admin_off"


def test_the_answers_conform_to_the_openapi_document(admin_client):
    spec = admin_client.get("/api/v1/openapi.json").get_json()
    answers = [
        ("/api/v1/admin/synonyms", "get", admin_client.get("/api/v1/admin/synonyms", headers=AUTH), 200),
        ("/api/v1/admin/synonyms", "put", admin_client.put("/api/v1/admin/synonyms", headers=AUTH, json={
            "synonyms": [{"synonyms": ["IoT", "objets connectés"]}, {"input": "DRH", "synonyms": ["RH"]}]}), 200),
        ("/api/v1/admin/synonyms", "put", admin_client.put("/api/v1/admin/synonyms", headers=AUTH,
                                                           json={"synonyms": [{}]}), 400),
        ("/api/v1/admin/synonyms", "get", admin_client.get("/api/v1/admin/synonyms"), 401),
        ("/api/v1/admin/pins", "put", admin_client.put("/api/v1/admin/pins", headers=AUTH, json={
            "pins": [{"query": "cloud", "articles": ["107"]}]}), 200),
        ("/api/v1/admin/pins", "get", admin_client.get("/api/v1/admin/pins", headers=AUTH), 200),
        ("/api/v1/search", "get", admin_client.get("/api/v1/search?q=IoT&debug=1"), 200),
        ("/api/v1/search", "get", admin_client.get("/api/v1/search?q=cloud&debug=true"), 200),
        ("/api/v1/search", "get", admin_client.get("/api/v1/search?q=cloud&debug=yes"), 400),
    ]
    for path, method, response, status in answers:
        assert response.status_code == status, (path, method, response.get_json())
        conforms(spec, path, method, response)
    assert "debug" not in admin_client.get("/api/v1/search?q=cloud").get_json()
    # The request bodies sent above are those the document declares.
    from jsonschema import Draft202012Validator
    body = spec["paths"]["/api/v1/admin/synonyms"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    Draft202012Validator({**body, "components": spec["components"]}).validate(
        {"synonyms": [{"synonyms": ["IoT", "objets connectés"]}, {"input": "DRH", "synonyms": ["RH"]}]})

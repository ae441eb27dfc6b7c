"""Search analytics and operators' metrics.

In-process (the real app over the sample index, a real SQLite file per test): the query key, the
click beacon's checks, the report, the admin API and its CSV, retention. Then through the real
server (`archive-search serve`, gunicorn with two workers, JSON access logs): a known sequence of
searches and clicks gives known counts in the analytics API and in `/metrics`, parsed with
prometheus_client's own parser; every access log line is a JSON object.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from searchweb import create_app
from servers import Server, clean_env
from searchweb.analytics import Recorder, normalise_query, report

TOKEN = "analytics-admin-token"
METRICS_TOKEN = "scrape-only-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(sample_index, tmp_path, monkeypatch):
    for name in ("INDEX_DIR", "ARCHIVE", "ADMIN_TOKEN", "RATE_LIMIT", "SECRET_KEY", "ANALYTICS",
                 "ANALYTICS_FILE", "ANALYTICS_RETENTION_DAYS", "METRICS_TOKEN"):
        monkeypatch.delenv(f"ARCHIVE_SEARCH_{name}", raising=False)
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "ADMIN_TOKEN": TOKEN,
                       "ANALYTICS_FILE": str(tmp_path / "analytics.sqlite3")})


@pytest.fixture
def client(app):
    return app.test_client()


def flush(app) -> None:
    assert app.extensions["archive_search.analytics"].flush()


def click(client, q, article_id, position=1, **kw):
    return client.post("/api/v1/click", data=json.dumps({"q": q, "id": article_id, "position": position}),
                       content_type="text/plain;charset=UTF-8", **kw)


# --- the query key ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["Numérique", "numerique ", "  NUMÉRIQUE", "numérique"])
def test_one_query_however_it_is_typed(typed):
    assert normalise_query(typed) == "numerique"


def test_the_key_keeps_the_operators_and_folds_french_quotes():
    assert normalise_query("«Réseaux  sociaux» -Facebook OR Œuvre titre:IA") == '"reseaux sociaux" -facebook OR oeuvre titre:ia'
    assert normalise_query("l’État") == "l'etat"
    assert normalise_query("   ") == ""


# --- counts, in-process -----------------------------------------------------------------------------------

def test_searches_results_zero_results_and_clicks_per_query(app, client):
    for q in ("Numérique", "numerique ", "NUMÉRIQUE", "zzzqqqxx", "zzzqqqxx"):
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
    client.get("/api/v1/search", query_string={"q": "numérique", "page": 2})  # paging: not a new search
    client.get("/api/v1/search")  # the empty box: browsing, not a search
    first = client.get("/?q=numérique").status_code
    assert first == 200
    article = client.get("/api/v1/search", query_string={"q": "numérique"}).get_json()["results"][1]["id"]
    assert click(client, "Numérique", article, position=2).status_code == 204
    assert click(client, "nobody searched this", article).status_code == 204  # accepted, not recorded
    flush(app)

    answer = client.get("/api/v1/admin/analytics?days=7", headers=BEARER).get_json()
    assert answer["totals"] == {"searches": 7, "found": 5, "zero": 2, "clicks": 1,
                                "click_through_rate": round(1 / 7, 4), "mean_click_position": 2.0}
    top = {row["query"]: row for row in answer["top_queries"]}
    assert set(top) == {"numerique", "zzzqqqxx"}
    assert (top["numerique"]["searches"], top["numerique"]["found"], top["numerique"]["clicks"]) == (5, 5, 1)
    assert answer["zero_result_queries"] == [{"query": "zzzqqqxx", "zero": 2, "searches": 2,
                                              "last_day": date.today().isoformat()}]
    assert len(answer["per_day"]) == 7 and answer["per_day"][-1]["searches"] == 7
    assert answer["enabled"] is True and answer["retention_days"] == 90


@pytest.mark.parametrize("body, param", [
    ("not json", None),
    ("[1, 2]", None),
    ('{"id": "a", "position": 1}', "q"),
    ('{"q": "x", "position": 1}', "id"),
    ('{"q": "x", "id": "a\\nb", "position": 1}', "id"),
    ('{"q": "x", "id": "a", "position": 0}', "position"),
    ('{"q": "x", "id": "a", "position": "1"}', "position"),
    ('{"q": "x", "id": "a", "position": true}', "position"),
])
def test_a_bad_click_is_a_400_naming_what_is_wrong(client, body, param):
    response = client.post("/api/v1/click", data=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_click" and error.get("param") == param


def test_a_click_too_large_is_refused(client):
    response = click(client, "x" * 5000, "a")
    assert response.status_code == 413


def test_analytics_off_records_nothing(sample_index, tmp_path):
    path = tmp_path / "analytics.sqlite3"
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "ANALYTICS": "off", "ANALYTICS_FILE": str(path)})
    app.test_client().get("/api/v1/search?q=numérique")
    assert "archive_search.analytics" not in app.extensions and not path.exists()


def test_rows_older_than_the_retention_are_pruned_by_the_writer(tmp_path):
    path = tmp_path / "analytics.sqlite3"
    recorder = Recorder(path, retention_days=3)
    recorder.search("premier", 1)
    assert recorder.flush()
    old = (date.today() - timedelta(days=3)).isoformat()
    kept = (date.today() - timedelta(days=2)).isoformat()
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO daily (day, query, searches, found, zero) VALUES (?, ?, 1, 1, 0)",
                       [(old, "trop vieux"), (kept, "gardé")])
    recorder._pruned_at = 0.0  # the next batch prunes (the writer does once an hour)
    recorder.search("second", 0)
    assert recorder.flush()
    with sqlite3.connect(path) as db:
        assert sorted(q for (q,) in db.execute("SELECT query FROM daily")) == ["gardé", "premier", "second"]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_full_queue_drops_and_counts_without_waiting(tmp_path):
    recorder = Recorder(tmp_path / "analytics.sqlite3", queue_size=1)
    with sqlite3.connect(tmp_path / "analytics.sqlite3") as db:
        db.execute("CREATE TABLE hold (x)")
    # The writer is stuck behind another process's exclusive lock; searches keep coming.
    holder = sqlite3.connect(tmp_path / "analytics.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        for i in range(200):
            recorder.search(f"q{i}", 1)
        assert time.perf_counter() - started < 5  # (a bound against hanging, not a speed claim)
        assert recorder.dropped["queue_full"] > 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# --- the admin side -----------------------------------------------------------------------------------------

def test_the_analytics_api_needs_the_admin_token(client):
    assert client.get("/api/v1/admin/analytics").status_code == 401
    assert client.get("/api/v1/admin/analytics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/v1/admin/analytics.csv").status_code == 401
    response = client.get("/api/v1/admin/analytics?days=0", headers=BEARER)
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "days"
    assert client.get("/api/v1/admin/analytics?days=abc", headers=BEARER).status_code == 400


def test_the_csv_export_has_every_row_and_keeps_formulas_as_text(app, client):
    for q in ("numérique", "=HYPERLINK(\"http://evil\")", "numérique"):
        client.get("/api/v1/search", query_string={"q": q})
    flush(app)
    response = client.get("/api/v1/admin/analytics.csv?days=30", headers=BEARER)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["day", "query", "searches", "found", "zero_results", "clicks"]
    today = date.today().isoformat()
    assert [today, "numerique", "2", "2", "0", "0"] in rows
    assert [today, "'=hyperlink(\"http://evil\")", "1", "0", "1", "0"] in rows


def test_the_admin_page_shows_the_report_escaped(app, client):
    hostile = '<script>alert(1)</script><svg onload=alert(2)>'
    for q in ("numérique", hostile, hostile):
        client.get("/api/v1/search", query_string={"q": q})
    flush(app)
    login_form = client.get("/admin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_form).group(1)
    assert client.post("/admin/login", data={"token": TOKEN, "csrf_token": csrf}).status_code == 303
    page = client.get("/admin?days=7").get_data(as_text=True)
    assert "Ce que cherchent les lecteurs" in page
    assert "<script>alert(1)" not in page and "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;" in page
    assert page.count('class="chart__bar"') == 7  # one bar a day, drawn on the server
    assert 'class="chart__zero"' in page
    assert "/api/v1/admin/analytics.csv?days=7" in page


def test_an_unreadable_analytics_file_leaves_the_report_empty_not_broken(tmp_path):
    path = tmp_path / "analytics.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    answer = report(path, days=7)
    assert answer["error"] and answer["totals"]["searches"] == 0 and len(answer["per_day"]) == 7


# --- metrics, in-process ---------------------------------------------------------------------------------------

def test_metrics_need_a_token(sample_index, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=BEARER).status_code == 200
    scrape_only = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "ADMIN_TOKEN": TOKEN,
                              "METRICS_TOKEN": METRICS_TOKEN, "ANALYTICS": "off"}).test_client()
    assert scrape_only.get("/metrics", headers=BEARER).status_code == 401  # the scrape token only
    assert scrape_only.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    closed = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "ANALYTICS": "off"}).test_client()
    assert closed.get("/metrics").status_code == 403


# --- through the real server --------------------------------------------------------------------------------

def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def _post(url: str, body: bytes):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_index_dir):
    """`archive-search serve` with two workers and JSON access logs, on a copy of the sample index."""
    folder = tmp_path_factory.mktemp("analytics-server")
    index_dir = folder / "index"
    shutil.copytree(sample_index_dir, index_dir)
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's: emptied at start
    env = clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN, ARCHIVE_SEARCH_METRICS_TOKEN=METRICS_TOKEN,
                    ARCHIVE_SEARCH_METRICS_DIR=metrics_dir)
    running = Server(index_dir, folder / "server.log", env=env, args=("--log-format", "json")).wait_ready()
    yield {"base": running.base, "log": running.log_path, "index_dir": index_dir, "metrics_dir": metrics_dir,
           "pid": running.proc.pid}
    running.stop()


def _metrics(server) -> dict:
    status, body = _get(server["base"] + "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _analytics(server, days=1) -> dict:
    return json.loads(_get(server["base"] + f"/api/v1/admin/analytics?days={days}", BEARER)[1])


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_counts_after_a_known_sequence_through_the_real_server(server):
    base = server["base"]
    before = _metrics(server)
    searches = ["Numérique", "numerique", "NUMÉRIQUE ", "réseaux sociaux", "qqqzzzvv", "qqqzzzvv", "Qqqzzzvv"]
    found_ids = {}
    for q in searches:  # every request its own connection: gunicorn's two workers share them
        answer = json.loads(_get(base + "/api/v1/search?" + urllib.parse.urlencode({"q": q}))[1])
        found_ids[q] = [r["id"] for r in answer["results"]]
    _get(base + "/?" + urllib.parse.urlencode({"q": "réseaux sociaux"}))  # the page counts too
    for q, position in (("numérique", 1), ("Numérique", 3), ("réseaux sociaux", 2)):
        body = json.dumps({"q": q, "id": found_ids["Numérique" if "num" in q.lower() else q][position - 1],
                           "position": position}).encode()
        assert _post(base + "/api/v1/click", body) == 204

    def settled():
        report = _analytics(server)
        return report if report["totals"]["searches"] == 8 and report["totals"]["clicks"] == 3 else None

    report = _wait_for(settled)
    assert report, _analytics(server)
    rows = {row["query"]: row for row in report["top_queries"]}
    assert {q: (r["searches"], r["found"], r["zero"], r["clicks"]) for q, r in rows.items()} == {
        "numerique": (3, 3, 0, 2), "reseaux sociaux": (2, 2, 0, 1), "qqqzzzvv": (3, 0, 3, 0)}
    assert report["zero_result_queries"][0]["query"] == "qqqzzzvv"
    assert report["totals"]["click_through_rate"] == round(3 / 8, 4)

    # /metrics: the same searches, whichever worker answered each (and the scrape itself).
    after = _metrics(server)
    assert after[("archive_search_searches_total", ())] - before.get(("archive_search_searches_total", ()), 0) == 8
    assert after[("archive_search_zero_result_searches_total", ())] \
        - before.get(("archive_search_zero_result_searches_total", ()), 0) == 3
    assert after[("archive_search_search_duration_seconds_count", ())] \
        - before.get(("archive_search_search_duration_seconds_count", ()), 0) == 8
    assert after[("archive_search_result_clicks_total", ())] - before.get(("archive_search_result_clicks_total", ()), 0) == 3
    health = json.loads(_get(base + "/healthz")[1])
    assert after[("archive_search_index_articles", ())] == health["articles"] > 0
    assert after[("archive_search_index_generation_info", (("generation", health["generation"]),))] == 1
    assert after[("archive_search_update_queue_length", ())] == 0
    # Both workers wrote their own files; the stale one of a "previous run" was removed at start.
    pids = {p.stem.rsplit("_", 1)[1] for p in server["metrics_dir"].glob("counter_*.db")}
    assert "999999" not in pids and len(pids) >= 1


def test_two_workers_add_up_in_metrics(server):
    """Many short connections: both workers answer some; the scrape adds both up."""
    before = _metrics(server)[("archive_search_searches_total", ())]
    for i in range(40):
        _get(server["base"] + f"/api/v1/search?q=archives{i % 4}")
    assert _metrics(server)[("archive_search_searches_total", ())] - before == 40
    pids = {p.stem.rsplit("_", 1)[1] for p in server["metrics_dir"].glob("counter_*.db")}
    assert len(pids) >= 2, pids


def test_metrics_refuse_a_scrape_without_the_token(server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(server["base"] + "/metrics")
    assert refused.value.code == 401


def test_the_access_log_is_one_json_object_a_line_without_the_query_string(server):
    _get(server["base"] + "/api/v1/search?q=secret+du+lecteur")
    time.sleep(0.5)
    lines = [json.loads(line) for line in server["log"].read_text().splitlines() if line.startswith("{")]
    searches = [line for line in lines if line["path"] == "/api/v1/search"]
    assert searches, server["log"].read_text()[-2000:]
    assert set(searches[-1]) == {"time", "method", "path", "status", "duration_ms", "bytes"}
    assert searches[-1]["method"] == "GET" and searches[-1]["status"] == 200 and searches[-1]["bytes"] > 0
    assert "secret" not in server["log"].read_text()


def test_the_analytics_answers_conform_to_the_openapi_document(app, client):
    from jsonschema import Draft202012Validator

    from searchweb.openapi import openapi_document

    spec = openapi_document()
    client.get("/api/v1/search?q=numérique")
    flush(app)
    for url, status in (("/api/v1/admin/analytics?days=3", 200), ("/api/v1/admin/analytics?days=400", 400)):
        response = client.get(url, headers=BEARER)
        assert response.status_code == status
        schema = spec["paths"]["/api/v1/admin/analytics"]["get"]["responses"][str(status)]["content"][
            "application/json"]["schema"]
        Draft202012Validator({**schema, "components": spec["components"]}).validate(response.get_json())


def test_a_search_without_results_is_fixed_from_the_report_with_a_synonym(sample_index, tmp_path, monkeypatch):
    """The editor's to-do list leads to the fix: "Ajouter un synonyme" starts a one-way rule for the
    query in the synonyms form; once finished and saved, the same search finds articles."""
    for name in ("ANALYTICS", "ANALYTICS_FILE", "ADMIN_TOKEN"):
        monkeypatch.delenv(f"ARCHIVE_SEARCH_{name}", raising=False)
    index_dir = shutil.copytree(sample_index, tmp_path / "index")  # the form writes its settings
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "ADMIN_TOKEN": TOKEN,
                      "ANALYTICS_FILE": str(tmp_path / "analytics.sqlite3")})
    client = app.test_client()
    assert client.get("/api/v1/search?q=Mutualis%C3%A9").get_json()["total"] == 0
    flush(app)
    client.post("/admin/login", data={"token": TOKEN, "csrf_token": csrf_of(client.get("/admin").get_data(as_text=True))})
    report = client.get("/admin").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Ajouter un synonyme<span class="visually-hidden"> pour « mutualise »', report)
    assert link, "the zero-result row offers a synonym"
    form = client.get(html.unescape(link.group(1))).get_data(as_text=True)
    started = re.search(r'<textarea id="synonyms"[^>]*autofocus data-adding>(.*?)</textarea>', form, re.S)
    assert started and started.group(1) == "mutualise =&gt; "  # the query as the report groups it
    saved = client.post("/admin/curation", data={"synonyms": "mutualise => hébergeur", "pins": "",
                                                 "csrf_token": csrf_of(form)})
    assert saved.status_code == 303
    assert client.get("/api/v1/search?q=Mutualis%C3%A9").get_json()["total"] == 2  # as "hébergeur" finds


def csrf_of(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)

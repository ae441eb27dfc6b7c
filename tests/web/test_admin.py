"""Admin over the real engine: token checks, a real reindex in its own process, the admin page's session."""

from __future__ import annotations

import json
import re
import time

import pytest

from indexer.build import build_index
from indexer.sample import SAMPLE_ARCHIVE
from searchweb import create_app

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = 90  # seconds a reindex may take on a slow CI machine

WORDS = ("numérique entreprise réseaux sociaux données clients commerce hébergeur nuage serveurs "
         "salariés management innovation start-up marketing influence communication").split()


@pytest.fixture(scope="module")
def bigger_archive(tmp_path_factory):
    """Enough articles that a reindex lasts long enough to be seen running."""
    path = tmp_path_factory.mktemp("admin-archive") / "more.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(1500):
            words = " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(120))
            out.write(json.dumps({"id": f"gen-{n}", "title": f"Article généré {n}", "body": words,
                                  "date": f"2014-{n % 12 + 1:02d}-{n % 28 + 1:02d}", "author": "Robot",
                                  "tags": [WORDS[n % len(WORDS)]], "url": f"https://example.org/{n}"},
                                 ensure_ascii=False) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def admin_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("admin-index")
    build_index([SAMPLE_ARCHIVE], index_dir)
    return index_dir


@pytest.fixture
def admin_app(admin_index, bigger_archive):
    return create_app({"TESTING": True, "INDEX_DIR": str(admin_index), "ADMIN_TOKEN": TOKEN,
                       "ARCHIVE": [SAMPLE_ARCHIVE, bigger_archive]})


@pytest.fixture
def admin_client(admin_app):
    return admin_app.test_client()


def wait_until_done(client, headers=AUTH) -> dict:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        job = client.get("/api/v1/admin/reindex", headers=headers).get_json()["job"]
        if job and job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the reindex did not finish in time")


# --- admin off ----------------------------------------------------------------------------------------

def test_without_a_token_configured_admin_is_off_and_does_nothing(client, sample_index):
    before = sorted(p.name for p in sample_index.iterdir())
    for response in (client.post("/api/v1/admin/reindex", headers=AUTH),
                     client.get("/api/v1/admin/reindex", headers=AUTH)):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "admin_off"
    page = client.get("/admin")
    assert page.status_code == 403 and "L’administration est désactivée" in page.get_data(as_text=True)
    assert sorted(p.name for p in sample_index.iterdir()) == before


# --- the token ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("headers, query", [
    ({}, ""),
    ({"Authorization": "Bearer wrong"}, ""),
    ({"Authorization": f"Bearer {TOKEN}x"}, ""),
    ({"Authorization": f"Basic {TOKEN}"}, ""),
    ({}, f"?token={TOKEN}"),
    ({}, f"?access_token={TOKEN}"),
])
def test_a_wrong_missing_or_query_string_token_is_a_401(admin_client, method, headers, query):
    response = getattr(admin_client, method)("/api/v1/admin/reindex" + query, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] == "unauthorized"


def admin_routes(app) -> list[tuple[str, str]]:
    """Every admin URL of the app and its methods, a sample value in each variable."""
    return [(re.sub(r"<[^>]+>", "1", rule.rule), method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(("/admin", "/api/v1/admin")) for method in rule.methods - {"HEAD", "OPTIONS"}]


def test_every_admin_url_refuses_whoever_is_not_the_admin(admin_app, client, admin_index, sample_index):
    """Each admin view says who may use it in one decorator: one forgotten would show here."""
    routes = admin_routes(admin_app)
    assert len(routes) >= 18
    before = {folder: sorted(p.name for p in folder.iterdir()) for folder in (admin_index, sample_index)}
    for path, method in routes:
        off = client.open(path, method=method, headers=AUTH)  # admin off: even the token does nothing
        assert off.status_code == 403, (method, path)
        anyone = admin_app.test_client().open(path, method=method)
        if path.startswith("/api/"):
            assert anyone.status_code == 401 and anyone.get_json()["error"]["code"] == "unauthorized", (method, path)
        elif method == "POST":  # a form sent without the page's CSRF token
            assert anyone.status_code == 403, (method, path)
        else:  # the page itself: its login form
            assert anyone.status_code == 200 and 'name="token"' in anyone.get_data(as_text=True), (method, path)
    assert before == {folder: sorted(p.name for p in folder.iterdir()) for folder in (admin_index, sample_index)}


# --- a real reindex --------------------------------------------------------------------------------------

def test_reindex_202_then_409_progress_to_done_while_searches_are_answered(admin_client):
    before = admin_client.get("/healthz").get_json()

    started = admin_client.post("/api/v1/admin/reindex", headers=AUTH)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()["job"]
    assert job["state"] in ("queued", "running")
    assert started.headers["Location"] == "/api/v1/admin/reindex"

    busy = admin_client.post("/api/v1/admin/reindex", headers=AUTH)
    assert busy.status_code == 409
    assert busy.get_json()["error"]["code"] == "busy"
    assert busy.get_json()["job"]["id"] == job["id"]

    seen, searches = set(), 0
    deadline = time.monotonic() + TIMEOUT
    while True:
        assert time.monotonic() < deadline, "the reindex did not finish in time"
        status = admin_client.get("/api/v1/admin/reindex", headers=AUTH)
        assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
        current = status.get_json()["job"]
        assert current["id"] == job["id"]
        seen.add(current["state"])
        search = admin_client.get("/api/v1/search?q=h%C3%A9bergeur")
        assert search.status_code == 200 and search.get_json()["total"] >= 1
        searches += 1
        if current["state"] in ("done", "failed"):
            break
        assert 0 <= current["processed"] <= max(current["total"], current["processed"])
        time.sleep(0.05)

    assert current["state"] == "done", current
    assert current["indexed"] == before["articles"] + 1500
    assert current["finished_at"]
    assert "running" in seen or "queued" in seen
    after = admin_client.get("/healthz").get_json()
    assert after["articles"] == before["articles"] + 1500
    assert after["generation"] != before["generation"]
    assert admin_client.get("/api/v1/search?q=g%C3%A9n%C3%A9r%C3%A9").get_json()["total"] > 0


# --- the admin page ------------------------------------------------------------------------------------

def csrf_of(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def log_in(client) -> str:
    """Log in through the form; returns the CSRF token of the logged-in session (a login renews it)."""
    before = csrf_of(client.get("/admin").get_data(as_text=True))
    response = client.post("/admin/login", data={"token": TOKEN, "csrf_token": before})
    assert response.status_code == 303
    after = csrf_of(client.get("/admin").get_data(as_text=True))
    assert after != before
    return after


def test_the_login_form_needs_its_csrf_token_and_the_right_token(admin_client):
    form = admin_client.get("/admin")
    assert form.status_code == 200
    body = form.get_data(as_text=True)
    assert 'type="password"' in body and 'name="csrf_token"' in body
    assert admin_client.post("/admin/login", data={"token": TOKEN}).status_code == 403
    wrong = admin_client.post("/admin/login", data={"token": "nope", "csrf_token": csrf_of(body)})
    assert wrong.status_code == 401 and "Ce jeton n’est pas le bon" in wrong.get_data(as_text=True)
    cross_site = admin_client.post("/admin/login", data={"token": TOKEN, "csrf_token": csrf_of(body)},
                                   headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(admin_app):
    plain = admin_app.test_client().get("/admin").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Strict" in plain and "Secure" not in plain
    https = admin_app.test_client().get("/admin", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in https and "HttpOnly" in https


def test_logged_in_the_page_shows_figures_and_the_session_works_for_the_api(admin_client, admin_index):
    csrf = log_in(admin_client)
    body = admin_client.get("/admin").get_data(as_text=True)
    health = admin_client.get("/healthz").get_json()
    assert f"<dd>{health['articles']}</dd>" in body
    assert health["generation"] in body
    assert "Reconstruire maintenant" in body and '<progress id="job-progress"' in body
    assert 'name="csrf-token"' in body

    # The live bar reads progress with the session, no token needed.
    assert admin_client.get("/api/v1/admin/reindex").status_code == 200
    # A POST with the session needs the CSRF header, from our own origin.
    assert admin_client.post("/api/v1/admin/reindex").status_code == 403
    assert admin_client.post("/api/v1/admin/reindex", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert admin_client.post("/api/v1/admin/reindex", headers={
        "X-CSRF-Token": csrf, "Origin": "https://evil.example"}).status_code == 403
    started = admin_client.post("/api/v1/admin/reindex", headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin"})
    assert started.status_code == 202
    running = admin_client.get("/admin").get_data(as_text=True)
    assert re.search(r"<button[^>]*disabled>Reconstruire maintenant", running, re.S)
    assert wait_until_done(admin_client, headers={})["state"] == "done"

    # The page's own form (no JavaScript) starts one too, then shows its outcome.
    response = admin_client.post("/admin/reindex", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert "Reconstruction de l’index lancée" in admin_client.get("/admin").get_data(as_text=True)
    wait_until_done(admin_client)
    assert "Terminée le" in admin_client.get("/admin").get_data(as_text=True)

    assert admin_client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303
    assert admin_client.get("/api/v1/admin/reindex").status_code == 401
    assert 'type="password"' in admin_client.get("/admin").get_data(as_text=True)


def test_a_session_from_another_token_is_not_a_login(admin_index, bigger_archive):
    config = {"TESTING": True, "INDEX_DIR": str(admin_index), "SECRET_KEY": "fixed"}
    first = create_app({**config, "ADMIN_TOKEN": "old-token"}).test_client()
    token = csrf_of(first.get("/admin").get_data(as_text=True))
    first.post("/admin/login", data={"token": "old-token", "csrf_token": token})
    cookie = first.get_cookie("archive_search_session").value
    second = create_app({**config, "ADMIN_TOKEN": "new-token"}).test_client()
    second.set_cookie("archive_search_session", cookie)
    assert second.get("/api/v1/admin/reindex").status_code == 401

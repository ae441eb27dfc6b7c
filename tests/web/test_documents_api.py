"""The document API over HTTP, on a real index and a real journal: 202 and the task, what the journal
holds, each refusal (bad field, size, auth, full disk) answered in the one JSON error shape with nothing
recorded, and the admin page's list of the last writes.

Writes go to a copy of the sample index, so the shared one is never written. No applier runs here:
a task stays `enqueued`, and these tests check what the HTTP layer promises, not searchability.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime
from urllib.parse import quote

import pytest

from indexer import live
from indexer.live import documents as engine_documents
from indexer.live.documents import MAX_BATCH
from indexer.live.journal import Journal
from searchweb import create_app

TOKEN = "documents-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK_KEYS = {"id", "kind", "state", "articles", "ids", "error", "enqueued_at", "finished_at"}

ARTICLE = {
    "title": "Le cloud souverain, <em>enfin</em> ?",
    "body": "<p>Les hébergeurs français <strong>misent</strong> sur le nuage.</p><p>Second paragraphe.</p>",
    "url": "https://example.org/cloud-souverain",
    "date": "2021-03-04",
    "author": "Alice Martin",
    "tags": ["cloud", "souveraineté"],
    "categories": ["Numérique"],
}


def article(n, **more) -> dict:
    return {"id": f"doc-{n}", "title": f"Article poussé {n}", "body": f"Le texte numéro {n}.", **more}


@pytest.fixture
def index_dir(sample_index, tmp_path):
    """A private copy of the sample index: these tests write to it."""
    return shutil.copytree(sample_index, tmp_path / "index")


def make_app(index_dir, **config):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), **config})


@pytest.fixture
def writer(index_dir, monkeypatch):
    for name in ("INDEX_DIR", "ARCHIVE", "ADMIN_TOKEN", "RATE_LIMIT", "SECRET_KEY"):
        monkeypatch.delenv(f"ARCHIVE_SEARCH_{name}", raising=False)
    return make_app(index_dir, ADMIN_TOKEN=TOKEN).test_client()


def records(index_dir) -> list:
    return list(Journal(index_dir).read())


def put(client, article_id, body, headers=AUTH):
    return client.put(f"/api/v1/admin/articles/{article_id}", json=body, headers=headers)


def post_batch(client, data, content_type="application/json", headers=AUTH):
    if not isinstance(data, (str, bytes)):
        data = json.dumps(data, ensure_ascii=False)
    return client.post("/api/v1/admin/articles", data=data, content_type=content_type, headers=headers)


def ndjson(items) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def assert_error(response, status: int, code: str, param: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    if param is not None:
        assert error.get("param") == param, error
    return error


def assert_task(task: dict, kind: str, ids: list[str]) -> None:
    assert set(task) == TASK_KEYS
    assert isinstance(task["id"], int) and task["id"] >= 1
    assert (task["kind"], task["state"], task["articles"], task["ids"]) == (kind, "enqueued", len(ids), ids)
    assert task["error"] is None and task["finished_at"] is None
    assert datetime.fromisoformat(task["enqueued_at"]).tzinfo is not None


def assert_accepted(response, kind: str, ids: list[str]) -> dict:
    assert response.status_code == 202, response.get_data(as_text=True)
    task = response.get_json()["task"]
    assert_task(task, kind, ids)
    assert response.headers["Location"] == f"/api/v1/admin/tasks/{task['id']}"
    assert response.headers["Cache-Control"] == "no-store"
    return task


# --- writes that are accepted ------------------------------------------------------------------------

def test_put_answers_202_with_the_task_and_the_journal_holds_the_cleaned_article(writer, index_dir):
    response = put(writer, "cloud-1", ARTICLE)
    task = assert_accepted(response, "put", ["cloud-1"])
    assert task["id"] == 1

    followed = writer.get(response.headers["Location"], headers=AUTH)
    assert followed.status_code == 200 and followed.headers["Cache-Control"] == "no-store"
    assert followed.get_json() == {"task": task}

    [record] = records(index_dir)
    assert record.seq == task["id"]
    assert record.payload["kind"] == "put" and record.payload["enqueued_at"] == task["enqueued_at"]
    [op] = record.payload["ops"]
    assert op["op"] == "put"
    written = op["article"]
    assert written["id"] == "cloud-1"
    assert written["title"] == "Le cloud souverain, enfin ?"  # markup removed, like every reader's
    assert "Les hébergeurs français misent sur le nuage." in written["body"] and "<" not in written["body"]
    assert (written["url"], written["date"], written["author"]) == (ARTICLE["url"], "2021-03-04", "Alice Martin")
    assert (written["tags"], written["categories"]) == (["cloud", "souveraineté"], ["Numérique"])


def test_put_with_the_same_id_in_the_body_and_a_put_over_the_apps_64_kib(writer, index_dir):
    assert_accepted(put(writer, "same", {**ARTICLE, "id": "same"}), "put", ["same"])
    big = {"title": "Un long article", "body": "Le numérique change tout. " * 12_000}  # about 300 KB
    assert len(json.dumps(big)) > 5 * 64 * 1024
    assert_accepted(put(writer, "big", big), "put", ["big"])
    assert [len(r.payload["ops"][0]["article"]["body"]) > 250_000 for r in records(index_dir)] == [False, True]


def test_delete_answers_202_and_records_the_deletion(writer, index_dir):
    task = assert_accepted(writer.delete("/api/v1/admin/articles/103", headers=AUTH), "delete", ["103"])
    # An id the index does not hold is no error either.
    assert_accepted(writer.delete("/api/v1/admin/articles/nulle-part", headers=AUTH), "delete", ["nulle-part"])
    first, second = records(index_dir)
    assert (first.seq, first.payload["kind"], first.payload["ops"]) == (task["id"], "delete", [{"op": "delete", "id": "103"}])
    assert second.payload["ops"] == [{"op": "delete", "id": "nulle-part"}]


def test_a_json_array_batch_is_one_task(writer, index_dir):
    items = [article(n) for n in range(5)]
    task = assert_accepted(post_batch(writer, items), "batch", [f"doc-{n}" for n in range(5)])
    [record] = records(index_dir)
    assert record.seq == task["id"] and record.payload["kind"] == "batch"
    assert [(op["op"], op["article"]["id"], op["article"]["title"]) for op in record.payload["ops"]] == [
        ("put", f"doc-{n}", f"Article poussé {n}") for n in range(5)]


def test_an_ndjson_batch_is_one_task(writer, index_dir):
    body = "\n" + ndjson([article(1), article(2, tags=["x"])]).replace("\n", "\n\n", 1)  # blank lines are nothing
    task = assert_accepted(post_batch(writer, body.encode("utf-8"), "application/x-ndjson; charset=utf-8"),
                           "batch", ["doc-1", "doc-2"])
    [record] = records(index_dir)
    assert record.seq == task["id"]
    assert [op["article"]["id"] for op in record.payload["ops"]] == ["doc-1", "doc-2"]
    assert record.payload["ops"][1]["article"]["tags"] == ["x"]


def test_tasks_are_listed_newest_first_and_each_one_is_found_by_its_id(writer):
    made = [
        assert_accepted(put(writer, "a", ARTICLE), "put", ["a"]),
        assert_accepted(writer.delete("/api/v1/admin/articles/b", headers=AUTH), "delete", ["b"]),
        assert_accepted(post_batch(writer, [article(1), article(2)]), "batch", ["doc-1", "doc-2"]),
    ]
    listed = writer.get("/api/v1/admin/tasks", headers=AUTH)
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert listed.get_json() == {"tasks": made[::-1]}
    assert writer.get("/api/v1/admin/tasks?limit=2", headers=AUTH).get_json() == {"tasks": made[:0:-1]}
    for task in made:
        assert writer.get(f"/api/v1/admin/tasks/{task['id']}", headers=AUTH).get_json() == {"task": task}
    for limit in ("0", "101", "deux", "-1"):
        assert_error(writer.get(f"/api/v1/admin/tasks?limit={limit}", headers=AUTH), 400, "bad_query", "limit")


@pytest.mark.parametrize("path", ["/api/v1/admin/tasks/1", "/api/v1/admin/tasks/999",
                                  "/api/v1/admin/tasks/99999999999999999999999", "/api/v1/admin/tasks/abc"])
def test_an_unknown_task_is_a_json_404(writer, path):
    assert_error(writer.get(path, headers=AUTH), 404, "not_found")


# --- bad requests: a 400 naming the field, and nothing recorded ---------------------------------------

BAD = [
    # (what, method, path, content type, body, param)
    ("unknown field", "put", "x", "application/json", {**ARTICLE, "colour": "bleu"}, "colour"),
    ("title not a string", "put", "x", "application/json", {**ARTICLE, "title": 3}, "title"),
    ("tags not a list", "put", "x", "application/json", {**ARTICLE, "tags": "cloud"}, "tags"),
    ("a tag not a string", "put", "x", "application/json", {**ARTICLE, "tags": ["cloud", 4]}, "tags"),
    ("bad date", "put", "x", "application/json", {**ARTICLE, "date": "hier"}, "date"),
    ("impossible date", "put", "x", "application/json", {**ARTICLE, "date": "2021-02-30"}, "date"),
    ("javascript: url", "put", "x", "application/json", {**ARTICLE, "url": "javascript:alert(1)"}, "url"),
    ("data: url", "put", "x", "application/json", {**ARTICLE, "url": "data:text/html,<script>"}, "url"),
    ("id mismatch", "put", "x", "application/json", {**ARTICLE, "id": "y"}, "id"),
    ("missing title", "put", "x", "application/json", {"body": "Un texte."}, "title"),
    ("missing body", "put", "x", "application/json", {"title": "Un titre"}, "body"),
    ("a draft", "put", "x", "application/json", {**ARTICLE, "status": "draft"}, "status"),
    ("not an object", "put", "x", "application/json", [ARTICLE], "body"),
    ("not JSON", "put", "x", "application/json", "{'title': 'x'}", "body"),
    ("empty body", "put", "x", "application/json", "", "body"),
    ("not UTF-8", "put", "x", "application/json", '{"title": "caf\xe9", "body": "x"}'.encode("latin-1"), "body"),
    ("id too long", "put", "x" * 201, "application/json", ARTICLE, "id"),
    ("delete: id too long", "delete", "x" * 201, None, None, "id"),
    ("batch: bad 3rd item", "post", None, "application/json",
     [article(0), article(1), article(2, date="32/13/2021"), article(3)], "articles[2].date"),
    ("batch: bad url in the 2nd", "post", None, "application/json",
     [article(0), article(1, url="javascript:alert(1)")], "articles[1].url"),
    ("batch: duplicate ids", "post", None, "application/json", [article(0), article(1), article(0)], "articles[2].id"),
    ("batch: an item without id", "post", None, "application/json", [{"title": "t", "body": "b"}], "articles[0].id"),
    ("batch: not an array", "post", None, "application/json", article(0), "body"),
    ("batch: empty", "post", None, "application/json", [], "body"),
    ("ndjson: a line that is not JSON", "post", None, "application/x-ndjson",
     ndjson([article(0)]) + "{not json}\n" + ndjson([article(2)]), "line 2"),
    ("ndjson: an unknown field on line 3", "post", None, "application/x-ndjson",
     ndjson([article(0), article(1), article(2, colour="bleu")]), "line 3.colour"),
    ("ndjson: duplicate ids", "post", None, "application/x-ndjson", ndjson([article(5), article(5)]), "line 2.id"),
]


def _send(client, method, path, content_type, body, headers=AUTH):
    if method == "delete":
        return client.delete(f"/api/v1/admin/articles/{path}", headers=headers)
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body, ensure_ascii=False)
    url = "/api/v1/admin/articles" + (f"/{path}" if method == "put" else "")
    return client.open(url, method=method.upper(), data=body, content_type=content_type, headers=headers)


@pytest.mark.parametrize("what, method, path, content_type, body, param", BAD, ids=[b[0] for b in BAD])
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_recorded(writer, index_dir, what, method, path,
                                                                content_type, body, param):
    first = assert_accepted(put(writer, "before", ARTICLE), "put", ["before"])  # the journal is not empty
    error = assert_error(_send(writer, method, path, content_type, body), 400, "bad_document", param)
    assert param in error["message"]
    assert Journal(index_dir).last_seq() == 1
    assert [r.seq for r in records(index_dir)] == [1]
    assert live.recent_tasks(index_dir) == [first]


@pytest.mark.parametrize("method, content_type", [
    ("put", None), ("put", "text/plain"), ("put", "application/x-www-form-urlencoded"),
    ("put", "application/x-ndjson"), ("post", None), ("post", "text/plain"), ("post", "multipart/form-data"),
])
def test_a_wrong_content_type_is_a_400_and_nothing_is_recorded(writer, index_dir, method, content_type):
    body = json.dumps(ARTICLE if method == "put" else [article(1)])
    error = assert_error(_send(writer, method, "x", content_type, body), 400, "bad_content_type", "Content-Type")
    assert "application/json" in error["message"]
    assert Journal(index_dir).last_seq() == 0 and not (index_dir / "journal").exists()


def test_other_methods_are_json_405s(writer, index_dir):
    for method, path in (("PATCH", "/api/v1/admin/articles/x"), ("GET", "/api/v1/admin/articles"),
                         ("DELETE", "/api/v1/admin/articles"), ("POST", "/api/v1/admin/tasks/1")):
        response = writer.open(path, method=method, headers=AUTH)
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"]
    assert not (index_dir / "journal").exists()


# --- too large: 413 --------------------------------------------------------------------------------

def test_a_batch_over_the_limit_of_articles_is_a_413(writer, index_dir):
    too_many = [article(n) for n in range(MAX_BATCH + 1)]
    for content_type, body in (("application/json", json.dumps(too_many)), ("application/x-ndjson", ndjson(too_many))):
        error = assert_error(post_batch(writer, body, content_type), 413, "too_large")
        assert str(MAX_BATCH) in error["message"]
    assert not (index_dir / "journal").exists()
    assert_accepted(post_batch(writer, too_many[:MAX_BATCH]), "batch", [a["id"] for a in too_many[:MAX_BATCH]])


def test_a_body_over_the_size_limit_is_a_413_and_the_limit_is_the_engines(writer, index_dir, monkeypatch):
    monkeypatch.setattr(engine_documents, "MAX_REQUEST_BYTES", 4096)
    big = {"title": "Trop long", "body": "x" * 5000}
    error = assert_error(put(writer, "big", big), 413, "too_large")
    assert "4096 bytes" in error["message"]
    assert_error(post_batch(writer, ndjson([{**big, "id": "big"}]), "application/x-ndjson"), 413, "too_large")
    assert_error(post_batch(writer, [{**big, "id": "big"}]), 413, "too_large")
    assert not (index_dir / "journal").exists()
    # Just under the limit is accepted.
    small = {"title": "Juste assez", "body": "x" * 3900}
    assert len(json.dumps(small)) < 4096
    assert_accepted(put(writer, "small", small), "put", ["small"])


def test_the_rest_of_the_app_keeps_its_64_kib_limit(index_dir):
    client = make_app(index_dir, ADMIN_TOKEN=TOKEN).test_client()
    response = client.post("/admin/login", data={"token": TOKEN, "filler": "x" * (65 * 1024)})
    assert response.status_code == 413


# --- who may write ---------------------------------------------------------------------------------

WRITES = [
    ("put", "x", "application/json", ARTICLE),
    ("delete", "x", None, None),
    ("post", None, "application/json", [article(1)]),
]
READS = ["/api/v1/admin/tasks/1", "/api/v1/admin/tasks"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_without_the_right_token_it_is_a_401_and_nothing_is_recorded(writer, index_dir, headers):
    for method, path, content_type, body in WRITES:
        response = _send(writer, method, path, content_type, body, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for path in READS:
        assert_error(writer.get(path, headers=headers), 401, "unauthorized")
    # A token in the query string is never read.
    assert_error(writer.put(f"/api/v1/admin/articles/x?token={TOKEN}", json=ARTICLE), 401, "unauthorized")
    assert not (index_dir / "journal").exists()


def test_with_admin_off_it_is_a_403_and_nothing_is_recorded(index_dir, monkeypatch):
    monkeypatch.delenv("ARCHIVE_SEARCH_ADMIN_TOKEN", raising=False)
    client = make_app(index_dir).test_client()
    before = sorted(p.name for p in index_dir.iterdir())
    for method, path, content_type, body in WRITES:
        assert_error(_send(client, method, path, content_type, body), 403, "admin_off")
    for path in READS:
        assert_error(client.get(path, headers=AUTH), 403, "admin_off")
    assert sorted(p.name for p in index_dir.iterdir()) == before


def csrf_of(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def log_in(client) -> str:
    """Logs in through the admin page's form; returns the session's CSRF token."""
    token = csrf_of(client.get("/admin").get_data(as_text=True))
    assert client.post("/admin/login", data={"token": TOKEN, "csrf_token": token}).status_code == 303
    return csrf_of(client.get("/admin").get_data(as_text=True))


def test_the_admin_pages_session_may_write_with_its_csrf_header(writer, index_dir):
    csrf = log_in(writer)
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
                    {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}):
        for method, path, content_type, body in WRITES:
            assert_error(_send(writer, method, path, content_type, body, headers=headers), 403, "csrf")
    assert not (index_dir / "journal").exists()

    same_origin = {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin"}
    task = assert_accepted(_send(writer, "put", "x", "application/json", ARTICLE, headers=same_origin), "put", ["x"])
    assert_accepted(_send(writer, "delete", "x", None, None, headers=same_origin), "delete", ["x"])
    # Reading needs the session only (the page's live list).
    assert writer.get(f"/api/v1/admin/tasks/{task['id']}").get_json() == {"task": task}
    assert len(writer.get("/api/v1/admin/tasks").get_json()["tasks"]) == 2

    assert writer.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303
    assert_error(writer.get("/api/v1/admin/tasks"), 401, "unauthorized")
    assert_error(_send(writer, "put", "x", "application/json", ARTICLE, headers=same_origin), 401, "unauthorized")
    assert Journal(index_dir).last_seq() == 2


# --- the journal refuses: 507 on a full disk, 503 when it cannot be written ----------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A folder on its own small tmpfs; skipped (with the reason) where mounting is not permitted."""
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up (needs root): {done.stderr.strip()}")
    yield folder
    if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder) -> None:
    """Writes a file until the disk is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:  # the last pages
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    assert os.statvfs(folder).f_bavail == 0


def test_a_full_disk_is_a_507_and_nothing_of_the_write_is_kept(sample_index, small_disk):
    index_dir = shutil.copytree(sample_index, small_disk / "index")
    client = make_app(index_dir, ADMIN_TOKEN=TOKEN).test_client()
    first = assert_accepted(put(client, "before", ARTICLE), "put", ["before"])
    fill(small_disk)

    # Text that does not compress, larger than what is left of the journal's last page (a record of a
    # few bytes, a deletion, may still fit there: the disk is not full for it).
    big_body = {"title": "Un article qui ne tient plus", "body": os.urandom(16 * 1024).hex()}
    for response in (put(client, "full", big_body),
                     post_batch(client, [{**big_body, "id": f"full-{n}"} for n in range(3)])):
        error = assert_error(response, 507, "insufficient_storage")
        assert "full" in error["message"]
        assert Journal(index_dir).last_seq() == 1
        assert [r.seq for r in records(index_dir)] == [1]

    (small_disk / "filler").unlink()
    assert live.recent_tasks(index_dir) == [first]  # (SQLite cannot even be read on a full disk)
    # Nothing was half kept: the next write is the next task, and the journal reads whole.
    assert assert_accepted(put(client, "after", big_body), "put", ["after"])["id"] == 2
    assert [(r.seq, r.payload["ops"][0]["article"]["id"]) for r in records(index_dir)] == [(1, "before"), (2, "after")]


def test_a_journal_that_cannot_be_written_is_a_503(writer, index_dir):
    (index_dir / "journal").write_text("not a folder")  # the journal's folder cannot be made
    for method, path, content_type, body in WRITES:
        assert_error(_send(writer, method, path, content_type, body), 503, "journal_error")
    assert (index_dir / "journal").read_text() == "not a folder"
    assert live.recent_tasks(index_dir) == []


# --- the admin page --------------------------------------------------------------------------------

def test_the_admin_page_lists_the_last_writes_escaped_and_says_how_a_reindex_treats_them(writer):
    log_in(writer)
    page = writer.get("/admin").get_data(as_text=True)
    assert "Dernières écritures" in page and "Aucune écriture reçue par l’API pour l’instant." in page
    assert ("Les articles envoyés par l'API l'emportent sur l'archive : une reconstruction depuis l'archive "
            "les conserve") in re.sub(r"\s+", " ", page)
    assert "<code>archive-search index --forget-pushed</code> rend la main à l'archive seule." in page

    hostile = '<img src=x onerror=alert("id")>'
    put_task = assert_accepted(writer.put("/api/v1/admin/articles/" + quote(hostile, safe=""),
                                          json=ARTICLE, headers=AUTH), "put", [hostile])
    batch = assert_accepted(post_batch(writer, [article(n) for n in range(5)]), "batch",
                            [f"doc-{n}" for n in range(5)])
    delete = assert_accepted(writer.delete("/api/v1/admin/articles/103", headers=AUTH), "delete", ["103"])

    page = writer.get("/admin").get_data(as_text=True)
    escaped = "&lt;img src=x onerror=alert(&#34;id&#34;)&gt;"
    assert hostile not in page and escaped in page
    rows = re.findall(r'<tr class="task task--enqueued" data-id="(\d+)">(.*?)</tr>', page, re.S)
    assert [int(i) for i, _ in rows] == [delete["id"], batch["id"], put_task["id"]]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for _, row in rows]
    enqueued = datetime.fromisoformat(delete["enqueued_at"]).strftime("%d/%m/%Y à %H:%M UTC")
    assert cells[0] == [str(delete["id"]), "Suppression", "En attente", "1", "103", enqueued, "—", ""]
    assert cells[1][1:5] == ["Lot", "En attente", "5", "doc-0, doc-1, doc-2 et 2 autres"]
    assert cells[2][1:5] == ["Écriture", "En attente", "1", escaped]
    assert "Aucune écriture reçue" not in re.sub(r"<p[^>]*hidden[^>]*>.*?</p>", "", page)
    # admin.js follows the list with the session, from the URL and labels the page gives it.
    section = re.search(r'<section id="tasks"[^>]*>', page).group(0)
    url = re.search(r'data-url="([^"]+)"', section).group(1)
    labels = json.loads(re.search(r"data-labels='([^']+)'", section).group(1))
    assert labels["states"]["enqueued"] == "En attente" and labels["kinds"]["batch"] == "Lot"
    assert [t["id"] for t in writer.get(url.replace("&amp;", "&")).get_json()["tasks"]] == [
        delete["id"], batch["id"], put_task["id"]]


def test_an_id_holding_slashes_is_written_and_deleted_through_its_url(writer, index_dir):
    """Folder sources give ids that are paths (`2015/03/teletravail`): the URL takes them whole."""
    client = writer
    answer = client.put("/api/v1/admin/articles/2015/03/teletravail", json={"title": "Télétravail", "body": "Texte."},
                        headers=AUTH)
    assert answer.status_code == 202
    assert answer.get_json()["task"]["ids"] == ["2015/03/teletravail"]
    assert client.delete("/api/v1/admin/articles/2015/03/teletravail", headers=AUTH).status_code == 202
    ops = [op for record in Journal(index_dir).read() for op in record.payload["ops"]]
    assert [op.get("id") or op["article"]["id"] for op in ops] == ["2015/03/teletravail"] * 2


def test_healthz_and_the_admin_page_say_how_many_writes_wait(writer, index_dir):
    """With no applier running (the test client is no server), writes wait: /healthz counts
    them, the admin page says so and says how to apply them."""
    health = writer.get("/healthz").get_json()
    assert health["pending_writes"] == 0 and health["segments"] >= 1
    assert_accepted(writer.put("/api/v1/admin/articles/w1", json=ARTICLE, headers=AUTH), "put", ["w1"])
    assert_accepted(writer.delete("/api/v1/admin/articles/103", headers=AUTH), "delete", ["103"])
    assert writer.get("/healthz").get_json()["pending_writes"] == 2
    log_in(writer)
    page = re.sub(r"\s+", " ", writer.get("/admin").get_data(as_text=True))
    assert "<dt>En attente</dt><dd>2 écritures</dd>" in page
    assert "<dt>Applicateur</dt><dd>arrêté</dd>" in page
    assert "aucun applicateur ne tourne" in page


@pytest.mark.parametrize("encoded", ["a%0Ab", "%0A", "a%0D%0Ab"])
def test_an_id_holding_a_line_feed_is_refused_with_400_naming_it(writer, index_dir, encoded):
    """The route takes any id (Werkzeug's own `path` stops at a line feed: it answered 404)."""
    before = Journal(index_dir).last_seq()
    for answer in (writer.put(f"/api/v1/admin/articles/{encoded}", json=ARTICLE, headers=AUTH),
                   writer.delete(f"/api/v1/admin/articles/{encoded}", headers=AUTH)):
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert answer.get_json()["error"]["param"] == "id"
    assert Journal(index_dir).last_seq() == before
    assert writer.get(f"/api/v1/articles/{encoded}").status_code == 404


def test_a_cached_answer_is_not_used_once_a_pushed_article_is_applied(writer, index_dir):
    """Answers may be kept by caches but are asked again each time (`no-cache`): the ETag names the
    generation, so a pushed article shows in the very next answer, never a minute later."""
    from indexer.live.applier import Applier

    before = writer.get("/api/v1/search?q=t%C3%A9l%C3%A9travail")
    assert before.headers["Cache-Control"] == "public, no-cache" and before.get_json()["total"] == 0
    etag = before.headers["ETag"]
    assert writer.get("/api/v1/search?q=t%C3%A9l%C3%A9travail", headers={"If-None-Match": etag}).status_code == 304
    put(writer, "tele", {"title": "Le télétravail", "body": "Un texte sur le télétravail."})
    Applier(index_dir).run(until_idle=True)
    after = writer.get("/api/v1/search?q=t%C3%A9l%C3%A9travail", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert [r["id"] for r in after.get_json()["results"]] == ["tele"]

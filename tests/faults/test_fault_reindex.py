"""Faults 1, 5, 6: a whole admin reindex under search load on the real server; refused builds over
HTTP; two reindex triggers at once."""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.parse

import pytest

from faultkit import (api_job, articles, cli, clean_env, poll_job, query_words, record, sized, stop_builds, wait_job,
                      wait_until, watch_current)
from archives import write_jsonl
from indexer.storage import generations
from indexer.build import build_index
from indexer.jobs import current_job, lock_is_free

TOKEN = "fault-suite-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MARKER_ID = "marqueur-zebulon"
MARKER = {"id": MARKER_ID, "title": "Zébulon, l’article marqueur",
          "body": "Un seul article parle de zébulon : il n’existe que dans la nouvelle archive.",
          "date": "2020-01-01", "tags": ["Marqueur"]}


def server_env(archive) -> dict:
    return clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN, ARCHIVE_SEARCH_ARCHIVE=str(archive))


class Load:
    """Threads searching the API over loopback until stopped; bounded in requests and time."""

    def __init__(self, server, threads: int, max_requests: int, max_seconds: float):
        self.server, self.max_requests = server, max_requests
        self.deadline = time.monotonic() + max_seconds
        self.results: list[tuple] = []  # (start, end, status, marker_found, error)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.words = query_words()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def _run(self, n: int) -> None:
        i = 0
        while not self.stop.is_set() and time.monotonic() < self.deadline and len(self.results) < self.max_requests:
            i += 1
            marker = i % 2 == 0
            q = "zébulon" if marker else self.words[(i * 7 + n) % len(self.words)]
            page = 1 if marker else 1 + i % 3  # the marker is alone on page 1
            path = "/api/v1/search?" + urllib.parse.urlencode({"q": q, "page": page, "per_page": 10})
            started = time.monotonic()
            status, found, error = None, None, None
            try:
                status, _, body = self.server.get(path, timeout=30)
                if status == 200 and marker:
                    found = any(r["id"] == MARKER_ID for r in json.loads(body)["results"])
            except Exception as e:  # noqa: BLE001 - a refused or reset connection is a failure to count
                error = f"{type(e).__name__}: {e}"
            with self.lock:
                self.results.append((started, time.monotonic(), status, found, error))


@pytest.mark.slow
def test_a_whole_reindex_under_search_load_loses_no_request(tmp_path, servers):
    n = sized(2000, 6000)
    index_dir, archive = tmp_path / "index", tmp_path / "archive.jsonl"
    old = articles(n)
    build_index([write_jsonl(archive, old)], index_dir)
    old_generation = generations.read_current(index_dir)
    server = servers(index_dir, env=server_env(archive), workers=2)

    # The new archive: half the articles rewritten, and one marker article only it holds.
    changed = articles(n, seed=8)
    new = [changed[i] if i % 2 else a for i, a in enumerate(old)] + [MARKER]
    write_jsonl(archive, new)

    health: list[tuple[float, str]] = []

    def sample_health() -> None:
        code, h = server.json("/healthz")
        assert code == 200, h
        health.append((time.monotonic(), h["generation"]))

    with watch_current(index_dir, every=0.002, max_seconds=sized(200, 500)) as current, \
            Load(server, threads=4, max_requests=200_000, max_seconds=sized(150, 400)) as load:
        time.sleep(1.0)  # load on the old index first
        status, _, body = server.post("/api/v1/admin/reindex", headers=AUTH)
        assert status == 202, body
        build_started = time.monotonic()
        job = poll_job(api_job(server.port, AUTH), timeout=sized(140, 380), every=0.2, each=sample_health)
        build_seconds = time.monotonic() - build_started
        time.sleep(1.5)  # load on the new index too
    switches = current.seen

    assert job["state"] == "done", job
    assert job["indexed"] == n + 1
    failed = [r for r in load.results if r[2] != 200]
    served = len(load.results) - len(failed)

    # The switch: CURRENT went from the old generation to the new one, once.
    assert [name for _, name in switches] == [old_generation, job["generation"]]
    switch_at = switches[1][0]
    before = [r for r in load.results if r[3] is not None and r[1] < switch_at - 0.01]
    after = [r for r in load.results if r[3] is not None and r[0] > switch_at + 0.05]
    latencies = sorted(r[1] - r[0] for r in load.results if r[2] == 200)
    record("reindex_under_load", articles=n, requests_served=served, requests_failed=len(failed),
           build_seconds=round(build_seconds, 1), marker_answers_before=len(before),
           marker_answers_after=len(after), p50_ms=round(statistics.median(latencies) * 1000, 1),
           p99_ms=round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
           max_ms=round(latencies[-1] * 1000, 1))

    assert not failed, failed[:5]
    assert served > 50
    assert before and not any(r[3] for r in before), "the new article showed before the switch"
    assert after and all(r[3] for r in after), "an answer after the switch came from the old index"
    # /healthz: the old generation, then the new one, never back (the last sample may precede
    # the switch by a moment: the job is read after it; the check below is after the switch).
    names = [name for _, name in health]
    assert names[0] == old_generation and set(names) <= {old_generation, job["generation"]}
    assert names == sorted(names)
    code, h = server.json("/healthz")
    assert h["generation"] == job["generation"] and h["articles"] == n + 1 and h["status"] == "ok"


def small_index(tmp_path, n=120):
    index_dir, archive = tmp_path / "index", tmp_path / "archive.jsonl"
    build_index([write_jsonl(archive, articles(n))], index_dir)
    return index_dir, archive


@pytest.mark.parametrize("content, reason", [
    ([], "no publishable article"),
    (articles(20), "far fewer"),
    ("{\"id\": \"x\", \"title\": \"tronqu", "no publishable article"),
])
def test_an_empty_or_truncated_export_is_not_published_over_http(tmp_path, servers, content, reason):
    index_dir, archive = small_index(tmp_path)
    live = generations.read_current(index_dir)
    server = servers(index_dir, env=server_env(archive), workers=1)
    if isinstance(content, str):
        archive.write_text(content, encoding="utf-8")
    else:
        write_jsonl(archive, content)

    status, _, body = server.post("/api/v1/admin/reindex", headers=AUTH)
    assert status == 202, body
    job = wait_job(index_dir, timeout=60)
    code, answer = server.json("/api/v1/admin/reindex", headers=AUTH)
    assert answer["job"]["id"] == job["id"] and answer["job"]["state"] == "failed"
    assert any(reason in e for e in answer["job"]["errors"]), answer["job"]["errors"]
    assert generations.read_current(index_dir) == live
    code, h = server.json("/healthz")
    assert (code, h["status"], h["articles"], h["generation"]) == (200, "ok", 120, live)
    assert not list(index_dir.glob(".building-*"))


def _bigger_archive(tmp_path, n):
    archive = tmp_path / "bigger.jsonl"
    write_jsonl(archive, articles(n, seed=9, prefix="b"))
    return archive


def test_two_http_reindex_triggers_at_once_one_runs_the_other_is_409(tmp_path, servers):
    index_dir, _ = small_index(tmp_path)
    archive = _bigger_archive(tmp_path, 600)
    server = servers(index_dir, env=server_env(archive), workers=2)
    barrier, answers = threading.Barrier(2), []

    def trigger():
        barrier.wait(timeout=10)
        status, _, body = server.post("/api/v1/admin/reindex", headers=AUTH)
        answers.append((status, json.loads(body)))

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(s for s, _ in answers)
    assert statuses == [202, 409], answers
    started = next(b for s, b in answers if s == 202)["job"]
    busy = next(b for s, b in answers if s == 409)
    assert busy["error"]["code"] == "busy" and busy["job"]["id"] == started["id"]
    job = wait_job(index_dir)
    assert job["id"] == started["id"] and job["state"] == "done", job
    record("two_triggers", http_http=statuses)


def test_http_then_cli_the_cli_is_told_and_exits_1(tmp_path, servers):
    index_dir, _ = small_index(tmp_path)
    # Long enough that the HTTP build still runs when the CLI, a second or more of Python start
    # on a busy machine, comes to take the lock (600 articles were built before it, under load).
    archive = _bigger_archive(tmp_path, 3000)
    server = servers(index_dir, env=server_env(archive), workers=1)
    status, _, body = server.post("/api/v1/admin/reindex", headers=AUTH)
    assert status == 202, body
    assert wait_until(lambda: (current_job(index_dir) or {}).get("state") == "running", 30)
    second = cli("index", archive, "--index-dir", index_dir)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 1
    assert err.count("\n") == 1 and "already running" in err and "Traceback" not in err, err
    assert wait_job(index_dir)["state"] == "done"


def test_cli_then_http_the_request_is_409_with_the_running_job(tmp_path, servers):
    index_dir, _ = small_index(tmp_path)
    archive = _bigger_archive(tmp_path, 1500)
    server = servers(index_dir, env=server_env(archive), workers=1)
    build = cli("index", archive, "--index-dir", index_dir, "--quiet", "--full")
    try:
        deadline = time.monotonic() + 30
        while lock_is_free(index_dir) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not lock_is_free(index_dir)
        status, _, body = server.post("/api/v1/admin/reindex", headers=AUTH)
        answer = json.loads(body)
        assert status == 409, answer
        assert answer["error"]["code"] == "busy" and "running" in answer["error"]["message"]
        assert build.wait(timeout=120) == 0, build.stderr.read()
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
        stop_builds(index_dir)
    assert wait_job(index_dir)["state"] == "done"

"""Reindex and task durations in `/metrics`, through the real server (`archive-search serve`,
gunicorn with two workers, its own applier and build processes): after a known set of pushed
tasks and reindexes, every scrape, whichever worker answers it, gives the same histograms, with
the known counts, plausible sums and cumulative buckets; and a restarted server gives them again.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from indexer.live.journal import Journal

import servers
from archives import articles, write_jsonl
from servers import clean_env

TOKEN = "durations-admin-token"
METRICS_TOKEN = "durations-scrape-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TASKS = "archive_search_task_duration_seconds"
REINDEXES = "archive_search_reindex_duration_seconds"


def _request(base: str, method: str, path: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={**ADMIN, "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """`archive-search serve` over one index folder, which may be stopped and started again."""

    def __init__(self, folder: Path, archive: Path):
        self.folder, self.archive, self.index_dir = folder, archive, folder / "index"
        self.running: servers.Server | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        env = clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN, ARCHIVE_SEARCH_METRICS_TOKEN=METRICS_TOKEN,
                        ARCHIVE_SEARCH_ANALYTICS="off")
        self.running = servers.Server(self.index_dir, self.folder / f"server-{self.starts}.log", env=env,
                                      archive=[self.archive]).wait_ready()
        self.base, self.log = self.running.base, self.running.log_path

    def stop(self) -> None:
        self.running.stop()

    def scrape(self) -> str:
        status, body = _request(self.base, "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert status == 200, body
        return body.decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("durations-server")
    server = Server(folder, write_jsonl(folder / "archive.jsonl", articles(30, seed=11)))
    server.start()  # the index folder is empty: the server builds it first (a reindex, done)
    yield server
    server.stop()


def histograms(text: str) -> dict:
    """{(metric, sorted labels): value} of the two duration histograms' samples."""
    samples = {}
    for family in text_string_to_metric_families(text):
        if family.name in (TASKS, REINDEXES):
            assert family.type == "histogram"
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def series(samples: dict, metric: str) -> dict:
    """{labels without le: {"buckets": [(le, count)], "count", "sum"}} of one histogram."""
    found: dict = {}
    for (name, labels), value in samples.items():
        if not name.startswith(metric + "_"):
            continue
        key = tuple((k, v) for k, v in labels if k != "le")
        entry = found.setdefault(key, {"buckets": []})
        if name == metric + "_bucket":
            entry["buckets"].append((float(dict(labels)["le"]), value))
        elif name == metric + "_count":
            entry["count"] = value
        elif name == metric + "_sum":
            entry["sum"] = value
    for entry in found.values():
        entry["buckets"].sort()
    return found


def _wait_task(server: Server, task_id: int, state: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task = json.loads(_request(server.base, "GET", f"/api/v1/admin/tasks/{task_id}")[1])["task"]
        if task["state"] in ("succeeded", "failed"):
            assert task["state"] == state, task
            return
        time.sleep(0.05)
    pytest.fail(f"task {task_id} did not finish:\n" + server.log.read_text()[-3000:])


def _reindex(server: Server) -> dict:
    status, body = _request(server.base, "POST", "/api/v1/admin/reindex")
    assert status == 202, body
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = json.loads(_request(server.base, "GET", "/api/v1/admin/reindex")[1])["job"]
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    pytest.fail("the reindex did not end:\n" + server.log.read_text()[-3000:])


def test_known_tasks_and_reindexes_give_the_same_histograms_from_every_worker(server):
    before = histograms(server.scrape())
    assert before[(REINDEXES + "_count", (("outcome", "done"),))] == 1  # the build at the first start
    assert before[(REINDEXES + "_count", (("outcome", "failed"),))] == 0
    started = time.time()

    tasks = []
    for i in range(3):
        status, body = _request(server.base, "PUT", f"/api/v1/admin/articles/metric-{i}",
                                {"title": f"Mesure {i}", "body": "Un article poussé pour la mesure.",
                                 "date": "2026-11-30"})
        assert status == 202, body
        tasks.append((json.loads(body)["task"]["id"], "succeeded"))
    status, body = _request(server.base, "POST", "/api/v1/admin/articles",
                            [{"id": f"lot-{i}", "title": "Un lot", "body": "Deux d'un coup."} for i in range(2)])
    assert status == 202, body
    tasks.append((json.loads(body)["task"]["id"], "succeeded"))
    status, body = _request(server.base, "DELETE", "/api/v1/admin/articles/metric-0")
    assert status == 202, body
    tasks.append((json.loads(body)["task"]["id"], "succeeded"))
    # A record the applier cannot apply (it failed alone): written to the journal as the API would.
    bad = Journal(server.index_dir).append({"kind": "put", "ops": [{"op": "put", "article": {"id": "x", "nonsense": 1}}],
                                            "enqueued_at": "2026-11-30T00:00:00+00:00", "enqueued_unix": time.time()})
    tasks.append((bad, "failed"))
    for task_id, state in tasks:
        _wait_task(server, task_id, state)

    assert _reindex(server)["state"] == "done"
    server.archive.rename(server.archive.with_suffix(".away"))  # the next reindex cannot read its source
    try:
        assert _reindex(server)["state"] == "failed"
    finally:
        server.archive.with_suffix(".away").rename(server.archive)
    # A build adds its duration just after its final status and the lock's release: a moment later.
    keys = [(REINDEXES + "_count", (("outcome", outcome),)) for outcome in ("done", "failed")]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = histograms(server.scrape())
        if all(now[key] > before[key] for key in keys):
            break
        time.sleep(0.05)
    elapsed = time.time() - started

    # Many scrapes on fresh connections: both workers answer some, and all say the same.
    scrapes = [histograms(server.scrape()) for _ in range(12)]
    after = scrapes[0]
    assert all(s == after for s in scrapes), "the workers disagree"

    def delta(metric, suffix, **labels):
        key = (metric + suffix, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0)

    counts = {(kind, outcome): delta(TASKS, "_count", kind=kind, outcome=outcome)
              for kind in ("put", "batch", "delete") for outcome in ("succeeded", "failed")}
    assert counts == {("put", "succeeded"): 3, ("put", "failed"): 1, ("batch", "succeeded"): 1,
                      ("batch", "failed"): 0, ("delete", "succeeded"): 1, ("delete", "failed"): 0}
    assert delta(REINDEXES, "_count", outcome="done") == 1
    assert delta(REINDEXES, "_count", outcome="failed") == 1

    # Sums: each duration lies between 0 and the time the whole sequence took.
    for (kind, outcome), n in counts.items():
        assert 0 <= delta(TASKS, "_sum", kind=kind, outcome=outcome) <= n * elapsed
    assert delta(TASKS, "_sum", kind="put", outcome="succeeded") > 0
    assert 0 < delta(REINDEXES, "_sum", outcome="done") + delta(REINDEXES, "_sum", outcome="failed") <= elapsed

    # Buckets: cumulative, the +Inf one is the count, and a bucket past `elapsed` holds them all.
    for metric, first, last in ((TASKS, 0.05, 600.0), (REINDEXES, 1.0, 3600.0)):
        for labels, entry in series(after, metric).items():
            counts_by_le = [count for _, count in entry["buckets"]]
            assert counts_by_le == sorted(counts_by_le), (labels, entry)
            assert entry["buckets"][-1] == (float("inf"), entry["count"])
            assert entry["buckets"][0][0] == first and entry["buckets"][-2][0] == last
            assert entry["sum"] >= 0
            past = min(le for le, _ in entry["buckets"] if le >= elapsed)
            assert dict(entry["buckets"])[past] - dict(series(before, metric)[labels]["buckets"])[past] \
                == entry["count"] - series(before, metric)[labels]["count"]

    # The gauges are still there.
    text = server.scrape()
    assert "archive_search_reindex_running 0.0" in text
    assert "archive_search_reindex_last_duration_seconds " in text


def test_the_histograms_survive_a_restart(server):
    before = histograms(server.scrape())
    assert before[(TASKS + "_count", (("kind", "put"), ("outcome", "succeeded")))] >= 3
    server.stop()
    server.start()
    assert histograms(server.scrape()) == before

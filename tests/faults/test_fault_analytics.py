"""Faults of the search analytics, through the real server (gunicorn, two workers): a corrupt file,
a file locked by another process's exclusive transaction, a full disk and a read-only one. In each,
every search is answered (200, with its results) and the trouble is logged; the corrupt file is set
aside and a new one started; once the lock or the disk is freed, searches are counted again."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.parse

import pytest

from faultkit import clean_env, record, wait_until
from indexer.build import build_index
from indexer.sample import SAMPLE_ARCHIVE

TOKEN = "analytics-fault-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
QUERIES = ["numérique", "réseaux sociaux", "hébergeur", "zzzqqqvv", "données"]


@pytest.fixture
def index_dir(tmp_path):
    build_index([SAMPLE_ARCHIVE], tmp_path / "index")
    return tmp_path / "index"


def start(servers, index_dir, analytics_file):
    return servers(index_dir, env=clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN,
                                            ARCHIVE_SEARCH_ANALYTICS_FILE=str(analytics_file)))


def search_all(server, rounds: int = 4) -> list[int]:
    """Every query `rounds` times; the statuses (each also checked to carry its answer)."""
    statuses = []
    for _ in range(rounds):
        for q in QUERIES:
            status, _, body = server.get("/api/v1/search?" + urllib.parse.urlencode({"q": q}))
            statuses.append(status)
            if status == 200:
                assert "total" in json.loads(body)
    return statuses


def counted(server) -> int:
    status, answer = server.json("/api/v1/admin/analytics?days=1", headers=BEARER)
    assert status == 200
    return answer["totals"]["searches"]


def settled_count(server) -> int:
    """The count once every worker's writer has written what it had gathered (each lingers LINGER s)."""
    from searchweb.analytics import LINGER

    last = counted(server)
    while True:
        time.sleep(LINGER + 0.5)
        now = counted(server)
        if now == last:
            return now
        last = now


def dropped(server) -> dict:
    _, _, body = server.get("/metrics", headers=BEARER)
    reasons = {}
    for line in body.decode().splitlines():
        if line.startswith("archive_search_analytics_dropped_events_total{"):
            reason = line.split('reason="', 1)[1].split('"', 1)[0]
            reasons[reason] = float(line.rsplit(" ", 1)[1])
    return reasons


def test_a_corrupt_analytics_file_is_set_aside_and_searches_go_on(servers, index_dir, tmp_path):
    analytics = tmp_path / "analytics.sqlite3"
    analytics.write_bytes(b"SQLite format 3\x00" + b"\x13garbage" * 4000)  # a header, then nonsense
    server = start(servers, index_dir, analytics)
    statuses = search_all(server)
    assert statuses == [200] * len(statuses)
    assert wait_until(lambda: list(tmp_path.glob("analytics.sqlite3.corrupt-*")), timeout=15), server.output()
    assert "was corrupt" in server.output()
    # The new file counts the searches made after it started (those of the broken batches are lost;
    # a worker whose batch was still lingering when the other set the file aside writes it there).
    before = settled_count(server)
    search_all(server, rounds=2)
    assert wait_until(lambda: counted(server) == before + 2 * len(QUERIES), timeout=15), counted(server)
    with sqlite3.connect(analytics) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    record("analytics_corrupt_file", searches=len(statuses), answered=statuses.count(200),
           set_aside=len(list(tmp_path.glob("analytics.sqlite3.corrupt-*"))))


HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def test_a_locked_analytics_file_never_holds_a_search(servers, index_dir, tmp_path):
    analytics = tmp_path / "analytics.sqlite3"
    server = start(servers, index_dir, analytics)
    search_all(server, rounds=1)
    assert wait_until(lambda: counted(server) == len(QUERIES), timeout=15)

    # Another process holds an exclusive transaction until told to let go: if a search waited
    # for the file, it would wait until then, and this test would hang instead of going on.
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(analytics)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        statuses = search_all(server, rounds=6)
        elapsed = time.monotonic() - started
        assert statuses == [200] * len(statuses)
        assert holder.poll() is None  # still holding the lock all along
        assert wait_until(lambda: dropped(server).get("locked", 0) > 0, timeout=15), dropped(server)
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
    assert "locked" in server.output()
    # Free again: new searches are counted, and every search is either counted or counted as dropped.
    search_all(server, rounds=1)
    expected = lambda: (1 + 6 + 1) * len(QUERIES) - dropped(server).get("locked", 0)  # noqa: E731
    assert wait_until(lambda: counted(server) == expected(), timeout=15), (counted(server), expected())
    record("analytics_locked_file", searches=len(statuses), answered=statuses.count(200),
           seconds_while_locked=round(elapsed, 2), dropped=dropped(server).get("locked", 0))


@pytest.fixture
def small_disk(tmp_path):
    """A folder on its own 1 MB tmpfs; skipped where mounting is not permitted."""
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    yield folder
    if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_full_disk_drops_analytics_not_searches(servers, index_dir, small_disk):
    filler = small_disk / "filler"
    with open(filler, "wb") as out:  # fill the disk to the last block
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    server = start(servers, index_dir, small_disk / "analytics.sqlite3")
    statuses = search_all(server)
    assert statuses == [200] * len(statuses)
    # Every search's event dropped, by each worker's writer (a batch lingers a second before it is tried).
    assert wait_until(lambda: sum(dropped(server).values()) == len(statuses), timeout=15), \
        (dropped(server), server.output())
    assert dropped(server).get("disk", 0) > 0
    status, answer = server.json("/api/v1/admin/analytics?days=1", headers=BEARER)
    assert status == 200 and answer["totals"]["searches"] == 0  # nothing written, nothing broken
    # Room again: the writer starts the file and counts the next searches.
    filler.unlink()
    search_all(server, rounds=1)
    assert wait_until(lambda: counted(server) == len(QUERIES), timeout=15), (counted(server), server.output())
    record("analytics_full_disk", searches=len(statuses), answered=statuses.count(200),
           dropped=dropped(server).get("disk", 0))


def test_a_read_only_disk_drops_analytics_not_searches(servers, index_dir, small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    server = start(servers, index_dir, small_disk / "analytics.sqlite3")
    statuses = search_all(server)
    assert statuses == [200] * len(statuses)
    assert wait_until(lambda: dropped(server).get("disk", 0) > 0, timeout=15), (dropped(server), server.output())
    status, _, _ = server.get("/admin", headers=BEARER)
    assert status in (200, 401)  # the page still renders (its login form; the report is read-only)
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    record("analytics_read_only_disk", searches=len(statuses), answered=statuses.count(200),
           dropped=dropped(server).get("disk", 0))

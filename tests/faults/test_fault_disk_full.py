"""Fault 3: the disk fills up during a build (a small tmpfs) → the build fails with a clear reason,
the old index is still served, partial files are removed; the preflight refuses a build that
cannot fit, and its estimate covers what a build really uses."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from unittest import mock

import pytest

from faultkit import articles, build_alive, cli, clean_env, record, stop_builds, wait_job
from archives import write_jsonl
from indexer.storage import generations
from indexer.build import build_index
from indexer.jobs import current_job, lock_is_free
from indexer.search import SearchRequest, search
from indexer.storage.store import IndexStore

TOKEN = "disk-full-token"
DISK, BIG = "4m", 1500  # a 4 MB disk; 1,500 articles make a 6 MB index


@pytest.fixture
def small_disk(tmp_path):
    """A folder on its own small tmpfs; skipped (with the reason) where mounting is not permitted."""
    mounted = []

    def mount(size: str):
        folder = tmp_path / f"disk-{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs to fill up (needs root): {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def used(folder) -> int:
    st = os.statvfs(folder)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def old_index(folder, tmp_path, n=150):
    """A live index on the small disk. The preflight's margin alone (16 MB) is more than this
    disk holds, so it is switched off for this first build only."""
    index_dir = folder / "index"
    with mock.patch.object(generations, "check_space", lambda *a, **k: None):
        build_index([write_jsonl(tmp_path / "old.jsonl", articles(n))], index_dir)
    return index_dir, generations.read_current(index_dir)


def assert_old_index_served(index_dir, live, n=150):
    assert generations.read_current(index_dir) == live
    store = IndexStore(index_dir)
    assert search(store, SearchRequest(q=""))["total"] == n
    assert not store.info()["degraded"]
    assert not list(index_dir.glob(".building-*")), "partial files left"
    assert not list(index_dir.glob(".*.tmp"))
    assert lock_is_free(index_dir)


def test_a_build_that_fills_the_disk_fails_cleanly(small_disk, tmp_path, monkeypatch):
    disk = small_disk(DISK)
    index_dir, live = old_index(disk, tmp_path)
    big = write_jsonl(tmp_path / "big.jsonl", articles(BIG, seed=5, prefix="big"))
    before = used(disk)
    # The preflight would refuse this build up front; switch it off to run into the full disk.
    monkeypatch.setattr(generations, "check_space", lambda *a, **k: None)

    with pytest.raises(Exception) as failure:
        build_index([big], index_dir, incremental=False)
    job = current_job(index_dir)
    assert job["state"] == "failed"
    reason = job["errors"][-1]
    record("disk_full", tmpfs=DISK, failure=f"{type(failure.value).__name__}: {failure.value}",
           job_reason=reason)
    assert_old_index_served(index_dir, live)
    assert used(disk) <= before + 64 * 1024  # the partial generation's space is given back
    assert "No space left on device" in reason, f"the job's reason does not say the disk is full: {reason!r}"


def test_the_cli_says_why_in_one_line(small_disk, tmp_path):
    disk = small_disk(DISK)
    index_dir, live = old_index(disk, tmp_path)
    big = write_jsonl(tmp_path / "big.jsonl", articles(BIG, seed=5, prefix="big"))
    build = cli("index", big, "--index-dir", index_dir, "--quiet", "--full")
    out, err = build.communicate(timeout=300)
    record("disk_full", cli_message=err.strip())
    assert build.returncode == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "space" in err.lower(), err
    assert_old_index_served(index_dir, live)


def test_a_reindex_over_http_on_a_full_disk_fails_with_its_reason(small_disk, tmp_path, servers):
    disk = small_disk(DISK)
    index_dir, live = old_index(disk, tmp_path)
    archive = write_jsonl(tmp_path / "big.jsonl", articles(BIG, seed=5, prefix="big"))
    server = servers(index_dir, workers=1, env=clean_env(ARCHIVE_SEARCH_ADMIN_TOKEN=TOKEN,
                                                         ARCHIVE_SEARCH_ARCHIVE=str(archive)))
    status, _, body = server.post("/api/v1/admin/reindex", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 202, body
    job = wait_job(index_dir, timeout=300)
    assert job["state"] == "failed"
    assert "space" in " ".join(job["errors"]).lower(), job["errors"]
    code, health = server.json("/healthz")
    assert (code, health["status"], health["generation"], health["articles"]) == (200, "ok", live, 150)
    assert_old_index_served(index_dir, live)
    # The failed build's process must end, not linger.
    deadline = time.monotonic() + 15
    while build_alive(index_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = build_alive(index_dir)
    if alive:
        stop_builds(index_dir)
    assert not alive, "the failed build's process did not end"


def test_the_preflight_refuses_a_build_that_cannot_fit(small_disk, tmp_path):
    disk = small_disk(DISK)
    index_dir, live = old_index(disk, tmp_path)
    big = write_jsonl(tmp_path / "big.jsonl", articles(BIG, seed=5, prefix="big"))
    needed = generations.space_needed(index_dir, [big])
    with pytest.raises(generations.NoSpace) as refused:
        generations.check_space(index_dir, needed)
    message = str(refused.value)
    assert "\n" not in message and "not enough disk space" in message and "MB free" in message
    assert refused.value.code == "no_space"
    generations.check_space(index_dir, 1024)  # a small build passes
    assert_old_index_served(index_dir, live)
    record("disk_full", preflight_message=message)


def test_the_space_estimate_covers_what_a_build_really_uses(small_disk, tmp_path):
    """Builds on a roomy tmpfs, sampling the space used: the estimate must be above the peak."""
    disk = small_disk("256m")
    index_dir, _ = old_index(disk, tmp_path, n=500)
    source = write_jsonl(tmp_path / "next.jsonl", articles(1200, seed=6, prefix="n"))
    for incremental in (False, True):
        base = used(disk)
        needed = generations.space_needed(index_dir, [source]) - generations.SPACE_MARGIN
        peak, stop = [0], threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], used(disk) - base)
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            build_index([source], index_dir, incremental=incremental, allow_shrink=True)
        finally:
            stop.set()
            sampler.join()
        record("disk_full", **{f"estimate_vs_peak_{'incremental' if incremental else 'full'}":
                               f"{needed / 1048576:.1f} MB estimated (without margin), "
                               f"{peak[0] / 1048576:.1f} MB used at most"})
        assert needed >= peak[0], (needed, peak[0])

"""Scheduled syncs (`serve --sync-every`): durations, ':'-separated archives holding URLs, and one
sync run for real (a build process against a local site), skipped when another runs."""

from __future__ import annotations

import pytest

from indexer.build import build_index
from indexer.jobs import BuildLock, current_job
from indexer.locks import FileLock
from indexer.sources import split_sources
from indexer.storage.generations import read_current
from indexer.sync import LOCK, SyncScheduler, clear_schedule, parse_duration, read_state
from websites import Site


@pytest.mark.parametrize("text, seconds", [("15m", 900), ("1h30m", 5400), ("2h", 7200), ("90s", 90),
                                           ("1d", 86400), ("45", 45), ("1.5h", 5400), ("10min", 600)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15x", "0s", "-5m", "m"])
def test_a_bad_duration_is_refused(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_a_colon_separated_archive_keeps_urls_whole():
    assert split_sources("http://127.0.0.1:8080/feed.rss:/srv/export.xml:https://blog.example/:notes") == [
        "http://127.0.0.1:8080/feed.rss", "/srv/export.xml", "https://blog.example/", "notes"]
    assert split_sources("/a::/b") == ["/a", "/b"]


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setenv("ARCHIVE_SEARCH_HTTP_DELAY", "0")
    server = Site().start()
    yield server
    server.stop()


def test_a_sync_is_an_incremental_build_whose_outcome_is_kept(site, tmp_path):
    index_dir = tmp_path / "index"
    source = site.base + "/sitemap.xml"
    build_index([source], index_dir)
    scheduler = SyncScheduler(index_dir, [source], every=3600)
    outcome = scheduler.sync_once()
    assert outcome["state"] == "done" and outcome["indexed"] == 4 and outcome["error"] is None
    job = current_job(index_dir)
    assert job["trigger"] == "sync" and job["id"] == outcome["job"]
    assert read_state(index_dir)["last"] == outcome

    # The site fails: the sync fails in one line, nothing is published.
    live = read_current(index_dir)
    site.routes["/sitemap.xml"] = (503, "text/html", "<h1>Maintenance</h1>")
    outcome = scheduler.sync_once()
    assert outcome["state"] == "failed"
    assert outcome["error"] == f"{source}: HTTP 503 Service Unavailable"
    assert read_current(index_dir) == live

    clear_schedule(index_dir)  # a server started without --sync-every
    assert read_state(index_dir)["every_s"] is None and read_state(index_dir)["last"] == outcome


def test_a_sync_is_skipped_while_a_build_runs_or_another_server_syncs(site, tmp_path):
    index_dir = tmp_path / "index"
    source = site.base + "/sitemap.xml"
    build_index([source], index_dir)
    scheduler = SyncScheduler(index_dir, [source], every=3600)
    with BuildLock(index_dir):
        outcome = scheduler.sync_once()
    assert outcome["state"] == "skipped" and outcome["error"] == "a build was running: this sync was skipped"
    with FileLock(index_dir / LOCK):
        outcome = scheduler.sync_once()
    assert outcome["state"] == "skipped" and outcome["error"] == "another server is syncing this index"

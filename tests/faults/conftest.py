"""The fault suite (issue 5): real processes on loopback, sized for CI by default.

Full size, on demand: `ARCHIVE_SEARCH_FULL_TRIALS=1 .venv/bin/python -m pytest tests/faults`.
Figures of each run go to tests/artifacts/faults-figures.json (RELIABILITY.md quotes the full run's).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import faultkit  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long fault test; its full size runs with ARCHIVE_SEARCH_FULL_TRIALS=1")


def pytest_sessionfinish(session, exitstatus):
    faultkit.write_figures()


@pytest.fixture
def servers(tmp_path):
    """Starts servers for a test and always stops them (by PID / own process group)."""
    started: list[faultkit.Server] = []

    def start(index_dir, **kw) -> faultkit.Server:
        server = faultkit.Server(index_dir, tmp_path / f"server-{len(started)}.log", **kw)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        faultkit.stop_builds(server.index_dir)  # a reindex the server started, by its PID
        server.stop()

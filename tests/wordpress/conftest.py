"""Fixtures of the WordPress tests: one real WordPress (MariaDB, PHP, our plugin active) per session.

Skipped where Debian's packages are missing, except in CI (`CI` set), where .ci/run installs them
and a missing package is a failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "faults"))

import faultkit  # noqa: E402
import wpsite  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    faultkit.write_figures()  # the figures RELIABILITY.md quotes (tests/artifacts/faults-figures.json)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.wordpress)


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory):
    """A WordPress on http://127.0.0.1:<port>/ with the archive-search plugin active."""
    why = wpsite.missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{why}: .ci/run installs Debian's WordPress packages")
        pytest.skip(why)
    site = wpsite.WordPress(tmp_path_factory.mktemp("wordpress"))
    site.start()
    faultkit.record("wordpress: start", seconds=round(site.startup_s, 1))
    yield site
    site.stop()

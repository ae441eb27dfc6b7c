"""The README documents every command, option and setting, and names none that does not exist."""

import re
from pathlib import Path

import click

from indexer.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def options():
    out = {}
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                out.setdefault(name, set()).update(o for o in param.opts if o.startswith("--"))
    return out


def test_every_command_and_option_is_in_the_readme():
    for name, opts in options().items():
        assert f"archive-search {name}" in README, name
        for opt in opts:
            assert opt in README, f"{name} {opt}"


def test_every_option_the_readme_names_exists():
    known = set().union(*options().values()) | {"--help", "--version"}
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", section))
    assert named <= known, named - known


def test_every_setting_is_documented_and_used():
    root = Path(__file__).parent.parent
    source = "\n".join(p.read_text(encoding="utf-8")
                       for package in ("indexer", "searchweb") for p in (root / package).rglob("*.py"))
    # The Settings table (a test-suite switch such as ARCHIVE_SEARCH_FULL_TRIALS is not a setting).
    documented = set(re.findall(r"^\| `(ARCHIVE_SEARCH_[A-Z_]+)`", README, re.M))
    used = set(re.findall(r"ARCHIVE_SEARCH_[A-Z_]+", source))
    assert used <= documented, used - documented
    assert documented <= used, documented - used


def test_the_readme_names_exactly_the_search_parameters_the_api_describes():
    from searchweb.openapi import openapi_document

    described = {p["name"] for p in openapi_document()["paths"]["/api/v1/search"]["get"]["parameters"]}
    paragraph = README.split("Parameters of `/api/v1/search`:", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", paragraph)) - {"relevance", "date"}
    assert named == described

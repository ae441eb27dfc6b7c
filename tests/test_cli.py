"""The `archive-search` command, run as a real process."""

import json
import os
import pty
import subprocess
import sys

import pytest

from indexer.sample import SAMPLE_ARCHIVE


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "indexer.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-index")
    done = cli("index", "--sample", "--index-dir", d)
    assert done.returncode == 0, done.stderr
    assert "11 articles indexed" in done.stdout
    assert "left out:" in done.stdout  # drafts, private posts... are counted, not indexed
    return d


def test_search_json_is_the_api_answer(index_dir):
    done = cli("search", "hebergeur", "--json", "--index-dir", index_dir)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["results"][0]["id"] == "103"
    assert answer["query"] == "hebergeur" and "facets" in answer


def test_search_same_articles_for_every_spelling(index_dir):
    found = set()
    for q in ["entreprises", "entreprise", "l’entreprise", "ENTREPRISE"]:
        answer = json.loads(cli("search", q, "--json", "--per-page", 50, "--index-dir", index_dir).stdout)
        found.add(tuple(sorted(r["id"] for r in answer["results"])))
    assert len(found) == 1


def test_manoeuvre_finds_the_article(index_dir):
    answer = json.loads(cli("search", "manoeuvre", "--json", "--index-dir", index_dir).stdout)
    assert [r["id"] for r in answer["results"]] == ["102"]


def test_search_filters_and_text_output(index_dir):
    done = cli("search", "", "--tag", "OVH", "--tag", "Influence", "--index-dir", index_dir)
    assert done.returncode == 0
    assert "2 résultat(s)" in done.stdout and "OVH. What ?" in done.stdout


def test_the_index_dir_comes_from_the_environment(index_dir):
    env = dict(os.environ, ARCHIVE_SEARCH_INDEX_DIR=str(index_dir))
    done = cli("search", "ovh", "--json", env=env)
    assert json.loads(done.stdout)["total"] == 1


@pytest.mark.parametrize("args, message", [
    (["index", "/nonexistent/export.xml"], "/nonexistent/export.xml"),
    (["search", "ovh", "--index-dir", "/nonexistent-index"], "no index yet"),
    (["search", "ovh", "--per-page", "0"], "per_page"),
    (["search", "ovh", "--from", "2015-13-01"], "from must be a date"),
    (["search", "x" * 5000], "too long"),
])
def test_errors_are_one_line_without_traceback(args, message, index_dir):
    if "--index-dir" not in args and args[0] == "search":
        args = args + ["--index-dir", str(index_dir)]
    done = cli(*args)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_are_click_messages():
    done = cli("index")
    assert done.returncode == 2 and "SOURCE, or --sample" in done.stderr and "Traceback" not in done.stderr


def test_progress_bar_on_a_terminal_and_quiet_silences_it(tmp_path):
    primary, secondary = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "index", SAMPLE_ARCHIVE,
                           "--index-dir", str(tmp_path / "ix")],
                          stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=120)
    os.close(secondary)
    bar = os.read(primary, 65536).decode("utf-8", "replace")
    os.close(primary)
    assert done.returncode == 0 and "Indexing" in bar and "11/11" in bar

    quiet = cli("index", SAMPLE_ARCHIVE, "--index-dir", tmp_path / "ix", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


# --- status ---------------------------------------------------------------------------------------

def test_status_says_how_the_index_stands_and_exits_0_when_all_is_well(index_dir):
    done = cli("status", "--index-dir", index_dir)
    assert done.returncode == 0, done.stderr
    assert "11 articles" in done.stdout and "all well" in done.stdout
    assert "reindex    done" in done.stdout and "0 writes waiting" in done.stdout
    found = json.loads(cli("status", "--json", "--index-dir", index_dir).stdout)
    assert found["index"]["articles"] == 11 and found["problems"] == []
    assert found["reindex"]["state"] == "done" and found["settings"]["version"] == 0


def test_status_without_an_index_exits_1_and_writes_nothing(tmp_path):
    done = cli("status", "--index-dir", tmp_path / "none")
    assert done.returncode == 1
    assert "no index: run `archive-search index SOURCE`" in done.stdout
    assert not (tmp_path / "none").exists()


def test_status_exits_2_when_an_operator_is_needed(index_dir, tmp_path):
    """Writes waiting with no applier to apply them, and settings that cannot be read: each said."""
    import shutil

    copy = shutil.copytree(index_dir, tmp_path / "index")
    article = tmp_path / "a.jsonl"
    article.write_text(json.dumps({"id": "w1", "title": "Un article poussé", "body": "Texte."}) + "\n")
    assert cli("put", article, "--no-wait", "--index-dir", copy).returncode == 0
    (copy / "settings.json").write_text("{not json")
    done = cli("status", "--index-dir", copy)
    assert done.returncode == 2, done.stdout + done.stderr
    attention = [line for line in done.stdout.splitlines() if line.startswith("attention")]
    assert len(attention) == 2, done.stdout
    assert "1 pushed write waits and no applier runs" in attention[0]
    assert "settings.json is unreadable" in attention[1]

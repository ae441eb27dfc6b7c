"""An index folder at a glance, for an operator's shell and scripts (`archive-search status`).

Read from the files alone, without opening the index (a 100k index's segments are not read), so it
answers in milliseconds while a server runs, a reindex builds or an applier applies: the live
generation's meta.json, the live index's journal and ledger, the last reindex's job, the editor's
settings. What it says is what the admin page and /healthz say.
"""

from __future__ import annotations

from pathlib import Path

from indexer import live
from indexer.jobs import current_job
from indexer.storage import generations
from indexer.storage import settings as index_settings

# What `archive-search status` exits with, so a cron job or a probe can act on it.
OK, NO_INDEX, ATTENTION = 0, 1, 2


def index_status(index_dir) -> dict:
    """Everything `status` prints, as JSON-ready values; `problems` lists what needs an operator."""
    index_dir = Path(index_dir)
    problems: list[str] = []
    index = _published(index_dir)
    if index is None:
        problems.append("no index: run `archive-search index SOURCE` (or `serve`, which builds the sample)")
    writes = live.status(index_dir) if index is not None else None
    if writes and writes["pending"] and not writes["applier_running"]:
        waiting = "1 pushed write waits" if writes["pending"] == 1 else f"{writes['pending']} pushed writes wait"
        problems.append(f"{waiting} and no applier runs: "
                        "`archive-search serve` runs one, or `archive-search apply`")
    job = current_job(index_dir)
    if job and job.get("state") == "failed":
        reasons = job.get("errors") or ["see build.log"]
        problems.append(f"the last reindex failed: {reasons[-1]}")
    return {"index_dir": str(index_dir), "index": index, "live": writes, "reindex": _job(job),
            "settings": _settings(index_dir, problems), "problems": problems}


def exit_code(status: dict) -> int:
    if status["index"] is None:
        return NO_INDEX
    return ATTENTION if status["problems"] else OK


def _published(index_dir: Path) -> dict | None:
    name = generations.read_current(index_dir)
    if name is None:
        return None
    folder = index_dir / name
    try:
        meta = generations.read_meta(folder)
        size = generations.folder_size(folder)
    except (OSError, ValueError):
        return {"generation": name, "unreadable": True}
    return {"generation": name, "articles": meta.get("articles"), "built_at": meta.get("built_at"),
            "size_bytes": size, "sources": meta.get("sources", []), "analyzer": meta.get("analyzer")}


def _job(job: dict | None) -> dict | None:
    if not job:
        return None
    keep = ("id", "state", "trigger", "started_at", "finished_at", "processed", "total", "indexed", "skipped")
    return {k: job[k] for k in keep if job.get(k) is not None} | {"errors": list(job.get("errors") or [])[-5:]}


def _settings(index_dir: Path, problems: list[str]) -> dict | None:
    try:
        current = index_settings.read(index_dir)
    except (OSError, ValueError) as e:
        problems.append(f"settings.json is unreadable ({e}): searches use the last settings read; "
                        "saving the synonyms on /admin replaces it")
        return None
    return {"version": current["version"], "synonyms": len(current["synonyms"]), "pins": len(current["pins"])}


"""The index directory's layout: generations, the CURRENT pointer, atomic publication.

    index/
      CURRENT              name of the live generation (replaced atomically)
      gen-<time>-<rand>/   one complete index: Whoosh files, columns, catalog, meta.json
      .building-<...>/     a build in progress (removed at the next build if it died)
      build.lock           fcntl lock held by the running build
      status.json          the current or last build job, for every process to read

A generation is never modified once published; a build writes a new one beside it and
then replaces CURRENT, so readers keep answering from the old one until the switch.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

CURRENT = "CURRENT"
PREFIX = "gen-"
BUILDING_PREFIX = ".building-"
META = "meta.json"

# Generations kept besides the live one: the previous one is the fallback if the
# live one turns out to be unreadable.
KEEP_PREVIOUS = 1


def new_generation_name(index_dir: Path) -> str:
    """`gen-000042-20261129T001500`: a sequence number (so names sort in build order even
    within one second), then the time for people reading the folder. Called under the build lock."""
    numbers = [int(p.name.split("-")[1]) for p in index_dir.iterdir()
               if p.name.startswith(PREFIX) and p.name.split("-")[1].isdigit()]
    return f"{PREFIX}{max(numbers, default=0) + 1:06d}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"


def read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name if name.startswith(PREFIX) and "/" not in name else None


def published(index_dir: Path) -> list[str]:
    """Complete generations, newest first (a generation is complete once its meta.json exists)."""
    if not index_dir.is_dir():
        return []
    names = [p.name for p in index_dir.iterdir()
             if p.name.startswith(PREFIX) and (p / META).is_file()]
    return sorted(names, reverse=True)


def read_meta(folder: Path) -> dict:
    return json.loads((folder / META).read_text(encoding="utf-8"))


def fsync_tree(folder: Path) -> None:
    """Flushes every file of a generation (its shards' too) and the folders themselves:
    Whoosh never calls fsync, and a generation must survive a power cut once CURRENT
    points to it."""
    for path in folder.iterdir():
        if path.is_dir():
            fsync_tree(path)
        elif path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write-then-rename: a reader sees the old content or the new one, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def publish(index_dir: Path, building: Path, name: str) -> Path:
    """Makes a finished build the live generation in one atomic step."""
    fsync_tree(building)
    final = index_dir / name
    os.rename(building, final)
    fsync_dir(index_dir)
    write_atomic(index_dir / CURRENT, name + "\n")
    return final


def remove_leftovers(index_dir: Path) -> None:
    """Removes what dead builds left, and generations older than the fallback.
    Called with the build lock held, so no build is writing."""
    live = read_current(index_dir)
    keep = {live} if live else set()
    for name in published(index_dir):
        if name != live and len(keep) <= KEEP_PREVIOUS:
            keep.add(name)
    for path in index_dir.iterdir():
        if path.name.startswith(BUILDING_PREFIX) or (
                path.name.startswith(PREFIX) and path.name not in keep):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

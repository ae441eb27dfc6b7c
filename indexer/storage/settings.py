"""The index's search settings (synonyms, pinned results): one JSON file beside CURRENT.

    index/settings.json   {"version": 3, "updated_at": "...", "synonyms": [...], "pins": [...]}
    index/settings.lock   fcntl lock held while a change is written

Settings live beside the generations, not inside one: a generation is immutable and a build
replaces it, while an editor's synonyms must survive every build and apply at once, with no
reindex. A change is written like CURRENT (a new file, fsynced, renamed over the old one),
so a reader sees the old settings or the new ones, never a mix; each change bumps `version`,
which names the settings in answers' debug info and in the caches' keys. Every server process
notices a change with one `stat` per request, as it notices a new generation.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from indexer.locks import FileLock
from indexer.storage.generations import write_atomic

SETTINGS = "settings.json"
SETTINGS_LOCK = "settings.lock"
KINDS = ("synonyms", "pins")

log = logging.getLogger(__name__)


def empty() -> dict:
    return {"version": 0, "updated_at": None, "synonyms": [], "pins": []}


def read(index_dir: Path) -> dict:
    """The settings as stored (version 0 and nothing set when there is no file yet).
    Raises ValueError or OSError for an unreadable file."""
    try:
        text = (Path(index_dir) / SETTINGS).read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty()
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise ValueError(f"{SETTINGS}: not a settings object")
    return {**empty(), **{k: data[k] for k in ("version", "updated_at", *KINDS) if k in data}}


def write(index_dir: Path, **changes) -> dict:
    """Replaces the given kinds (`synonyms=[...]`, `pins=[...]`, already checked) and bumps the
    version, under the settings lock so two editors' changes are never lost to each other.
    Returns the settings written."""
    index_dir = Path(index_dir)
    lock = FileLock(index_dir / SETTINGS_LOCK)
    lock.acquire(wait=True)
    try:
        try:
            current = read(index_dir)
        except (OSError, ValueError):
            current = empty()  # a damaged file is replaced by what the editor sends now
            current["version"] = _damaged_version(index_dir)
        updated = dict(current, **{k: v for k, v in changes.items() if k in KINDS})
        updated["version"] = current["version"] + 1
        updated["updated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_atomic(index_dir / SETTINGS, json.dumps(updated, ensure_ascii=False, indent=1) + "\n")
        return updated
    finally:
        lock.release()


def _damaged_version(index_dir: Path) -> int:
    """A version above any a damaged file may have reached, so caches never reuse an old key."""
    try:
        return int((index_dir / SETTINGS).stat().st_mtime)
    except OSError:
        return 0


class SettingsFile:
    """A process's view of settings.json, read again when the file is replaced (one `stat` per
    call). A file that cannot be read is logged and the last good settings kept: settings never
    fail a search."""

    def __init__(self, index_dir: Path, compile):
        """`compile(settings dict)` makes what searches use of them (search/curation.py)."""
        self.path = Path(index_dir) / SETTINGS
        self.index_dir = Path(index_dir)
        self._compile = compile
        self._stamp = None
        self._value = compile(empty())
        self._lock = threading.Lock()

    def current(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError:
            return self._value
        if stamp == self._stamp:
            return self._value
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._value = self._compile(read(self.index_dir))
                except Exception as e:  # noqa: BLE001 - a bad file must never fail a search
                    log.error("%s unreadable, keeping the settings of version %s: %r",
                              self.path, getattr(self._value, "version", "?"), e)
                self._stamp = stamp
        return self._value

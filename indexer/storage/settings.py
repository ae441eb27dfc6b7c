"""The index's search settings (synonyms, pinned results): one JSON file beside CURRENT.

    index/settings.json   {"version": 3, "updated_at": "...", "synonyms": [...], "pins": [...]}
    index/settings.lock   fcntl lock held while a change is written; holds the last version written
    index/settings.json.damaged-<UTC time>   a file that could not be read, set aside when saved over

Settings live beside the generations, not inside one: a generation is immutable and a build
replaces it, while an editor's synonyms must survive every build and apply at once, with no
reindex. A change is written like CURRENT (a new file, fsynced, renamed over the old one),
so a reader sees the old settings or the new ones, never a mix; each change bumps `version`,
which names the settings in answers' debug info and in the caches' keys. Every server process
notices a change with one `stat` per request, as it notices a new generation.

A version is never given twice, for a cache would take the new settings for the old: the next one
follows the highest known, from the file, from the lock file's record of the last one written, and,
when the file is damaged, from what can still be read of it and of the copies set aside before.
"""

from __future__ import annotations

import json
import logging
import os
import re
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
        except (OSError, ValueError) as e:
            current = empty()  # a damaged file is replaced by what the editor sends now...
            current["version"] = _set_aside(index_dir, e)  # ...and kept beside it, for a person to read
        updated = dict(current, **{k: v for k, v in changes.items() if k in KINDS})
        updated["version"] = max(current["version"], _last_written(lock)) + 1
        # Recorded first: a crash before the rename leaves the record ahead of the file, never behind.
        _record_written(lock, updated["version"])
        updated["updated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_atomic(index_dir / SETTINGS, json.dumps(updated, ensure_ascii=False, indent=1) + "\n")
        return updated
    finally:
        lock.release()


DAMAGED = SETTINGS + ".damaged-"
_VERSION = re.compile(rb'"version"\s*:\s*(\d{1,18})')  # what a torn or hand-broken file still says


def _set_aside(index_dir: Path, error: Exception) -> int:
    """Moves a damaged settings.json aside (nothing an editor wrote is lost) and returns the highest
    version it and the copies set aside before still show (0 when none shows one)."""
    path = index_dir / SETTINGS
    aside = index_dir / (DAMAGED + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ"))
    try:
        os.replace(path, aside)
    except OSError:
        pass  # unreadable as a file too: saving over it is all that can be done
    else:
        log.warning("%s unreadable (%r): set aside as %s, replaced by the settings saved now", path, error, aside.name)
    versions = [0]
    for copy in index_dir.glob(DAMAGED + "*"):
        try:
            versions += [int(v) for v in _VERSION.findall(copy.read_bytes())]
        except OSError:
            continue
    return max(versions)


def _last_written(lock: FileLock) -> int:
    """The version the last write recorded in the lock file (0 if none or unreadable)."""
    text = os.pread(lock.fd, 32, 0).strip()
    return int(text) if text.isdigit() else 0


def _record_written(lock: FileLock, version: int) -> None:
    os.ftruncate(lock.fd, 0)
    os.pwrite(lock.fd, b"%d\n" % version, 0)
    os.fsync(lock.fd)


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

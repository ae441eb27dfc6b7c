"""The index directory's layout: generations, the CURRENT pointer, atomic publication.

    index/
      CURRENT              name of the live generation (replaced atomically)
      gen-<seq>-<time>/    one complete index: shard-<i>/ (Whoosh's segments and, in arrays/,
                           each segment's own files), the lexicon, meta.json, manifest.json
                           (every file's size and CRC-32, checked when opened)
      .building-<...>/     a generation being written (removed at the next build if it died)
      build.lock           fcntl lock held by the running build
      writer.lock          fcntl lock held by whoever publishes a generation (see live/)
      status.json          the current or last build job, for every process to read
      journal/, live.sqlite   pushed writes (live/)
      settings.json        the editor's synonyms and pins, outside every generation (settings.py)

A generation is never modified once published; the next one is written beside it and then
CURRENT is replaced, so readers keep answering from the old one until the switch. Segment
files never change either: a new generation hard-links those it keeps from the last one
(`link_tree`), so a change costs its own new files, not a copy of the index.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from indexer.errors import ArchiveSearchError, BuildRefused
from indexer.locks import FileLock

CURRENT = "CURRENT"
PREFIX = "gen-"
SHARD_PREFIX = "shard-"
# What a generation holds beside Whoosh; one of another layout is rebuilt by the next build
# (3: every segment has its own files, generations share them by hard links).
LAYOUT = 3
BUILDING_PREFIX = ".building-"
WRITER_LOCK = "writer.lock"
META = "meta.json"
MANIFEST = "manifest.json"

# Generations kept besides the live one: the previous one is the fallback if the
# live one turns out to be unreadable.
KEEP_PREVIOUS = 1


def new_generation_name(index_dir: Path) -> str:
    """`gen-000000000042-20261129T001500`: a sequence number (generations are ordered by it: a
    live index publishes one every second or so), then the time for people reading the folder.
    Called under the writer lock."""
    numbers = [sequence(p.name) for p in index_dir.iterdir() if p.name.startswith(PREFIX)]
    return f"{PREFIX}{max(numbers, default=0) + 1:012d}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"


def sequence(name: str) -> int:
    """A generation's sequence number (0 for a name that has none)."""
    part = name[len(PREFIX):].split("-", 1)[0]
    return int(part) if part.isdigit() else 0


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
    return sorted(names, key=lambda n: (sequence(n), n), reverse=True)


def shard_dirs(folder: Path, shards: int) -> list[Path]:
    return [folder / f"{SHARD_PREFIX}{i}" for i in range(shards)]


def read_meta(folder: Path) -> dict:
    return json.loads((folder / META).read_text(encoding="utf-8"))


def recorded_sources(index_dir: Path) -> list[str]:
    """The sources the newest generation that records any was built from (none for an index
    made of pushed articles alone)."""
    for name in published(index_dir):
        try:
            sources = read_meta(index_dir / name).get("sources")
        except (OSError, ValueError):
            continue
        if sources:
            return list(sources)
    return []


def fsync_tree(folder: Path) -> None:
    """Flushes every new file of a generation (its shards' too) and the folders themselves:
    Whoosh never calls fsync, and a generation must survive a power cut once CURRENT
    points to it. A file with other links came from a published generation, which was
    flushed before it went live. The flushes run side by side: the filesystem commits
    them together, where one after the other each waits for the disk (2-3 ms each, a
    dozen a live write)."""
    paths = []

    def walk(current: Path) -> None:
        for path in current.iterdir():
            if path.is_dir():
                walk(path)
            elif path.is_file() and path.stat().st_nlink == 1:
                paths.append(path)
        paths.append(current)

    walk(folder)
    with ThreadPoolExecutor(max_workers=min(16, len(paths))) as pool:
        list(pool.map(_fsync, paths))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def link_tree(source: Path, target: Path) -> None:
    """`target` as a copy of `source` made of hard links (folders are made, files linked):
    a generation's files never change, so the next one may share them. Whoosh's write locks
    are left out (each generation's writer takes its own), and so are the manifest and the
    metadata, which every generation writes anew."""
    target.mkdir()
    for path in source.iterdir():
        if path.is_dir():
            link_tree(path, target / path.name)
        elif not path.name.endswith("WRITELOCK") and path.name not in (MANIFEST, META):
            os.link(path, target / path.name)


def fsync_dir(folder: Path) -> None:
    _fsync(folder)


def write_atomic(path: Path, text: str) -> None:
    """Write-then-rename: a reader sees the old content or the new one, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # (remove_leftovers knows this name)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def remove_leftovers(path: Path) -> None:
    """Removes the temporary files of `write_atomic(path)` that a killed writer left. Called by
    the holder of the lock every writer of `path` holds (so none of them is writing now): the
    build lock for status.json, the writer lock for CURRENT. (remove_old_generations removes
    the others once they are a minute old: it cannot tell a dead writer's from a live one's.)"""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        tmp.unlink(missing_ok=True)


class WriterLock(FileLock):
    """Held by whoever publishes a generation (a build's last step, the live applier, a merge):
    one writer at a time, so each new generation starts from the one it replaces."""

    def __init__(self, index_dir: Path):
        super().__init__(Path(index_dir) / WRITER_LOCK)


def publish(index_dir: Path, building: Path, known: dict | None = None) -> str:
    """Makes a finished generation the live one in one atomic step and returns its name.
    Called under the writer lock. `known`: checksums of the files it hard-linked from the
    last generation (`known_checksums`), carried over rather than read again."""
    name = new_generation_name(index_dir)
    meta_path = building / META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["generation"] = name
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    write_manifest(building, known)
    fsync_tree(building)
    final = index_dir / name
    os.rename(building, final)
    fsync_dir(index_dir)
    remove_leftovers(index_dir / CURRENT)  # a writer killed while switching CURRENT
    write_atomic(index_dir / CURRENT, name + "\n")
    return name


def fallbacks(index_dir: Path, live: str | None) -> list[str]:
    """The generations to serve if `live` cannot be read, best first: those published before it,
    newest first. A complete generation newer than the live one was never live (its build died
    between the rename and the switch of CURRENT): it comes last, never before an older one."""
    names = [n for n in published(index_dir) if n != live]
    if live is None:
        return names
    return ([n for n in names if sequence(n) < sequence(live)]
            + [n for n in names if sequence(n) > sequence(live)])


def remove_old_generations(index_dir: Path) -> None:
    """Removes generations older than the fallback (their files live on where newer ones link
    them), and temporary files writers left more than a minute ago. Safe without the writer
    lock: it never touches a generation newer than the live one, which may be being
    published (`remove_never_live` does, under the lock)."""
    live = read_current(index_dir)
    if live is None:
        return
    keep = {live, *fallbacks(index_dir, live)[:KEEP_PREVIOUS]}
    stale = time.time() - 60
    for path in index_dir.iterdir():
        if path.name.startswith(PREFIX) and path.name not in keep and sequence(path.name) < sequence(live):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".") and path.name.endswith(".tmp"):
            try:
                if path.stat().st_mtime < stale:
                    path.unlink(missing_ok=True)
            except OSError:
                pass


def remove_never_live(index_dir: Path) -> None:
    """Removes generations newer than the live one: their writer died between renaming the
    folder and switching CURRENT. Called under the writer lock (then nobody is publishing)."""
    live = read_current(index_dir)
    for path in index_dir.iterdir():
        if path.name.startswith(PREFIX) and (live is None or sequence(path.name) > sequence(live)):
            if live is not None or not (path / META).is_file():
                shutil.rmtree(path, ignore_errors=True)


def remove_unfinished(index_dir: Path, prefix: str) -> None:
    """Removes the folders a dead writer left (`prefix`: `.building-` for builds, under the
    build lock; the live applier's own, under its lock)."""
    for path in index_dir.iterdir():
        if path.name.startswith(prefix):
            shutil.rmtree(path, ignore_errors=True)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- integrity: every file of a published generation, checked when it is opened ------------------------

class CorruptGeneration(ArchiveSearchError):
    """A generation's files are not the ones that were published (truncated, overwritten, missing)."""

    code = "corrupt_index"


_CRC_CHUNK = 1 << 20


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CRC_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST
                  and not p.name.endswith("WRITELOCK"))


def write_manifest(folder: Path, known: dict | None = None) -> None:
    """Records every file's size and CRC-32 (Whoosh has no checksum of its own), so that a
    truncated or damaged file is found when the generation is opened, not by a failing search.
    A file in `known` (hard-linked from a published generation) keeps the checksum recorded."""
    known = known or {}
    files = {}
    for path in _files(folder):
        st = path.stat()
        entry = known.get((st.st_dev, st.st_ino))
        files[path.relative_to(folder).as_posix()] = (
            entry if entry is not None and entry[0] == st.st_size else [st.st_size, _crc32(path)])
    (folder / MANIFEST).write_text(json.dumps({"files": files}, ensure_ascii=False), encoding="utf-8")


def known_checksums(folder: Path) -> dict:
    """(device, inode) -> [size, CRC-32] of a published generation's files, from its manifest:
    what a generation that hard-links them need not read again."""
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        return {}
    known = {}
    for rel, entry in files.items():
        try:
            st = (folder / rel).stat()
        except OSError:
            continue
        known[(st.st_dev, st.st_ino)] = entry
    return known


def verify_files(folder: Path, paths: list[Path]) -> None:
    """Raises CorruptGeneration unless each of `paths` (files of the generation at `folder`)
    has the size and CRC-32 its manifest records."""
    files = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        entry = files.get(rel)
        if entry is None or path.stat().st_size != entry[0] or _crc32(path) != entry[1]:
            raise CorruptGeneration(f"{folder.name}: {rel} is damaged or unlisted")


def verify_linked(folder: Path, known: dict) -> None:
    """Raises CorruptGeneration unless every file of `folder` that is a link to a file in
    `known` (`known_checksums` of the generation it was linked from) has its size and CRC-32."""
    for path in _files(folder):
        st = path.stat()
        entry = known.get((st.st_dev, st.st_ino))
        if entry is not None and (st.st_size != entry[0] or _crc32(path) != entry[1]):
            raise CorruptGeneration(f"{folder.name}: {path.relative_to(folder)} is damaged (checksum mismatch)")


def verify(folder: Path, checksums: bool = True, verified: set | None = None) -> None:
    """Raises CorruptGeneration if a file listed in the manifest is missing, has another size or
    (with `checksums`) another CRC-32. A generation published before manifests existed passes.

    `verified`: identities (device, inode, size, modification time) of files this process
    has already checked; they are not read again, and the ones checked now are added. A
    generation that shares its segments with the last one is then checked for its new files."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise CorruptGeneration(f"{folder.name}: unreadable manifest ({e})") from None
    base = os.fspath(folder)
    for rel, (size, crc) in manifest.get("files", {}).items():
        path = f"{base}/{rel}"  # (str paths: a generation has hundreds of files, pathlib is slow)
        try:
            st = os.stat(path)
        except OSError:
            raise CorruptGeneration(f"{folder.name}: {rel} is missing") from None
        if st.st_size != size:
            raise CorruptGeneration(f"{folder.name}: {rel} has {st.st_size} bytes, {size} were published")
        if not checksums:
            continue
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, crc)
        if verified is not None and identity in verified:
            continue
        if _crc32(path) != crc:
            raise CorruptGeneration(f"{folder.name}: {rel} is damaged (checksum mismatch)")
        if verified is not None:
            verified.add(identity)


DAMAGE = "damaged.json"


def report_damage(index_dir: Path, name: str) -> None:
    """Leaves word that a reader found generation `name` damaged: the live applier checks it
    and starts a repair (live/applier.py). Best effort: a reader never fails for it."""
    try:
        write_atomic(Path(index_dir) / DAMAGE, json.dumps({"generation": name, "at": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
    except OSError:
        pass


def reported_damage(index_dir: Path) -> dict | None:
    try:
        return json.loads((Path(index_dir) / DAMAGE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- room for a build -------------------------------------------------------------------------------------

class NoSpace(BuildRefused):
    """The index's filesystem has not enough free space for a build: refused before any write."""

    code = "no_space"


# A build writes a complete new generation beside the live one: the shards copied from the live
# generation (incremental), Whoosh's segments before and after their merge, then the side files.
# Measured: a generation is about 2x its JSONL sources; the merge briefly doubles the segments.
SPACE_FACTOR_SOURCES = 4.0
SPACE_FACTOR_LIVE = 2.0
SPACE_MARGIN = 16 * 1024 * 1024


def sources_size(sources) -> int:
    """Bytes of the sources (files, or every file below a folder)."""
    total = 0
    for source in sources:
        path = Path(source)
        try:
            if path.is_dir():
                total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            else:
                total += path.stat().st_size
        except OSError:
            continue  # a missing source is open_source's to report
    return total


def space_needed(index_dir: Path, sources) -> int:
    """A generous estimate of the bytes a build of `sources` writes in `index_dir`."""
    live = read_current(index_dir)
    live_size = 0
    if live and (index_dir / live).is_dir():
        live_size = folder_size(index_dir / live)
    return int(SPACE_FACTOR_LIVE * live_size + SPACE_FACTOR_SOURCES * sources_size(sources) + SPACE_MARGIN)


def check_space(index_dir: Path, needed_bytes: int) -> None:
    """Raises NoSpace when `index_dir`'s filesystem has less than `needed_bytes` free.

    Called at the start of a build, after the leftovers are removed and before any write, with
    `space_needed(index_dir, sources)`: a build that cannot fit is refused with a clear reason
    instead of failing half-way with ENOSPC."""
    st = os.statvfs(index_dir)
    free = st.f_bavail * st.f_frsize
    if free < needed_bytes:
        raise NoSpace(f"not enough disk space for a build in {index_dir}: {_mb(free)} free, about "
                      f"{_mb(needed_bytes)} needed; the live index is kept")


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def is_no_space(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)

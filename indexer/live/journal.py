"""The write-ahead journal: every pushed write, on disk and fsynced before it is acknowledged.

    index/journal/
      00000000000000000001.log   records from sequence number 1 on (a new file every 64 MB)
      lock                       fcntl lock held while a record is appended

A record is one write request (a task): a header (magic, flags, payload length, sequence
number, CRC-32 of the payload), the payload (JSON, zlib-compressed when large), and a trailer
(the payload length again and a second magic), so that the last record of a file can be
found from its end without reading the file.

Appends are serialised across processes by the lock and each one is made durable with
`fdatasync` before `append` returns: the HTTP answer 202 comes after. A process killed in
the middle of an append leaves a torn record at the end of the file; the next append (or
`repair`, run when the applier starts) finds it, cuts it off and reports it. That record was
never acknowledged. Readers take the lock shared, so they never see a record before it is
on disk (an append whose flush fails cuts its record back, and the client is told nothing
was kept). A damaged record in the middle of a file (a bad disk) is reported
and skipped, and reading resumes at the next sound record.

Sequence numbers start at 1 and grow by one per record: they are the task ids, and the index
records the last one it has applied (see applier.py), so each write is applied once.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ArchiveSearchError
from indexer.locks import FileLock
from indexer.storage.generations import fsync_dir

log = logging.getLogger("archive_search.journal")

FOLDER = "journal"
LOCK = "lock"
REPAIRS = "repairs.jsonl"     # what repairs cut off, one JSON object a line, for the admin page
SUFFIX = ".log"
FILE_LIMIT = 64 * 1024 * 1024  # a file is closed to new records past this size

_HEADER = struct.Struct("<4sBxxxIQI")  # magic, flags, payload length, sequence, CRC-32
_TRAILER = struct.Struct("<I4s")       # payload length, magic
_MAGIC, _END = b"ASJ1", b"1JSA"
_COMPRESSED = 1
_COMPRESS_OVER = 4096  # bytes of JSON worth compressing (article bodies are text)
MAX_PAYLOAD = 256 * 1024 * 1024


class JournalError(ArchiveSearchError):
    """The journal cannot take a write (its folder is unusable); nothing was recorded."""

    code = "journal_error"


class JournalFull(JournalError):
    """The disk is full: the write was refused, and nothing of it was kept."""

    code = "insufficient_storage"


@dataclass(frozen=True)
class Record:
    seq: int
    payload: dict


class Journal:
    def __init__(self, index_dir: Path | str):
        self.folder = Path(index_dir) / FOLDER
        self._read_to: dict[str, tuple[int, int]] = {}  # file -> (sequence, offset) read up to
        self._scanned: dict[str, int] = {}  # file -> offset up to which damage was reported

    # --- writing -----------------------------------------------------------------------------------

    def append(self, payload: dict) -> int:
        """Writes `payload` as the next record, durably; returns its sequence number.

        Raises JournalFull on a full disk (the file is cut back: nothing is half kept) and
        JournalError when the journal cannot be written at all."""
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        flags = 0
        if len(data) > _COMPRESS_OVER:
            data, flags = zlib.compress(data, 1), _COMPRESSED
        if len(data) > MAX_PAYLOAD:
            raise JournalError(f"a write of {len(data)} bytes is larger than the journal takes")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._locked():
                path, last = self._tail_file()
                seq = last + 1
                if path is None or path.stat().st_size >= FILE_LIMIT:
                    path = self.folder / f"{seq:020d}{SUFFIX}"
                record = (_HEADER.pack(_MAGIC, flags, len(data), seq, zlib.crc32(data))
                          + data + _TRAILER.pack(len(data), _END))
                self._write(path, record)
                return seq
        except JournalError:
            raise
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise JournalFull("the disk is full: the write was refused and nothing of it was kept") from None
            raise JournalError(f"the journal cannot be written ({error.strerror or error})") from None

    def _write(self, path: Path, record: bytes) -> None:
        new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            start = os.fstat(fd).st_size
            try:
                view = memoryview(record)
                while view:
                    view = view[os.write(fd, view):]
                os.fdatasync(fd)
            except OSError:
                # Cut back whatever part of the record reached the file: it was not acknowledged.
                try:
                    os.ftruncate(fd, start)
                    os.fdatasync(fd)
                except OSError:
                    pass  # then the next append or repair finds it torn and cuts it off
                raise
        finally:
            os.close(fd)
        if new:
            fsync_dir(self.folder)

    def _locked(self):
        return FileLock(self.folder / LOCK)

    def _tail_file(self) -> tuple[Path | None, int]:
        """The last file and the last sequence number written; a torn tail is cut off first.
        Called with the lock held."""
        files = self.files()
        while files:
            path = files[-1]
            last = _last_seq(path)
            if last is None:
                last = self._cut_torn_tail(path)
            if last is not None:
                return path, last
            # A file holding no sound record at all: its name says where it starts.
            path.unlink(missing_ok=True)
            files.pop()
            if not files:
                return None, int(path.name[:-len(SUFFIX)]) - 1
        return None, 0

    def _cut_torn_tail(self, path: Path) -> int | None:
        """Cuts `path` after its last sound record and reports what went; returns that record's
        sequence number (None when the file held no sound record)."""
        last, end = None, 0
        with open(path, "rb") as f:
            data = f.read()
        for record, start, stop in _scan(data):
            if start is not None:
                last, end = record.seq, stop
        torn = len(data) - end
        if torn:
            with open(path, "r+b") as f:
                f.truncate(end)
                os.fdatasync(f.fileno())
            self._report(path, end, torn, "a torn record at the end of the journal was cut off "
                         "(an append that died before it was acknowledged)")
        return last

    def repair(self) -> None:
        """Cuts a torn tail off the journal's last file; run by the applier when it starts."""
        if not self.folder.is_dir():
            return
        with self._locked():
            self._tail_file()

    def _report(self, path: Path, offset: int, size: int, what: str) -> None:
        event = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "file": path.name,
                 "offset": offset, "bytes": size, "what": what}
        log.warning("journal %s at byte %d: %s (%d bytes)", path.name, offset, what, size)
        try:
            with open(self.folder / REPAIRS, "a", encoding="utf-8") as f:
                f.write(json.dumps(event) + "\n")
        except OSError:
            pass

    def repairs(self, limit: int = 20) -> list[dict]:
        """The last repairs (torn tails cut off, damaged records skipped), newest last."""
        try:
            lines = (self.folder / REPAIRS).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines[-limit:]:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    # --- reading -----------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir()
                      if p.name.endswith(SUFFIX) and p.name[:-len(SUFFIX)].isdigit())

    def read(self, after: int = 0, limit_bytes: int | None = None) -> Iterator[Record]:
        """The sound records with a sequence number above `after`, in order, stopping at the end
        (or at an incomplete tail) — and, with `limit_bytes`, once that much payload was read.

        A Journal remembers where each file's records it has read end, so that reading on from
        where the last call stopped does not scan a file from its start again."""
        files = self.files()
        read = 0
        for i, path in enumerate(files):
            if i + 1 < len(files) and int(files[i + 1].name[:-len(SUFFIX)]) <= after + 1:
                continue  # every record of this file is at or below `after`
            seen_seq, start = self._read_to.get(path.name, (0, 0))
            if seen_seq > after:
                start = 0
            try:
                data = self._durable_bytes(path, start)
            except FileNotFoundError:
                continue  # discarded meanwhile: all applied
            scanned = self._scanned.get(path.name, 0)
            for record, first, end in _scan(data, after):
                if first is None:  # a damaged stretch, [end[0], end[1]) of `data`
                    offset = start + end[0]
                    if offset >= scanned:
                        self._report(path, offset, end[1] - end[0], "a damaged record was skipped")
                    continue
                self._read_to[path.name] = (record.seq if record else after, start + end)
                self._scanned[path.name] = max(scanned, start + end)
                if record is None:
                    continue  # at or below `after`
                yield record
                read += end - first
                if limit_bytes is not None and read >= limit_bytes:
                    return

    def _durable_bytes(self, path: Path, start: int) -> bytes:
        """The file's bytes from `start`, read under the lock shared by readers: an append
        holds it alone from its write to its fdatasync, so what is read here is on disk (a
        record whose flush failed is cut back before anyone reads it, never applied)."""
        with FileLock(self.folder / LOCK, shared=True), open(path, "rb") as f:
            f.seek(start)
            return f.read()

    def tail_seq(self) -> int | None:
        """The sequence number of the record that ends the journal, read from its end (0 when
        empty); None when the last file does not end with a sound record (an append in
        progress, or a torn one: `repair` tells them apart)."""
        files = self.files()
        if not files:
            return 0
        return _last_seq(files[-1])

    def last_seq(self) -> int:
        """The sequence number of the last sound record (0 for an empty journal)."""
        for path in reversed(self.files()):
            last = _last_seq(path)
            if last is None:
                last = max((r.seq for r, start, _ in _scan(path.read_bytes()) if start is not None), default=None)
            if last is not None:
                return last
        return 0

    def discard_through(self, seq: int) -> None:
        """Removes the files whose every record is at or below `seq` (applied everywhere);
        the last file always stays, it is where the next record goes."""
        files = self.files()
        for path, following in zip(files, files[1:]):
            if int(following.name[:-len(SUFFIX)]) <= seq + 1:
                path.unlink(missing_ok=True)

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files())


def _last_seq(path: Path) -> int | None:
    """The sequence number of the record that ends `path`, read from its end; None when the
    file does not end with a sound record (empty, or torn)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _HEADER.size + _TRAILER.size:
                return None
            f.seek(size - _TRAILER.size)
            length, end = _TRAILER.unpack(f.read(_TRAILER.size))
            start = size - _TRAILER.size - length - _HEADER.size
            if end != _END or start < 0:
                return None
            f.seek(start)
            magic, _flags, length2, seq, crc = _HEADER.unpack(f.read(_HEADER.size))
            if magic != _MAGIC or length2 != length or zlib.crc32(f.read(length)) != crc:
                return None
            return seq
    except OSError:
        return None


def _scan(data: bytes, after: int = -1) -> Iterator[tuple[Record | None, int | None, object]]:
    """Walks a file's bytes record by record. Yields `(record, start, end)` for each sound record
    (`record` None when its sequence number is at or below `after`: not decoded), and
    `(None, None, (start, end))` for a damaged stretch skipped up to the next sound record.
    What does not parse at the very end is a tail still being written, or torn (cut off by
    `repair`): the walk stops there."""
    pos = 0
    while pos + _HEADER.size <= len(data):
        found = _parse(data, pos, after)
        if found is not None:
            record, end = found
            yield record, pos, end
            pos = end
            continue
        resume = pos + 1
        while True:  # the next magic that starts a sound record
            resume = data.find(_MAGIC, resume)
            if resume < 0 or _parse(data, resume, after) is not None:
                break
            resume += 1
        if resume < 0:
            return
        yield None, None, (pos, resume)
        pos = resume


def _parse(data: bytes, pos: int, after: int = -1) -> tuple[Record | None, int] | None:
    """The record at `pos` and where it ends, or None if none sound starts there. A record at
    or below `after` is only checked for its frame (already applied: not decoded)."""
    try:
        magic, flags, length, seq, crc = _HEADER.unpack_from(data, pos)
    except struct.error:
        return None
    body = pos + _HEADER.size
    end = body + length + _TRAILER.size
    if magic != _MAGIC or end > len(data):
        return None
    length2, end_magic = _TRAILER.unpack_from(data, body + length)
    if end_magic != _END or length2 != length:
        return None
    if seq <= after:
        return None, end
    payload = data[body:body + length]
    if zlib.crc32(payload) != crc:
        return None
    try:
        if flags & _COMPRESSED:
            payload = zlib.decompress(payload)
        return Record(seq, json.loads(payload.decode("utf-8"))), end
    except (zlib.error, ValueError):
        return None

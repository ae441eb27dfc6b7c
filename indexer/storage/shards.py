"""Shards: a generation's Whoosh index split in parts, and the writing of a shard's changes.

Whoosh analyses and writes in pure Python, so one writer uses one core. A generation is
written as `shards` Whoosh indexes, each by its own process during a build; an article
always goes to the same shard (a hash of its id), so an incremental build or a live write
updates it where it is. Readers see the shards' segments end to end (storage/store.py).

`ShardSession` writes one shard's changes (documents added or replaced, deletions), a
segment every SEGMENT_DOCS documents, each with its own files (segments.py): the build's
shard processes run one each, the live applier (live/applier.py) one per shard it changes.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import math
import multiprocessing
import os
import signal
import sys
import traceback
import zlib
from pathlib import Path

from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from indexer.errors import BuildFailed
from indexer.schema import SEARCHED_FIELDS, analyse_texts, make_schema
from indexer.storage import whoosh_io
from indexer.storage.generations import NoSpace, shard_dirs
from indexer.storage.lexicon import LexiconBuilder
from indexer.storage.segments import SegmentFiles, SegmentFilesWriter

# A shard commits a segment every SEGMENT_DOCS documents: its memory stays bounded
# (its postings are held in memory until the commit, see _ShardWriter; a shard at 100k
# articles would need gigabytes), and nothing is ever merged.
SEGMENT_DOCS = 10_000
# Each incremental build adds a segment to the shards it changes; past this many more than
# a full build makes, the next build is a full one.
EXTRA_SEGMENTS = 8
BATCH = 64       # documents sent to a shard process at a time
QUEUE_DEPTH = 8  # batches waiting per shard: bounds the memory a fast reader can fill


def shard_of(article_id: str, shards: int) -> int:
    return zlib.crc32(article_id.encode("utf-8")) % shards


def default_shards() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0))))


class ShardWriters:
    """The shard processes of one build: send them documents, then commit them all."""

    def __init__(self, folder: Path, shards: int, fresh: bool):
        """(The forked writers close their copies of the build's lock files at once, see
        indexer/locks.py: a lock held by a writer would outlive a killed build for a moment.)"""
        ctx = multiprocessing.get_context("fork")
        self.results = ctx.Queue()
        self.queues = [ctx.Queue(QUEUE_DEPTH) for _ in range(shards)]
        self.buffers: list[list] = [[] for _ in range(shards)]
        self.procs = [ctx.Process(target=_shard_main, daemon=True,
                                  args=(path, fresh, queue, self.results))
                      for path, queue in zip(shard_dirs(folder, shards), self.queues)]
        for proc in self.procs:
            proc.start()

    def send(self, article_id: str, op: str, payload) -> None:
        """`op` is "add", "update" (payload: the document and its catalog entry, see
        ShardSession.put) or "delete" (payload: the id)."""
        i = shard_of(article_id, len(self.queues))
        self.buffers[i].append((op, payload))
        if len(self.buffers[i]) >= BATCH:
            self._flush(i)

    def _flush(self, i: int) -> None:
        if self.buffers[i]:
            self._put(i, self.buffers[i])
            self.buffers[i] = []

    def _put(self, i: int, item) -> None:
        while True:
            try:
                self.queues[i].put(item, timeout=1)
                return
            except Exception:  # queue.Full: the shard is busy; make sure it is alive
                self._check_alive()

    def commit(self, vocabulary: LexiconBuilder) -> None:
        """Commits every shard, merging the words each one counted into `vocabulary`."""
        for i in range(len(self.queues)):
            self._flush(i)
            self._put(i, ("commit",))
        for _ in self.procs:
            status, payload = self._result()
            if status == "error":
                raise _failure(*payload)
            vocabulary.merge(payload)
        for proc in self.procs:
            proc.join()

    def _result(self):
        while True:
            try:
                return self.results.get(timeout=1)
            except Exception:  # queue.Empty
                self._check_alive()

    def _check_alive(self) -> None:
        try:
            status, payload = self.results.get_nowait()  # a writer that failed said why
        except Exception:  # queue.Empty
            status = None
        if status == "error":
            raise _failure(*payload)
        for proc in self.procs:
            if proc.exitcode not in (None, 0):
                raise BuildFailed(f"a shard writer stopped (exit code {proc.exitcode}); the live index is kept")

    def cancel(self) -> None:
        """Stops the shard processes (after a commit they have already ended)."""
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
        # Documents still buffered for a killed shard would keep the queue's feeder thread,
        # and so this process, waiting at exit: drop them.
        for queue in self.queues:
            queue.cancel_join_thread()


class _ShardWriter(SegmentWriter):
    """Whoosh's segment writer, with a plain list for its posting pool and each document's
    field lengths read once at commit.

    Whoosh's pool estimates the size of every posting it is given, to spill sorted runs to
    disk past a limit: a tenth of a shard's time, for runs a shard never needs (it writes
    at most SEGMENT_DOCS documents a segment). At commit, Whoosh asks the new segment for
    the length of each posting's field in its document, a seek and a read per posting: a
    third of a commit. The segment written is the same, byte for byte.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = _ListPool()

    def per_document_reader(self):
        return _LengthsOnce(super().per_document_reader())


class _ListPool:
    """The part of Whoosh's PostingPool a segment writer uses, all in memory: postings as
    `(field, term bytes, docnum, weight, value)`, given back sorted."""

    def __init__(self):
        self.postings: list[tuple] = []
        self.add = self.postings.append

    def iter_postings(self):
        return sorted(self.postings)

    def cleanup(self):
        self.postings.clear()


class _LengthsOnce:
    """A per-document reader whose `doc_field_length` reads each field's lengths once."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = [read(d, fieldname, default) for d in range(self._reader.doc_count_all())]
            self._lengths[fieldname] = lengths
        return lengths[docnum] if docnum < len(lengths) else default

    def __getattr__(self, name):
        return getattr(self._reader, name)


def die_with_parent(signal_number: int = signal.SIGKILL) -> None:
    """This process gets `signal_number` when its parent dies (prctl PR_SET_PDEATHSIG): a shard
    process must not outlive a build killed with SIGKILL, nor the applier its server."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal_number)
    except OSError:
        pass


def _shard_main(path: Path, fresh: bool, queue, results) -> None:
    die_with_parent()
    # The writer holds millions of small tuples (Whoosh's posting pool), none in a reference
    # cycle: the cyclic collector would walk them over and over (7% of a shard's time) to
    # free nothing. It runs once a segment instead, to free the committed writer.
    gc.disable()
    try:
        session = ShardSession(path, fresh)
        while True:
            item = queue.get()
            if item[0] == "commit":
                session.commit()
                results.put(("done", session.vocabulary.export()))
                return
            for op, payload in item:
                if op == "delete":
                    session.delete(payload)
                else:
                    session.put(*payload, replace=op == "update")
    except BaseException as e:
        results.put(("error", (getattr(e, "errno", None), traceback.format_exc(limit=3).strip().splitlines()[-1])))
        sys.exit(1)  # the build reports why, in one line; no traceback of this process on stderr


class ShardSession:
    """One shard's changes, written as new segments: each SEGMENT_DOCS documents added (or
    at `commit`) become a Whoosh segment and its own files; deletions go to Whoosh's table
    of contents. Segments already there are never rewritten."""

    def __init__(self, path: Path, fresh: bool):
        self.path = path
        self.ix = whoosh_io.create(path, make_schema()) if fresh else whoosh_io.open_index(path)
        self.vocabulary = LexiconBuilder()
        self.boosts = {name: self.ix.schema[name].format.field_boost for name in SEARCHED_FIELDS}
        self.segments: list[str] = []  # ids of the segments this session wrote
        self._writer, self._files = self._new_segment()

    def _new_segment(self) -> tuple[SegmentWriter, SegmentFilesWriter]:
        # compression=1: zlib's fastest level packs posting blocks within 2% of the default 3.
        return _ShardWriter(self.ix, codec=W3Codec(compression=1)), SegmentFilesWriter()

    def put(self, document: dict, entry: dict, replace: bool = True) -> None:
        """Adds an article (`document`: its stored and searched fields, see ingest.py; `entry`:
        its catalog entry); `replace` first deletes a version the shard already holds."""
        if self._files.documents >= SEGMENT_DOCS:
            self._commit()
            gc.collect()  # the committed writer's pool: Whoosh's objects hold cycles
            self._writer, self._files = self._new_segment()
        if replace:
            self.delete(document["id"])
        ready, split, terms = analyse_texts(document)
        self.vocabulary.add(split["title"] + split["body"] + split["tags"] + split["sources"])
        self._files.add_document({name: (self.boosts[name], found) for name, found in terms.items()}, entry)
        self._writer.add_document(**ready)

    def delete(self, article_id: str) -> None:
        """Deletes the shard's committed version of an article (a version put in this session
        is not looked at: callers send one operation per article).

        Found through each segment's own id table (segments.py), not Whoosh's `delete_by_term`,
        which opens a reader on every segment of the shard: most of a live write's time."""
        writer = self._writer
        for segment, offset in zip(writer.segments, writer._doc_offsets):
            local = _segment_files(self.path, segment.segment_id()).find(article_id)
            if local is not None and not segment.is_deleted(local):
                writer.delete_document(offset + local)

    def commit(self) -> None:
        self._commit()

    def cancel(self) -> None:
        if not self._writer.is_closed:
            self._writer.cancel()

    def _commit(self) -> None:
        """Commits the Whoosh writer (a new segment if documents were added; deletions in any
        case) and writes the new segment's own files. Nothing is merged here: segments keep
        the files written with them (live/merge.py merges, writing a segment's files anew)."""
        segment_id = self._writer.newsegment.segment_id()
        self._writer.commit(merge=False)
        if self._files.documents:
            self._files.write(self.path, segment_id)
            self.segments.append(segment_id)


# A writing process's segments, opened once (they never change): their id tables.
_OPENED: dict[str, SegmentFiles] = {}


def _segment_files(shard: Path, segment_id: str) -> SegmentFiles:
    found = _OPENED.get(segment_id)
    if found is None:
        found = SegmentFiles.load(shard, segment_id)
        if found is None:
            raise LookupError(f"{shard}: segment {segment_id} has no files of its own")
        if len(_OPENED) > 512:
            _OPENED.clear()
        _OPENED[segment_id] = found
    return found


def too_many_segments(path: Path) -> bool:
    """Whether a shard holds EXTRA_SEGMENTS more segments than a full build would give it."""
    sizes = segment_sizes(path)
    return len(sizes) >= math.ceil(sum(sizes.values()) / SEGMENT_DOCS) + EXTRA_SEGMENTS


def segment_sizes(path: Path) -> dict[str, int]:
    """Segment id -> document count (deleted ones included) of a shard's Whoosh index."""
    return {s.segment_id(): s.doc_count_all() for s in whoosh_io.read_toc(path).segments if s.doc_count_all()}


def _failure(error_number, summary: str) -> Exception:
    """The build's error for a shard writer's failure: a full disk says so."""
    if error_number in (errno.ENOSPC, errno.EDQUOT):
        return NoSpace("No space left on device while the index was written: the disk is full; "
                       "the live index is kept and the partial files are removed")
    return BuildFailed(f"a shard writer failed ({summary}); the live index is kept")

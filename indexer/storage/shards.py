"""Shards: a generation's Whoosh index split in parts written by parallel processes.

Whoosh analyses and writes in pure Python, so one writer uses one core. A generation is
written as `shards` Whoosh indexes, each by its own process; an article always goes to
the same shard (a hash of its id), so an incremental build updates it where it is.
Readers see the shards as one index through a MultiReader over their segments.
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

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.reading import MultiReader
from whoosh.writing import SegmentWriter

from indexer.errors import BuildFailed
from indexer.storage.generations import NoSpace
from indexer.storage.lexicon import LexiconBuilder
from indexer.schema import SEARCHED_FIELDS, analyse_texts, make_schema
from indexer.storage.segment_arrays import ArraysWriter, SegmentArrays

PREFIX = "shard-"
# A shard process commits a segment every SEGMENT_DOCS documents: its memory stays bounded
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


def shard_dirs(folder: Path, shards: int) -> list[Path]:
    return [folder / f"{PREFIX}{i}" for i in range(shards)]


def default_shards() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0))))


def open_arrays(folder: Path, shards: int) -> dict[str, SegmentArrays]:
    """Segment id -> posting arrays, for the segments of the generation's shards that have them."""
    found = {}
    for path in shard_dirs(folder, shards):
        for segment in SegmentArrays.segments(path):
            arrays = SegmentArrays.load(path, segment)
            if arrays is not None:
                found[segment] = arrays
    return found


def open_reader(folder: Path, shards: int):
    """One reader over every segment of every shard, in shard order (document numbers
    run through shard 0, then shard 1...)."""
    readers = [whoosh_index.open_dir(str(path)).reader() for path in shard_dirs(folder, shards)]
    # A shard may be empty (a small archive): it has no segment to read.
    leaves = [leaf for r in readers for leaf, _ in r.leaf_readers() if leaf.doc_count_all()]
    if not leaves:
        return readers[0]
    return leaves[0] if len(leaves) == 1 else MultiReader(leaves)


class ShardWriters:
    """The shard processes of one build: send them documents, then commit them all."""

    def __init__(self, folder: Path, shards: int, fresh: bool, lock_fd: int | None = None):
        """`lock_fd`: the build lock's descriptor, which the forked writers must not keep
        (a lock held by a writer would outlive a killed build for a moment)."""
        ctx = multiprocessing.get_context("fork")
        self.results = ctx.Queue()
        self.queues = [ctx.Queue(QUEUE_DEPTH) for _ in range(shards)]
        self.buffers: list[list] = [[] for _ in range(shards)]
        self.procs = [ctx.Process(target=_shard_main, daemon=True,
                                  args=(path, fresh, queue, self.results, lock_fd))
                      for path, queue in zip(shard_dirs(folder, shards), self.queues)]
        for proc in self.procs:
            proc.start()

    def send(self, article_id: str, op: str, payload) -> None:
        """`op` is "add", "update" (payload: the document) or "delete" (payload: the id)."""
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


def _die_with_parent() -> None:
    """A shard process must not outlive a build killed with SIGKILL (prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def _shard_main(path: Path, fresh: bool, queue, results, lock_fd: int | None) -> None:
    _die_with_parent()
    # The writer holds millions of small tuples (Whoosh's posting pool), none in a reference
    # cycle: the cyclic collector would walk them over and over (7% of a shard's time) to
    # free nothing. It runs once a segment instead, to free the committed writer.
    gc.disable()
    if lock_fd is not None:
        os.close(lock_fd)  # the lock belongs to the build process alone
    try:
        if fresh:
            path.mkdir()
            ix = whoosh_index.create_in(str(path), make_schema())
        else:
            ix = whoosh_index.open_dir(str(path))
        writer, arrays = _new_segment(ix)
        vocabulary = LexiconBuilder()
        boosts = {name: ix.schema[name].format.field_boost for name in SEARCHED_FIELDS}
        while True:
            item = queue.get()
            if item[0] == "commit":
                _commit(path, writer, arrays)
                results.put(("done", vocabulary.export()))
                return
            for op, payload in item:
                if arrays.documents >= SEGMENT_DOCS:
                    _commit(path, writer, arrays)
                    writer = arrays = None
                    gc.collect()  # the committed writer's pool: Whoosh's objects hold cycles
                    writer, arrays = _new_segment(ix)
                if op == "delete":
                    writer.delete_by_term("id", payload)
                    continue
                document, split, terms = analyse_texts(payload)
                vocabulary.add(split["title"] + split["body"] + split["tags"] + split["sources"])
                arrays.add_document({name: (boosts[name], found) for name, found in terms.items()})
                if op == "update":
                    writer.update_document(**document)
                else:
                    writer.add_document(**document)
    except BaseException as e:
        results.put(("error", (getattr(e, "errno", None), traceback.format_exc(limit=3).strip().splitlines()[-1])))
        sys.exit(1)  # the build reports why, in one line; no traceback of this process on stderr


def _new_segment(ix) -> tuple[SegmentWriter, ArraysWriter]:
    # compression=1: zlib's fastest level packs posting blocks within 2% of the default 3.
    return _ShardWriter(ix, codec=W3Codec(compression=1)), ArraysWriter()


def _commit(path: Path, writer, arrays: ArraysWriter) -> None:
    """Commits the shard's writer, and writes the posting arrays of the segment it made.

    Nothing is merged, so that every segment keeps the arrays written with it (build.py
    starts over in full once a shard holds too many segments)."""
    before = set(segment_sizes(path))
    writer.commit(merge=False)
    made = {segment: size for segment, size in segment_sizes(path).items() if segment not in before}
    if arrays.documents and list(made.values()) == [arrays.documents]:
        arrays.write(path, next(iter(made)))


def too_many_segments(path: Path) -> bool:
    """Whether a shard holds EXTRA_SEGMENTS more segments than a full build would give it."""
    sizes = segment_sizes(path)
    return len(sizes) >= math.ceil(sum(sizes.values()) / SEGMENT_DOCS) + EXTRA_SEGMENTS


def segment_sizes(path: Path) -> dict[str, int]:
    """Segment id -> document count (deleted ones included) of a shard's Whoosh index."""
    with whoosh_index.open_dir(str(path)).reader() as reader:
        return {leaf.segment().segment_id(): leaf.doc_count_all() for leaf, _ in reader.leaf_readers()
                if leaf.doc_count_all()}


def _failure(error_number, summary: str) -> Exception:
    """The build's error for a shard writer's failure: a full disk says so."""
    if error_number in (errno.ENOSPC, errno.EDQUOT):
        return NoSpace("No space left on device while the index was written: the disk is full; "
                       "the live index is kept and the partial files are removed")
    return BuildFailed(f"a shard writer failed ({summary}); the live index is kept")

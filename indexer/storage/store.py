"""Reading side of an index directory: the live generation, opened once and reused.

A server process keeps one IndexStore. Each call to `current()` costs one `stat` of
CURRENT; when a new generation is published (a build, or the live index applying pushed
writes every second or so), the next call opens it, and requests already running finish on
the old one. Opening a generation reads its shards' tables of contents and little else: its
segments are opened once per process (their files memory-mapped, their Whoosh reader kept)
and shared by every generation that lists them, and only the files a process has not seen
are checked against the manifest.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from math import log
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
from whoosh.reading import MultiReader

from indexer.errors import ArchiveSearchError, IndexMissing
from indexer.storage import generations, whoosh_io
from indexer.storage.columns import FACETS, Columns, new_dictionaries
from indexer.storage.lexicon import Vocabulary
from indexer.storage.segments import LENGTH_OF_CODE, SegmentFiles, term_key

T = TypeVar("T")

# BM25F's parameters, Whoosh's defaults: the search (search/scoring.py) scores with the same.
B = 0.75
K1 = 1.2


class IndexOutdated(IndexMissing):
    """The index was written by an older version: it must be rebuilt (`archive-search index --full`)."""

    code = "index_outdated"


class OpenedSegment:
    """One segment as a process opens it once: its files (segments.py) and its Whoosh reader,
    opened at once so that it reads on from its open file whatever happens to the folder.

    It also remembers the terms searches looked up in it: a live index publishes a generation
    every second or so, and each new generation then looks up a term only in its new segments."""

    POSTINGS_KEPT = 1_000_000  # postings remembered per segment (their length codes: 1 byte each)
    TERMS_KEPT = 2048          # and terms (each costs some 400 bytes of Python objects)

    def __init__(self, shard_dir: Path, schema, whoosh_segment):
        self.id = whoosh_segment.segment_id()
        files = SegmentFiles.load(shard_dir, self.id)
        if files is None:
            raise generations.CorruptGeneration(f"{shard_dir}: segment {self.id} has no files of its own")
        files.columns  # read now: the folder may go while the segment is still in use
        self.files = files
        self._reader = whoosh_io.segment_reader(shard_dir, schema, whoosh_segment)
        self._lock = threading.Lock()  # the reader reads through one file object
        self._terms: OrderedDict = OrderedDict()
        self._postings_kept = 0
        self._terms_lock = threading.Lock()

    def term(self, key: bytes, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The term's (`segments.term_key`) document numbers and weights in this segment
        (slices of the mapped arrays) and the codes of their `field` lengths
        (segments.LENGTH_OF_CODE decodes them); None when the segment lacks it."""
        with self._terms_lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        i = self.files.find_term(key)
        if i is None:
            return None
        ids, weights = self.files.slices(i)
        found = (ids, weights, self.files.length_codes(field, ids))
        with self._terms_lock:
            self._terms[key] = found
            self._postings_kept += len(ids)
            while len(self._terms) > 1 and (self._postings_kept > self.POSTINGS_KEPT
                                            or len(self._terms) > self.TERMS_KEPT):
                _, (dropped, _, _) = self._terms.popitem(last=False)
                self._postings_kept -= len(dropped)
        return found

    def stored_fields(self, docnum: int) -> dict:
        with self._lock:
            return self._reader.stored_fields(docnum)


class Part:
    """A segment as one generation lists it: where its documents start, which are deleted."""

    __slots__ = ("segment", "files", "offset", "count", "whoosh", "shard")

    def __init__(self, segment: OpenedSegment, offset: int, whoosh_segment, shard: Path):
        self.segment = segment
        self.files = segment.files
        self.offset = offset
        self.count = whoosh_segment.doc_count_all()
        self.whoosh = whoosh_segment  # its table-of-contents entry: the deletions
        self.shard = shard


class Generation:
    """One published, immutable index: its segments, their columns, its vocabulary."""

    def __init__(self, folder: Path, opened: dict[str, OpenedSegment] | None = None,
                 verified: set | None = None, dictionaries: dict | None = None):
        """`opened`: segments this process has opened already (reused, and new ones added);
        `verified`: the identities of files already checked against a manifest;
        `dictionaries`: the facet values numbered so far (columns.new_dictionaries)."""
        self.folder = folder
        self.name = folder.name
        # A truncated or damaged file must be found now, while a fallback can be chosen, not by
        # the searches that would read it (Whoosh opens a damaged segment and fails later).
        generations.verify(folder, verified=verified)
        self.meta = generations.read_meta(folder)
        if self.meta.get("layout") != generations.LAYOUT:
            raise IndexOutdated(f"{folder}: written by an older version of archive-search; "
                                "rebuild it with `archive-search index --full SOURCE`")
        self.shards = self.meta["shards"]
        opened = {} if opened is None else opened
        self.parts: list[Part] = []
        offset = 0
        for shard in generations.shard_dirs(folder, self.shards):
            toc = whoosh_io.read_toc(shard)
            self.schema = toc.schema
            for whoosh_segment in toc.segments:
                if not whoosh_segment.doc_count_all():
                    continue
                segment = opened.get(whoosh_segment.segment_id())
                if segment is None:
                    segment = opened[whoosh_segment.segment_id()] = OpenedSegment(shard, toc.schema, whoosh_segment)
                self.parts.append(Part(segment, offset, whoosh_segment, shard))
                offset += whoosh_segment.doc_count_all()
        self.size = offset
        self._starts = [p.offset for p in self.parts]
        live = np.ones(self.size, dtype=bool)
        for part in self.parts:
            deleted = list(part.whoosh.deleted_docs())
            if deleted:
                live[np.array(deleted, dtype=np.int64) + part.offset] = False
        self.columns = Columns.combine(live, [(p.files, p.offset) for p in self.parts],
                                       new_dictionaries() if dictionaries is None else dictionaries)
        self.live = self.columns.live
        self.articles = int(live.sum())
        self._totals: dict[str, float] = {}
        self._local = threading.local()
        # Read now (memory-mapped, shared with the last generation): a generation's folder may
        # be removed while a long request still reads it.
        self.lexicon = Vocabulary.load(folder)
        self._size_bytes: int | None = None

    # --- what the search reads -------------------------------------------------------------------------

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """A term's live documents (ascending), their weights and `field` lengths, and its
        document frequency (deleted documents included, as Whoosh counts it)."""
        key = term_key(field, text)
        id_parts, weight_parts, length_parts, offsets = [], [], [], []
        for part in self.parts:
            found = part.segment.term(key, field)
            if found is None:
                continue
            id_parts.append(found[0])
            weight_parts.append(found[1])
            length_parts.append(found[2])
            offsets.append(part.offset)
        if not id_parts:
            return _NO_POSTINGS
        counts = [len(p) for p in id_parts]
        frequency = sum(counts)
        ids = np.concatenate(id_parts) + np.repeat(np.array(offsets, dtype=np.int32), counts)
        weights = np.concatenate(weight_parts).astype(np.float64)
        lengths = LENGTH_OF_CODE[np.concatenate(length_parts)]
        live = self.live[ids]
        if not live.all():
            ids, weights, lengths = ids[live], weights[live], lengths[live]
        return ids, weights, lengths, frequency

    def doc_frequency(self, field: str, text: str) -> int:
        """Documents holding the term, deleted ones included (as Whoosh counts them), read from
        the arrays without going through the segments' term caches: related articles ask this
        of hundreds of terms that no search may ever ask for again."""
        return sum(part.files.doc_frequency(field, text) for part in self.parts)

    def idf(self, frequency: int) -> float:
        """Whoosh's inverse document frequency (scoring.WeightingModel.idf)."""
        return log(self.size / (frequency + 1)) + 1

    def avg_field_length(self, field: str) -> float:
        """As Whoosh: the field's total length over every document, deleted ones included."""
        total = self._totals.get(field)
        if total is None:
            total = self._totals[field] = sum(part.files.total(field) for part in self.parts)
        return total / (self.size or 1)

    def segments_of(self, docs: np.ndarray):
        """(part, its documents among `docs`, as local numbers) for each part holding some of
        `docs` (ascending global numbers)."""
        for part in self.parts:
            lo, hi = np.searchsorted(docs, [part.offset, part.offset + part.count])
            if hi > lo:
                yield part, docs[lo:hi] - part.offset

    def stored_fields(self, docnum: int) -> dict:
        part = self.parts[bisect_right(self._starts, docnum) - 1]
        return part.segment.stored_fields(docnum - part.offset)

    def find(self, article_id: str) -> int | None:
        """The live document of an article, or None."""
        for part in reversed(self.parts):  # an update lives in a later segment than the old version
            local = part.files.find(article_id)
            if local is not None and self.live[local + part.offset]:
                return local + part.offset
        return None

    def thread_cache(self, name: str, make: Callable[["Generation"], T]) -> T:
        """This thread's `name` object for this generation, made by `make(self)` on first use
        (the search keeps its posting lists there, see search/scoring.py)."""
        found = getattr(self._local, name, None)
        if found is None:
            found = make(self)
            setattr(self._local, name, found)
        return found

    # --- the index of record ---------------------------------------------------------------------------

    def whoosh_reader(self):
        """A Whoosh reader over this generation, deletions included: the index of record, for
        checks against Whoosh's own search (tests) and for tools."""
        leaves = [whoosh_io.segment_reader(part.shard, self.schema, part.whoosh) for part in self.parts]
        return leaves[0] if len(leaves) == 1 else MultiReader(leaves)

    def catalog(self) -> dict[str, dict]:
        """Article id -> catalog entry (content hash, facets, quoted sources) of the live documents."""
        found = {}
        for part in self.parts:
            for local, entry in enumerate(part.files.catalog(part.shard)):
                if self.live[local + part.offset]:
                    found[entry["id"]] = entry
        return found

    def info(self) -> dict:
        if self._size_bytes is None:  # a published generation never changes: measure it once
            try:
                self._size_bytes = generations.folder_size(self.folder)
            except OSError:  # removed meanwhile (a newer one is live): measured by the next
                pass
        return {
            "articles": self.articles,
            "generation": self.name,
            "built_at": self.meta["built_at"],
            "size_bytes": self._size_bytes,
            "segments": len(self.parts),
            "journal_seq": self.meta.get("journal_seq", 0),
        }


OPEN_ATTEMPTS = 20  # a reader outrun by as many publications while it opens one gives up

# Long-lived objects are frozen out of Python's full collections (a pause of 10-100 ms in some
# search otherwise). A generation is freed by reference counting when the next one replaces
# it; what cycles leave is collected at most every GC_EVERY seconds, not at every switch: a
# live index publishes a generation every second or so.
GC_EVERY = 30.0
_last_collect = 0.0


def _settle_garbage() -> None:
    global _last_collect
    now = time.monotonic()
    if now - _last_collect >= GC_EVERY:
        _last_collect = now
        gc.unfreeze()
        gc.collect()
    gc.freeze()


_NO_POSTINGS = (np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0), 0)


class IndexStore:
    """The live generation of an index directory, reopened when a new one is published."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._stamp = None
        self._generation: Generation | None = None
        self.degraded = False  # serving a fallback because the live generation is unreadable
        self._broken: set[str] = set()  # generations found unreadable: never tried again
        self._segments: dict[str, OpenedSegment] = {}
        self._verified: set = set()
        self._dictionaries = new_dictionaries()
        self._watching = False

    def current(self) -> Generation:
        stamp = self._current_stamp()
        if stamp is not None and stamp == self._stamp and self._generation is not None:
            return self._generation
        # While the watcher opens the new generation, a request answers from the one it has.
        waited = not (self._watching and self._generation is not None)
        if not self._lock.acquire(blocking=waited):
            return self._generation
        try:
            if stamp != self._stamp or self._generation is None:
                self._switch(stamp)
            return self._generation
        finally:
            self._lock.release()

    def _current_stamp(self):
        try:
            st = os.stat(self.index_dir / generations.CURRENT)
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    def _switch(self, stamp) -> None:
        """Opens the generation CURRENT names (called with the lock held)."""
        self._generation = self._open()
        self._stamp = stamp
        # Segments no generation of ours lists any more: closed once unreferenced, and their
        # facet spellings no longer counted.
        listed = {part.segment.id for part in self._generation.parts}
        for segment_id in [s for s in self._segments if s not in listed]:
            files = self._segments.pop(segment_id).files
            for name in FACETS:
                if name in files.facet_numbers:
                    self._dictionaries[name].forget(files.columns.values[name])
        _settle_garbage()

    def watch(self, every: float = 0.02) -> None:
        """Opens newly published generations in a background thread, ahead of the requests: a
        live index publishes a few times a second, and the request that noticed a new
        generation would otherwise wait for its opening. (A server worker calls this.)"""
        if self._watching:
            return
        self._watching = True

        def loop() -> None:
            while True:
                time.sleep(every)
                stamp = self._current_stamp()
                if stamp is None or stamp == self._stamp:
                    continue
                try:
                    with self._lock:
                        if stamp != self._stamp:
                            self._switch(stamp)
                except Exception:  # noqa: BLE001 - a request meets the error and reports it
                    time.sleep(1)

        threading.Thread(target=loop, name="generation-watcher", daemon=True).start()

    def _open(self) -> Generation:
        """The live generation, else the best fallback. A generation that vanished while it
        was being opened was replaced (a live index publishes a few a second, and removes the
        older ones): that is no damage, and the new live one is opened instead."""
        for _ in range(OPEN_ATTEMPTS):
            live = generations.read_current(self.index_dir)
            candidates = [live] if live else []
            candidates += generations.fallbacks(self.index_dir, live)
            outdated = None
            replaced = False
            for name in candidates:
                if name in self._broken:
                    continue
                try:
                    generation = Generation(self.index_dir / name, self._segments, self._verified,
                                            self._dictionaries)
                except IndexOutdated as e:
                    outdated = outdated or e
                    continue
                except Exception:  # noqa: BLE001 - any unreadable file means: try the previous one
                    if not (self.index_dir / name).is_dir() or generations.read_current(self.index_dir) != live:
                        replaced = True
                        break
                    self._broken.add(name)
                    if name == live:
                        generations.report_damage(self.index_dir, name)
                    continue
                self.degraded = name != live
                return generation
            if not replaced:
                break
        if outdated is not None:
            raise outdated
        raise IndexMissing(f"{self.index_dir}: no index yet (run `archive-search index SOURCE`)")

    def run(self, read: Callable[[], T]) -> T:
        """`read()` (a search, an article, completions) from the current generation; if it fails
        unexpectedly because the generation's files were damaged after it was opened, the
        generation is set aside and `read()` runs once more on the fallback.

        A failure of a sound generation (a bug) is raised as it is: it must not push the
        server onto an older index."""
        generation = self.current()
        try:
            return read()
        except ArchiveSearchError:
            raise
        except Exception:
            if not self.set_aside_if_damaged(generation):
                raise
        return read()

    def set_aside_if_damaged(self, generation: Generation) -> bool:
        """Checks every file of `generation` (no file trusted); if damaged, never serves it
        again and returns True."""
        try:
            generations.verify(generation.folder)
        except (generations.CorruptGeneration, OSError):
            pass
        else:
            return False
        generations.report_damage(self.index_dir, generation.name)
        with self._lock:
            self._broken.add(generation.name)
            # Segments of the damaged generation are opened again from the fallback's files.
            for part in generation.parts:
                self._segments.pop(part.segment.id, None)
            self._verified.clear()
            if self._generation is generation:
                self._generation = None
        return True

    def info(self) -> dict:
        info = self.current().info()
        info["degraded"] = self.degraded
        return info

"""Reading side of an index directory: the live generation, opened once and reused.

A server process keeps one IndexStore. Each call to `current()` costs one `stat` of
CURRENT; when a build has published a new generation, the next call opens it, and
requests already running finish on the old one. Searchers are kept one per thread,
because a Whoosh searcher caches and is not meant to be shared between threads.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Callable, TypeVar

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from indexer.storage import generations, shards
from indexer.errors import ArchiveSearchError, IndexMissing
from indexer.storage.columns import Columns
from indexer.storage.lexicon import Lexicon

T = TypeVar("T")

# BM25F's parameters, Whoosh's defaults: the search (search/scoring.py) scores with the same.
B = 0.75
K1 = 1.2


class Generation:
    """One published, immutable index: Whoosh index, facet columns, metadata."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = folder.name
        # A truncated or damaged file must be found now, while a fallback can be chosen, not by
        # the searches that would read it (Whoosh opens a damaged segment and fails later).
        generations.verify(folder)
        self.meta = generations.read_meta(folder)
        self.shards = self.meta["shards"]
        self._reader().close()  # fail now, not at the first search, if a shard cannot be opened
        self.columns = Columns.load(folder)
        self.arrays = shards.open_arrays(folder, self.shards)  # memory-mapped, shared by the threads
        self._local = threading.local()
        self._lexicon = None
        self._size: int | None = None

    def searcher(self):
        """This thread's Whoosh searcher (a searcher caches, and is not shared between threads)."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = Searcher(self._reader(), weighting=BM25F(B=B, K1=K1))
            self._local.searcher = s
        return s

    def thread_cache(self, name: str, make: Callable[["Generation"], T]) -> T:
        """This thread's `name` object for this generation, made by `make(self)` on first use
        (the search keeps its posting arrays there, see search/scoring.py)."""
        found = getattr(self._local, name, None)
        if found is None:
            found = make(self)
            setattr(self._local, name, found)
        return found

    def _reader(self):
        return shards.open_reader(self.folder, self.shards)

    @property
    def lexicon(self) -> Lexicon:
        """Loaded on first use: only prefixes, completions and corrections need it."""
        if self._lexicon is None:
            self._lexicon = Lexicon.load(self.folder)
            gc.freeze()  # see IndexStore.current
        return self._lexicon

    def info(self) -> dict:
        if self._size is None:  # a published generation never changes: measure it once
            self._size = generations.folder_size(self.folder)
        return {
            "articles": self.meta["articles"],
            "generation": self.name,
            "built_at": self.meta["built_at"],
            "size_bytes": self._size,
        }


class IndexStore:
    """The live generation of an index directory, reopened when a new one is published."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._stamp = None
        self._generation: Generation | None = None
        self.degraded = False  # serving a fallback because the live generation is unreadable
        self._broken: set[str] = set()  # generations found unreadable: never tried again

    def current(self) -> Generation:
        try:
            st = os.stat(self.index_dir / generations.CURRENT)
            stamp = (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if stamp is not None and stamp == self._stamp and self._generation is not None:
            return self._generation
        with self._lock:
            if stamp != self._stamp or self._generation is None:
                # A generation's objects (the lexicon's word lists, Whoosh's readers) live as
                # long as it is served: frozen, Python's full collections stop walking them
                # (a 10-50 ms pause in some search). Unfrozen at the next switch, so that the
                # old generation's objects can be collected.
                gc.unfreeze()
                self._generation = self._open()
                self._stamp = stamp
                gc.collect()
                gc.freeze()
            return self._generation

    def _open(self) -> Generation:
        live = generations.read_current(self.index_dir)
        candidates = [live] if live else []
        candidates += generations.fallbacks(self.index_dir, live)
        for name in candidates:
            if name in self._broken:
                continue
            try:
                generation = Generation(self.index_dir / name)
            except Exception:  # noqa: BLE001 - any unreadable file means: try the previous one
                self._broken.add(name)
                continue
            self.degraded = name != live
            return generation
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
        """Checks `generation`'s files; if damaged, never serves it again and returns True."""
        try:
            generations.verify(generation.folder)
        except generations.CorruptGeneration:
            pass
        except OSError:
            pass
        else:
            return False
        with self._lock:
            self._broken.add(generation.name)
            if self._generation is generation:
                self._generation = None
        return True

    def info(self) -> dict:
        info = self.current().info()
        info["degraded"] = self.degraded
        return info

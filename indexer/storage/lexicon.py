"""The archive's vocabulary: folded words, how many articles use each, and how the archive spells it.

It serves prefix queries (`numéri*`), completions and did-you-mean, so the index needs no
second, unstemmed copy of every text. A build writes it as sorted, memory-mapped arrays
(`lexicon.*.npy`): every worker reads the same pages, and opening it costs nothing. Live
writes (live/applier.py) add their words to a small delta beside it (`lexicon-delta.json`),
laid over the arrays, and folded into new arrays once it grows (or at the next build).

Counts are exact after a full build; incremental builds and live writes add the counts of
the articles they analyse and keep the rest, so counts may drift until the next `--full`
build. They only rank candidates, never decide what matches.
"""

from __future__ import annotations

import json
import os
import threading
from bisect import bisect_left
from collections import Counter
from pathlib import Path

import numpy as np
from whoosh.spelling import ListCorrector

from indexer.analysis import spelling

PREFIX = "lexicon."
_PARTS = ("words", "word_starts", "counts", "surfaces", "surface_starts")
DELTA = "lexicon-delta.json"
DELTA_LIMIT = 20_000  # words in a delta before it is folded into new arrays


def files(folder: Path) -> list[Path]:
    return [folder / f"{PREFIX}{part}.npy" for part in _PARTS]


class LexiconBuilder:
    """Counts the words of the articles a build analyses."""

    def __init__(self, previous: "Vocabulary | None" = None):
        self.counts: Counter = Counter()
        self.spellings: dict[str, Counter] = {}
        # Words as written, over every article added; folded into `spellings` once at the
        # end (an archive repeats its words: one fold per distinct spelling, not per article).
        self.written: Counter = Counter()
        self.folded: dict[str, str] = {}  # word as written -> folded, for the words seen
        if previous is not None:
            for word, count, surface in previous.items():
                self.counts[word] += count
                self.spellings.setdefault(word, Counter())[surface] += 1

    def export(self) -> tuple[Counter, dict[str, Counter]]:
        """What a shard process counted, to be merged by the build."""
        self._fold_written()
        return self.counts, self.spellings

    def merge(self, exported: tuple[Counter, dict[str, Counter]]) -> None:
        counts, spellings = exported
        self.counts.update(counts)
        for folded, forms in spellings.items():
            self.spellings.setdefault(folded, Counter()).update(forms)

    def add(self, written: list[str]) -> None:
        """Counts one article's words, as `words` split them (each folded word once for the
        article, each spelling as often as used). Set and Counter operations run in C: this
        is once per article of a build."""
        self.written.update(written)
        distinct = set(written)
        for word in distinct.difference(self.folded):  # (not `- keys()`: that walks the dict)
            self.folded[word] = spelling(word)[0]
        seen = set(map(self.folded.__getitem__, distinct))
        seen.discard("")  # words not worth suggesting (digits only)
        self.counts.update(seen)

    def _fold_written(self) -> None:
        for word, n in self.written.items():
            folded, surface = spelling(word)
            if folded:
                self.spellings.setdefault(folded, Counter())[surface] += n
        self.written.clear()

    def entries(self) -> dict[str, tuple[int, str]]:
        """folded word -> (articles, most used spelling)."""
        self._fold_written()
        return {w: (self.counts[w], self.spellings[w].most_common(1)[0][0]) for w in self.counts}

    def save(self, folder: Path) -> None:
        """Writes the vocabulary as the arrays of a generation (and no delta)."""
        write_arrays(folder, self.entries())

    def save_delta(self, folder: Path) -> None:
        """Writes the vocabulary as a generation's delta, laid over its arrays."""
        entries = self.entries()
        (folder / DELTA).write_text(json.dumps(entries, ensure_ascii=False, separators=(",", ":")),
                                    encoding="utf-8")


def write_arrays(folder: Path, entries: dict[str, tuple[int, str]]) -> None:
    words = sorted(entries)
    blobs = {"words": [w.encode("utf-8") for w in words],
             "surfaces": [entries[w][1].encode("utf-8") for w in words]}
    for name, blob in blobs.items():
        np.save(folder / f"{PREFIX}{name}.npy", np.frombuffer(b"".join(blob), dtype=np.uint8))
        lengths = np.fromiter(map(len, blob), dtype=np.int64, count=len(blob))
        starts = np.zeros(len(blob) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        np.save(folder / f"{PREFIX}{name[:-1]}_starts.npy", starts)
    np.save(folder / f"{PREFIX}counts.npy", np.array([entries[w][0] for w in words], dtype=np.int64))


class WordTable:
    """Sorted strings in a memory-mapped blob, as a read-only sequence (bisect works on it)."""

    def __init__(self, blob: np.ndarray, starts: np.ndarray):
        self._blob = memoryview(blob)
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __iter__(self):
        blob, starts = self._blob, self._starts.tolist()
        for i in range(len(starts) - 1):
            yield bytes(blob[starts[i]:starts[i + 1]]).decode("utf-8")

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return bytes(self._blob[int(self._starts[i]):int(self._starts[i + 1])]).decode("utf-8")


class Lexicon:
    """Sorted folded words with their article counts and surface spellings (any sequences)."""

    def __init__(self, words, counts, surfaces):
        self.words, self.surfaces = words, surfaces
        self.counts = np.asarray(counts, dtype=np.int64)
        self._corrector: ListCorrector | None = None
        self._corrector_lock = threading.Lock()

    def _index(self, folded: str) -> int | None:
        i = bisect_left(self.words, folded)
        return i if i < len(self.words) and self.words[i] == folded else None

    def count(self, folded: str) -> int:
        i = self._index(folded)
        return 0 if i is None else int(self.counts[i])

    def surface(self, folded: str) -> str | None:
        i = self._index(folded)
        return None if i is None else self.surfaces[i]

    def with_prefix(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """(-count, word) of the `limit` most used words starting with `prefix`."""
        start = bisect_left(self.words, prefix)
        end = bisect_left(self.words, prefix + "\U0010ffff", start)
        if end <= start:
            return []
        counts = self.counts[start:end]
        # Most used first, then in word order (the order of the table): a stable sort.
        order = np.argsort(-counts, kind="stable")[:limit]
        return [(-int(counts[i]), self.words[start + int(i)]) for i in order]

    def near(self, folded: str, distance: int) -> list[str]:
        if not len(self.words):
            return []  # (Whoosh's corrector fails on an empty list)
        with self._corrector_lock:
            if self._corrector is None:
                # Whoosh's corrector walks the words with thousands of bisections: over the
                # mapped table each would decode its words again (26 ms a correction), over a
                # list of str they run in C. So a process that corrects a query keeps the words
                # as a list (about 70 bytes a word), read once.
                self._corrector = ListCorrector(list(self.words) if isinstance(self.words, WordTable) else self.words)
        return [w for w in self._corrector.suggest(folded, limit=100, maxdist=distance, prefix=1) if w != folded]

    def items(self):
        for i in range(len(self.words)):
            yield self.words[i], int(self.counts[i]), self.surfaces[i]


class Vocabulary:
    """What the search reads: a generation's lexicon arrays and, laid over them, its delta."""

    def __init__(self, layers: list[Lexicon], delta: bytes | None = None):
        self._layers = layers
        self._delta = delta  # the delta's JSON, parsed on first use

    @classmethod
    def load(cls, folder: Path) -> "Vocabulary":
        """The arrays (mapped, shared between generations) and the delta's bytes: read now, as
        the generation's folder may go while a request still reads it; parsed when a search
        first needs the vocabulary (most do not)."""
        try:
            delta = (folder / DELTA).read_bytes()
        except FileNotFoundError:
            delta = None
        return cls([_arrays(folder)], delta)

    @property
    def layers(self) -> list[Lexicon]:
        if self._delta is not None:
            entries = json.loads(self._delta.decode("utf-8"))
            words = sorted(entries)
            if words:
                self._layers = self._layers + [Lexicon(words, [entries[w][0] for w in words],
                                                       [entries[w][1] for w in words])]
            self._delta = None
        return self._layers

    def count(self, folded: str) -> int:
        return sum(layer.count(folded) for layer in self.layers)

    def surface(self, folded: str) -> str:
        """The archive's most common spelling of a folded word (`numerique` -> `numérique`)."""
        for layer in reversed(self.layers):
            found = layer.surface(folded)
            if found is not None:
                return found
        return folded

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        """The `limit` most used words starting with `prefix`."""
        if len(self.layers) == 1:
            return [w for _, w in self.layers[0].with_prefix(prefix, limit)]
        found: Counter = Counter()
        for layer in self.layers:
            for negative, word in layer.with_prefix(prefix, limit):
                found[word] -= negative
        return [w for w, _ in sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]]

    def nearest(self, folded: str) -> list[str]:
        """The words nearest in edit distance (1, else 2 for longer words), most used first."""
        maxdist = 1 if len(folded) <= 4 else 2
        for distance in range(1, maxdist + 1):
            candidates = {w for layer in self.layers for w in layer.near(folded, distance)}
            if candidates:
                return sorted(candidates, key=lambda w: (self.count(w), w), reverse=True)
        return []

    def delta_size(self) -> int:
        return len(self.layers[1].words) if len(self.layers) > 1 else 0

    def items(self):
        """(word, articles, spelling) over every layer (a word of both: counts summed, the delta's spelling)."""
        if len(self.layers) == 1:
            yield from self.layers[0].items()
            return
        merged: dict[str, list] = {}
        for layer in self.layers:
            for word, count, surface in layer.items():
                entry = merged.setdefault(word, [0, surface])
                entry[0] += count
                entry[1] = surface
        for word, (count, surface) in merged.items():
            yield word, count, surface


# The arrays are the same files from one generation to the next (hard links): one opened
# table per file, whatever the number of generations that share it.
_OPENED: dict[tuple, Lexicon] = {}
_OPENED_LOCK = threading.Lock()


def _arrays(folder: Path) -> Lexicon:
    paths = {part: folder / f"{PREFIX}{part}.npy" for part in _PARTS}
    st = os.stat(paths["words"])
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _OPENED_LOCK:
        found = _OPENED.get(key)
        if found is None:
            parts = {part: np.load(path, mmap_mode="r") for part, path in paths.items()}
            found = Lexicon(WordTable(parts["words"], parts["word_starts"]), parts["counts"],
                            WordTable(parts["surfaces"], parts["surface_starts"]))
            if len(_OPENED) > 8:  # the lexicons of generations long gone
                _OPENED.clear()
            _OPENED[key] = found
        return found


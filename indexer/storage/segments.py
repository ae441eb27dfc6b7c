"""A segment's own files, beside the Whoosh segment they describe: what the search reads.

Whoosh keeps a term's postings in blocks, each a compressed pickle of the block's document
numbers, weights *and positions*: to learn which documents hold a common word, a search
unpickles every position of it. So whoever writes a segment (a shard process, the applier,
a merge) also writes, for that segment only, in `<shard>/arrays/<segment id>.<part>`:

- postings: each term's document numbers, weights, occurrences and positions as flat
  arrays (`keys`, `key_starts`, `starts`, `ids`, `weights`, `occurrences`, `position_starts`,
  `positions`), memory-mapped by every worker: reading a term is a binary search and a few
  slices, a phrase a few array operations (search/scoring.py);
- `lengths`: each document's length in each searched field, as Whoosh stores it (one byte,
  Whoosh's logarithmic code), and `totals`, each field's exact total: BM25F's statistics;
- `ids` of articles, sorted, with their document numbers (`idkeys`, `idstarts`, `iddocs`);
- `columns.npz` and `values.json`: dates and facet values (storage/columns.py);
- `catalog.json`: each document's article id and catalog entry (content hash, quoted
  sources...), which builds and merges read.

Segments never change once written: a generation that keeps a segment hard-links these
files, and every worker keeps one opened `SegmentFiles` per segment, whatever the number of
generations that list it. Deleted documents stay in the files; the generation's live mask
(from Whoosh's table of contents) drops them. tests/test_segment_arrays.py checks every
part against Whoosh's own postings, lengths and statistics.
"""

from __future__ import annotations

import json
import threading
from array import array
from itertools import chain, repeat
from pathlib import Path

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.schema import SEARCHED_FIELDS
from indexer.storage import columns as columns_mod
from indexer.storage import packed

FOLDER = "arrays"
ARRAYS = "arrays"
VALUES = "values.json"
CATALOG = "catalog.json"

# Whoosh's one-byte length code -> the length it stands for (what doc_field_length returns).
LENGTH_OF_CODE = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)
SMALL_SEGMENT = 2000  # documents: up to this, a segment looks its terms up in a hash
_FIELD_NUMBER = {name: i for i, name in enumerate(SEARCHED_FIELDS)}


def _key(field: str, text: str) -> str:
    # "\x00" sorts before any character of a field name: each field's terms stay together.
    return f"{field}\x00{text}"


def term_key(field: str, text: str) -> bytes:
    """A term as a segment's files look it up (made once per query term, not per segment)."""
    return _key(field, text).encode("utf-8")


def segment_ids(shard_dir: Path) -> list[str]:
    """The ids of the segments that have files in a shard folder."""
    return sorted(p.name.split(".")[0] for p in (shard_dir / FOLDER).glob(f"*.{ARRAYS}"))


def files_of(shard_dir: Path, segment_id: str) -> list[Path]:
    return sorted((shard_dir / FOLDER).glob(f"{segment_id}.*"))


class SegmentFilesWriter:
    """Collects the documents one Whoosh writer adds (numbered from 0, as in the segment its
    commit makes), then writes their files for that segment.

    Postings are collected as flat lists (terms, occurrences, documents) extended in C, and
    grouped by term with NumPy at the end: a dict of lists per term costs twice the time."""

    def __init__(self):
        # field -> (boost, terms, occurrences, document numbers, positions): one entry per
        # posting, the positions of each posting one after the other (numbers as C ints:
        # 18 million postings and 40 million positions a shard at 100k articles)
        self._fields: dict[str, tuple[float, list[str], array, array, array]] = {}
        self._lengths = [array("B") for _ in SEARCHED_FIELDS]
        self._totals = [0] * len(SEARCHED_FIELDS)
        self.entries: list[dict] = []  # catalog entries, with their "id"

    @property
    def documents(self) -> int:
        return len(self.entries)

    def add_document(self, fields: dict[str, tuple[float, dict[str, list[int]]]], entry: dict) -> None:
        """`fields`: field name -> (the field's boost, its terms with their positions), the
        document's terms as Whoosh indexes them (weight: occurrences times the boost);
        `entry`: the article's catalog entry, with its `id`."""
        docnum = len(self.entries)
        for i, name in enumerate(SEARCHED_FIELDS):
            found = fields.get(name)
            length = sum(map(len, found[1].values())) if found else 0
            self._lengths[i].append(length_to_byte(length))  # as Whoosh's per-document lengths
            self._totals[i] += length                          # as Whoosh's field totals
        for field, (boost, terms) in fields.items():
            entry_ = self._fields.get(field)
            if entry_ is None:
                entry_ = self._fields[field] = (boost, [], array("i"), array("i"), array("i"))
            entry_[1].extend(terms)
            entry_[2].extend(map(len, terms.values()))
            entry_[3].extend(repeat(docnum, len(terms)))
            entry_[4].extend(chain.from_iterable(terms.values()))
        self.entries.append(entry)

    def write(self, shard_dir: Path, segment_id: str) -> None:
        folder = shard_dir / FOLDER
        folder.mkdir(exist_ok=True)
        parts = self._postings()
        parts["lengths"] = np.array([np.frombuffer(a, dtype=np.uint8) for a in self._lengths], dtype=np.uint8) \
            .reshape(len(SEARCHED_FIELDS), self.documents)
        parts["totals"] = np.array(self._totals, dtype=np.float64)
        ids = [e["id"] for e in self.entries]
        order = sorted(range(len(ids)), key=ids.__getitem__)
        id_bytes = [ids[i].encode("utf-8") for i in order]
        parts["idkeys"] = np.frombuffer(b"".join(id_bytes), dtype=np.uint8)
        parts["idstarts"] = _starts(np.fromiter(map(len, id_bytes), dtype=np.int64, count=len(id_bytes)))
        parts["iddocs"] = np.array(order, dtype=np.int32)
        column_arrays, values = columns_mod.segment_columns(self.entries)
        packed.write(folder / f"{segment_id}.{ARRAYS}", {**parts, **column_arrays})
        (folder / f"{segment_id}.{VALUES}").write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
        (folder / f"{segment_id}.{CATALOG}").write_text(
            json.dumps(self.entries, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    def _postings(self) -> dict[str, np.ndarray]:
        keys: list[bytes] = []
        counts, ids, weights, occurrence_parts, position_parts = [], [], [], [], []
        for field in sorted(self._fields):  # "\x00" after the name: keys sort by field, then term
            boost, terms, occurrences, documents, positions = self._fields[field]
            unique = sorted(dict.fromkeys(terms))  # code point order: the order of their UTF-8 bytes
            code_of = {term: i for i, term in enumerate(unique)}
            codes = np.fromiter(map(code_of.__getitem__, terms), dtype=np.int64, count=len(terms))
            order = np.argsort(codes, kind="stable")  # stable: documents stay ascending in a term
            keys.extend(_key(field, term).encode("utf-8") for term in unique)
            counts.append(np.bincount(codes, minlength=len(unique)))
            ids.append(np.frombuffer(documents, dtype=np.int32)[order])
            occurrences = np.frombuffer(occurrences, dtype=np.int32)
            # As Whoosh: occurrences times the field's boost.
            weights.append(occurrences[order].astype(np.float32) * np.float32(boost))
            occurrence_parts.append(occurrences[order])
            position_parts.append(_regrouped(np.frombuffer(positions, dtype=np.int32), occurrences, order))
        parts = {
            "keys": np.frombuffer(b"".join(keys), dtype=np.uint8),
            "key_starts": _starts(np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))),
            "starts": _starts(np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)),
            "ids": np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32),
            "weights": np.concatenate(weights) if weights else np.zeros(0, dtype=np.float32),
            "occurrences": np.concatenate(occurrence_parts) if occurrence_parts else np.zeros(0, dtype=np.int32),
            "positions": np.concatenate(position_parts) if position_parts else np.zeros(0, dtype=np.int32),
        }
        # Where each term's positions start: a term's postings, then the sum of their occurrences.
        parts["position_starts"] = _starts(parts["occurrences"])[parts["starts"]]
        return parts


def _regrouped(positions: np.ndarray, occurrences: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The postings' runs of positions (`occurrences[i]` for posting i, one after the other),
    rearranged into the postings' new `order`."""
    source = _starts(occurrences)
    lengths = occurrences[order]
    target = _starts(lengths)
    # Each position of the new layout, taken from its run's start in the old one.
    gather = np.arange(target[-1]) + np.repeat(source[:-1][order] - target[:-1], lengths)
    return positions[gather]


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each of consecutive runs of these lengths starts, and the end of the last."""
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return starts


class _SortedKeys:
    """A sorted table of byte strings, memory-mapped (`keys` one after the other, `starts`)."""

    def __init__(self, keys: np.ndarray, starts: np.ndarray):
        self._keys = memoryview(keys)
        self._starts = starts.tolist()  # Python ints: the bisection below reads them often

    def find(self, wanted: bytes) -> int | None:
        starts, keys = self._starts, self._keys
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # bisect over the sorted keys, read from the mapped bytes
            mid = (lo + hi) // 2
            if bytes(keys[starts[mid]:starts[mid + 1]]) < wanted:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(starts) - 1 or bytes(keys[starts[lo]:starts[lo + 1]]) != wanted:
            return None
        return lo


class SegmentFiles:
    """One segment's files, memory-mapped (columns and values read once, they are small)."""

    def __init__(self, shard_dir: Path, segment_id: str, parts: dict[str, np.ndarray]):
        self.shard_dir = shard_dir
        self.segment_id = segment_id
        self._terms = _SortedKeys(parts["keys"], parts["key_starts"])
        self._term_index: dict[bytes, int] | None = None
        self._starts = parts["starts"]
        self._ids = parts["ids"]
        self._weights = parts["weights"]
        self._occurrences = parts["occurrences"]
        self._position_starts = parts["position_starts"]
        self._positions = parts["positions"]
        self.lengths = parts["lengths"]  # uint8 [field, document]: Whoosh's length codes
        self.totals = parts["totals"]    # float64 [field]
        self.documents = self.lengths.shape[1]
        self._articles = _SortedKeys(parts["idkeys"], parts["idstarts"])
        self._article_docs = parts["iddocs"]
        self._parts = parts
        self._columns: columns_mod.SegmentColumns | None = None
        self.facet_numbers: dict[str, np.ndarray] = {}  # this process's value numbers (columns.py)
        self._catalog: list[dict] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, shard_dir: Path, segment_id: str) -> "SegmentFiles | None":
        """The segment's files, or None when it has none (a segment written by another tool)."""
        try:
            parts = packed.read(shard_dir / FOLDER / f"{segment_id}.{ARRAYS}")
        except FileNotFoundError:
            return None
        return cls(shard_dir, segment_id, parts)

    @property
    def columns(self) -> columns_mod.SegmentColumns:
        """Dates and facets (their values read on first use: a writer that only looks ids up
        never needs them). A reader asks for them when it opens the segment."""
        with self._lock:
            if self._columns is None:
                path = self.shard_dir / FOLDER / f"{self.segment_id}.{VALUES}"
                self._columns = columns_mod.SegmentColumns.of(self._parts, json.loads(path.read_text(encoding="utf-8")))
            return self._columns

    def find_term(self, key: bytes) -> int | None:
        """The number of a term (`term_key`) in this segment, or None. A small segment (a live
        write's, a merge of a few) keeps its terms in a hash, built on first use: most terms a
        query looks for are absent from it, and a search looks in every segment."""
        if self.documents > SMALL_SEGMENT:
            return self._terms.find(key)
        index = self._term_index
        if index is None:
            keys, starts = bytes(self._terms._keys), self._terms._starts
            index = self._term_index = {keys[starts[i]:starts[i + 1]]: i for i in range(len(starts) - 1)}
        return index.get(key)

    def slices(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Term number `i`'s document numbers (ascending) and weights."""
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        return self._ids[a:b], self._weights[a:b]

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers in the segment (ascending) and weights; empty if absent."""
        i = self._terms.find(_key(field, text).encode("utf-8"))
        if i is None:
            return _EMPTY
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        return self._ids[a:b], self._weights[a:b]

    def doc_frequency(self, field: str, text: str) -> int:
        """Documents holding the term, deleted ones included (as Whoosh counts them)."""
        i = self._terms.find(_key(field, text).encode("utf-8"))
        return 0 if i is None else int(self._starts[i + 1] - self._starts[i])

    def positions(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The term's document numbers, its occurrences in each, and its positions (those of
        the first document, then of the second...); empty if absent."""
        i = self._terms.find(_key(field, text).encode("utf-8"))
        if i is None:
            return _EMPTY[0], _EMPTY[0], _EMPTY[0]
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        c, d = int(self._position_starts[i]), int(self._position_starts[i + 1])
        return self._ids[a:b], self._occurrences[a:b], self._positions[c:d]

    def field_lengths(self, field: str, docs: np.ndarray) -> np.ndarray:
        """The lengths of `field` in documents `docs` (local numbers), as Whoosh stores them."""
        return LENGTH_OF_CODE[self.length_codes(field, docs)]

    def length_codes(self, field: str, docs: np.ndarray) -> np.ndarray:
        """Whoosh's one-byte codes of those lengths."""
        return self.lengths[_FIELD_NUMBER[field]][docs]

    def total(self, field: str) -> float:
        return float(self.totals[_FIELD_NUMBER[field]])

    def find(self, article_id: str) -> int | None:
        """The document number of an article in this segment (deleted or not), or None."""
        i = self._articles.find(article_id.encode("utf-8"))
        return None if i is None else int(self._article_docs[i])

    def catalog(self, shard_dir: Path | None = None) -> list[dict]:
        """Each document's catalog entry (with its "id"), in document order; read on first use,
        from `shard_dir` (a generation that lists the segment now) or where it was opened."""
        with self._lock:
            if self._catalog is None:
                path = (shard_dir or self.shard_dir) / FOLDER / f"{self.segment_id}.{CATALOG}"
                self._catalog = json.loads(path.read_text(encoding="utf-8"))
            return self._catalog


_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))

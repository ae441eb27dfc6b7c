"""Posting arrays beside each Whoosh segment: a term's documents, weights and positions in slices.

Whoosh keeps a term's postings in blocks, each a compressed pickle of the block's document
numbers, weights *and positions*: to learn which documents hold a common word, a search
unpickles every position of it too, most of a first search's time, and a phrase decodes
positions one document at a time. So when a shard process writes a segment, it also writes
each term's document numbers, weights, occurrences and positions as flat arrays
(`arrays/<segment id>.<part>.npy`), which every worker memory-maps: reading a term is then
a binary search and a few slices, and a phrase is a few array operations (scoring.py).

The Whoosh index stays complete and authoritative: results read stored fields from it, and
a segment without arrays (merged by Whoosh, or written by another tool) is read through
Whoosh (postings.py). Deleted documents stay in the arrays;
the search drops them with the generation's live mask. tests/test_segment_arrays.py checks
the arrays against Whoosh's own postings.
"""

from __future__ import annotations

from array import array
from itertools import chain, repeat
from pathlib import Path

import numpy as np

FOLDER = "arrays"
_PARTS = ("keys", "key_starts", "starts", "ids", "weights", "occurrences", "position_starts", "positions")


def _key(field: str, text: str) -> str:
    # "\x00" sorts before any character of a field name: each field's terms stay together.
    return f"{field}\x00{text}"


class ArraysWriter:
    """Collects the postings of the documents one Whoosh writer adds (numbered from 0, as in
    the segment the writer's commit makes), then writes them for that segment.

    Postings are collected as flat lists (terms, occurrences, documents) extended in C, and
    grouped by term with NumPy at the end: a dict of lists per term costs twice the time."""

    def __init__(self):
        # field -> (boost, terms, occurrences, document numbers, positions): one entry per
        # posting, the positions of each posting one after the other (numbers as C ints:
        # 18 million postings and 40 million positions a shard at 100k articles)
        self._fields: dict[str, tuple[float, list[str], array, array, array]] = {}
        self.documents = 0

    def add_document(self, fields: dict[str, tuple[float, dict[str, list[int]]]]) -> None:
        """`fields`: field name -> (the field's boost, its terms with their positions), the
        document's terms as Whoosh indexes them (weight: occurrences times the boost)."""
        for field, (boost, terms) in fields.items():
            entry = self._fields.get(field)
            if entry is None:
                entry = self._fields[field] = (boost, [], array("i"), array("i"), array("i"))
            entry[1].extend(terms)
            entry[2].extend(map(len, terms.values()))
            entry[3].extend(repeat(self.documents, len(terms)))
            entry[4].extend(chain.from_iterable(terms.values()))
        self.documents += 1

    def write(self, shard_dir: Path, segment_id: str) -> None:
        folder = shard_dir / FOLDER
        folder.mkdir(exist_ok=True)
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
        for name, array in parts.items():
            np.save(folder / f"{segment_id}.{name}.npy", array)


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


class SegmentArrays:
    """One segment's arrays, memory-mapped."""

    def __init__(self, parts: dict[str, np.ndarray]):
        self._keys = memoryview(parts["keys"])
        self._key_starts = parts["key_starts"].tolist()  # Python ints: the search below reads them often
        self._starts = parts["starts"]
        self._ids = parts["ids"]
        self._weights = parts["weights"]
        self._occurrences = parts["occurrences"]
        self._position_starts = parts["position_starts"]
        self._positions = parts["positions"]

    @staticmethod
    def segments(shard_dir: Path) -> list[str]:
        """The ids of the segments that have arrays in a shard (segments are never merged
        away, so each is one of the shard's)."""
        return sorted(p.name.split(".")[0] for p in (shard_dir / FOLDER).glob("*.ids.npy"))

    @classmethod
    def load(cls, shard_dir: Path, segment_id: str) -> "SegmentArrays | None":
        """The segment's arrays, or None when it has none (then Whoosh is read)."""
        paths = {name: shard_dir / FOLDER / f"{segment_id}.{name}.npy" for name in _PARTS}
        if not all(p.exists() for p in paths.values()):
            return None
        return cls({name: np.load(path, mmap_mode="r") for name, path in paths.items()})

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers in the segment (ascending) and weights; empty if absent."""
        i = self._find(field, text)
        if i is None:
            return _EMPTY
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        return self._ids[a:b], self._weights[a:b]

    def positions(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The term's document numbers, its occurrences in each, and its positions (those of
        the first document, then of the second...); empty if absent."""
        i = self._find(field, text)
        if i is None:
            return _EMPTY[0], _EMPTY[0], _EMPTY[0]
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        c, d = int(self._position_starts[i]), int(self._position_starts[i + 1])
        return self._ids[a:b], self._occurrences[a:b], self._positions[c:d]

    def _find(self, field: str, text: str) -> int | None:
        wanted = _key(field, text).encode("utf-8")
        starts, keys = self._key_starts, self._keys
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


_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))

"""Per-document columns: liveness, dates and facet values as compact arrays.

Each segment writes its own columns (in its packed arrays: dates, and per facet the (document,
value) pairs; `<segment>.values.json`: the values, numbered within the segment).
A generation puts its segments' columns end to end, numbering each facet's values once per
process: a worker keeps one append-only dictionary per facet, so a value keeps its number
across generations and a new generation only numbers what its new segments bring.
Counting a facet is then one NumPy `bincount` over the matching documents (search/facets.py).
Each dictionary also keeps its values in key order (a rank per number, so "count desc, then
value" is one integer key per value) and in the order of their words' folded suffixes (value
search by prefix): both are brought up to date when values were added, not per query.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analysis import fold, normalize, word_list

FACETS = ("tag", "category", "source", "year", "author")


def facet_key(value: str) -> str:
    """One key for every spelling of a value: `Fevad`, `FEVAD` and `fevad` are one facet value."""
    return fold(value) or value.strip().lower()


def facet_values(entry: dict) -> dict[str, list[str]]:
    """The facet values of one catalog entry (see build.py)."""
    date = entry.get("date") or ""
    return {
        "tag": entry.get("tags") or [],
        "category": entry.get("categories") or [],
        "source": entry.get("sources") or [],
        "year": [date[:4]] if len(date) >= 4 else [],
        "author": [entry["author"]] if entry.get("author") else [],
    }


def value_words(value: str) -> list[str]:
    """The folded words of a facet value (`Institut national` -> ["institut", "national"]): what a
    value search matches its prefix against."""
    return [w for w in (fold(word) for word in word_list(normalize(value))) if w]


def date_number(date: str) -> int:
    """`2015-03-28` -> 20150328, 0 when unknown: sortable and comparable as an integer."""
    digits = date.replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


# --- one segment ----------------------------------------------------------------------------------------

def segment_columns(entries: list[dict]) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """The columns of a segment whose documents have these catalog entries, in order: its arrays
    (dates, and each facet's documents and value codes) and each facet's values."""
    dates = np.fromiter((date_number(e.get("date") or "") for e in entries), dtype=np.int32, count=len(entries))
    arrays = {"dates": dates}
    values = {}
    for name in FACETS:
        number: dict[str, int] = {}
        spellings: list[Counter] = []
        docs, codes = [], []
        for docnum, entry in enumerate(entries):
            for value in facet_values(entry)[name]:
                key = facet_key(value)
                code = number.get(key)
                if code is None:
                    code = number[key] = len(spellings)
                    spellings.append(Counter())
                spellings[code][value] += 1
                docs.append(docnum)
                codes.append(code)
        arrays[f"{name}_docs"] = np.array(docs, dtype=np.int32)
        arrays[f"{name}_codes"] = np.array(codes, dtype=np.int32)
        # Per value: its key, and its spellings with how many documents use each.
        values[name] = [[key, dict(spellings[code])] for key, code in number.items()]
    return arrays, values


@dataclass
class SegmentColumns:
    dates: np.ndarray                                 # int32 per document
    facets: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (documents, value codes), int32
    values: dict[str, list]                           # name -> [[key, {spelling: documents}], ...]

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray], values: dict[str, list]) -> "SegmentColumns":
        """From a segment's packed arrays (see `segment_columns`) and its values."""
        facets = {name: (arrays[f"{name}_docs"], arrays[f"{name}_codes"]) for name in FACETS}
        return cls(arrays["dates"], facets, values)


# --- a process's value numbering ------------------------------------------------------------------------

class FacetDictionary:
    """One facet's values as a reader numbers them: append-only, so numbers never change.
    Each value is shown in its most common spelling among the segments open (the first in
    sorting order among equals), so the same articles show the same spellings."""

    def __init__(self):
        self.values: list[str] = []      # display spelling of each number
        self.index: dict[str, int] = {}  # key -> number
        self._spellings: list[Counter] = []
        self._key_of: list[str] = []     # number -> key, once the value is shown
        # Orders derived from the values, brought up to date when values were added (`_sync_*`).
        self._order_lock = threading.Lock()
        self._synced = 0                       # numbers 0.._synced-1 are in _keys and _order
        self._keys: list[str] = []             # every key, sorted
        self._order = np.zeros(0, dtype=np.int32)  # the number of each of _keys
        self._suffixes_synced = 0              # numbers in _suffixes
        self._suffixes: list[str] = []         # " ".join(words[i:]) for each word i of each value, sorted
        self._suffix_numbers: list[int] = []   # the number of each of _suffixes

    def numbers(self, segment_values: list) -> np.ndarray:
        """The numbers of a segment's values (in the segment's order), new ones added, and
        the segment's spellings counted."""
        out = np.empty(len(segment_values), dtype=np.int32)
        for i, (key, spellings) in enumerate(segment_values):
            number = self.index.get(key)
            new = number is None
            if new:
                number = self.index[key] = len(self.values)
                self._spellings.append(Counter())
                self.values.append(key)
            self._spellings[number].update(spellings)
            self._show(number)
            if new:  # last: `_sync` takes a value in once it has its spelling
                self._key_of.append(key)
            out[i] = number
        return out

    def forget(self, segment_values: list) -> None:
        """A segment no longer open: its spellings stop counting."""
        for key, spellings in segment_values:
            number = self.index.get(key)
            if number is not None:
                self._spellings[number].subtract(spellings)
                self._show(number)

    def key_order(self) -> np.ndarray:
        """Every number, in the order of their keys (int32): ties in count are broken by it."""
        with self._order_lock:
            self._sync_keys()
            return self._order

    def with_key_prefix(self, prefix: str) -> list[int]:
        """Numbers of the values whose key starts with `prefix` (a facet_key), in key order."""
        with self._order_lock:
            self._sync_keys()
            lo = bisect_left(self._keys, prefix)
            hi = bisect_left(self._keys, prefix + "\U0010ffff", lo)
            return self._order[lo:hi].tolist()

    def with_word_prefix(self, prefix: str) -> np.ndarray:
        """Numbers of the values having words that start as `prefix`'s words do (folded: case and
        accents never matter; every word but the last whole): `stat`, `institut nat` and `INSEE`
        all find `Institut national de la statistique (INSEE)`. An empty prefix: every value."""
        words = value_words(prefix)
        with self._order_lock:
            self._sync_suffixes()
            if not words:
                return np.arange(self._suffixes_synced, dtype=np.int64)
            wanted = " ".join(words)
            lo = bisect_left(self._suffixes, wanted)
            hi = bisect_left(self._suffixes, wanted + "\U0010ffff", lo)
            found = self._suffix_numbers[lo:hi]
        return np.unique(np.array(found, dtype=np.int64))

    # The orders take in the values numbered since they were last brought up to date: many at once
    # (a first generation) by sorting everything again, a few (a live update's new tag) by insertion.
    # Called with `_order_lock` held.

    def _sync_keys(self) -> None:
        count = len(self._key_of)
        if self._synced == count:
            return
        new = [(self._key_of[n], n) for n in range(self._synced, count)]
        if len(new) > 64:
            key_of = self._key_of
            order = sorted(range(count), key=key_of.__getitem__)  # keys are distinct
            self._keys = [key_of[n] for n in order]
            self._order = np.array(order, dtype=np.int32)
        else:
            order = self._order
            for key, number in new:
                i = bisect_left(self._keys, key)
                self._keys.insert(i, key)
                order = np.insert(order, i, number)
            self._order = order
        self._synced = count

    def _sync_suffixes(self) -> None:
        """The value search's order, made at the first value search (a count never needs it)."""
        count = len(self._key_of)
        if self._suffixes_synced == count:
            return
        new = []
        for number in range(self._suffixes_synced, count):
            words = value_words(self.values[number]) or [self._key_of[number]]
            new += [(" ".join(words[i:]), number) for i in range(len(words))]
        if len(new) > 64:
            pairs = sorted([*zip(self._suffixes, self._suffix_numbers), *new])
            self._suffixes, self._suffix_numbers = [k for k, _ in pairs], [n for _, n in pairs]
        else:
            for text, number in new:
                i = bisect_left(self._suffixes, text)
                self._suffixes.insert(i, text)
                self._suffix_numbers.insert(i, number)
        self._suffixes_synced = count

    def _show(self, number: int) -> None:
        counts = self._spellings[number]
        best = min((s for s, n in counts.items() if n > 0), key=lambda s: (-counts[s], s), default=None)
        if best is not None:
            self.values[number] = best


def new_dictionaries() -> dict[str, FacetDictionary]:
    return {name: FacetDictionary() for name in FACETS}


class FacetColumn:
    """One facet over a generation: (document, value number) pairs; numbers from the process's
    FacetDictionary (`values`, `index`). For counting, the values this generation holds are
    numbered again in the order of their keys (`numbers`: local number -> value number), so that
    "count desc, then value" needs no sort of the values (search/facets.py); made at the first
    count, in array operations over the generation's values."""

    def __init__(self, dictionary: FacetDictionary, docs: np.ndarray, value_ids: np.ndarray):
        self.dictionary = dictionary
        self.values = dictionary.values
        self.index = dictionary.index
        self.docs = docs
        self.value_ids = value_ids
        self._present: np.ndarray | None = None
        self._local: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    def mask(self, selected: list[str], size: int) -> np.ndarray:
        """Documents having any of the selected values (values of one facet are ORed)."""
        wanted = [self.index[k] for k in {facet_key(v) for v in selected} if k in self.index]
        hit = np.isin(self.value_ids, wanted)
        mask = np.zeros(size, dtype=bool)
        mask[self.docs[hit]] = True
        return mask

    def _locals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local number of each pair, value number of each local number, local number of each
        value number or -1)."""
        found = self._local
        if found is None:
            with self._lock:
                if self._local is None:
                    present = self.present()
                    order = self.dictionary.key_order()
                    held = order[order < len(present)]
                    numbers = held[present[held]]
                    local = np.full(len(present), -1, dtype=np.int32)
                    local[numbers] = np.arange(len(numbers), dtype=np.int32)
                    self._local = (local[self.value_ids], numbers, local)
                found = self._local
        return found

    @property
    def numbers(self) -> np.ndarray:
        """Value number of each local number (the generation's values in key order)."""
        return self._locals()[1]

    def local(self, numbers: np.ndarray) -> np.ndarray:
        """Local numbers of these value numbers, those this generation does not hold left out."""
        local = self._locals()[2]
        numbers = numbers[numbers < len(local)]
        found = local[numbers]
        return found[found >= 0]

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Documents of `mask` holding each value, by local number."""
        local_ids, numbers, _ = self._locals()
        return np.bincount(local_ids[mask[self.docs]], minlength=len(numbers))

    def count_of(self, counts: np.ndarray, number: int) -> int:
        """A value number's count in `counts` (0 if this generation does not hold it)."""
        local = self._locals()[2]
        return int(counts[local[number]]) if number < len(local) and local[number] >= 0 else 0

    def present(self) -> np.ndarray:
        """Whether this generation's documents hold each value number (the process's dictionary
        also knows values of segments since merged or deleted): a bool array, made once."""
        if self._present is None:
            present = np.zeros(int(self.value_ids.max()) + 1 if len(self.value_ids) else 0, dtype=bool)
            present[self.value_ids] = True
            self._present = present
        return self._present

    def with_key_prefix(self, prefix: str) -> list[str]:
        """The values this generation holds whose key starts with `prefix` (a facet_key), in the
        order they were first numbered."""
        present = self.present()
        numbers = sorted(n for n in self.dictionary.with_key_prefix(prefix) if n < len(present) and present[n])
        return [self.values[n] for n in numbers]


class Columns:
    """The per-document arrays of one generation: liveness, dates and facets."""

    _numbering_lock = threading.Lock()

    def __init__(self, live: np.ndarray, dates: np.ndarray, facets: dict[str, FacetColumn]):
        self.live = live
        self.dates = dates
        self.facets = facets

    @property
    def size(self) -> int:
        return len(self.live)

    @classmethod
    def combine(cls, live: np.ndarray, parts: list[tuple[object, int]],
                dictionaries: dict[str, FacetDictionary]) -> "Columns":
        """The columns of a generation from its segments', in order: `parts` is a list of
        (segment files with `.columns` and `.facet_numbers`, first document number), numbered
        with the reader's `dictionaries` (new_dictionaries)."""
        dates = np.concatenate([p.columns.dates for p, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
        facets = {}
        with cls._numbering_lock:
            for name in FACETS:
                dictionary = dictionaries[name]
                docs, ids = [], []
                for segment, offset in parts:
                    local_docs, _ = segment.columns.facets[name]
                    docs.append(local_docs + np.int32(offset))
                    ids.append(_numbers(segment, name, dictionary))
                facets[name] = FacetColumn(
                    dictionary,
                    np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32),
                    np.concatenate(ids).astype(np.int32, copy=False) if ids else np.zeros(0, dtype=np.int32))
        return cls(live, dates, facets)

    def date_mask(self, date_from: str | None, date_to: str | None) -> np.ndarray | None:
        if not date_from and not date_to:
            return None
        mask = self.live.copy()
        if date_from:
            mask &= self.dates >= date_number(date_from)
        if date_to:
            mask &= (self.dates <= date_number(date_to)) & (self.dates > 0)
        return mask

    def newest_first(self, mask: np.ndarray, reverse: bool = False) -> np.ndarray:
        """Document numbers of `mask`, newest first (oldest first with `reverse`); undated last."""
        docs = np.flatnonzero(mask)
        dates = self.dates[docs].astype(np.int64)
        if reverse:
            dates = np.where(dates == 0, 99999999, dates)
            return docs[np.argsort(dates, kind="stable")]
        return docs[np.argsort(-dates, kind="stable")]


def _numbers(segment, name: str, dictionary: FacetDictionary) -> np.ndarray:
    """The process's value numbers of a segment's (document, value) pairs, worked out once per
    segment (a generation puts them end to end)."""
    found = segment.facet_numbers.get(name)
    if found is None:
        codes = segment.columns.facets[name][1]
        numbers = dictionary.numbers(segment.columns.values[name])
        found = segment.facet_numbers[name] = numbers[codes] if len(codes) else codes.astype(np.int32)
    return found

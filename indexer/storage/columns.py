"""Per-document columns: liveness, dates and facet values as compact arrays.

Each segment writes its own columns (in its packed arrays: dates, and per facet the (document,
value) pairs; `<segment>.values.json`: the values, numbered within the segment).
A generation puts its segments' columns end to end, numbering each facet's values once per
process: a worker keeps one append-only dictionary per facet, so a value keeps its number
across generations and a new generation only numbers what its new segments bring.
Counting a facet is then one NumPy `bincount` over the matching documents (search/facets.py).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analysis import fold

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

    def numbers(self, segment_values: list) -> np.ndarray:
        """The numbers of a segment's values (in the segment's order), new ones added, and
        the segment's spellings counted."""
        out = np.empty(len(segment_values), dtype=np.int32)
        for i, (key, spellings) in enumerate(segment_values):
            number = self.index.get(key)
            if number is None:
                number = self.index[key] = len(self.values)
                self._spellings.append(Counter())
                self.values.append(key)
            self._spellings[number].update(spellings)
            self._show(number)
            out[i] = number
        return out

    def forget(self, segment_values: list) -> None:
        """A segment no longer open: its spellings stop counting."""
        for key, spellings in segment_values:
            number = self.index.get(key)
            if number is not None:
                self._spellings[number].subtract(spellings)
                self._show(number)

    def _show(self, number: int) -> None:
        counts = self._spellings[number]
        best = min((s for s, n in counts.items() if n > 0), key=lambda s: (-counts[s], s), default=None)
        if best is not None:
            self.values[number] = best


def new_dictionaries() -> dict[str, FacetDictionary]:
    return {name: FacetDictionary() for name in FACETS}


class FacetColumn:
    """One facet over a generation: (document, value number) pairs; numbers from the process's
    FacetDictionary (`values`, `index`)."""

    def __init__(self, dictionary: FacetDictionary, docs: np.ndarray, value_ids: np.ndarray):
        self.values = dictionary.values
        self.index = dictionary.index
        self.docs = docs
        self.value_ids = value_ids
        self._present: list[str] | None = None

    def mask(self, selected: list[str], size: int) -> np.ndarray:
        """Documents having any of the selected values (values of one facet are ORed)."""
        wanted = [self.index[k] for k in {facet_key(v) for v in selected} if k in self.index]
        hit = np.isin(self.value_ids, wanted)
        mask = np.zeros(size, dtype=bool)
        mask[self.docs[hit]] = True
        return mask

    def counts(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.value_ids[mask[self.docs]], minlength=len(self.values))

    def present(self) -> list[str]:
        """The values this generation's documents hold (the process's dictionary also knows
        values of segments since merged or deleted), in the order they were first numbered."""
        if self._present is None:
            self._present = [self.values[i] for i in np.unique(self.value_ids).tolist()]
        return self._present


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

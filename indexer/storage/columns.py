"""Per-document columns of one index generation: liveness, dates and facet values as compact arrays.

Counting facets with Whoosh's `groupedby` loads every hit's values in Python; here each
facet is a pair of int32 arrays (document number, value number), built once per
generation, so a count is one NumPy `bincount` over the matching documents.
"""

from __future__ import annotations

import json
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


@dataclass
class FacetColumn:
    values: list[str]    # display spelling of each value number
    docs: np.ndarray     # int32, one entry per (document, value) pair
    value_ids: np.ndarray  # int32, same length as docs

    def __post_init__(self):
        self.index = {facet_key(v): i for i, v in enumerate(self.values)}

    def mask(self, selected: list[str], size: int) -> np.ndarray:
        """Documents having any of the selected values (values of one facet are ORed)."""
        wanted = [self.index[k] for k in {facet_key(v) for v in selected} if k in self.index]
        hit = np.isin(self.value_ids, wanted)
        mask = np.zeros(size, dtype=bool)
        mask[self.docs[hit]] = True
        return mask

    def counts(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.value_ids[mask[self.docs]], minlength=len(self.values))


class Columns:
    """The per-document arrays of one generation: liveness, dates and facets."""

    FILE = "columns.npz"
    VALUES_FILE = "facet_values.json"

    def __init__(self, live: np.ndarray, dates: np.ndarray, facets: dict[str, FacetColumn]):
        self.live = live
        self.dates = dates
        self.facets = facets

    @property
    def size(self) -> int:
        return len(self.live)

    @classmethod
    def build(cls, doc_ids: list[str | None], catalog: dict[str, dict]) -> "Columns":
        """From the index's id column (None for a deleted document) and the catalog of entries."""
        size = len(doc_ids)
        live = np.array([i is not None for i in doc_ids], dtype=bool)
        dates = np.zeros(size, dtype=np.int32)
        pairs: dict[str, list[tuple[int, str]]] = {name: [] for name in FACETS}
        for docnum, article_id in enumerate(doc_ids):
            if article_id is None:
                continue
            entry = catalog[article_id]
            dates[docnum] = date_number(entry.get("date") or "")
            for name, values in facet_values(entry).items():
                pairs[name].extend((docnum, v) for v in values)
        return cls(live, dates, {name: _column(p) for name, p in pairs.items()})

    def save(self, folder: Path) -> None:
        arrays = {"live": self.live, "dates": self.dates}
        for name, col in self.facets.items():
            arrays[f"{name}_docs"] = col.docs
            arrays[f"{name}_values"] = col.value_ids
        with open(folder / self.FILE, "wb") as f:
            np.savez(f, **arrays)
        (folder / self.VALUES_FILE).write_text(
            json.dumps({name: col.values for name, col in self.facets.items()}, ensure_ascii=False),
            encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Columns":
        values = json.loads((folder / cls.VALUES_FILE).read_text(encoding="utf-8"))
        with np.load(folder / cls.FILE) as data:
            facets = {name: FacetColumn(values[name], data[f"{name}_docs"], data[f"{name}_values"])
                      for name in FACETS}
            return cls(data["live"], data["dates"], facets)

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


def _column(pairs: list[tuple[int, str]]) -> FacetColumn:
    """Numbers the values of one facet, showing each in its most common spelling."""
    spellings: dict[str, Counter] = {}
    for _, value in pairs:
        spellings.setdefault(facet_key(value), Counter())[value] += 1
    # Counter.most_common keeps first-seen order among ties.
    keys = list(spellings)
    number = {k: i for i, k in enumerate(keys)}
    values = [spellings[k].most_common(1)[0][0] for k in keys]
    docs = np.fromiter((d for d, _ in pairs), dtype=np.int32, count=len(pairs))
    value_ids = np.fromiter((number[facet_key(v)] for _, v in pairs), dtype=np.int32, count=len(pairs))
    return FacetColumn(values, docs, value_ids)

"""Facet counts: disjunctive counts over a generation's columns (storage/columns.py).

Counting facets with Whoosh's `groupedby` loads every hit's values in Python; here a count
is one NumPy `bincount` over the matching documents of each facet's (document, value) pairs.
The values shown are chosen with array operations too: the column numbers its values in key
order, so among equal counts the lower number comes first; the count of the k-th value is read
from a histogram of the counts, the values above it and the first ones tied with it taken, and
only those k sorted and named. A facet's cost grows with the matching documents and the number
of values in arrays, never with a Python sort of every value.
"""

from __future__ import annotations

import numpy as np

from indexer.storage.columns import FACETS, Columns, FacetColumn, facet_key

# How many values of one facet an answer lists (selected values are always listed).
MAX_FACET_VALUES = 100


def facet_mask(base: np.ndarray, masks: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The documents a facet's counts cover: the matches with every other facet's filter, not
    its own, so a reader can widen a selection."""
    mask = base.copy()
    for other, m in masks.items():
        if other != name:
            mask &= m
    return mask


def top_values(counts: np.ndarray, limit: int, among: np.ndarray | None = None) -> np.ndarray:
    """Local numbers (see FacetColumn) of the `limit` values with the highest counts, ties in
    key order, best first, among the local numbers `among` (ascending; default: all); values
    counted 0 are left out."""
    candidates = np.flatnonzero(counts) if among is None else among[counts[among] > 0]
    found = counts[candidates]
    if len(candidates) > limit:
        # The k-th highest count, from how many values have each count.
        above = np.cumsum(np.bincount(found)[::-1])
        kth = len(above) - 1 - int(np.searchsorted(above, limit))
        higher = found > kth
        tied = np.flatnonzero(found == kth)[:limit - int(higher.sum())]  # first in key order
        keep = np.flatnonzero(higher)
        keep = np.concatenate([keep, tied]) if len(tied) else keep
        candidates, found = candidates[keep], found[keep]
    return candidates[np.lexsort((candidates, -found))]


def listed(column: FacetColumn, counts: np.ndarray, locals_: np.ndarray, chosen: set[str]) -> list[dict]:
    """The contract's items for these local numbers, in order (`chosen`: the selected keys)."""
    on = {column.index[k] for k in chosen if k in column.index}
    values, numbers = column.values, column.numbers
    return [{"value": values[n], "count": int(c), "selected": n in on}
            for n, c in zip(numbers[locals_].tolist(), counts[locals_].tolist())]


def disjunctive_counts(columns: Columns, base: np.ndarray,
                       masks: dict[str, np.ndarray], selected: dict[str, list[str]]) -> dict:
    """Each facet's counts honour every other facet's filter but not its own, so a reader
    can widen a selection. Returns the contract's `facets` object."""
    out = {}
    for name in FACETS:
        col = columns.facets[name]
        counts = col.counts(facet_mask(base, masks, name))
        chosen = {facet_key(v) for v in selected.get(name, [])}
        items = listed(col, counts, top_values(counts, MAX_FACET_VALUES), chosen)
        # Selected values are always listed, even past the cut or with no match left.
        shown = {facet_key(it["value"]) for it in items} if chosen else set()
        for v in selected.get(name, []):
            key = facet_key(v)
            if key not in shown:
                i = col.index.get(key)
                items.append({"value": col.values[i] if i is not None else v,
                              "count": col.count_of(counts, i) if i is not None else 0, "selected": True})
                shown.add(key)
        if name == "year":
            items.sort(key=lambda it: it["value"], reverse=True)
        out[name] = items
    return out

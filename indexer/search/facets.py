"""Facet counts: disjunctive counts over a generation's columns (storage/columns.py).

Counting facets with Whoosh's `groupedby` loads every hit's values in Python; here a count
is one NumPy `bincount` over the matching documents of each facet's (document, value) pairs.
"""

from __future__ import annotations

import numpy as np

from indexer.storage.columns import FACETS, Columns, facet_key

# How many values of one facet an answer lists (selected values are always listed).
MAX_FACET_VALUES = 100


def disjunctive_counts(columns: Columns, base: np.ndarray,
                       masks: dict[str, np.ndarray], selected: dict[str, list[str]]) -> dict:
    """Each facet's counts honour every other facet's filter but not its own, so a reader
    can widen a selection. Returns the contract's `facets` object."""
    out = {}
    for name in FACETS:
        mask = base.copy()
        for other, m in masks.items():
            if other != name:
                mask &= m
        col = columns.facets[name]
        counts = col.counts(mask)
        chosen = {facet_key(v) for v in selected.get(name, [])}
        order = sorted(np.flatnonzero(counts).tolist(),
                       key=lambda i: (-counts[i], facet_key(col.values[i])))
        items = [{"value": col.values[i], "count": int(counts[i]),
                  "selected": facet_key(col.values[i]) in chosen}
                 for i in order[:MAX_FACET_VALUES]]
        # Selected values are always listed, even past the cut or with no match left.
        listed = {facet_key(it["value"]) for it in items}
        for v in selected.get(name, []):
            key = facet_key(v)
            if key not in listed:
                i = col.index.get(key)
                items.append({"value": col.values[i] if i is not None else v,
                              "count": int(counts[i]) if i is not None else 0, "selected": True})
                listed.add(key)
        if name == "year":
            items.sort(key=lambda it: it["value"], reverse=True)
        out[name] = items
    return out

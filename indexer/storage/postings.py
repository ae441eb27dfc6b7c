"""Reading a term's posting list from Whoosh a block at a time.

Whoosh's matcher API gives one posting per call (`id()`, `weight()`, `next()`), three
Python calls for each of the thousands of documents a common word is in: most of a
first search's time. Whoosh stores postings in blocks of up to 128, each read and
decoded whole, so these functions take the decoded block from the matcher and move to
the next one. That uses the block reader's attributes (`_ids`, `_weights`, `_values`,
`_next_block`), the same in whoosh-reloaded 2.7.5 and whoosh3 (the two forks the
project runs on, see README); any other matcher goes through the public per-posting
API, and tests/test_postings.py checks that both ways read the same postings.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right


def _by_block(matcher) -> bool:
    return all(hasattr(matcher, a) for a in ("_next_block", "_lastblock", "_ids", "_i", "_blocklength"))


def read_postings(leaf, field: str, text: str, offset: int, ids: list, weights: list) -> None:
    """Appends the term's document numbers (plus `offset`) and weights in `leaf` to the lists."""
    if (field, text) not in leaf:
        return
    m = leaf.postings(field, text)
    if not _by_block(m):
        while m.is_active():
            ids.append(m.id() + offset)
            weights.append(m.weight())
            m.next()
        return
    while m.is_active():
        m.id(), m.weight()  # loads the block's ids and weights
        block_ids = m._ids[m._i:]
        ids.extend(block_ids if not offset else [d + offset for d in block_ids])
        weights.extend(m._weights[m._i:])
        if m._lastblock:
            break
        m._next_block()


def read_values(leaf, field: str, text: str, docnums: list[int]) -> list[bytes | None]:
    """The raw posting value (for positions: `Positions.decode_positions`) of the term in
    each of `docnums` (ascending, local to `leaf`); None where the term is not."""
    found: list[bytes | None] = [None] * len(docnums)
    if not docnums or (field, text) not in leaf:
        return found
    m = leaf.postings(field, text)
    if not _by_block(m):
        for i, docnum in enumerate(docnums):
            if not m.is_active():
                break
            m.skip_to(docnum)
            if m.is_active() and m.id() == docnum:
                found[i] = m.value()
        return found
    i = 0  # the first wanted document not yet found or passed
    while m.is_active() and i < len(docnums):
        last = m.block_max_id()
        if docnums[i] <= last:  # some wanted documents may be in this block
            m.id(), m.value()  # loads the block's ids and values
            block_ids, values, first = m._ids, m._values, m._i
            end = bisect_right(docnums, last, i)
            for k in range(i, end):
                j = bisect_left(block_ids, docnums[k], first)
                if j < len(block_ids) and block_ids[j] == docnums[k]:
                    found[k] = values[j]
            i = end
        if m._lastblock:
            break
        m._next_block()
    return found

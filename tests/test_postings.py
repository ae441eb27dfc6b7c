"""Posting lists read a block at a time are those Whoosh's matcher gives one posting at a time."""

import pytest

from indexer.storage import postings
from indexer.build import build_index
from indexer.schema import SEARCHED_FIELDS
from indexer.storage.store import IndexStore

from archives import articles, write_jsonl


@pytest.fixture(scope="module")
def leaves(tmp_path_factory):
    """A two-shard index with two segments a shard (an incremental build) and deletions."""
    folder = tmp_path_factory.mktemp("postings")
    source = write_jsonl(folder / "a.jsonl", articles(400, seed=3))
    build_index([source], folder / "index", shard_count=2)
    changed = articles(400, seed=3)
    changed = changed[:300] + [dict(a, body=a["body"] + " mise à jour") for a in changed[300:380]]
    build_index([write_jsonl(folder / "b.jsonl", changed)], folder / "index")
    reader = IndexStore(folder / "index").current().searcher().reader()
    return list(reader.leaf_readers())


def _one_at_a_time(leaf, field, text):
    m = leaf.postings(field, text)
    items = []
    while m.is_active():
        items.append((m.id(), m.weight(), m.value()))
        m.next()
    return items


def _terms(leaf, field):
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in leaf.lexicon(field)]


def test_the_index_has_several_segments_and_blocks(leaves):
    assert len(leaves) >= 3
    assert any(leaf.doc_frequency("body", t) > 128 for leaf, _ in leaves for t in _terms(leaf, "body"))


def test_read_postings_gives_every_posting(leaves):
    for leaf, offset in leaves:
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field):
                ids, weights = [], []
                postings.read_postings(leaf, field, text, offset, ids, weights)
                expected = _one_at_a_time(leaf, field, text)
                assert ids == [d + offset for d, _, _ in expected]
                assert weights == [w for _, w, _ in expected]


def test_read_values_finds_the_wanted_documents_only(leaves):
    for leaf, _ in leaves:
        docs = leaf.doc_count_all()
        for text in _terms(leaf, "body")[::7]:
            values = {d: v for d, _, v in _one_at_a_time(leaf, "body", text)}
            for wanted in (list(range(0, docs, 3)), sorted(values)[::2], [docs + 5], []):
                assert postings.read_values(leaf, "body", text, wanted) == [values.get(d) for d in wanted]


def test_an_unknown_term_has_no_postings(leaves):
    leaf, offset = leaves[0]
    ids, weights = [], []
    postings.read_postings(leaf, "body", "zzzinconnu", offset, ids, weights)
    assert (ids, weights) == ([], [])
    assert postings.read_values(leaf, "body", "zzzinconnu", [0, 1]) == [None, None]

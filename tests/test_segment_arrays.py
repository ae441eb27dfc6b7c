"""The posting arrays beside each segment hold exactly Whoosh's postings, and searches read
the same answers from them as from Whoosh."""

import numpy as np
import pytest

from indexer.storage import shards
from indexer.build import build_index
from indexer.search.scoring import TermCache
from indexer.schema import SEARCHED_FIELDS
from indexer.search import SearchRequest, search
from indexer.storage.segment_arrays import SegmentArrays
from indexer.storage.store import IndexStore

from archives import articles, sentences, write_jsonl


def _phrases() -> list[str]:
    """Quoted passages of 2 to 5 words from the seed's sentences, and the same words reversed."""
    found = []
    for i, sentence in enumerate(sentences()[:40]):
        words = sentence.split()
        size = 2 + i % 4
        found.append('"' + " ".join(words[3:3 + size]) + '"')
        found.append('"' + " ".join(reversed(words[3:3 + size])) + '"')
    return found


QUERIES = ["numérique", "entreprise emploi", '"transformation numérique"', "numér*", "emploi -numérique",
           "title:numérique", "", "salariés OR clients", "micro-entreprise", *_phrases()]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """Two shards; a full build, then an incremental one that changes, adds and removes articles."""
    folder = tmp_path_factory.mktemp("arrays")
    first = articles(300, seed=5)
    build_index([write_jsonl(folder / "a.jsonl", first)], folder / "index", shard_count=2)
    second = ([dict(a, body=a["body"] + " Une mise à jour numérique.") for a in first[:40]] + first[40:280]
              + articles(30, seed=6, prefix="new"))
    build_index([write_jsonl(folder / "b.jsonl", second)], folder / "index")
    return folder / "index"


def _leaves(generation):
    return list(generation.searcher().reader().leaf_readers())


def _terms(leaf, field):
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in leaf.lexicon(field)]


def test_every_segment_has_its_arrays(index):
    generation = IndexStore(index).current()
    leaves = _leaves(generation)
    assert len(leaves) == 4  # a segment from each build in each shard
    assert {leaf.segment().segment_id() for leaf, _ in leaves} == set(generation.arrays)


def test_the_arrays_hold_whoosh_postings_deleted_documents_included(index):
    generation = IndexStore(index).current()
    deleted = 0
    for leaf, _ in _leaves(generation):
        arrays = generation.arrays[leaf.segment().segment_id()]
        deleted += sum(leaf.is_deleted(d) for d in range(leaf.doc_count_all()))
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field):
                ids, weights = arrays.postings(field, text)
                m = leaf.postings(field, text)  # Whoosh leaves the deleted documents out
                expected = []
                while m.is_active():
                    expected.append((m.id(), m.weight()))
                    m.next()
                assert [(d, w) for d, w in zip(ids.tolist(), weights.tolist()) if not leaf.is_deleted(d)] == expected
        assert arrays.postings("body", "zzzinconnu")[0].size == 0
    assert deleted  # the incremental build replaced and removed articles


def test_the_arrays_hold_whoosh_positions(index):
    generation = IndexStore(index).current()
    for leaf, _ in _leaves(generation):
        arrays = generation.arrays[leaf.segment().segment_id()]
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field)[::2]:
                ids, occurrences, positions = arrays.positions(field, text)
                runs = np.split(positions, np.cumsum(occurrences)[:-1]) if len(ids) else []
                found = {d: run.tolist() for d, run in zip(ids.tolist(), runs) if not leaf.is_deleted(d)}
                m = leaf.postings(field, text)
                expected = {}
                while m.is_active():
                    expected[m.id()] = m.value_as("positions")
                    m.next()
                assert found == expected


def test_term_reads_are_the_same_from_arrays_and_from_whoosh(index):
    generation = IndexStore(index).current()
    searcher = generation.searcher()
    with_arrays = TermCache(searcher, generation.columns.live, generation.arrays)
    from_whoosh = TermCache(searcher, generation.columns.live, {})
    for leaf, _ in _leaves(generation):
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field)[::3]:
                a_ids, a_weights = with_arrays.postings(field, text)
                w_ids, w_weights = from_whoosh.postings(field, text)
                assert a_ids.tolist() == w_ids.tolist() and a_weights.tolist() == w_weights.tolist()


def test_answers_are_the_same_without_the_arrays(index, monkeypatch):
    expected = {q: search(IndexStore(index), SearchRequest(q=q, per_page=50)) for q in QUERIES}
    monkeypatch.setattr(shards, "open_arrays", lambda folder, count: {})
    store = IndexStore(index)
    assert not store.current().arrays
    for q in QUERIES:
        answer = search(store, SearchRequest(q=q, per_page=50))
        for key in ("total", "results", "facets"):
            assert answer[key] == expected[q][key], (q, key)
    phrases = [q for q in QUERIES if q.startswith('"')]
    assert sum(expected[q]["total"] > 0 for q in phrases) > len(phrases) / 3  # phrases that match, and not


def test_a_segment_without_arrays_is_read_through_whoosh(tmp_path):
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(50))], tmp_path / "index", shard_count=1)
    generation = IndexStore(tmp_path / "index").current()
    (segment,) = generation.arrays
    assert SegmentArrays.load(tmp_path / "nowhere", segment) is None
    store = IndexStore(tmp_path / "index")
    full = search(store, SearchRequest(q="numérique"))
    for path in (generation.folder / "shard-0" / "arrays").iterdir():
        path.unlink()
    generation.arrays.clear()
    generation._local.__dict__.clear()  # a new searcher and term cache, without arrays
    assert search(store, SearchRequest(q="numérique"))["results"] == full["results"]


def test_a_shard_with_many_segments_is_rebuilt_in_full(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "EXTRA_SEGMENTS", 2)
    batch = articles(40, seed=9)
    reports = []
    for round_ in range(4):
        batch = [dict(a, body=a["body"] + f" tour {round_}") for a in batch]
        reports.append(build_index([write_jsonl(tmp_path / f"{round_}.jsonl", batch)], tmp_path / "index",
                                   shard_count=1))
    assert [r.analysed for r in reports] == [40, 40, 40, 40]
    generation = IndexStore(tmp_path / "index").current()
    assert len(_leaves(generation)) == 1  # the fourth build started over: one segment again
    assert len(generation.arrays) == 1


def test_a_shard_commits_a_segment_every_segment_docs(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "SEGMENT_DOCS", 25)  # read by the forked shard processes
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(120, seed=4))], tmp_path / "index", shard_count=2)
    generation = IndexStore(tmp_path / "index").current()
    sizes = [size for path in shards.shard_dirs(generation.folder, 2) for size in shards.segment_sizes(path).values()]
    assert sum(sizes) == 120 and max(sizes) <= 25 and len(sizes) >= 5
    assert len(generation.arrays) == len(sizes)  # every segment has its arrays
    monkeypatch.undo()
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(120, seed=4))], tmp_path / "one", shard_count=2)
    for q in QUERIES:  # the same answers as from one segment a shard
        rolled = search(IndexStore(tmp_path / "index"), SearchRequest(q=q, per_page=50))
        whole = search(IndexStore(tmp_path / "one"), SearchRequest(q=q, per_page=50))
        assert (rolled["total"], rolled["results"], rolled["facets"]) == (whole["total"], whole["results"], whole["facets"])

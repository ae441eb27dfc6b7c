"""Each segment's own files hold exactly what Whoosh holds: postings, positions, lengths and
statistics (deleted documents included), article ids, facet columns; and generations share
segments by hard links."""

import numpy as np
import pytest

from indexer.build import build_index
from indexer.schema import SEARCHED_FIELDS
from indexer.search import SearchRequest, search
from indexer.storage import shards
from indexer.storage.columns import facet_key, facet_values
from indexer.storage.segments import SegmentFiles
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
    folder = tmp_path_factory.mktemp("segments")
    first = articles(300, seed=5)
    build_index([write_jsonl(folder / "a.jsonl", first)], folder / "index", shard_count=2)
    second = ([dict(a, body=a["body"] + " Une mise à jour numérique.") for a in first[:40]] + first[40:280]
              + articles(30, seed=6, prefix="new"))
    build_index([write_jsonl(folder / "b.jsonl", second)], folder / "index")
    return folder / "index"


def _segments(generation):
    """(Whoosh's leaf reader, our files) of each segment of a generation."""
    leaves = [leaf for leaf, _ in generation.whoosh_reader().leaf_readers()]
    assert [leaf.segment().segment_id() for leaf in leaves] == [p.segment.id for p in generation.parts]
    return list(zip(leaves, [p.files for p in generation.parts]))


def _terms(leaf, field):
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in leaf.lexicon(field)]


def test_every_segment_has_its_files_and_generations_share_them(index):
    generation = IndexStore(index).current()
    assert len(generation.parts) == 4  # a segment from each build in each shard
    first_build = sorted(p for p in index.iterdir() if p.name.startswith("gen-"))[0]
    for part in generation.parts:
        kept = first_build / part.shard.name / "arrays" / f"{part.segment.id}.arrays"
        if kept.exists():  # a segment of the first build, linked into the second
            assert kept.stat().st_ino == (part.shard / "arrays" / kept.name).stat().st_ino
            assert kept.stat().st_nlink == 2
    assert SegmentFiles.load(index / "nowhere", generation.parts[0].segment.id) is None


def test_the_files_hold_whoosh_postings_deleted_documents_included(index):
    generation = IndexStore(index).current()
    deleted = 0
    for leaf, files in _segments(generation):
        deleted += sum(leaf.is_deleted(d) for d in range(leaf.doc_count_all()))
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field):
                ids, weights = files.postings(field, text)
                m = leaf.postings(field, text)  # Whoosh leaves the deleted documents out
                expected = []
                while m.is_active():
                    expected.append((m.id(), m.weight()))
                    m.next()
                assert [(d, w) for d, w in zip(ids.tolist(), weights.tolist()) if not leaf.is_deleted(d)] == expected
                assert files.doc_frequency(field, text) == leaf.doc_frequency(field, text)
        assert files.postings("body", "zzzinconnu")[0].size == 0
    assert deleted  # the incremental build replaced and removed articles


def test_the_files_hold_whoosh_positions(index):
    generation = IndexStore(index).current()
    for leaf, files in _segments(generation):
        for field in SEARCHED_FIELDS:
            for text in _terms(leaf, field)[::2]:
                ids, occurrences, positions = files.positions(field, text)
                runs = np.split(positions, np.cumsum(occurrences)[:-1]) if len(ids) else []
                found = {d: run.tolist() for d, run in zip(ids.tolist(), runs) if not leaf.is_deleted(d)}
                m = leaf.postings(field, text)
                expected = {}
                while m.is_active():
                    expected[m.id()] = m.value_as("positions")
                    m.next()
                assert found == expected


def test_the_files_hold_whoosh_lengths_statistics_and_ids(index):
    generation = IndexStore(index).current()
    for leaf, files in _segments(generation):
        docs = np.arange(leaf.doc_count_all())
        for field in SEARCHED_FIELDS:
            assert files.field_lengths(field, docs).tolist() == [leaf.doc_field_length(d, field) or 0 for d in docs]
            assert files.total(field) == leaf.field_length(field)
        ids = leaf.column_reader("id")
        assert [files.find(ids[d]) for d in docs] == docs.tolist()
        assert files.find("no such article") is None
    reader = generation.whoosh_reader()
    assert generation.size == reader.doc_count_all()
    for field in SEARCHED_FIELDS:
        assert generation.avg_field_length(field) == pytest.approx(reader.field_length(field) / reader.doc_count_all())


def test_the_columns_hold_each_live_document_facets_and_date(index):
    generation = IndexStore(index).current()
    reader = generation.whoosh_reader()
    assert generation.live.tolist() == [not reader.is_deleted(d) for d in range(reader.doc_count_all())]
    catalog = generation.catalog()
    assert len(catalog) == generation.articles == 310
    for docnum in np.flatnonzero(generation.live).tolist():
        entry = catalog[generation.stored_fields(docnum)["id"]]
        assert generation.columns.dates[docnum] == int((entry["date"] or "0").replace("-", ""))
        for name, values in facet_values(entry).items():
            column = generation.columns.facets[name]
            have = {column.values[v] for v in column.value_ids[column.docs == docnum].tolist()}
            assert {facet_key(v) for v in have} == {facet_key(v) for v in values}


def test_an_article_is_found_by_id_in_its_live_segment(index):
    generation = IndexStore(index).current()
    changed = generation.find(articles(300, seed=5)[0]["id"])  # replaced by the second build
    assert generation.live[changed]
    assert generation.stored_fields(changed)["body"].endswith("Une mise à jour numérique.")
    assert generation.find(articles(300, seed=5)[290]["id"]) is None  # removed


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
    assert len(generation.parts) == 1  # the fourth build started over: one segment again


def test_a_shard_commits_a_segment_every_segment_docs(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "SEGMENT_DOCS", 25)  # read by the forked shard processes
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(120, seed=4))], tmp_path / "index", shard_count=2)
    generation = IndexStore(tmp_path / "index").current()
    sizes = [p.count for p in generation.parts]
    assert sum(sizes) == 120 and max(sizes) <= 25 and len(sizes) >= 5
    monkeypatch.undo()
    build_index([write_jsonl(tmp_path / "a.jsonl", articles(120, seed=4))], tmp_path / "one", shard_count=2)
    for q in QUERIES:  # the same answers as from one segment a shard
        rolled = search(IndexStore(tmp_path / "index"), SearchRequest(q=q, per_page=50))
        whole = search(IndexStore(tmp_path / "one"), SearchRequest(q=q, per_page=50))
        assert (rolled["total"], rolled["results"], rolled["facets"]) == (whole["total"], whole["results"], whole["facets"])

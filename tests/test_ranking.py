"""The vectorised ranking gives exactly Whoosh's own answer: the same matches, the same top
documents in the same order, the same BM25F scores — on one segment a shard, and on several
with deleted documents (an incremental build, live writes)."""

import pytest
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from archives import articles, write_jsonl
from indexer.build import build_index
from indexer.search.query import parse_query
from indexer.search.ranking import rank
from indexer.search.scoring import term_cache
from indexer.storage.store import B, K1, IndexStore

QUERIES = [
    "numérique", "entreprises", "réseaux sociaux", "transformation numérique digital",
    "numérique OR clients", "entreprise -numérique", "title:article", "tag:cloud", "tag:emploi OR tag:data",
    "num*", "clien*", "\"réseaux sociaux\"", "\"transformation numérique\" entreprise", "-numérique",
]


@pytest.fixture(scope="module", params=["one segment", "segments and deletions"])
def generation(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("ranking")
    first = articles(400, seed=5)
    build_index([write_jsonl(folder / "a.jsonl", first)], folder / "ix", shard_count=2)
    if request.param == "segments and deletions":
        second = ([dict(a, body=a["body"] + " Une mise à jour numérique des clients.") for a in first[:60]]
                  + first[90:] + articles(40, seed=8, prefix="new"))
        build_index([write_jsonl(folder / "b.jsonl", second)], folder / "ix")
    generation = IndexStore(folder / "ix").current()
    assert (len(generation.parts) > 2) == (request.param == "segments and deletions")
    return generation


def whoosh_searcher(generation) -> Searcher:
    """Whoosh's own searcher over the same segments and deletions."""
    return Searcher(generation.whoosh_reader(), weighting=BM25F(B=B, K1=K1))


@pytest.mark.parametrize("q", QUERIES)
def test_the_same_answer_as_whoosh(generation, q):
    query = parse_query(q, generation.lexicon).query
    searcher = whoosh_searcher(generation)
    mask, ranked = rank(term_cache(generation), query, 20, None)
    whoosh = searcher.search(query, limit=20)
    assert int(mask.sum()) == len(set(searcher.docs_for_query(query)))
    assert [d for d, _ in ranked] == [hit.docnum for hit in whoosh]
    assert [s for _, s in ranked] == pytest.approx([hit.score for hit in whoosh], rel=1e-5)


def test_filters_restrict_the_ranking_not_the_matches(generation):
    import numpy as np

    query = parse_query("numérique", generation.lexicon).query
    allowed = np.zeros(generation.columns.size, dtype=bool)
    allowed[::3] = True
    mask, ranked = rank(term_cache(generation), query, 10, allowed)
    whoosh = whoosh_searcher(generation).search(query, limit=10, filter=set(np.flatnonzero(allowed).tolist()))
    assert [d for d, _ in ranked] == [hit.docnum for hit in whoosh]
    assert mask.sum() > allowed[mask].sum()  # matches outside the filter still count for facets

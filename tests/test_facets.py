"""Facets over many distinct values: the values shown are exactly those a plain sort of every
value would show (count desc, then value), and a facet's values can be searched by the start of
their words, counted as the search counts them."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from indexer.build import build_index
from indexer.errors import QueryError
from indexer.search import SearchRequest, facet_values, search
from indexer.search.facets import MAX_FACET_VALUES
from indexer.storage.columns import FacetDictionary, facet_key, facet_values as catalog_values
from indexer.storage.store import IndexStore

from archives import articles, write_jsonl

ORGANISATIONS = ["Institut national de la statistique", "INSEE", "Insee Première", "Médiamétrie",
                 "Étude Ifop", "étude IFOP", "Observatoire de l’emploi", "Arcep", "Cour des comptes"]


def _archive(n: int = 400) -> list[dict]:
    """Articles with a long tail of tags (most used once, many tied), a few heavy ones, accented
    and differently written spellings of one value, and sources from a short list."""
    rng = random.Random(11)
    out = []
    for i, article in enumerate(articles(n, seed=3)):
        tags = [f"Sujet {i:04d}", f"thème {rng.randrange(150)}"]
        if i % 3 == 0:
            tags.append("Données")
        if i % 7 == 0:
            tags.append("données" if i % 2 else "DONNÉES")
        out.append(dict(article, tags=tags, author=f"Auteur {rng.randrange(60)}",
                        sources=rng.sample(ORGANISATIONS, 2)))
    return out


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    folder = tmp_path_factory.mktemp("facets")
    archive = _archive()
    # Two builds: the second brings new values in a segment of its own (numbered after the first's).
    build_index([write_jsonl(folder / "a.jsonl", archive[:300])], folder / "index", shard_count=2)
    build_index([write_jsonl(folder / "b.jsonl", archive)], folder / "index", shard_count=2)
    return IndexStore(folder / "index"), archive


def _expected(store, docs: set[str], facet: str, selected: list[str] = ()) -> list[tuple]:
    """What the contract shows, by brute force over the catalog's facet values (those the build
    stored for each article, found sources included): every value counted over `docs`, sorted by
    count then value key, cut at MAX_FACET_VALUES (selected values are always listed)."""
    counts: Counter = Counter()
    spelling: dict[str, Counter] = {}
    for article_id, entry in store.current().catalog().items():
        values = catalog_values(entry)[facet]
        for v in values:
            spelling.setdefault(facet_key(v), Counter())[v] += 1
        for key in {facet_key(v) for v in values}:  # an article counts once for a value
            counts[key] += article_id in docs
    shown = sorted((k for k in counts if counts[k]), key=lambda k: (-counts[k], k))[:MAX_FACET_VALUES]
    chosen = {facet_key(v) for v in selected}
    shown += [k for k in dict.fromkeys(facet_key(v) for v in selected) if k not in shown]
    # the most used spelling (then the first in sorting order) names a value
    name = {k: min(s, key=lambda v: (-s[v], v)) for k, s in spelling.items()}
    return [(name.get(k, k), counts[k], k in chosen) for k in shown]


def _ids(store, request) -> set[str]:
    request.per_page, found, page = 50, set(), 1
    while True:
        request.page = page
        answer = search(store, request)
        found |= {r["id"] for r in answer["results"]}
        if page >= answer["pages"]:
            return found
        page += 1


def _shown(items):
    return [(it["value"], it["count"], it["selected"]) for it in items]


@pytest.mark.parametrize("q, filters", [
    ("", {}),
    ("numérique", {}),
    ("entreprise", {"author": ["Auteur 3", "Auteur 7"]}),
    ("", {"tag": ["Données", "thème 12"]}),
    ("", {"source": ["insee"]}),
])
def test_the_values_shown_are_those_of_a_full_sort(many, q, filters):
    store, archive = many
    answer = search(store, SearchRequest(q=q, filters=filters))
    for facet in ("tag", "author", "source"):
        others = {k: v for k, v in filters.items() if k != facet}
        docs = _ids(store, SearchRequest(q=q, filters=others))
        assert _shown(answer["facets"][facet]) == _expected(store, docs, facet, filters.get(facet, [])), facet
    if not q and not filters:
        assert len(answer["facets"]["tag"]) == MAX_FACET_VALUES  # the cut went through many tied values


def test_one_value_whatever_its_spelling(many):
    store, archive = many
    tags = search(store, SearchRequest())["facets"]["tag"]
    donnees = [t for t in tags if facet_key(t["value"]) == "donnees"]
    having = [a for a in archive if any(facet_key(t) == "donnees" for t in a["tags"])]
    assert donnees == [{"value": "Données", "count": len(having), "selected": False}] == tags[:1]


def test_a_value_search_finds_words_by_their_start_whatever_the_case_and_accents(many):
    store, archive = many
    found = facet_values(store, "source", SearchRequest(), "stat")
    assert [v["value"] for v in found["values"]] == ["Institut national de la statistique"]
    for prefix in ("INSTITUT NAT", "institut national de", "statistique"):
        assert [v["value"] for v in facet_values(store, "source", SearchRequest(), prefix)["values"]] == \
            ["Institut national de la statistique"], prefix
    assert facet_values(store, "source", SearchRequest(), "institut stat")["values"] == []  # words in order
    assert facet_values(store, "source", SearchRequest(), "tistique")["values"] == []  # starts of words only
    insee = facet_values(store, "source", SearchRequest(), "insee")
    assert {v["value"] for v in insee["values"]} == {"INSEE", "Insee Première"} and insee["total"] == 2
    assert [v["value"] for v in facet_values(store, "source", SearchRequest(), "etude")["values"]] == ["Étude Ifop"]
    assert [v["value"] for v in facet_values(store, "source", SearchRequest(), "l'emploi")["values"]] == \
        ["Observatoire de l’emploi"]


def test_a_value_search_counts_as_the_search_does(many):
    store, archive = many
    request = SearchRequest(q="numérique", filters={"author": ["Auteur 3"], "tag": ["thème 4"]})
    answer = search(store, request)
    for facet in ("tag", "author", "source"):
        listed = {v["value"]: v for v in answer["facets"][facet]}
        found = facet_values(store, facet, SearchRequest(q=request.q, filters=request.filters), "", limit=100)
        assert found["values"] == [listed[v["value"]] for v in found["values"]]  # same counts, same flags
        assert found["total"] == len([v for v in answer["facets"][facet] if v["count"]])
    tail = facet_values(store, "tag", SearchRequest(), "sujet 03", limit=5)
    assert tail["total"] == 100 and [v["value"] for v in tail["values"]] == [f"Sujet 03{n:02d}" for n in range(5)]
    assert all(v["count"] == 1 for v in tail["values"])


def test_a_value_search_refuses_bad_parameters(many):
    store, _ = many
    for facet, kw, param in [("colour", {}, "facet"), ("tag", {"limit": 0}, "limit"),
                             ("tag", {"limit": 101}, "limit"), ("tag", {"prefix": "x" * 201}, "prefix")]:
        with pytest.raises(QueryError) as refused:
            facet_values(store, facet, SearchRequest(), **kw)
        assert refused.value.param == param


def test_the_dictionary_orders_follow_values_added_one_at_a_time_or_in_bulk():
    dictionary = FacetDictionary()
    rng = random.Random(2)
    words = ["Économie", "emploi", "Éducation", "réseau", "Sécurité", "zèbre", "Arcep", "arbre"]
    batches = [[f"{rng.choice(words)} {n}" for n in range(300)], ["Zoo", "aa"], ["Économie mondiale", "M"]]
    for batch in batches:
        dictionary.numbers([[facet_key(v), {v: 1}] for v in dict.fromkeys(batch)])
        keys = [facet_key(v) for v in dictionary.values]
        assert dictionary.key_order().tolist() == sorted(range(len(keys)), key=lambda i: keys[i])
    assert {dictionary.values[i] for i in dictionary.with_word_prefix("eco").tolist()} == \
        {v for v in dictionary.values if v.startswith("Économie")}
    assert [dictionary.values[i] for i in dictionary.with_word_prefix("mond").tolist()] == ["Économie mondiale"]
    assert [dictionary.values[i] for i in dictionary.with_key_prefix("zo")] == ["Zoo"]
    assert len(dictionary.with_word_prefix("")) == len(dictionary.values)


def test_values_pushed_to_a_live_index_are_counted_and_found_in_the_same_reader(tmp_path):
    """One reader across generations: its dictionaries take in a pushed article's new values (by
    insertion), and its next generation counts and finds them in order."""
    from indexer import live
    from indexer.live.applier import Applier
    from indexer.live.documents import article_from_json

    build_index([write_jsonl(tmp_path / "a.jsonl", _archive(120))], tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    before = search(store, SearchRequest())["facets"]["tag"]
    assert facet_values(store, "tag", SearchRequest(), "zèbre")["values"] == []
    pushed = [article_from_json({"title": f"Le zèbre {n}", "body": "Un texte sur les zèbres.",
                                 "tags": ["Zèbre rayé", "Données", f"Sujet {n:04d}"]}, f"zebre-{n}")
              for n in (5, 6)]
    live.put(tmp_path / "index", pushed)
    Applier(tmp_path / "index").run(until_idle=True)
    answer = search(store, SearchRequest())  # the same store: the same dictionaries, a new generation
    assert answer["facets"]["tag"][0]["count"] == before[0]["count"] + 2  # Données
    assert _shown(answer["facets"]["tag"]) == _expected(store, _ids(store, SearchRequest()), "tag")
    found = facet_values(store, "tag", SearchRequest(), "ZEB")
    assert found["values"] == [{"value": "Zèbre rayé", "count": 2, "selected": False}]
    assert facet_values(store, "tag", SearchRequest(q="zèbres"), "sujet")["values"] == \
        [{"value": "Sujet 0005", "count": 1, "selected": False}, {"value": "Sujet 0006", "count": 1, "selected": False}]
    assert facet_values(store, "tag", SearchRequest(), "sujet 0005")["values"][0]["count"] == 2  # a5 too

"""Synonyms and pinned results over a real index: applied at query time through the French
analysis (no reindex), phrase semantics, pins, the settings file, and refused rules."""

from __future__ import annotations

import json

import pytest

from indexer.build import build_index
from indexer.search import BadSettings, IndexStore, SearchRequest, read_settings, search, update_settings
from indexer.storage import generations
from indexer.storage.settings import SETTINGS

from archives import write_jsonl

ARTICLES = [
    {"id": "ia-1", "title": "L’IA au bureau", "body": "L’IA change le travail des équipes.",
     "date": "2024-01-02", "tags": ["Travail"]},
    {"id": "ia-2", "title": "Emploi et machines", "body": "L’intelligence artificielle arrive dans les entreprises.",
     "date": "2024-02-03", "tags": ["Travail"]},
    # Both words, never side by side: no phrase "intelligence artificielle" here.
    {"id": "ia-3", "title": "Un portrait", "body": "Son intelligence est vive, son sourire un peu artificiel.",
     "date": "2024-03-04", "tags": ["Portraits"]},
    {"id": "rs-1", "title": "La presse et les réseaux sociaux", "body": "Les rédactions publient partout.",
     "date": "2024-04-05", "tags": ["Presse"]},
    {"id": "rs-2", "title": "Notre stratégie RS", "body": "Nos RS publient chaque jour.",
     "date": "2024-05-06", "tags": ["Presse"]},
    {"id": "rs-3", "title": "Un réseau social d’entreprise", "body": "Les salariés échangent en interne.",
     "date": "2024-06-07", "tags": ["Travail"]},
    {"id": "cloud", "title": "Le cloud et l’hébergement", "body": "Un hébergeur de sites web en France.",
     "date": "2024-07-08", "tags": ["Cloud"]},
]


@pytest.fixture
def index_dir(tmp_path):
    build_index([write_jsonl(tmp_path / "archive.jsonl", ARTICLES)], tmp_path / "index")
    return tmp_path / "index"


def ids(index_dir, q: str, **more) -> list[str]:
    return [r["id"] for r in search(IndexStore(index_dir), SearchRequest(q=q, per_page=50, **more))["results"]]


def answer(index_dir, q: str, **more) -> dict:
    return search(IndexStore(index_dir), SearchRequest(q=q, per_page=50, debug=True, **more))


BOTH_WAYS = {"synonyms": ["IA", "intelligence artificielle"]}
ONE_WAY = {"input": "RS", "synonyms": ["réseaux sociaux"]}


def test_a_rule_both_ways_finds_either_spelling_as_a_phrase_without_a_reindex(index_dir):
    assert sorted(ids(index_dir, "IA")) == ["ia-1"]
    assert sorted(ids(index_dir, "intelligence artificielle")) == ["ia-2", "ia-3"]
    before = generations.read_current(index_dir)

    update_settings(index_dir, synonyms=[BOTH_WAYS])

    assert generations.read_current(index_dir) == before  # no reindex, no new generation
    # The synonym is a phrase: ia-3 has both words, apart, and is not found for "IA".
    assert sorted(ids(index_dir, "IA")) == ["ia-1", "ia-2"]
    assert sorted(ids(index_dir, "ia")) == ["ia-1", "ia-2"]
    # The words as typed still match as words (ia-3), OR the synonym.
    assert sorted(ids(index_dir, "intelligence artificielle")) == ["ia-1", "ia-2", "ia-3"]
    assert sorted(ids(index_dir, "INTELLIGENCE Artificielles")) == ["ia-1", "ia-2", "ia-3"]
    # A synonym is one of the ANDed parts of a longer query.
    assert ids(index_dir, "IA bureau") == ["ia-1"]
    assert ids(index_dir, "IA entreprises") == ["ia-2"]
    # A negated word leaves out its synonyms too; a fielded word is taken as typed.
    assert sorted(ids(index_dir, "-IA travail")) == ["rs-3"]
    assert sorted(ids(index_dir, "-intelligence travail")) == ["ia-1", "rs-3"]
    assert ids(index_dir, "title:IA") == ["ia-1"]
    assert ids(index_dir, "IA*") == ["ia-1"]


def test_a_one_way_rule_applies_in_its_direction_only(index_dir):
    update_settings(index_dir, synonyms=[ONE_WAY])
    assert sorted(ids(index_dir, "RS")) == ["rs-1", "rs-2", "rs-3"]  # rs-3: "réseau social", singular
    assert sorted(ids(index_dir, "réseaux sociaux")) == ["rs-1", "rs-3"]  # not the reverse: no rs-2
    debug = answer(index_dir, "RS")["debug"]
    assert debug["synonyms"] == [{"terms": "r", "synonyms": ["reseau social"]}]
    assert debug["settings_version"] == 1


def test_a_rule_is_read_through_the_analysis_accents_plurals_and_case(index_dir):
    # Written singular, without accents, in capitals: it still names "réseaux sociaux".
    update_settings(index_dir, synonyms=[{"input": "rézo", "synonyms": ["RESEAU SOCIAL"]}])
    assert sorted(ids(index_dir, "rézo")) == ["rs-1", "rs-3"]
    assert sorted(ids(index_dir, "rezo")) == ["rs-1", "rs-3"]
    # A quoted phrase that is a rule's whole side gets its synonyms too.
    update_settings(index_dir, synonyms=[{"synonyms": ["réseaux sociaux", "hébergement"]}])
    assert sorted(ids(index_dir, '"réseaux sociaux"')) == ["cloud", "rs-1", "rs-3"]
    assert sorted(ids(index_dir, "hebergements")) == ["cloud", "rs-1", "rs-3"]


def test_scores_stay_exact_where_no_synonym_applies_and_change_only_where_one_does(index_dir):
    def scores(q):
        return {r["id"]: r["score"] for r in answer(index_dir, q)["results"]}

    plain = {q: scores(q) for q in ("hébergeur", "intelligence", "réseaux sociaux", "publient")}
    update_settings(index_dir, synonyms=[BOTH_WAYS, ONE_WAY])
    for q in ("hébergeur", "intelligence", "réseaux sociaux", "publient"):
        assert scores(q) == plain[q], q
    with_synonyms = scores("intelligence artificielle")
    assert with_synonyms["ia-3"] == pytest.approx(plain["intelligence"]["ia-3"] + scores("artificiel")["ia-3"], abs=1e-3)


def test_a_pinned_article_comes_first_when_published_and_within_the_filters(index_dir):
    update_settings(index_dir, pins=[{"query": "Hébergeurs", "articles": ["rs-2", "no-such-id", "cloud"]}])
    found = answer(index_dir, "hebergeur")
    # rs-2 does not even match: pinned, it joins the results first; "cloud" matched and is second.
    assert [r["id"] for r in found["results"]] == ["rs-2", "cloud"]
    assert found["total"] == 2
    assert found["results"][0]["score"] is None and found["results"][1]["score"] > 0
    assert found["debug"]["pinned"] == ["rs-2", "cloud"] and found["debug"]["normalized_query"] == "hebergeur"
    assert found["facets"]["tag"] == [{"value": "Cloud", "count": 1, "selected": False},
                                      {"value": "Presse", "count": 1, "selected": False}]
    # A filter the pinned article fails leaves it out; a date sort is the reader's order.
    assert ids(index_dir, "hebergeur", filters={"tag": ["Cloud"]}) == ["cloud"]
    assert ids(index_dir, "hebergeur", sort="date") == ["cloud"]
    # Another query is not pinned; page 2 does not repeat the pinned ones.
    assert ids(index_dir, "hebergeur web") == ["cloud"]
    assert [r["id"] for r in search(IndexStore(index_dir), SearchRequest(q="hebergeur", per_page=1, page=2))["results"]] == ["cloud"]


def test_an_article_pinned_twice_is_listed_once(index_dir):
    # " cloud" and "cloud" are one id, as stored: refused when sent now...
    with pytest.raises(BadSettings, match="pinned twice"):
        update_settings(index_dir, pins=[{"query": "cloud", "articles": ["cloud", " cloud"]}])
    # ...and a file saved before that check, pinning it twice, still lists it once.
    (index_dir / SETTINGS).write_text(json.dumps({"version": 7, "synonyms": [],
                                                  "pins": [{"query": "cloud", "articles": ["rs-1", "rs-1"]}]}))
    found = answer(index_dir, "cloud")
    assert [r["id"] for r in found["results"]] == ["rs-1", "cloud"] and found["total"] == 2


def test_settings_are_stored_atomically_versioned_and_a_damaged_file_never_fails_a_search(index_dir, caplog):
    assert read_settings(index_dir) == {"version": 0, "updated_at": None, "synonyms": [], "pins": []}
    update_settings(index_dir, synonyms=[BOTH_WAYS])
    saved = update_settings(index_dir, pins=[{"query": "cloud", "articles": ["ia-1"]}])
    assert saved["version"] == 2 and saved["synonyms"] == [BOTH_WAYS]  # pins changed, synonyms kept
    assert json.loads((index_dir / SETTINGS).read_text())["version"] == 2
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    assert ids(index_dir, "cloud") == ["ia-1", "cloud"]

    (index_dir / SETTINGS).write_text('{"version": 3, "synonyms": [', encoding="utf-8")  # torn by hand
    assert ids(index_dir, "cloud") == ["ia-1", "cloud"]  # the last good settings still apply
    assert sorted(ids(index_dir, "IA")) == ["ia-1", "ia-2"]
    assert "unreadable" in caplog.text
    # Saving again replaces the damaged file, with the version after the highest it still shows, and
    # sets the damaged file aside.
    assert update_settings(index_dir, pins=[])["version"] == 4
    assert ids(index_dir, "cloud") == ["cloud"]
    [aside] = index_dir.glob(SETTINGS + ".damaged-*")
    assert aside.read_text() == '{"version": 3, "synonyms": ['


def test_a_damaged_file_saved_over_continues_the_sequence_of_versions(index_dir):
    """A cache keyed by version must never meet one twice: the next version follows the highest known."""
    for _ in range(3):
        update_settings(index_dir, synonyms=[BOTH_WAYS])
    (index_dir / SETTINGS).write_bytes(b"\x00" * 64)  # nothing of it can be read, its version neither
    assert update_settings(index_dir, pins=[])["version"] == 4  # after the last one written (the lock's record)
    # A file put back by hand with a lower version does not take the sequence back either.
    (index_dir / SETTINGS).write_text(json.dumps({"version": 1, "synonyms": [BOTH_WAYS], "pins": []}))
    assert update_settings(index_dir, pins=[])["version"] == 5
    # A hand edit that breaks the file but raised its version: the sequence goes on from there.
    (index_dir / SETTINGS).write_text('{"version": 40, "synonyms": [{"synonyms": ["IA" "robot"]}]}')
    assert update_settings(index_dir, pins=[])["version"] == 41
    assert read_settings(index_dir)["synonyms"] == []  # replaced by what was sent, kept aside:
    asides = sorted(index_dir.glob(SETTINGS + ".damaged-*"))
    assert [p.read_bytes()[:12] for p in asides] == [b"\x00" * 12, b'{"version": ']


@pytest.mark.parametrize("synonyms, pins, param", [
    ("IA", None, "synonyms"),
    ([{"synonyms": ["IA"]}], None, "synonyms[0].synonyms"),
    ([{"synonyms": ["IA", ""]}], None, "synonyms[0].synonyms[1]"),
    ([{"synonyms": ["IA", "le"]}], None, "synonyms[0].synonyms[1]"),  # a stop word alone
    ([{"synonyms": ["IA", "ia"]}], None, "synonyms[0].synonyms[1]"),
    ([{"synonyms": ["IA", 3]}], None, "synonyms[0].synonyms[1]"),
    ([{"synonyms": ["IA", "x" * 101]}], None, "synonyms[0].synonyms[1]"),
    ([{"synonyms": ["IA", "alpha beta gamma delta epsilon zeta theta iota kappa"]}], None, "synonyms[0].synonyms[1]"),
    ([{"input": "RS", "synonyms": ["rs"]}], None, "synonyms[0].input"),
    ([{"input": "RS", "synonyms": ["réseaux sociaux"]}, {"input": "réseau social", "synonyms": ["RS"]}],
     None, "synonyms[1]"),
    ([{"input": "cloud", "synonyms": ["nuage"]}, {"input": "nuage", "synonyms": ["ciel"]},
      {"input": "ciel", "synonyms": ["cloud"]}], None, "synonyms[2]"),
    ([{"synonyms": ["IA", "robot"], "weight": 2}], None, "synonyms[0]"),
    ([{"synonyms": ["a", "b"]}] * 501, None, "synonyms"),
    ([{"synonyms": [f"mot{i}" for i in range(21)]}], None, "synonyms[0].synonyms"),
    ([{"input": "IA", "synonyms": [f"mot{i}" for i in range(11)]},
      {"input": "IA", "synonyms": [f"terme{i}" for i in range(11)]}], None, "synonyms"),
    (None, {"query": "x"}, "pins"),
    (None, [{"query": " ", "articles": ["a"]}], "pins[0].query"),
    (None, [{"query": "cloud", "articles": []}], "pins[0].articles"),
    (None, [{"query": "cloud", "articles": ["a", "a"]}], "pins[0].articles"),
    (None, [{"query": "cloud", "articles": ["a", " a "]}], "pins[0].articles"),  # one id, as stored
    (None, [{"query": "cloud", "articles": [""]}], "pins[0].articles[0]"),
    (None, [{"query": "cloud", "articles": ["a"]}, {"query": "Clouds", "articles": ["b"]}], "pins[1].query"),
    (None, [{"query": "cloud", "articles": [str(i) for i in range(11)]}], "pins[0].articles"),
])
def test_a_bad_rule_is_refused_naming_it_and_nothing_is_stored(index_dir, synonyms, pins, param):
    update_settings(index_dir, synonyms=[BOTH_WAYS])
    with pytest.raises(BadSettings) as refused:
        update_settings(index_dir, synonyms=synonyms, pins=pins)
    assert refused.value.param == param
    assert read_settings(index_dir)["version"] == 1 and read_settings(index_dir)["synonyms"] == [BOTH_WAYS]

"""Search over the real sample index: matching rules, syntax, facets, sorting, paging, did-you-mean."""

import time

import pytest

from indexer.errors import ArticleNotFound, QueryError
from indexer.search import SearchRequest, get_article, search


def ids(answer):
    return [r["id"] for r in answer["results"]]


def run(store, q="", **kw):
    return search(store, SearchRequest(q=q, per_page=kw.pop("per_page", 50), **kw))


def facet(answer, name):
    return {f["value"]: f["count"] for f in answer["facets"][name]}


def test_hebergeur_finds_the_ovh_article_first(sample_store):
    answer = run(sample_store, "hebergeur")
    assert ids(answer)[0] == "103"
    assert answer["results"][0]["title"] == "OVH. What ?"


@pytest.mark.parametrize("group", [
    ["entreprises", "entreprise", "l’entreprise", "l'entreprise", "ENTREPRISE", "Entreprises"],
    ["numérique", "numerique", "NUMÉRIQUE", "numériques"],
    ["sociaux", "social", "sociales"],
    ["manœuvre", "manoeuvre"],
    ["salariés", "salaries", "salarié"],
])
def test_case_accents_elision_and_inflection_never_change_what_is_found(sample_store, group):
    found = {tuple(sorted(ids(run(sample_store, q)))) for q in group}
    assert len(found) == 1, found
    assert found.pop(), "each group matches something in the sample"


def test_manoeuvre_finds_manoeuvre_with_ligature(sample_store):
    answer = run(sample_store, "manoeuvre")
    assert ids(answer) == ["102"]
    assert "<mark>manoeuvre</mark>" in answer["results"][0]["snippet"]  # the seed writes it `manoeuvre`


def test_all_words_are_required(sample_store):
    assert set(ids(run(sample_store, "ovh roubaix"))) == {"103"}
    assert run(sample_store, "ovh influenceurs")["total"] == 0


def test_or_widens(sample_store):
    assert set(ids(run(sample_store, "ovh OR influence"))) == {"103", "108"}


def test_minus_excludes(sample_store):
    with_ovh = set(ids(run(sample_store, "serveurs")))
    assert "103" in with_ovh
    assert "103" not in ids(run(sample_store, "serveurs -ovh"))
    only_negative = run(sample_store, "-numérique")
    assert only_negative["total"] > 0 and "109" not in ids(only_negative)


def test_phrase_needs_the_words_together(sample_store):
    phrase = set(ids(run(sample_store, '"transformation numérique"')))
    words = set(ids(run(sample_store, "transformation numérique")))
    assert phrase and phrase <= words
    assert run(sample_store, '"numérique transformation"')["total"] < len(words)
    assert ids(run(sample_store, "« chiffre d’affaires »")) == ["103"]  # French quotes work too


def test_prefix(sample_store):
    answer = run(sample_store, "héberg*")
    assert "103" in ids(answer)
    assert "<mark>" in answer["results"][0]["snippet"]


def test_fields(sample_store):
    assert ids(run(sample_store, "title:ovh")) == ["103"]
    assert ids(run(sample_store, "tag:ovh")) == ["103"]
    assert "109" in ids(run(sample_store, "tag:management"))
    assert run(sample_store, "title:fevad")["total"] == 0


def test_source_field_finds_the_articles_citing_a_source(sample_store):
    assert "109" in ids(run(sample_store, "source:fevad"))


def test_title_matches_rank_above_body_matches(sample_store):
    assert ids(run(sample_store, "influence"))[0] == "108"


def test_empty_query_lists_every_published_article_newest_first(sample_store):
    answer = run(sample_store, "")
    assert answer["total"] == 11
    assert ids(answer)[:3] == ["110", "109", "108"]
    assert ids(answer)[-1] == "2"
    assert all(r["score"] is None for r in answer["results"])


def test_sort_by_date_both_ways(sample_store):
    newest = ids(run(sample_store, "numérique", sort="date"))
    oldest = ids(run(sample_store, "numérique", sort="-date"))
    assert newest == list(reversed(oldest))
    assert newest[0] == "110"


def test_pagination(sample_store):
    pages = [search(sample_store, SearchRequest(q="", page=p, per_page=4)) for p in (1, 2, 3, 4)]
    assert [a["pages"] for a in pages] == [3, 3, 3, 3]
    assert sum((ids(a) for a in pages), []) == ids(run(sample_store, ""))
    assert ids(pages[3]) == []


def test_relevance_pages_follow_the_ranking(sample_store):
    full = ids(run(sample_store, "entreprise"))
    paged = sum((ids(search(sample_store, SearchRequest(q="entreprise", page=p, per_page=3)))
                 for p in (1, 2, 3, 4)), [])
    assert paged == full


# Facet counts below were checked by hand against indexer/sample/archive.xml.

def test_facet_counts_of_the_whole_archive(sample_store):
    answer = run(sample_store, "")
    tags = facet(answer, "tag")
    assert tags["Réseaux sociaux"] == 5
    assert tags["Transformation numérique"] == 4
    assert tags["Les Echos"] == 2
    assert facet(answer, "category") == {"Réflexions": 5, "Entreprise & numérique": 4,
                                         "Événements": 3, "Métiers du digital": 2}
    assert facet(answer, "year") == {"2015": 10, "2014": 1}
    assert [f["value"] for f in answer["facets"]["year"]] == ["2015", "2014"]
    assert answer["facets"]["tag"][0] == {"value": "Réseaux sociaux", "count": 5, "selected": False}


def test_a_facet_ignores_its_own_filter_and_honours_the_others(sample_store):
    answer = run(sample_store, "", filters={"tag": ["Réseaux sociaux"]})
    assert sorted(ids(answer)) == ["102", "104", "106", "108", "109"]
    assert facet(answer, "tag")["Transformation numérique"] == 4  # own filter ignored
    assert facet(answer, "category") == {"Réflexions": 3, "Entreprise & numérique": 2,
                                         "Métiers du digital": 2}
    selected = [f for f in answer["facets"]["tag"] if f["selected"]]
    assert selected == [{"value": "Réseaux sociaux", "count": 5, "selected": True}]


def test_values_of_one_facet_are_ored_and_facets_are_anded(sample_store):
    assert sorted(ids(run(sample_store, "", filters={"tag": ["OVH", "Influence"]}))) == ["103", "108"]
    both = run(sample_store, "", filters={"tag": ["Réseaux sociaux"], "category": ["Métiers du digital"]})
    assert sorted(ids(both)) == ["104", "106"]
    assert facet(both, "tag")["Réseaux sociaux"] == 2
    assert facet(both, "category")["Réflexions"] == 3


def test_facet_values_match_whatever_their_case_or_accents(sample_store):
    assert ids(run(sample_store, "", filters={"tag": ["reseaux SOCIAUX"]})) == \
        ids(run(sample_store, "", filters={"tag": ["Réseaux sociaux"]}))


def test_unknown_facet_value_is_shown_selected_with_no_result(sample_store):
    answer = run(sample_store, "", filters={"tag": ["Nulle part"]})
    assert answer["total"] == 0
    assert {"value": "Nulle part", "count": 0, "selected": True} in answer["facets"]["tag"]


def test_year_author_and_date_range(sample_store):
    assert ids(run(sample_store, "", filters={"year": ["2014"]})) == ["2"]
    assert run(sample_store, "", filters={"author": ["Fabienne Billat"]})["total"] == 11
    march = run(sample_store, "", date_from="2015-03-01", date_to="2015-03-31")
    assert sorted(ids(march)) == ["101", "102", "103", "105"]
    assert facet(march, "year") == {"2015": 4}


def test_source_facet_lists_quoted_sources(sample_store):
    sources = facet(run(sample_store, ""), "source")
    assert any(k.upper() == "FEVAD" for k in sources)
    assert "109" in ids(run(sample_store, "", filters={"source": ["fevad"]}))


def test_results_have_the_contract_shape(sample_store):
    answer = run(sample_store, "ovh")
    assert list(answer) == ["query", "total", "page", "per_page", "pages", "took_ms", "suggestion",
                            "corrected", "results", "facets"]
    result = answer["results"][0]
    assert list(result) == ["id", "url", "title", "date", "author", "tags", "categories", "sources",
                            "snippet", "score"]
    assert result["url"].startswith("https://") and result["date"] == "2015-03-28"
    assert set(answer["facets"]) == {"tag", "category", "source", "year", "author"}


def test_nothing_unpublished_is_searchable(sample_store):
    for marker in ("motsecretbrouillon", "motsecretprive", "motsecretcorbeille", "motsecretmotdepasse",
                   "motsecretpiecejointe", "motsecretmenu", "motsecretrevision", "motsecretattente",
                   "brouillon", "indexer"):
        assert run(sample_store, marker)["total"] == 0, marker
    titles = [r["title"] for r in run(sample_store, "")["results"]]
    assert not any("ne pas" in t for t in titles)


def test_did_you_mean_in_the_archive_spelling(sample_store):
    answer = run(sample_store, "numerqiue")
    assert answer["suggestion"] == "numérique"
    assert answer["corrected"] is True and answer["total"] > 0
    assert "<mark>numérique</mark>" in answer["results"][0]["snippet"]


def test_no_suggestion_for_a_correct_query(sample_store):
    answer = run(sample_store, "hébergeur")
    assert answer["suggestion"] is None and answer["corrected"] is False


def test_suggestion_without_correction_when_the_query_still_finds_something(sample_store):
    answer = run(sample_store, "ovh OR serveurz")
    assert answer["suggestion"] == "ovh OR serveurs"
    assert answer["corrected"] is False and ids(answer) == ["103"]


def test_get_article(sample_store):
    article = get_article(sample_store, "103")
    assert article["title"] == "OVH. What ?" and "Octave Klaba" in article["body"]
    with pytest.raises(ArticleNotFound):
        get_article(sample_store, "999")
    with pytest.raises(ArticleNotFound):
        get_article(sample_store, "111")  # a draft


@pytest.mark.parametrize("bad, param", [
    (dict(page=0), "page"), (dict(per_page=0), "per_page"), (dict(per_page=51), "per_page"),
    (dict(sort="popular"), "sort"), (dict(date_from="2015-02-30"), "from"), (dict(date_to="hier"), "to"),
    (dict(filters={"colour": ["red"]}), "colour"),
])
def test_bad_parameters_are_named(sample_store, bad, param):
    with pytest.raises(QueryError) as err:
        search(sample_store, SearchRequest(**bad))
    assert err.value.param == param


HOSTILE = [
    "*", "*eur", "?uvre", "**", "*" * 100, "a*", "numérique" + " OR numérique" * 63,
    '"unbalanced phrase', '"', '""', "-", "--ovh", "OR", "OR OR", "title:", "tag:", "title:\"\"",
    "((ovh)", "ovh)", "[1 TO 5]", "field:value", "ovh^100", "ovh~3", "\\", "\x00", "\ufffd",
    "🙂😉", "<script>alert(1)</script>", "l'", "'", "’’’", "中文", "   ", "-*", "AND", "NOT ovh",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_are_answered_quickly(sample_store, q):
    started = time.perf_counter()
    answer = run(sample_store, q)
    assert time.perf_counter() - started < 1.0
    assert isinstance(answer["total"], int)


@pytest.mark.parametrize("q", ["x" * 5000, " OR ".join(f"mot{i}" for i in range(400))])
def test_oversized_queries_are_refused(sample_store, q):
    started = time.perf_counter()
    with pytest.raises(QueryError) as err:
        run(sample_store, q)
    assert err.value.param == "q"
    assert time.perf_counter() - started < 0.25


def test_leading_wildcards_are_read_as_plain_words(sample_store):
    assert ids(run(sample_store, "*ovh")) == ids(run(sample_store, "ovh"))


def test_stop_words_alone_find_nothing_rather_than_everything(sample_store):
    assert run(sample_store, "le la les")["total"] == 0


def test_a_search_over_its_time_limit_is_stopped(tmp_path):
    from archives import write_jsonl
    from indexer.build import build_index
    from indexer.errors import SearchTimeout
    from indexer.storage.store import IndexStore

    articles = [{"id": str(i), "title": f"Article {i}", "body": "le numérique en entreprise " * 20}
                for i in range(1200)]
    build_index([write_jsonl(tmp_path / "a.jsonl", articles)], tmp_path / "ix")
    store = IndexStore(tmp_path / "ix")
    assert search(store, SearchRequest(q="numérique"), time_limit=None)["total"] == 1200
    with pytest.raises(SearchTimeout):
        search(store, SearchRequest(q="numérique"), time_limit=1e-9)


def test_a_long_quoted_passage_is_matched_on_its_first_words(sample_store):
    passage = ("Car OVH est un hébergeur de sites web français et propose une multitude de services "
               "aux entreprises en infrastructures web : hébergement, nom de domaine, serveur dédié, CDN, "
               "Cloud, Big Data, et bien d'autres choses encore que personne n'a jamais écrites ici")
    answer = run(sample_store, f'"{passage}"')
    assert ids(answer) == ["103"]

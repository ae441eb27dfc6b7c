"""The French analyzer, filter by filter, on the seed's own sentences."""

import pickle

import pytest

from indexer.analysis import (CompoundFilter, ElisionFilter, FoldFilter, FrenchTokenizer, fold,
                              StopWordFilter, french_analyzer, normalize, stem, surface_words,
                              word_analyzer)


def texts(chain, text, **kw):
    return [t.text for t in chain(text, **kw)]


def test_normalize_maps_curly_apostrophes_and_odd_spaces_one_to_one():
    text = "l’entreprise\u00a0: d‘abord l\u02bcusage\u202f!"
    out = normalize(text)
    assert out == "l'entreprise : d'abord l'usage !"
    assert len(out) == len(text)  # character offsets stay valid for snippets


def test_normalize_composes_decomposed_accents():
    assert normalize("nume\u0301rique") == "numérique"


def test_tokenizer_keeps_inner_apostrophes_and_hyphens():
    tokens = texts(FrenchTokenizer(), "Cette entreprise suédoise, implante des micro-puces dans l’entreprise")
    assert tokens == ["Cette", "entreprise", "suédoise", "implante", "des", "micro-puces", "dans", "l'entreprise"]


@pytest.mark.parametrize("word, expected", [
    ("l'entreprise", "entreprise"), ("d'OVH", "OVH"), ("qu'elle", "elle"), ("jusqu'aux", "aux"),
    ("lorsqu'il", "il"), ("s'adapter", "adapter"), ("n'ont", "ont"), ("c'est", "est"),
    ("aujourd'hui", "aujourd'hui"),  # not an elision: kept whole for the compound filter
])
def test_elision_filter_drops_the_elided_article(word, expected):
    assert texts(FrenchTokenizer() | ElisionFilter(), word) == [expected]


def test_elision_moves_the_start_offset_past_the_article():
    (token,) = list((FrenchTokenizer() | ElisionFilter())("l’intégration", chars=True))
    assert (token.startchar, token.endchar) == (2, 13)


def test_compound_words_are_findable_by_parts_and_whole_when_indexing():
    chain = FrenchTokenizer() | CompoundFilter()
    tokens = [(t.text, t.pos) for t in chain("des micro-puces dans", positions=True)]
    assert tokens == [("des", 0), ("micro", 1), ("puces", 2), ("micropuces", 1), ("dans", 3)]
    assert texts(chain, "micro-puces", mode="query") == ["micro", "puces"]


def test_fold_filter_lowercases_and_strips_accents_and_ligatures():
    chain = FrenchTokenizer() | FoldFilter()
    assert texts(chain, "Manœuvre ÉVÉNEMENTS Général cœur Ça") == ["manoeuvre", "evenements", "general", "coeur", "ca"]


def test_stop_words_are_removed_after_folding_and_positions_close_up():
    chain = FrenchTokenizer() | FoldFilter() | StopWordFilter()
    tokens = [(t.text, t.pos) for t in chain("la transformation du numérique a été", positions=True)]
    assert tokens == [("transformation", 0), ("numerique", 1)]  # `été` is folded to `ete` first


@pytest.mark.parametrize("variants", [
    ["entreprises", "entreprise", "l’entreprise", "ENTREPRISE", "l'Entreprises"],
    ["salariés", "salarié", "salarie", "salaries", "SALARIÉS"],
    ["numérique", "numerique", "numériques", "NUMÉRIQUE"],
    ["sociaux", "social", "Sociaux"],
    ["manœuvre", "manoeuvre", "MANOEUVRE"],
    ["hébergeur", "hebergeur", "hébergeurs"],
    ["connectée", "connecté", "connectées", "connectes"],
    ["réseaux", "reseau", "Réseau"],
])
def test_variants_of_one_word_give_one_term(variants):
    analyzer = french_analyzer()
    terms = {tuple(texts(analyzer, v)) for v in variants}
    assert len(terms) == 1, terms


def test_seed_sentence_end_to_end():
    sentence = "Les entreprises B2B ont généralement bien intégré cette démarche : 14% d’entre elles vendent"
    assert texts(french_analyzer(), sentence) == [
        "entrepris", "b2b", "general", "bien", "integr", "cet", "demarch", "14", "entre", "vendent"]  # `elles` is a stop word


def test_analyzer_offsets_point_at_the_original_words():
    text = "Car OVH est un hébergeur de sites web français"
    for t in french_analyzer()(text, chars=True):
        assert fold(text[t.startchar:t.endchar]).startswith(t.text[:3])


def test_query_mode_does_not_add_compound_wholes():
    assert texts(french_analyzer(), "micro-puces", mode="query") == ["micro", "puc"]


def test_word_analyzer_folds_without_stemming():
    assert texts(word_analyzer(), "Numériques l’Hébergeur") == ["numeriques", "hebergeur"]


def test_surface_words_keep_the_archive_spelling():
    assert list(surface_words("Le Numérique, l’hébergeur")) == [
        ("le", "le"), ("numerique", "numérique"), ("hebergeur", "hébergeur")]


def test_stem_is_cached_and_digits_are_kept():
    assert stem("2015") == "2015"
    stem("transformation")
    assert stem.cache_info().hits >= 0 and stem("transformation") == "transform"


def test_the_analyzer_pickles_into_the_schema():
    analyzer = pickle.loads(pickle.dumps(french_analyzer()))
    assert texts(analyzer, "Les réseaux sociaux") == ["reseau", "social"]


@pytest.mark.parametrize("text", ["", "   ", "!!! ??? …", "🙂😉", "_-_'", "\x00\ufffd", "中文 العربية"])
def test_odd_text_never_breaks_the_analyzer(text):
    texts(french_analyzer(), text)

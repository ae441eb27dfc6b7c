"""The French analyzer, filter by filter, on the seed's own sentences."""

import pickle

import pytest
from hypothesis import given, settings, strategies as st

from indexer.analysis import _WORD, word_list
from indexer.analysis import (FOLDED_STOP_WORDS, FrenchTokenizer, analyze, analyze_word,
                              compound_parts, elide, fold, french_analyzer, normalize, stem,
                              spelling, words)


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
    ("L'Atelier", "Atelier"),
    ("aujourd'hui", "aujourd'hui"),  # not an elision: kept whole for the compound step
])
def test_elide_cuts_the_elided_article(word, expected):
    assert word[elide(word):] == expected


def test_compound_parts_with_offsets():
    assert compound_parts("micro-puces") == [(0, "micro"), (6, "puces")]
    assert compound_parts("aujourd'hui") == [(0, "aujourd"), (8, "hui")]
    assert compound_parts("numérique") == [(0, "numérique")]


def test_elision_moves_the_start_offset_past_the_article():
    (piece,) = analyze_word("l'intégration")
    assert (piece.start, piece.end, piece.folded, piece.term) == (2, 13, "integration", "integr")


def test_compound_words_are_findable_by_parts_and_whole_when_indexing():
    pieces = [(p.folded, p.pos) for p in analyze_word("micro-puces")]
    assert pieces == [("micro", 0), ("puces", 1), ("micropuces", 0)]
    assert [p.folded for p in analyze_word("micro-puces", whole=False)] == ["micro", "puces"]


def test_fold_lowercases_and_strips_accents_and_ligatures():
    assert [fold(w) for w in "Manœuvre ÉVÉNEMENTS Général cœur Ça 5ème".split()] == [
        "manoeuvre", "evenements", "general", "coeur", "ca", "5eme"]


def test_stop_words_are_folded_like_the_text():
    assert {"ete", "etaient", "a", "la", "elles"} <= FOLDED_STOP_WORDS


def test_stop_words_are_removed_and_positions_close_up():
    pieces = [(folded, pos) for _, _, folded, _, pos in analyze("la transformation du numérique a été")]
    assert pieces == [("transformation", 0), ("numerique", 1)]


def test_positions_in_the_whoosh_chain():
    tokens = [(t.text, t.pos) for t in french_analyzer()("des micro-puces dans les mains", positions=True)]
    assert tokens == [("micro", 0), ("puc", 1), ("micropuc", 0), ("main", 2)]


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
    text = "Car OVH est un hébergeur de sites web français, l’entreprise"
    for t in french_analyzer()(text, chars=True):
        assert fold(text[t.startchar:t.endchar]).startswith(t.text[:3])
    for start, end, folded, _, _ in analyze(text):
        assert fold(text[start:end]) == folded


def test_query_mode_does_not_add_compound_wholes():
    assert texts(french_analyzer(), "micro-puces", mode="query") == ["micro", "puc"]


def test_spelling_keeps_the_archive_spelling():
    written = words("Le Numérique, l’hébergeur en 2015")
    assert written == ["Le", "Numérique", "l'hébergeur", "en", "2015"]
    assert [spelling(w) for w in written] == [
        ("le", "le"), ("numerique", "numérique"), ("hebergeur", "hébergeur"), ("en", "en"), ("", "2015")]


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


# --- word_list: the regex's words, read faster ----------------------------------------------------------

_TRICKY = ["l'entreprise", "aujourd’hui", "micro-puces", "a/b", "3,5", "1.2.3", "—", "«", "»", "_x_", "x_y",
           "http://exemple.fr/a-b?c=d", "NBSP\u00a0ici", "fin.", "(voir", "œuvre", "Ⅻ", "²", "٣", "--", "'",
           "C++", "e-mail", "l’", "’a", "a''b", "\u202fthin", "x\u2011y", "🙂", "ǅ", "ﬁn"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TRICKY), st.text(max_size=12)), max_size=30),
       st.lists(st.sampled_from([" ", "\n", "\t", "\u00a0", "  ", "\u2009", "\u3000"]), min_size=30, max_size=30))
def test_word_list_finds_exactly_the_regex_words(pieces, spaces):
    text = normalize("".join(p + s for p, s in zip(pieces, spaces)))
    assert word_list(text) == _WORD.findall(text)
    cut = next((i for i, c in enumerate(text) if c.isspace() and i > len(text) // 2), None)
    if cut is not None:  # a part starting and ending between words
        assert word_list(text, 0, cut) + word_list(text, cut) == _WORD.findall(text)

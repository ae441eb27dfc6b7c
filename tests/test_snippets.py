"""Snippets: the best passage, matched words in <mark>, everything else escaped."""

from indexer.search.query import Highlight, terms
from indexer.search.snippets import make_snippet


def hl(*words, prefixes=()):
    return Highlight(stems={s for w in words for s in terms(w)}, prefixes=set(prefixes))


def test_marks_every_form_of_the_matched_word():
    text = "Les entreprises françaises et l’entreprise agile : une Entreprise."
    out = make_snippet(text, hl("entreprise"))
    assert out.count("<mark>") == 3
    assert "<mark>entreprises</mark>" in out and "l’<mark>entreprise</mark>" in out


def test_everything_but_mark_is_escaped():
    text = 'Avant <script>alert("x")</script> & <img src=x onerror=alert(1)> le numérique <b>gras</b>'
    out = make_snippet(text, hl("numérique"))
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out
    assert out.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_hostile_query_words_cannot_inject_markup():
    out = make_snippet("texte <mark>faux</mark> numérique", hl("<mark>"))
    # the word `mark` matches, but the archive's own `<mark>` stays text
    assert out == "texte &lt;<mark>mark</mark>&gt;faux&lt;/<mark>mark</mark>&gt; numérique"


def test_picks_the_window_with_the_most_distinct_matches():
    filler = " ".join(f"mot{i}" for i in range(200))
    text = f"ovh au début. {filler} ovh hébergeur roubaix ensemble. {filler}"
    out = make_snippet(text, hl("ovh", "hébergeur", "roubaix"))
    assert "<mark>ovh</mark> <mark>hébergeur</mark> <mark>roubaix</mark>" in out
    assert out.startswith("… ") and out.endswith(" …")


def test_prefix_matches_are_marked():
    out = make_snippet("Le numérique et les numéros", hl(prefixes={"numer"}))
    assert "<mark>numérique</mark>" in out and "<mark>numéros</mark>" in out


def test_no_match_in_the_body_gives_its_beginning():
    out = make_snippet("Un début d’article sans le mot cherché. " * 20, hl("ovh"))
    assert out.startswith("Un début") and "<mark>" not in out


def test_empty_and_huge_bodies():
    assert make_snippet("", hl("ovh")) == ""
    huge = ("remplissage " * 2_000_000) + "ovh"
    assert "<mark>" not in make_snippet(huge, hl("ovh"))  # only the head of a huge article is scanned


def test_a_match_far_into_a_long_text_is_found_and_the_snippet_says_more_follows():
    # The text is read a chunk at a time: the best window may start in a later chunk, and
    # reading stops SCAN_AFTER_FIRST_MATCH words past the first match.
    filler = " ".join(f"mot{i}" for i in range(1500))
    text = f"ovh au début. {filler} ovh hébergeur roubaix ensemble. {filler}"
    out = make_snippet(text, hl("ovh", "hébergeur", "roubaix"))
    assert "<mark>ovh</mark> au début" in out  # the better window is past the reading limit
    out = make_snippet(f"{filler} ovh hébergeur roubaix. {filler}", hl("ovh", "roubaix"))
    assert out.startswith("… mot1496 ") and "<mark>ovh</mark> hébergeur <mark>roubaix</mark>" in out
    assert out.endswith(" …")


def test_an_empty_query_shows_the_opening_words():
    text = " ".join(f"mot{i}" for i in range(100))
    assert make_snippet(text, Highlight()) == " ".join(f"mot{i}" for i in range(40)) + " …"
    assert make_snippet("deux mots", Highlight()) == "deux mots"


def test_matched_words_are_those_with_matching_pieces():
    words = {"l'entreprise", "Entreprises", "micro-entreprise", "entrepris", "OVH", "d'OVH", "le", "rien"}
    for highlight in (hl("entreprise", "ovh"), hl("micro-entreprise"), hl("rien")):
        expected = {w: highlight.pieces(w) for w in words if highlight.pieces(w)}
        assert highlight.matched(set(words)) == expected and expected

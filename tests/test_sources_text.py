"""Shared cleaning: HTML to plain text, cleaned HTML, titles and labels, dates, hostile sizes."""

import time
import unicodedata

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.sources.text import (clean_html, html_body, html_to_text, labels, parse_date, plain, plain_body,
                                  text_to_html)


def test_blocks_are_paragraphs_and_br_is_a_newline():
    html = "<h2>Intertitre</h2><p>Premier <b>paragraphe</b>.</p><p>Deux<br>lignes</p><ul><li>un</li><li>deux</li></ul>"
    assert html_to_text(html) == "Intertitre\n\nPremier paragraphe.\n\nDeux\nlignes\n\nun\ndeux"


def test_entities_are_decoded_and_curly_apostrophes_kept():
    text = html_to_text("<p>L&#8217;entreprise &amp; l’État&nbsp;: «&nbsp;oui&nbsp;»</p>")
    assert text == "L’entreprise & l’État\u00a0: «\u00a0oui\u00a0»"


def test_source_whitespace_collapses_but_preformatted_lines_stay():
    assert html_to_text("<p>  un\n   texte\t\tindenté  </p>") == "un texte indenté"
    assert html_to_text("<pre>ligne 1\nligne 2</pre>") == "ligne 1\nligne 2"


def test_text_is_nfc():
    decomposed = "cafe\u0301 re\u0301sume\u0301"
    assert not unicodedata.is_normalized("NFC", decomposed)
    assert html_to_text(f"<p>{decomposed}</p>") == "café résumé"
    assert plain(decomposed) == "café résumé"


def test_scripts_styles_and_theme_parts_never_reach_the_text():
    html = (
        "<p>Texte.</p><script>var pub = 'script';</script><style>.x{content:'style'}</style>"
        "<noscript>noscript</noscript><iframe src='https://ads.example'>cadre</iframe>"
        "<form><label>formulaire</label></form><nav>menu</nav><aside>encadré</aside><footer>pied</footer>"
        "<div class='sidebar'>barre</div><div class='widget'>widget</div><div id='comments'>avis</div> Fin."
    )
    assert html_to_text(html) == "Texte.\n\nFin."


def test_clean_html_keeps_article_markup_and_links():
    cleaned = clean_html(
        '<p>Selon <a href="https://www.lesechos.fr/x">Les Échos</a></p><script>alert(1)</script>'
        '<blockquote cite="https://insee.fr">Chiffre</blockquote><nav><a href="/">Accueil</a></nav> suite'
    )
    assert cleaned == (
        '<p>Selon <a href="https://www.lesechos.fr/x">Les Échos</a></p>'
        '<blockquote cite="https://insee.fr">Chiffre</blockquote> suite'
    )


def test_html_body_is_clean_html_and_its_text():
    html = "<p>Un <em>article</em>.</p><script>x()</script>"
    assert html_body(html) == (clean_html(html), html_to_text(html)) == ("<p>Un <em>article</em>.</p>", "Un article.")
    assert html_body("") == ("", "")
    assert html_body("   ") == ("", "")


def test_plain_for_titles_and_labels():
    assert plain("  L&#8217;emploi &amp; <em>le\n numérique</em> ") == "L’emploi & le numérique"
    assert plain("5 < 6 & AT&T") == "5 < 6 & AT&T"
    assert plain("<script>x()</script>Titre") == "Titre"
    assert plain("Qui\u00a0?") == "Qui\u00a0?"  # a French no-break space is text, not layout


def test_labels_are_plain_and_never_empty():
    assert labels(["R&amp;D", "  ", "<b>PME</b>", "Numérique"]) == ["R&D", "PME", "Numérique"]


def test_text_to_html_escapes_and_makes_paragraphs():
    assert text_to_html("a < b & c\nsuite\n\n\nfin") == "<p>a &lt; b &amp; c<br>\nsuite</p>\n<p>fin</p>\n"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2015-03-28", "2015-03-28"),
        ("2015-03-28 10:12:00", "2015-03-28"),
        ("2015-03-28T23:30:00-05:00", "2015-03-28"),  # the author's day, not UTC's
        ("2015-03-28T10:12:00.123Z", "2015-03-28"),
        ("Sat, 28 Mar 2015 10:12:00 +0000", "2015-03-28"),
        ("0000-00-00 00:00:00", ""),
        ("2015-02-30", ""),
        ("le 28 mars", ""),
        ("", ""),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_nesting_deeper_than_the_parser_follows_keeps_its_text():
    html = "<div>" * 10_000 + "texte profond" + "</div>" * 10_000 + "<p>après</p><script>x()</script>"
    started = time.monotonic()
    assert html_to_text(html) == "texte profond\n\naprès"
    assert time.monotonic() - started < 2


def test_a_very_large_body_is_read_in_reasonable_time():
    paragraph = "<p>Le télétravail <em>progresse</em> dans les entreprises, selon l&#8217;étude FEVAD.</p>\n"
    html = paragraph * (20_000_000 // len(paragraph))  # 20 MB
    started = time.monotonic()
    cleaned, text = html_body(html)
    assert time.monotonic() - started < 10
    assert text.count("selon l’étude FEVAD.") == html.count("<p>")
    assert cleaned.count("<em>") == html.count("<em>")


def test_control_characters_are_dropped():
    assert html_to_text("<p>a\x00b\x0bc\x1fd</p>") == "abcd"


# Characters that make paragraphs, lines, markup, entities and dropped controls, and any text.
_TRICKY = st.lists(st.sampled_from(list("ab é\n\r\t\u00a0<>&;\x00\x0b\x1f\x7f\ufdd0\ufeff«»’-")
                                   + ["&amp;", "<p>", "\r\n", "\n\n", " \n \n"]), max_size=40).map("".join)
_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_TRICKY, _ANY_TEXT))
def test_a_plain_body_reads_as_its_html_would(text):
    # plain_body skips the parse of text_to_html's markup; the text must be what the parse gives.
    assert plain_body(text) == (text_to_html(text), html_body(text_to_html(text))[1])

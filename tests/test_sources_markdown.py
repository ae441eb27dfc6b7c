"""Markdown/text folder reader: front matter, titles, rendering to text, drafts, bad files."""

import time
from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.sources import open_source
from indexer.sources.markdown import MarkdownReader, render_markdown

NOTES = Path(__file__).parent / "fixtures" / "sources" / "markdown" / "notes"


@pytest.fixture(scope="module")
def notes():
    reader = open_source(NOTES)
    records = list(reader)
    return reader, {r.id: r for r in records if isinstance(r, Article)}, [r for r in records if isinstance(r, Skipped)]


def test_reader_shape(notes):
    reader, _, _ = notes
    assert isinstance(reader, MarkdownReader)
    assert (reader.kind, reader.path, reader.total) == ("markdown", str(NOTES), 8)  # hidden file left out


def test_published_files_come_out_in_a_stable_order(notes):
    _, articles, _ = notes
    assert list(articles) == ["2015-04-02-greve-sncf", "2015/teletravail", "sans-titre"]
    assert [getattr(r, "id", None) for r in open_source(NOTES) if isinstance(r, Article)] == list(articles)


def test_drafts_and_unpublished_files_are_excluded(notes):
    reader, articles, skipped = notes
    assert reader.excluded == {"draft": 1, "unpublished": 1, "status pending": 1}
    assert not {"brouillon", "depublie", "en-attente"} & set(articles)
    assert all(s.where.split(":")[0] not in ("brouillon.md", "depublie.md", "en-attente.markdown") for s in skipped)


def test_bad_yaml_and_undecodable_files_are_skipped_with_a_reason(notes):
    _, _, skipped = notes
    assert skipped == [
        Skipped("latin1.txt", "not UTF-8 text (byte 0xe9 at offset 26)"),
        Skipped("yaml-casse.md:4", "bad YAML front matter: found unexpected end of stream"),
    ]


def test_front_matter_fields(notes):
    _, articles, _ = notes
    article = articles["2015/teletravail"]
    assert article.title == "Le télétravail s’installe"
    assert article.date == "2015-03-28"
    assert article.author == "Marie Dupont"
    assert article.tags == ["télétravail", "PME"]
    assert article.categories == ["Travail", "Entreprises"]  # a comma-separated string
    assert article.url == "https://carnet.example/2015/03/teletravail/"


def test_markdown_syntax_is_gone_and_links_are_kept_in_body_html(notes):
    _, articles, _ = notes
    article = articles["2015/teletravail"]
    assert article.body == (
        "Un titre de corps qui n’est pas le titre\n\n"
        "Le télétravail progresse selon l’étude FEVAD et le rapport Gallup. "
        "Une remarque entre crochets [sic] reste du texte.\n\n"
        "« C’est une révolution silencieuse », affirme Louis Richardson (IBM).\n\n"
        "premier point\nsecond point\n\n"
        'code_ignoré = "<script>"'
    )
    assert '<a href="https://www.fevad.com/etude-2015">étude FEVAD</a>' in article.body_html
    assert '<a href="https://www.gallup.com/rapport-2015">rapport Gallup</a>' in article.body_html
    assert "bureau.jpg" not in article.body_html  # images go
    assert "<script>" not in article.body_html  # code is escaped text


def test_title_from_heading_and_date_from_a_dated_file_name(notes):
    _, articles, _ = notes
    article = articles["2015-04-02-greve-sncf"]
    assert article.title == "Grève à la SNCF : le bilan"
    assert article.date == "2015-04-02"
    assert article.body == "La grève a duré trois jours. Voir http://tinyurl.com/greve2015."
    assert '<a href="http://tinyurl.com/greve2015">' in article.body_html  # a bare URL is a link too


def test_title_from_file_name_without_front_matter_or_heading(notes):
    _, articles, _ = notes
    article = articles["sans-titre"]
    assert article.title == "sans titre"
    assert article.body == "Une simple note en texte brut, sans titre ni métadonnées.\n\nDeuxième paragraphe de la note."


@pytest.mark.parametrize(
    "content, reason",
    [
        ("---\ntitle: Jamais fermé\nCorps.\n", "front matter opened with --- is never closed"),
        ("---\n- une\n- liste\n---\nCorps.\n", "front matter is not a mapping but list"),
        ("---\ntags: {a: 1}\n---\nCorps.\n", "front matter tags must be a list or a comma-separated string"),
        ("---\ntitle: [a, b]\n---\nCorps.\n", "front matter title must be text, not list"),
    ],
)
def test_unusable_front_matter_is_skipped(tmp_path, content, reason):
    (tmp_path / "note.md").write_text(content, encoding="utf-8")
    (record,) = open_source(tmp_path)
    assert isinstance(record, Skipped) and record.reason == reason


def test_hostile_markdown_stays_fast(tmp_path):
    (tmp_path / "hostile.md").write_text(
        ">" * 20_000 + " citation\n\n" + "*a" * 50_000 + "\n\n" + "[" * 20_000 + "\n", encoding="utf-8"
    )
    started = time.monotonic()
    (article,) = open_source(tmp_path)
    assert time.monotonic() - started < 3
    assert article.body.startswith("citation")


@pytest.mark.parametrize(
    "markdown, html",
    [
        ("# Titre #", "<h1>Titre</h1>"),
        ("#hashtag", "<p>#hashtag</p>"),
        ("un *mot* et **gras** et mot_clé_x", "<p>un <em>mot</em> et <strong>gras</strong> et mot_clé_x</p>"),
        ("`a *b*`", "<p><code>a *b*</code></p>"),
        (r"\*pas emphase\*", "<p>*pas emphase*</p>"),
        ("voir <https://insee.fr>", '<p>voir <a href="https://insee.fr">https://insee.fr</a></p>'),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<p>| a | b |</p>\n<p>| 1 | 2 |</p>"),
        ("1. un\n2. deux", "<ul><li>un</li><li>deux</li></ul>"),
        ("---", "<hr>"),
    ],
)
def test_render_markdown(markdown, html):
    assert render_markdown(markdown) == html

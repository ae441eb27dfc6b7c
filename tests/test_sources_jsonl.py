"""JSON Lines reader: good lines read, every kind of bad line reported by its line number."""

from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.sources import open_source
from indexer.sources.jsonl import JsonlReader

ARTICLES = Path(__file__).parent / "fixtures" / "sources" / "jsonl" / "articles.jsonl"


@pytest.fixture(scope="module")
def jsonl():
    reader = open_source(ARTICLES)
    records = list(reader)
    return reader, {r.id: r for r in records if isinstance(r, Article)}, [r for r in records if isinstance(r, Skipped)]


def test_reader_shape(jsonl):
    reader, _, _ = jsonl
    assert isinstance(reader, JsonlReader)
    assert (reader.kind, reader.path, reader.total) == ("jsonl", str(ARTICLES), 14)  # the blank line is not counted


def test_good_lines_are_read_around_the_bad_ones(jsonl):
    _, articles, _ = jsonl
    assert list(articles) == ["1", "greve", "contenu", "titre-seul"]


def test_each_bad_line_is_reported_with_its_line_number(jsonl):
    _, _, skipped = jsonl
    assert {s.where.rsplit(":", 1)[1]: s.reason for s in skipped} == {
        "7": "bad JSON: Expecting ',' delimiter (column 68)",
        "8": "not a JSON object but list",
        "9": "no id",
        "10": "tags must be a list of strings or a comma-separated string",
        "11": "id must be a string or an integer, not dict",
        "12": "no title and no text",
        "13": f"duplicate id '1' (first seen at {ARTICLES}:1)",
        "15": "not UTF-8 (byte 0xe9 at column 31)",
    }
    assert all(s.where.startswith(f"{ARTICLES}:") for s in skipped)


def test_unpublished_records_are_excluded(jsonl):
    reader, articles, _ = jsonl
    assert reader.excluded == {"status draft": 1, "unpublished": 1}
    assert not {"brouillon", "retire"} & set(articles)


def test_plain_body_record(jsonl):
    _, articles, _ = jsonl
    article = articles["1"]
    assert article.title == "L’emploi & le numérique"
    assert article.body == "Premier paragraphe sur l’emploi.\n\nSecond paragraphe."
    assert article.body_html == "<p>Premier paragraphe sur l’emploi.</p>\n<p>Second paragraphe.</p>\n"
    assert (article.url, article.date, article.author) == ("https://carnet.example/1", "2015-03-28", "Marie Dupont")
    assert article.tags == ["Numérique", "emploi"]
    assert article.categories == ["Travail", "Entreprises"]


def test_record_sources_are_kept_without_case_duplicates(jsonl):
    _, articles, _ = jsonl
    sources = articles["1"].sources
    assert sources[:2] == ["FEVAD", "Gallup"]  # the record's own, first spelling kept
    assert len({s.casefold() for s in sources}) == len(sources)


def test_html_bodies_are_cleaned(jsonl):
    _, articles, _ = jsonl
    greve = articles["greve"]
    assert greve.body == "La grève a duré trois jours.\n\nSelon Les Échos."
    assert "<script" not in greve.body_html and '<a href="https://www.lesechos.fr/greve">' in greve.body_html
    assert articles["contenu"].body == "Intertitre\n\nTexte dans content."


def test_a_title_alone_is_an_article(jsonl):
    _, articles, _ = jsonl
    assert (articles["titre-seul"].title, articles["titre-seul"].body) == ("Un titre sans corps", "")


def test_a_lone_surrogate_escape_is_replaced_and_the_article_kept(tmp_path):
    # Valid JSON, but half an emoji: it cannot be encoded, and once crashed the whole build.
    path = tmp_path / "split-emoji.jsonl"
    path.write_text('{"id": "1", "title": "Bravo \\ud83d", "body": "Un \\udE00 texte", "tags": ["a\\ud800"]}\n'
                    '{"id": "2", "title": "Emoji entier \\ud83d\\ude00", "body": "ok"}\n', encoding="utf-8")
    articles = {a.id: a for a in open_source(path)}
    assert (articles["1"].title, articles["1"].body, articles["1"].tags) == ("Bravo \ufffd", "Un \ufffd texte", ["a\ufffd"])
    assert articles["2"].title == "Emoji entier \U0001f600"

"""open_source: format detection and one-line errors; finish: what every Article goes through."""

from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import finish, open_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@pytest.mark.parametrize(
    "path, kind",
    [
        (FIXTURES / "wxr" / "export.xml", "wxr"),
        (FIXTURES / "html" / "site", "html"),
        (FIXTURES / "markdown" / "notes", "markdown"),
        (FIXTURES / "jsonl" / "articles.jsonl", "jsonl"),
    ],
)
def test_format_is_detected(path, kind):
    reader = open_source(path)
    assert reader.kind == kind
    assert reader.path == str(path)
    assert isinstance(reader.total, int) and reader.total > 0


def test_ndjson_and_str_paths(tmp_path):
    source = tmp_path / "export.ndjson"
    source.write_text('{"id": 1, "title": "Un"}\n', encoding="utf-8")
    reader = open_source(str(source))
    assert (reader.kind, [a.title for a in reader]) == ("jsonl", ["Un"])


def test_folder_with_html_pages_is_html_even_with_markdown_beside(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "page.HTML").write_text("<h1>Page</h1>", encoding="utf-8")
    reader = open_source(tmp_path)
    assert reader.kind == "html"
    assert [a.id for a in reader] == ["deep/er/page"]


def _one_line_error(path) -> str:
    with pytest.raises(SourceError) as refused:
        open_source(path)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_missing_path(tmp_path):
    assert _one_line_error(tmp_path / "absent.xml") == f"{tmp_path / 'absent.xml'}: no such file or folder"


def test_unknown_format(tmp_path):
    (tmp_path / "articles.csv").write_text("id,title\n1,Un\n", encoding="utf-8")
    assert _one_line_error(tmp_path / "articles.csv") == (
        f"{tmp_path / 'articles.csv'}: unknown format (expected a WordPress .xml export, a .jsonl file or a folder)"
    )


def test_empty_folder_and_folder_without_articles(tmp_path):
    assert _one_line_error(tmp_path) == f"{tmp_path}: folder holds no .html, .md or .txt files"
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "README.md").write_text("# interne\n", encoding="utf-8")
    assert _one_line_error(tmp_path) == f"{tmp_path}: folder holds no .html, .md or .txt files"


def test_empty_xml_file(tmp_path):
    (tmp_path / "export.xml").write_bytes(b"")
    assert _one_line_error(tmp_path / "export.xml") == f"{tmp_path / 'export.xml'}: not well-formed XML (line 1: Document is empty)"


def test_finish_skips_an_article_without_title_or_text():
    assert finish(Article(id="9", title="", body=""), "item 9") == Skipped("item 9", "no title and no text")
    assert finish(Article(id="9", title="", body="")) == Skipped("9", "no title and no text")


def test_finish_removes_label_duplicates_and_keeps_record_sources():
    article = finish(Article(
        id="1", title="Titre", body="Texte sans citation.",
        tags=["PME", "pme", "Numérique", "NUMÉRIQUE"], categories=["Travail", "travail"],
        sources=["FEVAD", "Fevad"],
    ))
    assert article.tags == ["PME", "Numérique"]
    assert article.categories == ["Travail"]
    assert article.sources[0] == "FEVAD" and "Fevad" not in article.sources


def test_finish_leaves_quoted_sources_to_the_build():
    # Finding them is costly; the build does it only for new and changed articles (test_build.py).
    article = finish(Article(id="1", title="Titre", body="Les ventes progressent (Etude FEVAD).",
                             sources=["Insee", "INSEE"]))
    assert article.sources == ["Insee"]

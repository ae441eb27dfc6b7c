"""HTML folder reader: the article without the theme, metadata, encodings, private and hostile pages."""

import time
from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.sources import open_source
from indexer.sources.html import HtmlReader

SITE = Path(__file__).parent / "fixtures" / "sources" / "html" / "site"


@pytest.fixture(scope="module")
def site():
    reader = open_source(SITE)
    records = list(reader)
    return reader, {r.id: r for r in records if isinstance(r, Article)}, [r for r in records if isinstance(r, Skipped)]


def test_reader_shape(site):
    reader, articles, skipped = site
    assert isinstance(reader, HtmlReader)
    assert (reader.kind, reader.path, reader.total) == ("html", str(SITE), 5)
    assert skipped == []


def test_ids_are_relative_paths_without_extension_in_a_stable_order(site):
    _, articles, _ = site
    assert list(articles) == ["2015/03/sans-metadonnees", "2015/03/teletravail", "ancien/greve", "og"]
    assert [getattr(r, "id", None) for r in open_source(SITE)] == list(articles)


def test_noindex_page_is_excluded(site):
    reader, articles, _ = site
    assert "prive" not in articles
    assert reader.excluded == {"noindex": 1}


def test_wordpress_theme_page_gives_the_article_only(site):
    _, articles, _ = site
    article = articles["2015/03/teletravail"]
    assert article.body == (
        "Le télétravail progresse dans les petites entreprises françaises (Enquête CEGOS 2012).\n\n"
        "« C’est une révolution silencieuse », affirme Louis Richardson (IBM) dans Les Échos.\n\n"
        "Des salariés plus autonomes\n\n"
        "Les salariés gagnent\u00a0en autonomie.\nLes managers doivent apprendre à déléguer."
    )
    theme = ("Aller au contenu", "Accueil", "Rubriques", "Abonnement", "Menu", "Articles récents", "Archives",
             "Rechercher", "Fièrement propulsé", "cookies", "J’accepte", "bandeaucookies", "Commentaire de lecteur",
             "Laisser une réponse", "Article précédent", "Publié dans", "Étiqueté", "boutonspartage",
             "feuillestyle", "analytics", "Le Carnet du numérique")
    for word in theme:
        assert word not in article.body
        assert word not in article.body_html
    for markup in ("<script", "<style", "<form", "<nav", "<header", "<footer"):
        assert markup not in article.body_html
    assert '<a href="https://www.lesechos.fr/teletravail">Les Échos</a>' in article.body_html


def test_metadata_comes_from_json_ld_first(site):
    _, articles, _ = site
    article = articles["2015/03/teletravail"]
    assert article.title == "Le télétravail s’installe dans les PME"  # no site suffix
    assert article.date == "2015-03-28"  # datePublished, before article:published_time
    assert article.author == "Marie Dupont"  # Yoast's @id reference to a Person
    assert article.tags == ["télétravail", "PME"]
    assert article.categories == ["Travail"]
    assert article.url == "https://carnet.example/2015/03/teletravail/"


def test_open_graph_and_meta_tags(site):
    _, articles, _ = site
    article = articles["og"]
    assert article.title == "Les robots arrivent dans les entrepôts"  # og:title without " - site"
    assert article.date == "2015-02-14"
    assert article.author == "Jean Le’Roy"
    assert article.tags == ["Robotique", "Logistique"]
    assert article.categories == ["Industrie"]
    assert article.url == "https://carnet.example/2015/02/robots/"
    assert article.body == "Les robots d’Amazon préparent les commandes (Rapport Gallup)."


def test_page_without_metadata_or_article_element(site):
    _, articles, _ = site
    article = articles["2015/03/sans-metadonnees"]
    assert article.title == "Mentions légales"  # <title> without " | site"
    assert article.body == "Le site est édité par l’association Carnet & Cie.\n\nHébergement : OVH, Roubaix."
    assert (article.date, article.author, article.url, article.tags) == ("", "", "", [])


def test_windows_1252_page(site):
    _, articles, _ = site
    article = articles["ancien/greve"]
    assert article.title == "Grève à la SNCF : « le bilan »"  # the <h1>, before the <title>
    assert article.body == (
        "Les cheminots ont cessé le travail pendant trois jours… Les usagers, excédés, ont dû s’organiser.\n\n"
        "Cœur de l’économie française, le rail coûte cher — 14 milliards d’euros."
    )
    assert "Accueil" not in article.body


def test_latin1_label_is_read_as_windows_1252(tmp_path):
    page = '<meta charset="iso-8859-1"><title>Œuvres – Le Carnet</title><p>L’été « chaud »…</p>'
    (tmp_path / "page.html").write_bytes(page.encode("windows-1252"))
    (article,) = open_source(tmp_path)
    assert (article.title, article.body) == ("Œuvres", "L’été « chaud »…")


def test_utf8_page_with_bom_and_no_declaration(tmp_path):
    (tmp_path / "page.html").write_bytes("\ufeff<h1>Déjà vu</h1><p>Réunion à Besançon.</p>".encode("utf-8"))
    (article,) = open_source(tmp_path)
    assert (article.title, article.body) == ("Déjà vu", "Réunion à Besançon.")


def test_hostile_and_empty_pages_are_skipped_and_the_rest_read(tmp_path):
    (tmp_path / "a-profond.html").write_text("<div>" * 10_000 + "profond" + "</div>" * 10_000, encoding="utf-8")
    (tmp_path / "b-vide.html").write_text("", encoding="utf-8")
    (tmp_path / "c-bon.html").write_text("<title>Bon</title><article><p>Texte.</p></article>", encoding="utf-8")
    started = time.monotonic()
    records = list(open_source(tmp_path))
    assert time.monotonic() - started < 2
    assert records[:2] == [
        Skipped("a-profond.html", "HTML nested too deeply to read"),
        Skipped("b-vide.html", "empty page"),
    ]
    assert (records[2].id, records[2].title, records[2].body) == ("c-bon", "Bon", "Texte.")


def test_same_id_from_two_extensions_is_reported(tmp_path):
    (tmp_path / "page.htm").write_text("<h1>Un</h1><p>Premier.</p>", encoding="utf-8")
    (tmp_path / "page.html").write_text("<h1>Deux</h1><p>Second.</p>", encoding="utf-8")
    first, second = open_source(tmp_path)
    assert first.id == "page"
    assert second == Skipped("page.html", "duplicate id 'page' (first seen at page.htm)")


def test_broken_or_odd_json_ld_falls_back_to_the_markup(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script type="application/ld+json">{"@type": "Article", "headline": </script>'
        '<script type="application/ld+json">[{"@type": {"x": 1}}, {"@type": ["WebPage"], "@id": ["x"]}, 3]</script>'
        '<script type="application/ld+json">{"@type": "ReportageNewsArticle", "headline": ["liste"],'
        ' "author": [{"@id": {"x": 1}}, "Paul Durand"], "keywords": 7}</script>'
        "<h1>Titre du reportage</h1><p>Texte.</p>",
        encoding="utf-8",
    )
    (article,) = open_source(tmp_path)
    assert (article.title, article.author, article.tags, article.body) == (
        "Titre du reportage", "Paul Durand", [], "Texte."
    )

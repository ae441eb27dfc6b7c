"""WordPress export reader: what is indexed, what is left out, content cleaning, hostile XML."""

import time
from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.errors import SourceError
from indexer.sources import open_source
from indexer.sources.wxr import WxrReader, autop, wordpress_html

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "wxr"
EXPORT = FIXTURES / "export.xml"


@pytest.fixture(scope="module")
def export():
    reader = open_source(EXPORT)
    records = list(reader)
    articles = {r.id: r for r in records if isinstance(r, Article)}
    skipped = [r for r in records if isinstance(r, Skipped)]
    return reader, articles, skipped


def test_reader_shape(export):
    reader, _, _ = export
    assert isinstance(reader, WxrReader)
    assert reader.kind == "wxr"
    assert reader.path == str(EXPORT)
    # An estimate counted before reading: the items whose post type can be indexed.
    assert reader.total == 11


def test_only_published_posts_and_pages_come_out(export):
    _, articles, _ = export
    assert list(articles) == ["101", "102", "115"]


@pytest.mark.parametrize(
    "post_id, kind",
    [
        ("103", "draft"), ("104", "pending"), ("105", "future"), ("106", "private"), ("107", "trash"),
        ("108", "password-protected"), ("109", "attachment"), ("110", "nav_menu_item"), ("111", "revision"),
        ("112", "custom post type"), ("113", "wp_block"), ("114", "auto-draft"),
    ],
)
def test_excluded_items_never_come_out(export, post_id, kind):
    _, articles, skipped = export
    assert post_id not in articles
    assert all(post_id not in s.where for s in skipped), f"a {kind} is left out, not reported as skipped"


def test_exclusions_are_counted_by_reason(export):
    reader, _, _ = export
    assert reader.excluded == {
        "status draft": 1, "status pending": 1, "status future": 1, "status private": 1, "status trash": 1,
        "status auto-draft": 1, "password-protected": 1, "post type attachment": 1,
        "post type nav_menu_item": 1, "post type revision": 1, "post type portfolio": 1, "post type wp_block": 1,
    }


def test_no_text_of_an_excluded_item_leaks(export):
    _, articles, _ = export
    everything = " ".join(a.title + " " + a.body for a in articles.values())
    for secret in ("brouillon", "attente de validation", "programmé", "privé", "corbeille", "mot de passe",
                   "portfolio", "Soutenez-nous", "Ancienne version"):
        assert secret.lower() not in everything.lower()


def test_published_post_fields(export):
    _, articles, _ = export
    post = articles["101"]
    assert post.title == "L’emploi & le numérique en 2015"  # entities decoded, <em> removed
    assert post.url == "https://carnet.example/2015/03/emploi-numerique/"
    assert post.date == "2015-03-28"
    assert post.author == "Marie Dupont"  # dc:creator login mapped to its display name
    assert post.tags == ["Numérique", "télétravail"]  # duplicate spelling dropped, first kept
    assert post.categories == ["Travail", "Entreprises & emploi"]  # post_format is neither


def test_page_with_escaped_title_and_gutenberg_blocks(export):
    _, articles, _ = export
    page = articles["102"]
    assert page.title == "Qui sommes-nous\u00a0? & contact"
    assert page.author == "Jean Le’Roy"
    assert page.body == (
        "Notre rédaction\n\nUne équipe de journalistes passionnés par l’économie.\n\nEnquêtes\nEntretiens"
    )
    assert "wp:" not in page.body_html and "<!--" not in page.body_html


def test_content_is_cleaned(export):
    _, articles, _ = export
    post = articles["101"]
    for gone in ("[caption", "[/caption]", "[gallery", "youtube", "[embed", "pubscript", "pubstyle", "pubcadre",
                 "[contact-form-7", "[highlight", "<!--more-->"):
        assert gone not in post.body
        assert gone not in post.body_html
    for markup in ("<script", "<style", "<iframe"):
        assert markup not in post.body_html
    assert "Un bureau partagé à Lyon" in post.body  # a caption's text stays
    assert "signé important." in post.body  # an unknown shortcode's tags go, its text stays
    assert "[sic]" in post.body and "[NDLR : une précision]" in post.body  # editorial brackets stay


def test_blank_lines_are_paragraphs_and_single_newlines_line_breaks(export):
    _, articles, _ = export
    body = articles["101"].body
    assert body.startswith(
        "Le télétravail progresse dans les entreprises françaises (Etude FEVAD).\n"
        "Selon l’enquête, les salariés l’apprécient.\n\nUn bureau partagé à Lyon\n\n"
    )
    assert "<p>Le télétravail" in articles["101"].body_html


def test_date_falls_back_to_pubdate_and_unknown_author_keeps_login(export):
    _, articles, _ = export
    post = articles["115"]
    assert post.date == "2015-04-02"  # wp:post_date is 0000-00-00
    assert post.author == "ancien-auteur"
    assert '<blockquote cite="https://www.lesechos.fr/greve">' in post.body_html


def test_empty_published_item_is_skipped(export):
    _, _, skipped = export
    assert skipped == [Skipped("item 116", "no title and no text")]


def test_ids_are_stable_across_reads():
    first = [getattr(r, "id", None) or r.where for r in open_source(EXPORT)]
    reader = open_source(EXPORT)
    assert [getattr(r, "id", None) or r.where for r in reader] == first
    assert [getattr(r, "id", None) or r.where for r in reader] == first  # the same reader, read again
    assert sum(reader.excluded.values()) == 12  # not counted twice


@pytest.mark.parametrize("name", ["xxe.xml", "external_dtd.xml", "billion_laughs.xml"])
def test_documents_with_a_dtd_are_refused_quickly(name):
    started = time.monotonic()
    with pytest.raises(SourceError) as refused:
        list(open_source(FIXTURES / name))
    assert time.monotonic() - started < 1
    assert str(refused.value) == f"{FIXTURES / name}: DTD not allowed in a WordPress export"


def test_xxe_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-SECRET")
    # Past 64 KB of comments the byte scan cannot see the DOCTYPE: the parser's check must.
    export = tmp_path / "export.xml"
    export.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + "<!-- " + "remplissage " * 7000 + "-->\n"
        + f'<!DOCTYPE rss [ <!ENTITY s SYSTEM "file://{secret}"> ]>\n'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&s;</title>'
        "<wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="DTD not allowed") as refused:
        list(open_source(export))
    assert "MOT-DE-PASSE" not in str(refused.value)
    assert "root:" not in str(refused.value)


def test_truncated_export_yields_the_good_items_then_refuses_the_source():
    seen = []
    with pytest.raises(SourceError) as refused:
        for record in open_source(FIXTURES / "truncated.xml"):
            seen.append(record.id)
    assert seen == ["201", "202"]
    message = str(refused.value)
    assert message.startswith(f"{FIXTURES / 'truncated.xml'}: XML breaks off at line 9 after 2 items")
    assert "\n" not in message


def test_invalid_utf8_bytes_are_replaced_and_the_rest_is_read():
    articles = {a.id: a for a in open_source(FIXTURES / "invalid_utf8.xml")}
    assert articles["301"].title == "Café crème"
    assert articles["302"].body.startswith("Avant \ufffd")
    assert articles["302"].body.endswith("après, puis l’été.")


@pytest.mark.parametrize(
    "name, reason",
    [
        ("atom.xml", "not a WordPress export (root element <feed>, expected <rss>)"),
        ("rss_feed.xml", "an RSS feed, not a WordPress export (no wp: namespace)"),
        ("malformed.xml", "not well-formed XML (line 3: Opening and ending tag mismatch: title line 3 and b)"),
    ],
)
def test_xml_that_is_not_a_wordpress_export(name, reason):
    with pytest.raises(SourceError) as refused:
        open_source(FIXTURES / name)
    assert str(refused.value) == f"{FIXTURES / name}: {reason}"


def test_older_wxr_namespace_is_read(tmp_path):
    export = tmp_path / "export.xml"
    export.write_text(
        '<rss xmlns:wp="http://wordpress.org/export/1.1/"><channel><item><title>Ancien export</title>'
        "<wp:post_id>7</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    assert [a.title for a in open_source(export)] == ["Ancien export"]


def test_wordpress_html_shortcodes():
    html = wordpress_html(
        'Avant [video src="https://x/v.mp4"][/video] [audio mp3="https://x/a.mp3"] '
        "[embed]https://x/e[/embed] [gallery] [toc] [sic] après"
    )
    assert html == "<p>Avant      [sic] après</p>"


def test_autop_keeps_preformatted_blank_lines():
    assert autop("<pre>ligne 1\n\nligne 3</pre>") == "<pre>ligne 1\n\nligne 3</pre>"
    assert autop("un\ndeux\n\ntrois") == "<p>un<br>\ndeux</p>\n\n<p>trois</p>"

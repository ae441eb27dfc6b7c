"""The bundled sample archive: a WordPress WXR 1.2 export holding exactly the seed's ten articles.

The seed (tests/fixtures/seed.txt) is the ten articles run together as plain text. In the export,
the image alt texts and captions that the seed runs into the prose are images again; everything
else must be the seed's text, unchanged, each article in one published post.
"""

from __future__ import annotations

import html
import re

import pytest
from lxml import etree

from archives import SEED, SEED_TITLES
from indexer.sample import SAMPLE_ARCHIVE


NS = {
    "wp": "http://wordpress.org/export/1.2/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
}

TITLES = SEED_TITLES

# Image alt texts and captions that the plain-text seed runs into the prose; in the export each one
# is an <img alt> or a [caption] shortcode. "Book GillesGilles bab" is two images side by side.
CAPTIONS_IN_SEED = [
    "OLYMPUS DIGITAL CAMERA",
    "Connexions des français aux réseaux",
    "Prince belle au bois dormant",
    "ovh w t",
    "L Allard et Alexandre Morel",
    "Infographie- RPvsCM",
    "clou vis chevilles",
    "Book GillesGilles bab",
    "Shiva",
    "tatouage_electronique",
    "Slide influenceurs dirigeantes",
    "Article Les Echos digitalisation",
]
IMAGE_ALTS = [c for c in CAPTIONS_IN_SEED if c != "Book GillesGilles bab"] + ["Book Gilles", "Gilles bab"]

# Items a real export carries and the index must never hold: (post type, status, marker word).
NEVER_INDEXED = [
    ("post", "draft", "motsecretbrouillon"),
    ("post", "private", "motsecretprive"),
    ("post", "trash", "motsecretcorbeille"),
    ("post", "publish", "motsecretprotege"),  # password-protected
    ("attachment", "inherit", "motsecretpiecejointe"),
    ("nav_menu_item", "publish", "motsecretmenu"),
    ("revision", "inherit", "motsecretrevision"),
    ("post", "pending", "motsecretattente"),
]

CAPTION_SHORTCODE = re.compile(r"\[caption[^\]]*\].*?\[/caption\]", re.S)
TAG = re.compile(r"<[^>]+>")


def squeeze(text: str) -> str:
    """Whitespace (non-breaking spaces included) collapsed, so layout never hides a text change."""
    return re.sub(r"\s+", " ", text).strip()


def prose(content_html: str) -> str:
    """A post's text as the seed has it: no captions, images or tags."""
    return squeeze(html.unescape(TAG.sub("", CAPTION_SHORTCODE.sub("", content_html))))


def seed_articles() -> dict[str, str]:
    """Each seed article's text after its title, by title, caption lines left out."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    starts = [lines.index(title) for title in TITLES]
    articles = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        text = "\n".join(lines[start + 1 : end])
        for caption in CAPTIONS_IN_SEED:
            text = text.replace(caption, "")
        articles[TITLES[n]] = text
    return articles


class Item:
    """The fields of one WXR <item> that the tests look at."""

    def __init__(self, element: etree._Element):
        def field(path: str) -> str:
            return element.findtext(path, default="", namespaces=NS)

        self.title = field("title")
        self.id = field("wp:post_id")
        self.type = field("wp:post_type")
        self.status = field("wp:status")
        self.password = field("wp:post_password")
        self.content = field("content:encoded")
        self.tags = [c.text for c in element.findall("category[@domain='post_tag']")]
        self.categories = [c.text for c in element.findall("category[@domain='category']")]

    @property
    def published(self) -> bool:
        return self.status == "publish" and not self.password and self.type in ("post", "page")


@pytest.fixture(scope="module")
def tree() -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(SAMPLE_ARCHIVE, parser)


@pytest.fixture(scope="module")
def items(tree) -> list[Item]:
    return [Item(e) for e in tree.getroot().iterfind("channel/item")]


@pytest.fixture(scope="module")
def posts(items) -> list[Item]:
    return [i for i in items if i.published and i.type == "post"]


def test_is_a_wxr_1_2_export_of_a_french_blog(tree):
    rss = tree.getroot()
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert set(NS.values()) <= set(rss.nsmap.values())
    channel = rss.find("channel")
    assert channel.findtext("title") == "Culture numérique & business"
    assert channel.findtext("language") == "fr-FR"
    assert channel.findtext("wp:wxr_version", namespaces=NS) == "1.2"
    authors = channel.findall("wp:author", NS)
    assert [a.findtext("wp:author_display_name", namespaces=NS) for a in authors] == ["Fabienne Billat"]
    assert len(channel.findall("wp:category", NS)) == 4
    assert len(channel.findall("wp:tag", NS)) >= 10


def test_holds_the_ten_seed_articles_as_published_posts(posts):
    assert [p.title for p in posts] == TITLES
    assert [p.id for p in posts] == [str(n) for n in range(101, 111)]
    ovh = posts[2]
    assert (ovh.id, ovh.tags[0], ovh.categories) == ("103", "OVH", ["Événements"])
    for post in posts:
        assert post.categories, post.title
        assert 2 <= len(post.tags) <= 5, post.title


def test_each_post_is_its_seed_article_text_unchanged(posts):
    expected = seed_articles()
    for post in posts:
        assert prose(post.content) == squeeze(expected[post.title]), post.title


def test_every_seed_line_is_in_exactly_one_item(items):
    texts = [prose(i.content) for i in items]
    for title, article in seed_articles().items():
        for line in filter(None, map(squeeze, article.split("\n"))):
            holders = [i.title for i, text in zip(items, texts) if line in text]
            assert holders == [title], line


def test_image_captions_are_images_not_prose(posts):
    everything = "".join(p.content for p in posts)
    for alt in IMAGE_ALTS:
        assert f'alt="{alt}"' in everything, alt
    assert everything.count("[caption ") == everything.count("[/caption]") >= 3


def test_links_are_anchors(posts):
    everything = "".join(p.content for p in posts)
    assert '<a href="http://tinyurl.com/od8umlo">' in everything
    assert '<a href="http://www.club-jade.fr/">' in everything


def test_items_that_must_never_be_indexed_are_there_and_marked(items):
    found = {}
    for item in items:
        for post_type, status, marker in NEVER_INDEXED:
            if marker in item.content:
                found[marker] = item
                assert (item.type, item.status) == (post_type, status), item.title
                assert not item.published or item.password, item.title
                assert "ne pas" in item.title, item.title
    assert sorted(found) == sorted(m for _, _, m in NEVER_INDEXED)
    assert found["motsecretprotege"].password


def test_markers_appear_once_and_never_in_published_items(items, tree):
    raw = etree.tostring(tree, encoding="unicode")
    for _, _, marker in NEVER_INDEXED:
        assert raw.count(marker) == 1, marker
    for item in items:
        if item.published:
            assert "motsecret" not in item.content + item.title


def test_has_a_published_about_page(items):
    pages = [i for i in items if i.type == "page" and i.published]
    assert [p.title for p in pages] == ["À propos"]

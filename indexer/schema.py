"""The Whoosh schema: which article fields are searched, stored, boosted and sorted."""

from whoosh.fields import ID, STORED, TEXT, Schema

from indexer.analysis import french_analyzer

# Fields a plain query word is looked for in. Their weight in BM25F comes from each
# field's `field_boost`: a word in the title or a tag says more than one in the body.
SEARCHED_FIELDS = ("title", "body", "tags", "categories", "sources")

# Query syntax `name:` -> indexed field.
FIELD_ALIASES = {
    "title": "title", "titre": "title",
    "tag": "tags", "tags": "tags",
    "source": "sources", "sources": "sources",
    "category": "categories", "categorie": "categories",
    "body": "body", "texte": "body",
}


def make_schema() -> Schema:
    fr = french_analyzer()
    return Schema(
        # sortable: the id column maps document numbers to ids without loading stored fields.
        id=ID(stored=True, unique=True, sortable=True),
        url=STORED,
        title=TEXT(analyzer=fr, stored=True, field_boost=3.0),
        body=TEXT(analyzer=fr, stored=True),
        tags=TEXT(analyzer=fr, field_boost=2.0),
        categories=TEXT(analyzer=fr, field_boost=1.5),
        sources=TEXT(analyzer=fr, field_boost=1.5),
        date=STORED,
        author=STORED,
        tag_list=STORED,
        category_list=STORED,
        source_list=STORED,
    )

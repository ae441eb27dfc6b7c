"""The Whoosh schema: which article fields are searched, stored, boosted and sorted."""

from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.formats import Positions

from indexer.analysis import french_analyzer, term_positions, words

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


# Position -> its encoded posting value, for the terms that occur once in a field (most).
_ONE_POSITION: dict[int, bytes] = {}


class FrenchText(TEXT):
    """A TEXT field with positions whose indexing skips Whoosh's token stream.

    Whoosh indexes a text by pulling one Token object per word through the analyzer chain,
    then grouping positions by term: most of a build's time. `term_positions` does the same
    analysis in one pass; the postings are the same bytes (tests/test_index_writing.py checks
    it). The value may also be the text already analysed, its terms with their positions
    (see `analyse_texts`); a list keeps Whoosh's meaning (terms as they are). Queries, and
    anything else that asks for the analyzer, still use the chain.
    """

    def index(self, value, **kwargs):
        if kwargs or type(self.format) is not Positions or not isinstance(value, (str, dict)):
            yield from super().index(value, **kwargs)
            return
        terms = value if isinstance(value, dict) else term_positions(words(value))
        boost, encode = self.format.field_boost, self.format.encode
        for term, positions in terms.items():
            if len(positions) == 1:
                value = _ONE_POSITION.get(positions[0])
                if value is None:
                    value = _ONE_POSITION[positions[0]] = encode(positions)
                yield term.encode("utf-8"), 1, boost, value
            else:
                yield term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions)


def analyse_texts(document: dict) -> tuple[dict, dict[str, list[str]], dict[str, dict[str, list[int]]]]:
    """Analyses each searched text of a document once, for everything a build makes of it:
    the document for Whoosh's `add_document` (each text replaced by its terms and positions,
    the text itself still stored through Whoosh's `_stored_<field>`), the words of each text
    (the lexicon), and the terms of each text (the posting arrays)."""
    split = {name: words(document[name]) for name in SEARCHED_FIELDS if name in document}
    terms = {name: term_positions(written) for name, written in split.items()}
    ready = dict(document, **terms)
    for name in split:
        ready[f"_stored_{name}"] = document[name]
    return ready, split, terms


def make_schema() -> Schema:
    fr = french_analyzer()
    return Schema(
        # sortable: the id column maps document numbers to ids without loading stored fields.
        id=ID(stored=True, unique=True, sortable=True),
        url=STORED,
        title=FrenchText(analyzer=fr, stored=True, field_boost=3.0),
        body=FrenchText(analyzer=fr, stored=True),
        tags=FrenchText(analyzer=fr, field_boost=2.0),
        categories=FrenchText(analyzer=fr, field_boost=1.5),
        sources=FrenchText(analyzer=fr, field_boost=1.5),
        date=STORED,
        author=STORED,
        tag_list=STORED,
        category_list=STORED,
        source_list=STORED,
    )

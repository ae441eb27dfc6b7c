"""The quoted-sources evaluation set (issue 11): labelled articles, their scoring, the seed's floor.

`press.jsonl` and `docs.jsonl` hold articles labelled by hand by RULES.md; `score` runs the
product's own extraction on each (the plain text and clean HTML a build gives
`extract_sources`) and compares by `source_key`, the facet's own key. `python -m
bench.sources_eval` prints the figures; tests/test_sources_eval.py holds the targets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.sources.quotes import extract_sources, source_key
from indexer.sources.text import html_body

HERE = Path(__file__).parent
FILES = (HERE / "press.jsonl", HERE / "docs.jsonl")
KINDS = ("news", "op-ed", "interview", "blog", "tech-doc")
# The targets of issue 11.
MIN_PRECISION, MIN_RECALL, MAX_FALSE_PER_10_TECH_DOCS, MIN_SEED_FOUND = 0.90, 0.80, 1.0, 15


def load(path: Path | str) -> list[dict]:
    """The articles of one JSON Lines file, each with `file` (its name) added."""
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path.name} line {number}: {error.msg}") from None
            row["file"] = path.name
            rows.append(row)
    return rows


def in_split(article: dict, split: str) -> bool:
    """'even' (the tuning half), 'odd' (the held-out half) or 'all', by the number in the id."""
    if split == "all":
        return True
    number = int("".join(c for c in article["id"] if c.isdigit()) or 0)
    return (number % 2 == 0) == (split == "even")


def extracted(article: dict) -> list[str]:
    """What the product extracts from an article, read as a build reads an HTML body."""
    clean, text = html_body(article["html"])
    return extract_sources(text, clean)


@dataclass
class Outcome:
    """One article's comparison."""

    id: str
    kind: str
    expected: int
    found: list[str] = field(default_factory=list)     # expected entries found (preferred spelling)
    missed: list[str] = field(default_factory=list)    # expected entries not found
    correct: list[str] = field(default_factory=list)   # extracted values that match an entry
    false: list[str] = field(default_factory=list)     # extracted values that match none


def compare(article: dict, values: list[str]) -> Outcome:
    entries = [[entry] if isinstance(entry, str) else list(entry) for entry in article["sources"]]
    keys = [{source_key(spelling) for spelling in entry} for entry in entries]
    outcome = Outcome(article["id"], article["kind"], len(entries))
    matched: set[int] = set()
    for value in values:
        hits = [n for n, entry_keys in enumerate(keys) if source_key(value) in entry_keys]
        (outcome.correct if hits else outcome.false).append(value)
        matched.update(hits)
    for n, entry in enumerate(entries):
        (outcome.found if n in matched else outcome.missed).append(entry[0])
    return outcome


@dataclass
class Totals:
    articles: int = 0
    expected: int = 0
    found: int = 0
    extracted: int = 0
    false: int = 0

    def add(self, outcome: Outcome) -> None:
        self.articles += 1
        self.expected += outcome.expected
        self.found += len(outcome.found)
        self.extracted += len(outcome.correct) + len(outcome.false)
        self.false += len(outcome.false)

    @property
    def precision(self) -> float:
        return (self.extracted - self.false) / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def false_per_10(self) -> float:
        return 10 * self.false / self.articles if self.articles else 0.0

    def as_dict(self) -> dict:
        return {"articles": self.articles, "expected": self.expected, "found": self.found,
                "extracted": self.extracted, "false": self.false, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "false_per_10_articles": round(self.false_per_10, 2)}


def score(articles: list[dict]) -> dict:
    """Totals per kind, per file and overall, and every article's outcome."""
    outcomes, by_kind, by_file, overall = [], {}, {}, Totals()
    for article in articles:
        outcome = compare(article, extracted(article))
        outcomes.append(outcome)
        by_kind.setdefault(article["kind"], Totals()).add(outcome)
        by_file.setdefault(article.get("file", "-"), Totals()).add(outcome)
        overall.add(outcome)
    return {"kinds": {k: by_kind[k] for k in KINDS if k in by_kind}, "files": by_file,
            "overall": overall, "outcomes": outcomes}


def worst(outcomes: list[Outcome], n: int) -> list[Outcome]:
    """The articles with the most errors (false sources and misses), worst first."""
    bad = [o for o in outcomes if o.false or o.missed]
    return sorted(bad, key=lambda o: (-(len(o.false) + len(o.missed)), o.id))[:n]


def seed_long_article() -> dict:
    """How many of the seed long article's 33 cited sources are extracted, and what else is."""
    from bench.sources_eval.seed import LONG_ARTICLE_CITES, long_article

    article = long_article()
    values = extract_sources(article.body, article.body_html)
    return {"found": sum(s in values for s in LONG_ARTICLE_CITES), "cited": len(LONG_ARTICLE_CITES),
            "false": [s for s in values if s not in LONG_ARTICLE_CITES]}

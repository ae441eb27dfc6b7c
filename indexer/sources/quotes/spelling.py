"""How the source facet spells a source: one key for every spelling, one value per source."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

APOS = "’'"

# Names French writers spell several ways, by key, with the spelling the facet shows.
CANONICAL = {"mac kinsey": "McKinsey", "mc kinsey": "McKinsey", "mckinsey": "McKinsey"}


@lru_cache(maxsize=4096)  # the same few names recur through a long archive
def source_key(name: str) -> str:
    """What two spellings of one source share: no case, accents, apostrophe kind or extra space."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(rf"[{APOS}‘ʼ]", "'", folded)
    return " ".join(folded.split())


def merge_spellings(names: Iterable[str]) -> list[str]:
    """One value per source, in order of first appearance, in its most common spelling.

    Ties go to the spelling seen first. Used on one article's mentions and, by the index
    builder, across articles so that the facet holds one "FEVAD".
    """
    spellings: dict[str, Counter[str]] = {}
    for name in names:
        spellings.setdefault(source_key(name), Counter())[name] += 1
    return [counts.most_common(1)[0][0] for counts in spellings.values()]


def canonical(name: str) -> str:
    return CANONICAL.get(source_key(name), name)


def without_short_forms(names: list[str]) -> list[str]:
    """A person's surname alone ("Dubois") goes when the article also names them in full
    ("Bruno Dubois"): one person, one facet value."""
    keys = [source_key(name).split() for name in names]
    people = [words for name, words in zip(names, keys) if _person_like(name)]
    return [
        name for name, words in zip(names, keys)
        if not any(len(other) > len(words) and other[-len(words):] == words for other in people)
    ]


def _person_like(name: str) -> bool:
    """Two to four words, each capitalised and none in capitals only (an organisation is "TBWA Europe")."""
    words = name.split()
    return 2 <= len(words) <= 4 and all(
        (word[0].isupper() and not word.isupper()) or word.islower() for word in words
    )

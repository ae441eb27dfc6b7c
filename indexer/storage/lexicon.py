"""The archive's vocabulary: folded words, how many articles use each, and how the archive spells it.

It serves prefix queries (`numéri*`), completions and did-you-mean, so the index needs no
second, unstemmed copy of every text. Counts are exact after a full build; an incremental
build adds the counts of the articles it analyses and keeps the rest, so counts may drift
until the next `--full` build. They only rank candidates, never decide what matches.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter
from pathlib import Path

from whoosh.spelling import ListCorrector

from indexer.analysis import spelling

FILE = "lexicon.json"


class LexiconBuilder:
    """Counts the words of the articles a build analyses."""

    def __init__(self, previous: "Lexicon | None" = None):
        self.counts: Counter = Counter()
        self.spellings: dict[str, Counter] = {}
        # Words as written, over every article added; folded into `spellings` once at the
        # end (an archive repeats its words: one fold per distinct spelling, not per article).
        self.written: Counter = Counter()
        self.folded: dict[str, str] = {}  # word as written -> folded, for the words seen
        if previous is not None:
            self.counts.update(dict(zip(previous.words, previous.counts)))
            self.spellings = {w: Counter({s: 1}) for w, s in zip(previous.words, previous.surfaces)}

    def export(self) -> tuple[Counter, dict[str, Counter]]:
        """What a shard process counted, to be merged by the build."""
        self._fold_written()
        return self.counts, self.spellings

    def merge(self, exported: tuple[Counter, dict[str, Counter]]) -> None:
        counts, spellings = exported
        self.counts.update(counts)
        for folded, forms in spellings.items():
            self.spellings.setdefault(folded, Counter()).update(forms)

    def add(self, written: list[str]) -> None:
        """Counts one article's words, as `words` split them (each folded word once for the
        article, each spelling as often as used). Set and Counter operations run in C: this
        is once per article of a build."""
        self.written.update(written)
        distinct = set(written)
        for word in distinct.difference(self.folded):  # (not `- keys()`: that walks the dict)
            self.folded[word] = spelling(word)[0]
        seen = set(map(self.folded.__getitem__, distinct))
        seen.discard("")  # words not worth suggesting (digits only)
        self.counts.update(seen)

    def _fold_written(self) -> None:
        for word, n in self.written.items():
            folded, surface = spelling(word)
            if folded:
                self.spellings.setdefault(folded, Counter())[surface] += n
        self.written.clear()

    def save(self, folder: Path) -> None:
        self._fold_written()
        words = sorted(self.counts)
        data = {"words": words, "counts": [self.counts[w] for w in words],
                "surfaces": [self.spellings[w].most_common(1)[0][0] for w in words]}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


class Lexicon:
    """The read side: sorted folded words with their article counts and surface spellings."""

    def __init__(self, words: list[str], counts: list[int], surfaces: list[str]):
        self.words, self.counts, self.surfaces = words, counts, surfaces
        self._corrector = ListCorrector(words)

    @classmethod
    def load(cls, folder: Path) -> "Lexicon":
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
        return cls(data["words"], data["counts"], data["surfaces"])

    def _index(self, folded: str) -> int | None:
        i = bisect_left(self.words, folded)
        return i if i < len(self.words) and self.words[i] == folded else None

    def count(self, folded: str) -> int:
        i = self._index(folded)
        return 0 if i is None else self.counts[i]

    def surface(self, folded: str) -> str:
        """The archive's most common spelling of a folded word (`numerique` -> `numérique`)."""
        i = self._index(folded)
        return folded if i is None else self.surfaces[i]

    def with_prefix(self, prefix: str, limit: int, scan: int = 5000) -> list[str]:
        """The `limit` most used words starting with `prefix`, among the first `scan` of them."""
        start = bisect_left(self.words, prefix)
        found = []
        for i in range(start, min(start + scan, len(self.words))):
            if not self.words[i].startswith(prefix):
                break
            found.append((-self.counts[i], self.words[i]))
        return [w for _, w in sorted(found)[:limit]]

    def nearest(self, folded: str) -> str | None:
        """The word nearest in edit distance (1, else 2 for longer words), then the most used."""
        maxdist = 1 if len(folded) <= 4 else 2
        for distance in range(1, maxdist + 1):
            candidates = [w for w in self._corrector.suggest(folded, limit=100, maxdist=distance, prefix=1)
                          if w != folded]
            if candidates:
                return max(candidates, key=lambda w: (self.count(w), w))
        return None

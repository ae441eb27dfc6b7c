"""The benchmark's fixed query mix, drawn deterministically from the corpus's own vocabulary.

Every query is a dict {"kind", "q", "filters"}; `filters` uses the API's facet names
({"tag": [...]}). The mix is drawn from the first 1,000 articles of the corpus, which are the
same for every size (see corpus.py), so 1k, 10k and 100k answer the same ~200 queries.

Kinds: common, rare, two_words, three_words, phrase, accented, unaccented (the folded form of an
accented word), inflected (a plural or feminine form), facet (a word and a tag filter),
empty_facets (empty query with facet filters), typo (one edit away from an archive word),
prefix (`numéri*`).

    python -m bench.queries bench/out/corpus-1k.jsonl      # prints the mix
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

KINDS = ("common", "rare", "two_words", "three_words", "phrase", "accented", "unaccented",
         "inflected", "facet", "empty_facets", "typo", "prefix")
SAMPLE_ARTICLES = 1000
SEED = 4

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOP = set("""a à au aux avec ce ces cet cette dans de des du elle elles en et est être il ils je la le
les leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se
ses si son sont sur ta te tes toi ton tu un une vos votre vous y été ont avoir fait faire peut plus
tout tous toutes sans sous comme donc alors ainsi aussi entre autre autres dont lorsque chaque peuvent
doit cela celui celle ceux cet être était sera seront ayant après avant très bien quand puis""".split())
_ACCENTED = re.compile(r"[àâäéèêëîïôöùûüÿçœæ]")


def fold(word: str) -> str:
    word = word.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _read_articles(corpus: Path, limit: int) -> list[dict]:
    out = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if len(out) >= limit:
                break
    return out


class Vocabulary:
    """Document frequencies and sentences of the sample, to draw queries from."""

    def __init__(self, articles: list[dict]):
        self.n = len(articles)
        self.df: Counter = Counter()
        self.folded_df: Counter = Counter()
        self.sentences: list[list[str]] = []
        self.tags: Counter = Counter()
        self.categories: Counter = Counter()
        self.years: Counter = Counter()
        for a in articles:
            text = a["title"] + "\n" + a["body"]
            words = {w.lower() for w in _WORD.findall(text.replace("’", " ").replace("'", " "))}
            self.df.update(words)
            self.folded_df.update({fold(w) for w in words})
            self.tags.update(a["tags"])
            self.categories.update(a["categories"])
            self.years[a["date"][:4]] += 1
            for sentence in re.split(r"(?<=[.!?])\s+", a["body"])[:40]:
                tokens = _WORD.findall(sentence.replace("’", " ").replace("'", " "))
                if len(tokens) >= 6:
                    self.sentences.append(tokens)
        self.content = sorted(w for w in self.df if len(w) >= 4 and w not in _STOP and w.isalpha()
                              and not w.isupper())

    def band(self, low: float, high: float, min_len: int = 4) -> list[str]:
        """Content words in a document-frequency band (fractions of the sample's articles)."""
        return [w for w in self.content if low * self.n <= self.df[w] <= high * self.n and len(w) >= min_len]


def _pick(rng: random.Random, pool: list, k: int) -> list:
    pool = list(pool)
    rng.shuffle(pool)
    return pool[:k]


def sample_vocabulary(corpus: Path) -> Vocabulary:
    """The vocabulary the queries are drawn from (the corpus's first SAMPLE_ARTICLES articles)."""
    return Vocabulary(_read_articles(corpus, SAMPLE_ARTICLES))


def build_mix(corpus: Path, per_kind: int = 17, seed: int = SEED, vocab: Vocabulary | None = None) -> list[dict]:
    """The query mix: per_kind queries of each kind, in a fixed interleaved order. `vocab`, if
    given, must be `sample_vocabulary(corpus)` (built once by a caller drawing many mixes)."""
    if vocab is None:
        vocab = sample_vocabulary(corpus)
    rng = random.Random(seed)
    by_kind: dict[str, list[dict]] = {}

    def add(kind, q, filters=None):
        by_kind.setdefault(kind, []).append({"kind": kind, "q": q, "filters": filters or {}})

    common = vocab.band(0.25, 1.0)
    mid = vocab.band(0.02, 0.25, min_len=5)
    for w in _pick(rng, common, per_kind):
        add("common", w)
    for w in _pick(rng, vocab.band(2 / vocab.n, 4 / vocab.n, min_len=6), per_kind):
        add("rare", w)

    def words_from_sentences(count: int) -> list[str]:
        for _ in range(1000):
            tokens = [t.lower() for t in rng.choice(vocab.sentences)]
            cands = list(dict.fromkeys(t for t in tokens if t in vocab.df and t not in _STOP and len(t) >= 4
                                       and 0.01 * vocab.n <= vocab.df[t] <= 0.5 * vocab.n))
            if len(cands) >= count:
                return rng.sample(cands, count)
        raise RuntimeError("no sentence with enough content words")

    seen = set()
    while len(by_kind.get("two_words", [])) < per_kind:
        q = " ".join(words_from_sentences(2))
        if q not in seen:
            seen.add(q)
            add("two_words", q)
    while len(by_kind.get("three_words", [])) < per_kind:
        q = " ".join(words_from_sentences(3))
        if q not in seen:
            seen.add(q)
            add("three_words", q)
    while len(by_kind.get("phrase", [])) < per_kind:
        tokens = rng.choice(vocab.sentences)
        length = rng.choice((2, 3))
        start = rng.randrange(len(tokens) - length)
        span = tokens[start:start + length]
        if span[0].lower() in _STOP or span[-1].lower() in _STOP or any(len(t) < 2 for t in span):
            continue
        q = '"' + " ".join(span).lower() + '"'
        if q not in seen:
            seen.add(q)
            add("phrase", q)

    accented = [w for w in vocab.band(0.005, 0.5, min_len=5) if _ACCENTED.search(w)]
    picked = _pick(rng, accented, 2 * per_kind)
    for w in picked[:per_kind]:
        add("accented", w)
    for w in picked[per_kind:]:
        add("unaccented", fold(w))

    forms = []  # (base, inflected) pairs both found in the archive
    for w in vocab.band(0.005, 0.5, min_len=4):
        for suffix in ("s", "e", "es", "x"):
            if w + suffix in vocab.df and vocab.df[w + suffix] >= 2:
                forms.append(w + suffix)
        if w.endswith("al") and w[:-2] + "aux" in vocab.df:
            forms.append(w[:-2] + "aux")
    for w in _pick(rng, sorted(set(forms)), per_kind):
        add("inflected", w)

    top_tags = [t for t, _ in vocab.tags.most_common(60)]
    for w, tag in zip(_pick(rng, mid, per_kind), _pick(rng, top_tags, per_kind)):
        add("facet", w, {"tag": [tag]})

    empties = [{}]
    cats = [c for c, _ in vocab.categories.most_common()]
    years = sorted(vocab.years)
    for tag in _pick(rng, top_tags, per_kind):
        choice = rng.random()
        if choice < 0.5:
            empties.append({"tag": [tag]})
        elif choice < 0.75:
            empties.append({"tag": [tag], "year": [rng.choice(years)]})
        else:
            empties.append({"category": [rng.choice(cats)], "tag": [tag]})
    for filters in empties[:per_kind]:
        add("empty_facets", "", filters)

    letters = "abcdefghijklmnopqrstuvwxyzé"
    typo_seen = set()
    for w in _pick(rng, vocab.band(0.01, 0.5, min_len=7), 20 * per_kind):
        if len(by_kind.get("typo", [])) >= per_kind:
            break
        i = rng.randrange(1, len(w) - 1)
        edit = rng.choice(("sub", "del", "swap", "ins"))
        if edit == "sub":
            t = w[:i] + rng.choice(letters) + w[i + 1:]
        elif edit == "del":
            t = w[:i] + w[i + 1:]
        elif edit == "swap":
            t = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        else:
            t = w[:i] + rng.choice(letters) + w[i:]
        if t == w or fold(t) in vocab.folded_df or t in typo_seen:
            continue
        typo_seen.add(t)
        add("typo", t)

    prefixes = sorted({w[:rng.choice((3, 4, 5))] for w in vocab.band(0.02, 0.6, min_len=6)})
    for p in _pick(rng, prefixes, per_kind):
        add("prefix", p + "*")

    mix = []
    for i in range(per_kind):  # interleaved, so a partial run still sees every kind
        for kind in KINDS:
            if i < len(by_kind.get(kind, [])):
                mix.append(by_kind[kind][i])
    return mix


POOL_SEEDS = range(1000, 1400)
POOL_PER_KIND = 100
POOL_SHUFFLE_SEED = 7


def http_pool(corpus: Path, size: int = 20000, per_kind: int = POOL_PER_KIND) -> list[dict]:
    """Many distinct requests of the mix's kinds, for HTTP load without the answer cache helping
    (each is meant to be sent once): drawn like the mix with other seeds (the vocabulary built
    once), without duplicate (q, filters) pairs, as evenly across kinds as the sample's vocabulary
    allows, then shuffled so that any stretch of the pool has about the pool's share of each kind.

    Some kinds run dry (from the 1k sample: `common` ~230 distinct words, `inflected` and
    `accented` ~1,600-1,700, `empty_facets` and `prefix` ~2,200-2,500): seeds are drawn until every
    kind has an equal share of `size` (the shortfall of the kinds that ran dry spread over the
    others) or has gained nothing for 10 seeds. Deterministic; `pool_kinds()` counts the kinds.
    The default size, 20,000 (~5 s), is enough for 1,000 requests/s over 20 s."""
    vocab = sample_vocabulary(corpus)
    by_kind: dict[str, list[dict]] = {k: [] for k in KINDS}
    last_growth = {k: POOL_SEEDS[0] for k in KINDS}
    seen = set()
    level = 0
    for seed in POOL_SEEDS:
        for q in build_mix(corpus, per_kind=per_kind, seed=seed, vocab=vocab):
            key = (q["q"], json.dumps(q["filters"], sort_keys=True))
            if key not in seen:
                seen.add(key)
                by_kind.setdefault(q["kind"], []).append(q)
                last_growth[q["kind"]] = seed
        level = _level({k: len(v) for k, v in by_kind.items()}, size)
        if all(len(v) >= level or seed - last_growth[k] >= 10 for k, v in by_kind.items()):
            break
    take = {k: min(len(v), level) for k, v in by_kind.items()}
    excess = sum(take.values()) - size
    for k in reversed(list(take)):  # the water level overshoots by less than one a kind
        if excess <= 0:
            break
        if take[k] == level and level > 0:
            take[k] -= 1
            excess -= 1
    pool = [q for k, v in by_kind.items() for q in v[:take[k]]]
    random.Random(POOL_SHUFFLE_SEED).shuffle(pool)
    return pool


def _level(supply: dict[str, int], size: int) -> int:
    """The smallest share L such that taking min(supply, L) of each kind gives `size` requests
    (or everything, if the supply is smaller)."""
    if sum(supply.values()) <= size:
        return max(supply.values(), default=0)
    lo, hi = 0, max(supply.values())
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(min(n, mid) for n in supply.values()) >= size:
            hi = mid
        else:
            lo = mid + 1
    return lo


def pool_kinds(pool: list[dict]) -> dict[str, int]:
    """Count of each kind in a list of queries, in the order of KINDS."""
    counts = Counter(q["kind"] for q in pool)
    return {k: counts[k] for k in KINDS if counts[k]}


def main(argv=None) -> int:
    corpus = Path((argv or sys.argv[1:] or ["bench/out/corpus-1k.jsonl"])[0])
    mix = build_mix(corpus)
    for q in mix:
        print(f"{q['kind']:13} {q['q']!r:40} {json.dumps(q['filters'], ensure_ascii=False) if q['filters'] else ''}")
    print(f"{len(mix)} queries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

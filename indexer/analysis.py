"""The French analyzer: one chain of small Whoosh filters, used at index and at query time.

Order matters (see DESIGN.md): accents are folded *before* stemming, so that
`salariés`, `salarié` and `salarie` all stem to `salar` and a reader typing without
accents finds the same articles. Every class here is top-level and holds no
unpicklable state, because Whoosh pickles the schema (and its analyzers) into the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from unidecode import unidecode
from whoosh.analysis import Filter, Token, Tokenizer

# Bump when the chain changes: an index built by another version is rebuilt in full.
ANALYZER_VERSION = "fr-3"

# Curly apostrophes and the modifier letter used as one, non-breaking and thin spaces:
# each is one character replaced by one character, so character offsets stay valid.
_CHAR_MAP = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200a": " ",
    "\u2010": "-", "\u2011": "-",
})

# A word: letters and digits, possibly joined by inner apostrophes or hyphens
# (`l'entreprise`, `micro-puces`, `aujourd'hui`). `_` is not a letter here.
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")

_ELISION = re.compile(r"(?i)^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[^\W_])")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Snowball's French stop list (plus `elles`, beside its `ils`), as written; folded
# below so that it matches folded tokens (`été` -> `ete`).
_FRENCH_STOP_WORDS = """
au aux avec ce ces dans de des du elle elles en et eux il ils je la le les leur lui ma mais me même mes
moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis es est
sommes êtes sont serai seras sera serons serez seront serais serait serions seriez seraient étais
était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses
fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont
aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions
aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions
eussiez eussent
""".split()


def normalize(text: str) -> str:
    """NFC, straight apostrophes and plain spaces; offsets are kept when the text is already NFC."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_CHAR_MAP)


def fold(word: str) -> str:
    """Lowercase and strip accents and ligatures (`Œuvre` -> `oeuvre`); keeps a-z and 0-9 only."""
    word = word.lower()
    if not word.isascii():
        word = unidecode(word).lower()
    return _NON_ALNUM.sub("", word)


FOLDED_STOP_WORDS = frozenset(fold(w) for w in _FRENCH_STOP_WORDS)

_stemmer = Stemmer.Stemmer("french")


@lru_cache(maxsize=500_000)
def stem(folded: str) -> str:
    """Snowball French stem of a folded word, after a light step that joins `-é`/`-ée` endings."""
    if folded.isdigit():
        return folded
    # Folding turns `connectée` into `connectee`, which Snowball stems apart from
    # `connecté` (`connecte` vs `connect`); dropping the doubled `e` joins them.
    if folded.endswith("ees"):
        folded = folded[:-2]
    elif folded.endswith("ee") and len(folded) > 3:
        folded = folded[:-1]
    return _stemmer.stemWord(folded)


class FrenchTokenizer(Tokenizer):
    """Splits text into words, after `normalize`; inner apostrophes and hyphens stay in the word."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        text = normalize(value)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, match in enumerate(_WORD.finditer(text)):
            t.text = match.group(0)
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t


class ElisionFilter(Filter):
    """Drops an elided article or pronoun: `l'entreprise` -> `entreprise`, `qu'elle` -> `elle`."""

    def __call__(self, tokens):
        for t in tokens:
            m = _ELISION.match(t.text)
            if m:
                cut = m.end()
                t.text = t.text[cut:]
                if t.chars:
                    t.startchar += cut
            yield t


class CompoundFilter(Filter):
    """Makes a hyphenated or apostrophised word findable by its parts and, when indexing, whole.

    `micro-puces` gives `micro` and `puces` at consecutive positions (so the phrase
    "micro puces" matches) and, at index time only, `micropuces` at the first part's
    position, so that a query typed without the hyphen finds it too.
    """

    _JOINER = re.compile(r"['-]")

    def __call__(self, tokens):
        shift = 0  # positions added by the words split so far
        for t in tokens:
            if t.positions:
                t.pos += shift
            if "-" not in t.text and "'" not in t.text:
                yield t
                continue
            word, pos = t.text, getattr(t, "pos", 0)
            start = getattr(t, "startchar", 0)
            end = getattr(t, "endchar", 0)
            parts = [(m.start(), m.group(0)) for m in re.finditer(r"[^'-]+", word)]
            whole = self._JOINER.sub("", word)
            for i, (offset, part) in enumerate(parts):
                t.text = part
                if t.positions:
                    t.pos = pos + i
                if t.chars:
                    t.startchar = start + offset
                    t.endchar = start + offset + len(part)
                yield t
            if t.mode != "query" and len(parts) > 1:
                t.text = whole
                if t.positions:
                    t.pos = pos
                if t.chars:
                    t.startchar, t.endchar = start, end
                yield t
            shift += len(parts) - 1


class FoldFilter(Filter):
    """Lowercases and folds accents and ligatures with unidecode (`Œuvre` -> `oeuvre`)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            if t.text:
                yield t


class StopWordFilter(Filter):
    """Removes folded French stop words, closing the gaps they leave in positions.

    Unlike Whoosh's StopFilter, tokens that share a position (a compound word and its
    first part) keep sharing it, so "transformation du numérique" matches as a phrase
    "transformation numérique" and `micropuces` stays where `micro` is.
    """

    def __init__(self, stoplist=FOLDED_STOP_WORDS):
        self.stoplist = stoplist

    def __call__(self, tokens):
        stopped = 0  # stop words removed so far
        last_pos = None
        for t in tokens:
            if t.text in self.stoplist:
                if t.positions and t.pos != last_pos:
                    stopped += 1
                    last_pos = t.pos
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                last_pos = t.pos
                t.pos -= stopped
            yield t


class FrenchStemFilter(Filter):
    """Snowball French stemming of folded words, through a shared cache (the vocabulary is small)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = stem(t.text)
            yield t


def french_analyzer():
    """The chain for titles, bodies, tags and sources: matching ignores case, accents,
    elision and inflection."""
    return (FrenchTokenizer() | ElisionFilter() | CompoundFilter() | FoldFilter()
            | StopWordFilter() | FrenchStemFilter())


def word_analyzer():
    """Folded words, not stemmed: for prefix queries (`numeri*`) and spelling corrections."""
    return FrenchTokenizer() | ElisionFilter() | CompoundFilter() | FoldFilter()


def word_spans(text: str):
    """`(start, end, word)` for each word of an already normalized text, elided article
    left out of the span: the words as written, for did-you-mean and completions."""
    for m in _WORD.finditer(text):
        elided = _ELISION.match(m.group(0))
        start = m.start() + (elided.end() if elided else 0)
        yield start, m.end(), text[start:m.end()]


def surface_words(text: str):
    """`(folded, word)` for each word of `text` as written, lowercased: the archive's own
    spelling of each folded word (`numerique` -> `numérique`)."""
    for _, _, word in word_spans(normalize(text)):
        word = word.lower()
        folded = fold(word)
        if folded and not folded.isdigit():
            yield folded, word

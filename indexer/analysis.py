"""The French analyzer, used at index and at query time: small steps, one word at a time.

Order matters (see DESIGN.md): accents are folded *before* stemming, so that
`salariés`, `salarié` and `salarie` all stem to `salar` and a reader typing without
accents finds the same articles. Each step is a small function (`elide`,
`compound_parts`, `fold`, stop words, `stem`); `analyze_word` runs them on one word
and caches the result, because an archive's vocabulary is small next to its length:
most words are analysed once per build, not once per occurrence.

Every class here is top-level and holds no unpicklable state, because Whoosh pickles
the schema (and its analyzer) into the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import Stemmer
from unidecode import unidecode
from whoosh.analysis import Filter, Token, Tokenizer

# Bump when the chain changes: an index built by another version is rebuilt in full.
ANALYZER_VERSION = "fr-4"

# Curly apostrophes and the modifier letter used as one, non-breaking and thin spaces:
# each is one character replaced by one character, so character offsets stay valid.
_CHAR_MAP = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200a": " ",
    "\u2010": "-", "\u2011": "-",
})

_ODD_CHARS = re.compile("[" + "".join(chr(c) for c in _CHAR_MAP) + "]")
_ODD_PAIRS = tuple((chr(c), plain) for c, plain in _CHAR_MAP.items())

# A word: letters and digits, possibly joined by inner apostrophes or hyphens
# (`l'entreprise`, `micro-puces`, `aujourd'hui`). `_` is not a letter here.
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")

_ELISION = re.compile(r"(?i)^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[^\W_])")

_PART = re.compile(r"[^'-]+")

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
    # str.translate looks up every character in Python; a regex scan in C finds whether any is
    # there, and str.replace maps each one present (a curly apostrophe: hundreds of them) in C.
    if _ODD_CHARS.search(text):
        for odd, plain in _ODD_PAIRS:
            if odd in text:
                text = text.replace(odd, plain)
    return text


@lru_cache(maxsize=500_000)
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


def elide(word: str) -> int:
    """Length of the elided article or pronoun that starts `word` (`l'`, `qu'`...), else 0."""
    m = _ELISION.match(word)
    return m.end() if m else 0


def compound_parts(word: str) -> list[tuple[int, str]]:
    """`(offset, part)` for each part of a hyphenated or apostrophised word (`micro-puces`)."""
    return [(m.start(), m.group(0)) for m in _PART.finditer(word)]


class Piece(NamedTuple):
    """One indexed term of a word: where it is in the word, its folded form, its term,
    and its position relative to the word's first position."""

    start: int
    end: int
    folded: str
    term: str
    pos: int


@lru_cache(maxsize=500_000)
def analyze_word(word: str, whole: bool = True) -> tuple[Piece, ...]:
    """The French chain on one word, cached: elision, compound parts, folding, stop words,
    stemming. `whole` adds a compound's joined form (`micropuces`) at its first part's
    position, for indexing; queries leave it out so that `micro-puces` is a phrase."""
    cut = elide(word)
    pieces: list[Piece] = []
    parts = compound_parts(word[cut:])
    for offset, part in parts:
        folded = fold(part)
        if folded and folded not in FOLDED_STOP_WORDS:
            start = cut + offset
            pieces.append(Piece(start, start + len(part), folded, stem(folded), len(pieces)))
    if whole and len(parts) > 1:
        folded = fold(word[cut:])
        if folded:
            pieces.append(Piece(cut, len(word), folded, stem(folded), 0))
    return tuple(pieces)


def analyze(text: str, whole: bool = False):
    """`(startchar, endchar, folded, term, position)` for each term of `text`: the chain the
    index uses, for code outside Whoosh (query parsing, snippets)."""
    text = normalize(text)
    pos = 0
    for m in _WORD.finditer(text):
        base, first = m.start(), pos
        for p in analyze_word(m.group(0), whole):
            yield base + p.start, base + p.end, p.folded, p.term, first + p.pos
            pos = max(pos, first + p.pos + 1)


# Word as written -> how the index takes it: its term (most words), a tuple of
# `(term, offset)` (compounds), or () (stop words). A plain dict: looked up once per
# word of every article, where an lru_cache call would cost as much as the rest.
_INDEX_FORMS: dict[str, str | tuple[tuple[str, int], ...]] = {}


def _index_form(word: str) -> str | tuple[tuple[str, int], ...]:
    pieces = analyze_word(word, True)
    if len(pieces) == 1 and pieces[0].pos == 0:
        form: str | tuple = pieces[0].term
    else:
        form = tuple((p.term, p.pos) for p in pieces)
    if len(_INDEX_FORMS) >= 1_000_000:
        _INDEX_FORMS.clear()
    _INDEX_FORMS[word] = form
    return form


def term_positions(written: list[str]) -> dict[str, list[int]]:
    """Each term of a text (given as its `words`) with its positions, as the Whoosh chain
    below (`FrenchTokenizer | FrenchWordFilter`) would index them, in one pass without a
    Token per word: the build's hot loop."""
    found: dict[str, list[int]] = {}
    forms = _INDEX_FORMS
    pos = 0
    for word in written:
        form = forms.get(word)
        if form is None:
            form = _index_form(word)
        if form.__class__ is str:
            at = found.get(form)
            if at is None:
                found[form] = [pos]
            else:
                at.append(pos)
            pos += 1
        elif form:  # a compound: its parts, then its joined form at its first part's position
            for term, offset in form:
                found.setdefault(term, []).append(pos + offset)
            pos += 1 + max(offset for _, offset in form)
    return found


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


class FrenchWordFilter(Filter):
    """Turns each word into its terms with `analyze_word` (elision, compounds, folding,
    stop words, stemming), renumbering positions so that stop words leave no gap."""

    def __call__(self, tokens):
        next_pos = 0
        for t in tokens:
            pieces = analyze_word(t.text, t.mode != "query")
            start = getattr(t, "startchar", 0)
            base = next_pos
            for piece in pieces:
                t.text = piece.term
                if t.positions:
                    t.pos = base + piece.pos
                if t.chars:
                    t.startchar, t.endchar = start + piece.start, start + piece.end
                next_pos = max(next_pos, base + piece.pos + 1)
                yield t


def french_analyzer():
    """The chain for titles, bodies, tags and sources: matching ignores case, accents,
    elision and inflection."""
    return FrenchTokenizer() | FrenchWordFilter()


def word_spans(text: str):
    """`(start, end, word)` for each word of an already normalized text, elided article
    left out of the span: the words as written, for did-you-mean and completions."""
    for m in _WORD.finditer(text):
        elided = _ELISION.match(m.group(0))
        start = m.start() + (elided.end() if elided else 0)
        yield start, m.end(), text[start:m.end()]


def word_matches(text: str, start: int = 0):
    """The words of an already normalized text (from `start`, between two words), as regex
    matches (offsets and text)."""
    return _WORD.finditer(text, start)


def word_list(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The words of an already normalized text (`words` without the normalization), or of
    `text[start:end]` when that part starts and ends between words.

    `_WORD.findall`, faster: a word never holds a space, and a space-separated token made only of
    letters and digits (most are) is one word; the regex reads only the others."""
    part = text if start == 0 and end is None else text[start:end]
    out: list[str] = []
    append, extend, findall, whole = out.append, out.extend, _WORD.findall, str.isalnum
    for token in part.split():
        if whole(token):
            append(token)
        else:
            extend(findall(token))
    return out


def words(text: str) -> list[str]:
    """The words of a text as written (elided articles still attached)."""
    return word_list(normalize(text))


@lru_cache(maxsize=500_000)
def spelling(word: str) -> tuple[str, str]:
    """`(folded, surface)` of a word as written: `L'Hébergeur` -> (`hebergeur`, `hébergeur`).
    The surface is the archive's own spelling, for did-you-mean and completions; the folded
    form is "" for a word not worth suggesting (digits only)."""
    surface = word[elide(word):].lower()
    folded = fold(surface)
    return ("" if folded.isdigit() else folded), surface

"""Quoted sources: the studies, surveys, organisations, outlets and people an article cites.

Owns `extract_sources` (what fills `Article.sources`) and the spelling rules of the source facet
(`source_key`, `merge_spellings`), so that one facet value stands for "Fevad" and "FEVAD".

Rule-based on purpose: French articles cite in a handful of set forms, and a rule that misfires
can be read and fixed. The forms, from the seed archive:

- a parenthesis naming the source: ``(Etude FEVAD)``, ``(Enquête CEGOS 2012)``, ``(Hugo Lauras, Andlil)``;
- a person and their organisation around a quote: ``Stéphane Richard, PDG d’Orange : “…”``,
  ``« … », affirme M. Aubusson de Carvalay, de PwC``, ``Louis Richardson (IBM) : “…”``,
  ``Pour J.C. Dichant, il s’agit “…”``, ``Gilles Babinet parle de …``;
- a work and its author: ``une analyse de Google``, ``« La transformation digitale » de Adobe et Valtech``,
  ``la lecture de « Lean Start Up »``, ``votre article publié dans Les Échos``;
- links: a bare URL or ``<a href>`` gives its domain (``tinyurl.com``); ``<cite>`` its text;
  ``<blockquote cite>`` and ``<q cite>`` their domain.

Values are shown as the article writes them, with two exceptions: a study word, a civility, a
leading article and a year are dropped (``Enquête CEGOS 2012`` -> ``CEGOS``, ``M. Aubusson`` ->
``Aubusson``, ``la Fevad`` -> ``Fevad``), and a few well-known names that French writers spell
several ways are given their own spelling (``Mac Kinsey`` -> ``McKinsey``, see `CANONICAL`).
Link domains lose ``www.``; the blog's own uploads (``/wp-content/``) are not sources.

Every repetition is bounded, and names are matched atomically (never given back), so hostile input
(megabytes of text, thousands of parentheses) costs linear time: about 0.5 s for 5 MB of prose.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

# --- Building blocks -------------------------------------------------------------------------

UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"
LO = "a-zàâäçéèêëîïôöùûüÿœæß"
APOS = "’'"

# Capitalised words that start sentences, not names: a name never begins with one of them.
STOP_WORDS = (
    "A À Au Aux Alors Avec Bref Car Ce Cela Ces Cet Cette Cf Comme Dans De Des Donc Du Elle Elles En "
    "Enfin Ensuite Et Il Ils Je Leur Leurs Ma Mais Mes Moins Mon Ni Nos Notre Nous On Or Où Par Pour "
    "Plus Puis Quand Que Quel Quelle Qui Sa Sans Ses Si Son Sur Toute Toutes Tous Tout Un Une Vos "
    "Votre Vous Voir"
).split()
STOP = "(?:" + "|".join(STOP_WORDS) + r")(?![" + UP + LO + APOS + "-])"

WORD_CAP = rf"[{UP}][{LO}]+(?:-[{UP}]?[{LO}]+)*"  # Babinet, Mamou-Mani, Jean-Claude
PARTICLE = rf"(?:de|du|des|d[{APOS}]|van|von|der|le|la|ben|el|da|di|del)"

ROLE = (
    r"(?i:(?:vice-)?pr[ée]sident(?:e)?(?:-directeur g[ée]n[ée]ral)?|p\.?-?d\.?g\.?|dg|ceo|cto|cdo|cmo|coo"
    r"|directeur|directrice|(?:co-?)?fondat(?:eur|rice)|responsable|associ[ée]e?|consultante?"
    r"|analyste|[ée]conomiste|chercheu(?:r|se)|porte-parole|d[ée]l[ée]gu[ée]e?|secr[ée]taire g[ée]n[ée]rale?"
    r"|drh|dsi|journaliste|r[ée]dact(?:eur|rice) en chef|professeure?)"
    rf"(?![{LO}{UP}-])"
)

# A person: two to four capitalised words, particles allowed inside, never a role word after the
# first. It starts with a bare capital (no lookahead) so that the regex engine can skip to the
# capitals of a text; a leading sentence word ("Et Nicolas Bordas") is dropped by `_cleaned`.
NAME = (  # atomic: a name once matched is never given back, which keeps failures cheap
    rf"(?>[{UP}](?<![{UP}{LO}{APOS}-].)"
    rf"(?:[{LO}]+(?:-[{UP}]?[{LO}]+)*|\.\s?(?:[{UP}]\.\s?){{0,2}}{WORD_CAP})"
    rf"(?:\s(?:{PARTICLE}\s?)?(?!{ROLE}){WORD_CAP}){{0,3}})"
)

ORG_WORD = rf"[{UP}][{UP}{LO}0-9&{APOS}-]*"  # PwC, TBWA, L’Atelier, CEGOS
DOMAIN = r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:fr|com|net|org|io|eu|info|co|be|ch|ca)(?![\w.])"
ORG = rf"(?:{DOMAIN}|(?!{STOP}){ORG_WORD}(?:\s(?:(?:de|des|du|d[{APOS}]|&)\s?)?{ORG_WORD}){{0,4}}+)"
# An organisation name stops at punctuation, a link or the end; "Ressources humaines" is no name.
ORG_END = r"(?=\s*[,.;:!?()«»“”\"\[\]]|\s*$|\s+https?://)"

PREP = rf"(?:de la|de l[{APOS}]|du|des|de|d[{APOS}]|à la|à l[{APOS}]|au|aux|à|chez)"
QUOTE_OPEN = r"[«“\"]"

SPEECH_VERBS = (
    r"affirme|affirmait|confirme|déclare|explique|souligne|précise|estime|rappelle|indique|ajoute"
    r"|observe|résume|conclut|assure|insiste|martèle|tranche|prévient|reconnaît|écrit"
)


# --- The patterns ----------------------------------------------------------------------------
# Each starts with a capital, a space or a rare character: the engine then skips to those
# positions in C instead of trying the whole pattern at every character of a long text.

# A person, then what shows they are cited; the name is matched once for all four forms.
CITED_PERSON = re.compile(
    rf"(?P<who>{NAME})(?:"
    # their organisation: "Fred Cavazza, de emarketing.fr", "M. Aubusson de Carvalay, de PwC"
    rf",\s(?:de|d[{APOS}]|chez)\s?(?P<org>{ORG}){ORG_END}"
    # their role and organisation: "Stéphane Richard, PDG d’Orange", "Guy Mamou-Mani Président du
    # Syntec Numérique", "Mehdi Benchoufi, médecin, chercheur, Président du Club Jade"
    rf"|,?\s(?:[{LO}-]+,\s){{0,3}}+{ROLE}"
    rf"(?:(?:\s[{UP}{LO}{APOS}-]+){{0,4}}?\s{PREP}\s?(?P<org2>{ORG}){ORG_END}|\s(?P<org3>{ORG}){ORG_END})"
    # a verb of saying: "Gilles Babinet parle de …", "Patrice Epelboin nous livre ses réflexions"
    rf"|\s+(?:{SPEECH_VERBS}|parle|raconte|analyse|confie|nous livre|nous explique)(?![{LO}])"
    # a quote: "Louis Richardson (IBM) : “…”", "Nicolas Odet (Hardis) “…”"
    rf"|(?:\s\({ORG}\))?\s*:?\s*{QUOTE_OPEN})"
)
# "Pour J.C. Dichant, il s’agit …": only at the start of a sentence, followed by a comma.
FOR_PERSON = re.compile(rf"[.!?…\n]\s*Pour\s+(?P<who>{NAME}),")
# "« La transformation digitale » de Adobe et Valtech".
TITLE_BY = re.compile(rf"[»”]\s+(?:de|du|des|d[{APOS}])\s?(?P<who>{ORG})(?:\s+et\s+(?P<also>{ORG}))?{ORG_END}")

# The forms that start with a cue word, one group each, matched in a single pass over the text's
# spaces (a pass per form would cost as much again for every form).
CUE_FORMS = {
    # "« … », affirme M. Aubusson de Carvalay", "comme le rappelle Henryk Klaba" (a person)
    "said_by": rf"(?:{SPEECH_VERBS})\s+(?P<said_by>{NAME})",
    # "Selon l’Insee", "D’après Nicolas Colin"
    "according_to": rf"(?:[Ss]elon|[Dd][{APOS}]apr[èe]s)\s+(?:(?:la|le|les)\s+|l[{APOS}])?"
    rf"(?P<according_to>{NAME}|{ORG}){ORG_END}",
    # "une analyse de Google", "cet excellent article de Nicolas Colin"
    "work_of": r"(?:[ÉEée]tude|[Ee]nqu[êe]te|[Rr]apport|[Aa]nalyse|[Ss]ondage|[Bb]arom[èe]tre|[Aa]rticle"
    r"|[Ll]ivre|[Oo]uvrage|[Tt]ribune|[Ii]nterview|[Cc]hronique|[Bb]illet|[Nn]ote)s?"
    rf"\s{PREP}\s?(?P<work_of>{NAME}|{ORG}){ORG_END}",
    # "la lecture de « Lean Start Up »": a work named by its title
    "titled": r"(?:[Ll]ecture|[Ll]ivre|[Oo]uvrage|[Ee]ssai|[Rr]oman|[Ff]ilm|[Dd]ocumentaire|[Rr]apport"
    rf"|[ÉEée]tude)\s+(?:de\s+|d[{APOS}]|du\s+)?[«“]\s*(?P<titled>[^«»“”\n]{{2,80}}?)\s*[»”]",
    # "votre article publié dans Les Échos"
    "published_in": rf"(?:publié|paru|lu|interrogé|cité)e?s?\s+(?:dans|par)\s+"
    rf"(?P<published_in>(?:(?:Le|La|Les)\s|L[{APOS}])?{ORG}){ORG_END}",
}
CUE_FIRST = re.compile(r"\s(?:" + "|".join(CUE_FORMS.values()) + ")")
CITING_TAG = re.compile(r"<(?:cite|blockquote|q|a)\b", re.I)
PARENTHESIS = re.compile(r"\((?P<inside>[^()\n]{1,120})\)")
BARE_URL = re.compile(r"https?://[^\s<>\"'«»()\[\]]{1,300}")

STUDY_WORD = re.compile(
    r"^(?i:[ée]tudes?|enqu[êe]tes?|rapports?|sondages?|barom[èe]tres?|analyses?|sources?|chiffres|"
    r"donn[ée]es|infographie|livre blanc|classement)"
    rf"(?:\s*:\s*|\s+(?:de la|de l[{APOS}]|du|des|de|d[{APOS}])\s?|\s+)"
)
CIVILITY = re.compile(r"^(?:M\.|MM\.|Mme|Mlle|Mr\.?|Dr\.?|Pr\.?|Me)\s+")
TRAILING_YEAR = re.compile(r"\s+(?:19|20)\d\d$")
SUBTITLE = re.compile(r"\s*(?::|[«“]).*$")
LEADING_STOP_WORDS = re.compile(rf"^(?:{STOP}\s+)+")
LEADING_ARTICLE = re.compile(rf"^(?:la|le|les)\s+|^l[{APOS}]")

# Words that may stay lowercase inside a name or a title.
CONNECTORS = {
    "de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "à", "au", "aux", "sur", "pour",
    "van", "von", "der", "ben", "el", "da", "di", "del", "of", "the", "to", "for", "and", "on", "in",
}
# Places and common words that a parenthesis holds as often as a source.
NOT_SOURCES = {"france", "paris", "europe", "usa", "etats-unis", "monde", "lyon", "bis", "sic", "ndlr"}
# Names French writers spell several ways, by key, with the spelling the facet shows.
CANONICAL = {"mac kinsey": "McKinsey", "mc kinsey": "McKinsey", "mckinsey": "McKinsey"}


# --- Facet spelling --------------------------------------------------------------------------

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


# --- Extraction ------------------------------------------------------------------------------

# Bump when the rules change: an incremental build then finds every article's sources again.
QUOTES_VERSION = "1"


def extract_sources(text: str, html: str = "") -> list[str]:
    """The sources an article cites, de-duplicated, in order of first appearance.

    `text` is the plain text; `html`, when given, adds what only markup says (cited titles,
    `cite` URLs, link targets), after the sources found in the text.
    """
    text = _matchable(text)
    found = sorted(_mentions_in_text(text), key=lambda mention: mention[0])
    names = [name for _, name in found]
    if html.strip():
        names.extend(_mentions_in_markup(html))
    return merge_spellings(_canonical(name) for name in names)


def _matchable(text: str) -> str:
    """NFC with plain spaces (non-breaking spaces around « » must not defeat a pattern), after a
    newline so that the patterns that start with a space or a line break see the first word too."""
    return "\n" + unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


def _mentions_in_text(text: str) -> Iterator[tuple[int, str]]:
    """(position, name) for every mention, unordered and repeated: ordering and merging come after."""
    yield from _parenthesised(text)
    yield from _people_and_organisations(text)
    for match in BARE_URL.finditer(text):
        domain = _domain(match.group())
        if domain:
            yield match.start(), domain


def _parenthesised(text: str) -> Iterator[tuple[int, str]]:
    """`(Etude FEVAD)`, `(Hugo Lauras, Andlil)`: a parenthesis that holds only names."""
    for match in PARENTHESIS.finditer(text):
        inside = match.group("inside")
        if _spells_out_before(inside.strip(), text[max(0, match.start() - 120) : match.start()]):
            continue
        for part in re.split(r"[,;]\s*", inside):
            name = _cleaned(part)
            if _is_name(name):
                yield match.start("inside") + inside.find(part), name


def _spells_out_before(inside: str, before: str) -> bool:
    """An acronym after its expansion, "Chambre des Métiers et de l’Artisanat (CMA)", is no source."""
    if not re.fullmatch(rf"[{UP}]{{2,6}}", inside):
        return False
    initials = "".join(word[0] for word in re.findall(rf"[{UP}][{LO}]+", before))
    return initials.endswith(inside)


def _people_and_organisations(text: str) -> Iterator[tuple[int, str]]:
    """People named as speakers or authors, their organisations, and the works they signed."""
    for pattern in (CITED_PERSON, FOR_PERSON):
        for match in pattern.finditer(text):
            if _is_person(_cleaned(match.group("who"))):
                yield from _named(match, "who")
            yield from _named(match, "org", "org2", "org3")
    for match in TITLE_BY.finditer(text):
        yield from _named(match, "who", "also")
    for match in CUE_FIRST.finditer(text):
        form = match.lastgroup
        if form != "said_by" or _is_person(_cleaned(match.group(form))):
            yield from _named(match, form)


def _named(match: re.Match, *groups: str) -> Iterator[tuple[int, str]]:
    """The groups of a match that hold a name once cleaned, with their positions."""
    for group in groups:
        if match.groupdict().get(group):
            name = _cleaned(match.group(group))
            if _is_name(name):
                yield match.start(group), name


def _mentions_in_markup(html: str) -> Iterator[str]:
    """`<cite>` text, `cite` attributes and outbound links, in document order."""
    if not CITING_TAG.search(html):
        return  # most bodies: no element worth a parse
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return
    for element in root.iter("cite", "blockquote", "q", "a"):
        if element.tag == "cite":
            title = " ".join(element.text_content().split())
            if 0 < len(title) <= 120:
                yield title
        else:
            url = element.get("href" if element.tag == "a" else "cite") or ""
            if "/wp-content/" not in url:  # the blog's own uploads are not cited sources
                domain = _domain(url)
                if domain:
                    yield domain


def _domain(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or "." not in host:
        return ""
    return host.rstrip(".").removeprefix("www.")


# --- Cleaning and checking a candidate -------------------------------------------------------

@lru_cache(maxsize=4096)
def _cleaned(candidate: str) -> str:
    """The name itself: no study word, civility, year, subtitle, leading article or padding."""
    name = " ".join(candidate.split()).strip(" .,;:")
    name = STUDY_WORD.sub("", name)
    name = SUBTITLE.sub("", name)
    name = TRAILING_YEAR.sub("", name)
    name = LEADING_STOP_WORDS.sub("", name)
    name = CIVILITY.sub("", name)
    name = LEADING_ARTICLE.sub("", name)
    return name.strip(" .,;:")


@lru_cache(maxsize=4096)
def _is_name(name: str) -> bool:
    """Looks like a proper name or a title: capitalised words, short, no figures or questions."""
    if re.fullmatch(DOMAIN, name):
        return True
    words = re.findall(rf"[\w{APOS}&.-]+", name)
    if not 1 <= len(words) <= 7 or len(name) > 80 or re.search(r"[\d?!%]", name):
        return False
    if re.fullmatch(STOP, words[0]) or source_key(name) in NOT_SOURCES:
        return False
    if not words[0][0].isupper():
        return False
    return all(word[0].isupper() or word.casefold() in CONNECTORS for word in words if len(word) > 2)


def _is_person(name: str) -> bool:
    return _is_name(name) and len(name.split()) >= 2 and not re.match(ROLE, name)


def _canonical(name: str) -> str:
    return CANONICAL.get(source_key(name), name)

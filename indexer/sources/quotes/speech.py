"""Speakers: a verb of saying and who says ("« … », affirme M. Aubusson de Carvalay, de PwC",
"Santé publique France indique que", "comme le rappelle Henryk Klaba"), a speaker before a quote
("Louis Richardson (IBM) : “…”"), an opinion ("Pour Éric Heyer, …") and an interview's guest."""

from __future__ import annotations

import re
from collections.abc import Iterator

from indexer.sources.quotes.cited import (
    A, BEFORE_WORD, NOT_BEFORE, Mention, cited_at, organisation_of, positions, work_in_parenthesis,
)
from indexer.sources.quotes.lexicon import ADVERB, AUXILIARY, CLITICS, INVERSION_ONLY, NEEDS_CLAUSE, SAYING
from indexer.sources.quotes.names import (
    APOS, FUNCTION_WORDS, LO, PERSON, UP, cleaned, is_name, is_person, read_slot,
)

_TIME_WORDS = re.compile(
    r"(?:\s+(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|aujourd[’']hui|encore|aussi|également"
    r"|alors|enfin|pourtant|ainsi|déjà|toutefois|d[’']ailleurs|soir|matin|après-midi|dernier|pas|plus|guère))*"
)
_WHERE_SAID = re.compile(
    rf"\s*,?\s+(?:au micro d(?:e|u|es)|sur l{A}antenne d(?:e|u|es)|à l{A}antenne d(?:e|u|es)|sur le plateau d(?:e|u|es)"
    rf"|sur|dans (?:un|une|son|sa) (?:entretien|interview|tribune|chronique|éditorial) (?:accordée? )?(?:au|à la|à l{A}|à|aux))\s?"
)
_LOWER_WORD_INSIDE = re.compile(rf"\s[{LO}]")
VERB = re.compile(rf"{BEFORE_WORD}(?P<verb>{SAYING}){NOT_BEFORE}")
# What goes before a verb, read back from it: "m’a dit", "en avait dénombré", "a aussi précisé".
_VERB_PREFIX = re.compile(rf"(?<![{UP}{LO}{APOS}-])(?:{CLITICS}(?:{AUXILIARY})?(?:{ADVERB}\s+)?)\Z")
# "une décision dénoncée par l’association Ferus", "jugée « insuffisante » par l’UFC-Que Choisir"
_SAID_BY = re.compile(r"(?:\s+[«“][^«»“”\n]{1,80}[»”])?\s+par\s")
_INVERSION_BEFORE = re.compile(rf"(?:[»”\"]\s*,?|,|\bcomme(?:\s+(?:le|la|l{A}|les))?|\bque\s+(?:ne\s|n{A})?)\s*$")
_INVERSION_ONLY = re.compile(INVERSION_ONLY)
_CAPITAL = re.compile(rf"[{UP}]")
_PARTICIPLE = re.compile(r"(?:é|ée|és|ées)$")
# "a lâché le Normand", "a lancé le Français": a player named by where they come from.
_DEMONYM = re.compile(rf"(?:le|la|l{A})\s?[{UP}][{LO}]+(?:ais|aise|ois|oise|and|ande|ien|ienne|ain|aine|ène|an|ane)[\s,.;]")
_NEEDS_CLAUSE = re.compile(NEEDS_CLAUSE)
_CLAUSE_AFTER = re.compile(rf"\s*(?:que|qu{A}|:|«|“|\")|[^.!?\n]{{0,40}}[«“]")
_CLAUSE_EDGE = re.compile(r"[.!?…](?=\s)|[;:«»“”\"\n]")
_LEADING_CONJUNCTION = re.compile(r"\s*(?:(?:Et|Mais|Puis|Or|et|mais|puis)\s+)?")
_SUBJECT_STARTS = re.compile(
    rf",\s+|\s(?:et|mais|puis|alors que|tandis que|quand|car|que)\s+|\squ{A}|^\s*(?:Et|Mais|Puis|Or)\s+"
)


def sayings(text: str) -> Iterator[Mention]:
    """A verb of saying and its speaker, after it (inversion) or before it (subject)."""
    for match in VERB.finditer(text):
        verb_start, end = match.start("verb"), match.end()
        if not _CAPITAL.search(text, max(0, verb_start - 200), end + 80):
            continue  # nobody named around: "affirme affirme …" costs one search per verb
        start = verb_start
        if _previous_word(text, verb_start) in _PREFIX_WORDS:  # a cheap look first: most verbs stand alone
            prefix = _VERB_PREFIX.search(text, max(0, verb_start - 40), verb_start)
            start = prefix.start() if prefix else verb_start
        said_by = _SAID_BY.match(text, end)
        if said_by:
            for pos, name, kind, _ in cited_at(text, said_by.end()):
                yield pos, name
                break
            continue
        if (text[start - 2:start].rstrip()[-1:] in ",»”\"" or _previous_word(text, start) in ("comme", "que", "ne", "n’", "n'")
                or text[max(0, start - 12):start].rstrip().endswith(("comme le", "comme la", "comme l’", "comme l'"))) and (
            _INVERSION_BEFORE.search(text, max(0, start - 14), start) and _CAPITAL.search(text, end, end + 80)
        ):
            after = _TIME_WORDS.match(text, end).end()
            after += text[after:after + 1] == " "
            cited = [] if _DEMONYM.match(text, after) else list(cited_at(text, after))
            if cited:
                yield from positions(cited)
                yield from _where_said(text, max(stop for *_, stop in cited))
                continue
        if _INVERSION_ONLY.match(match.group("verb")) or (
            verb_start == start and _PARTICIPLE.search(match.group("verb"))
        ):
            continue  # "Économie estimée : …" is no one speaking
        if _NEEDS_CLAUSE.match(match.group("verb")) and not _CLAUSE_AFTER.match(text, end):
            continue
        if not _CAPITAL.search(text, max(0, start - 200), start):
            continue  # nobody is named before the verb
        before = _previous_word(text, start)
        speakers = [] if before in _GRAMMAR_WORDS else list(_speaker_before(text, start))  # "il précise", "qui note"
        if not speakers and _RELATIVE_BEFORE.search(text, max(0, start - 12), start):
            speakers = list(_antecedent(text, _RELATIVE_BEFORE.search(text, max(0, start - 12), start).start()))
        for speaker in speakers:
            yield speaker
            yield from _where_said(text, end)


# A name never ends with a grammar word: a verb right after one has no named subject.
_GRAMMAR_WORDS = set(FUNCTION_WORDS) | {"je", "tu", "il", "ils", "elle", "elles", "on", "qui", "que", "ne", "ce", "cela", "ça"}
# Words that may stand right before a verb of saying as part of it ("a", "m’a", "l’avait", "en").
_PREFIX_WORDS = {
    "a", "ont", "avait", "avaient", "aurait", "auraient", "aussi", "encore", "également", "ainsi", "déjà", "enfin",
    "pourtant", "notamment", "d’ailleurs", "d'ailleurs", "alors", "toutefois", "cependant", "lui", "elle", "me",
    "te", "nous", "vous", "leur", "se", "en", "y", "le", "la", "les", "lui-même", "elle-même", "bien",
}


def _previous_word(text: str, end: int) -> str:
    """The word right before `end` (without reading back more than a few characters)."""
    words = text[max(0, end - 16):end].split()
    word = words[-1] if words else ""
    for apostrophe in "’'":  # "m’a" -> "a", "l’avait" -> "avait"
        word = word[word.rfind(apostrophe) + 1:] if apostrophe in word[:-1] else word
    return word


# "le guide de démontage d’iFixit, qui précise que …": the speaker is the relative's antecedent.
_RELATIVE_BEFORE = re.compile(r",\s+qui\s+(?:ne\s|n[’'])?$")
_WORD_START = re.compile(rf"(?<![{UP}{LO}0-9-])(?=[{UP}{LO}])")


def _antecedent(text: str, end: int) -> Iterator[Mention]:
    """The name that ends right at `end`, read from the nearest word start that gives one."""
    for start in (m.start() for m in _WORD_START.finditer(text, max(0, end - 80), end)):
        slot = read_slot(text, start)
        if slot and slot[1] == end and is_name(slot[0]):
            yield start, slot[0]
            return


def _speaker_before(text: str, end: int, colon: bool = False) -> Iterator[Mention]:
    """Who speaks right before `end` (a verb or a colon) from the start of their clause:
    "Santé publique France", "Christophe Robert, son délégué général,", "Louis Richardson (IBM)"."""
    edge = max(0, end - 200)
    for found in _CLAUSE_EDGE.finditer(text, edge, end):
        edge = found.end()
    starts = [edge] + [m.end() for m in _SUBJECT_STARTS.finditer(text, edge, end)]
    for start in starts:
        if not _CAPITAL.search(text, start, end):
            continue  # no name between this start and the verb
        lead = _LEADING_CONJUNCTION.match(text, start, end)
        start = lead.end() if lead else start
        sentence_start = text[edge:start].strip() in ("", "Et", "Mais", "Puis", "Or")
        for pos, name, kind, stop in cited_at(text, start, sentence_start):
            between = _BEFORE_COLON if colon else _BEFORE_VERB
            if between.fullmatch(text, stop, end):
                named = _PERSON_APPOSITION.fullmatch(text, stop, end)
                if named and kind == "org" and is_person(named.group("person")):
                    yield named.start("person"), named.group("person")  # "la Défenseure des droits, Claire Hédon,"
                    return
                if colon and kind == "org" and (_LOWER_WORD_INSIDE.search(name) or (
                    sentence_start and " " not in name and text.startswith(name, start))):
                    return  # "Première réalité : « rien »", "Exemples : « … »" are headings, not bodies speaking
                yield pos, name
                if kind == "person":
                    yield from positions(organisation_of(text, stop))
                    yield from positions(work_in_parenthesis(text, stop, acronyms=True))
                return
            break


# Between a speaker and their verb: an acronym or organisation in parentheses, an apposition
# between commas ("Christophe Robert, son délégué général, estime"); before a colon the
# apposition needs no closing comma ("Philippe Houzé, Président des Galeries Lafayette : « … »").
_BEFORE_VERB = re.compile(
    r"(?:\s?\([^()]{1,60}\))?(?:\s(?:lui|elle|eux|elles)-mêmes?)?(?:\s*,\s(?:[^«»“”\",;:.]|\.(?=\w)){1,120},)?,?\s*"
)
_PERSON_APPOSITION = re.compile(rf",\s(?P<person>{PERSON}),?\s*")
# A verb of saying in the apposition means another speaker, unless its subject is the writer
# ("Pierre Garnier, …, m’a donné un conseil que je répète à tout le monde : « … »").
_BEFORE_COLON = re.compile(
    rf"(?:\s?\([^()]{{1,60}}\))?(?:\s*,\s(?:(?:je|j{A}|on|nous|tu|vous)\s?(?:{CLITICS}){SAYING}{NOT_BEFORE}"
    rf"|(?!{SAYING}{NOT_BEFORE})(?:[^«»“”\";:.]|\.(?=\w))){{1,160}})?\s*"
)


def _where_said(text: str, end: int) -> Iterator[Mention]:
    """"a estimé sur BFM Business que", "a réagi … au micro de Canal+"."""
    where = _WHERE_SAID.match(text, end, min(len(text), end + 80))
    if where:
        for pos, name, kind, _ in cited_at(text, where.end()):
            if kind == "org":
                yield pos, name
            break


QUOTE_AFTER_COLON = re.compile(r":\s*[«“\"]")


def quoted_speakers(text: str) -> Iterator[Mention]:
    """"Louis Richardson (IBM) : “…”", "Fred Cavazza, de emarketing.fr : « … »"."""
    for match in QUOTE_AFTER_COLON.finditer(text):
        colon = match.start() - (text[match.start() - 1:match.start()] == " ")
        yield from _speaker_before(text, colon, colon=True)


OPINION = re.compile(r"Pour\s")  # at a sentence start only (checked in _opinions)
_SENTENCE_BEFORE = re.compile(r"(?:^|[.!?…]\s*|\n)\Z")
INTERVIEW = re.compile(rf"(?:Entretien|Interview|Rencontre|Conversation) avec\s")



# An interview's opening paragraph says so ("Entretien.", "Propos recueillis par", "Elle répond à nos
# questions", "Nous l’avons rencontrée"): the person it presents is the one quoted all along.
INTERVIEW_MARK = re.compile(
    rf"Entretien\b|Interview\b|Propos recueillis|répond à nos questions|nous a reçu|l{A}avons rencontré|Rencontre (?:au|à|avec)"
)
_OPENING_PERSON = re.compile(rf"(?:^|[,.:]\s|\n)(?:(?:Le|La) (?:professeure?|docteure?|judoka|chercheuse|chercheur) )?(?P<person>{PERSON})")


def interviewee(text: str) -> Iterator[Mention]:
    """The person an interview's opening paragraph presents, and the organisation given with them."""
    opening = text[: text.find("\n", 1) if text.find("\n", 1) > 0 else len(text)][:700]
    if not INTERVIEW_MARK.search(opening):
        return
    for match in _OPENING_PERSON.finditer(opening):
        name = cleaned(match.group("person"))
        if is_person(name) and not opening.startswith((" de ", " d’", " d'"), match.end("person")):  # "Prix Nobel de …"
            yield match.start("person"), name
            before = opening[:match.start("person")]  # "Économiste à l’Institut des politiques publiques, X"
            role = _ROLE_AT.search(before)
            if role:
                slot = read_slot(text, role.end())
                if slot and is_name(slot[0]) and slot[2] == "org":
                    yield role.end(), slot[0]
            yield from positions(organisation_of(text, match.end("person")))
            return


_ROLE_AT = re.compile(rf"(?:^|\n|\.\s)[{UP}][{LO}-]+(?: (?:et )?[{LO}-]+)*? (?:à la |à l{A}|au |de la |de l{A}|du |chez )(?=[{UP}])")


def opinions(text: str) -> Iterator[Mention]:
    """"Pour Éric Heyer, directeur … de l’OFCE, cette stabilité …", "Entretien avec …"."""
    for match in OPINION.finditer(text):
        if not _SENTENCE_BEFORE.search(text, max(0, match.start() - 3), match.start()):
            continue
        cited = list(cited_at(text, match.end()))
        if cited and cited[0][2] == "person" and text[cited[0][3]:cited[0][3] + 1] == ",":
            yield from positions(cited)
    for match in INTERVIEW.finditer(text):
        yield from positions(cited_at(text, match.end()))


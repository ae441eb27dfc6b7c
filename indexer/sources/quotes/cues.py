"""Citation cues: the forms in which French prose says where a statement comes from.

A capitalised word is a source only inside one of these forms; everything else (a heading, an
acronym, a place, a product, a shortcut) is text. Each form is found by one scan for its cue words,
then the name is read right beside the cue (names.py), so the cost stays linear in the text:

- "selon l’Insee", "d’après les relevés du ministère de la Transition écologique", "pour Éric Heyer, …";
- a verb of saying with its speaker after it, after a quote or a comma ("« … », affirme M. Aubusson
  de Carvalay, de PwC", "a indiqué mercredi Santé publique France") or before it at the start of a
  clause ("Santé publique France indique que", "Christophe Robert, son délégué général, estime");
- a speaker before a quote ("Louis Richardson (IBM) : “…”", "Philippe Houzé, Président des
  Galeries Lafayette : « … »");
- a work and who made it ("une étude de l’Ifop", "sondage Ifop pour Le Journal du dimanche",
  "« La transformation digitale » de Adobe et Valtech", "la lecture de « Lean Start Up »");
- an outlet ("interrogé par franceinfo", "au micro de Canal+", "publié dans Les Échos", "dans la
  revue PNAS", "a estimé sur BFM Business");
- a parenthesis that attributes ("(Étude FEVAD)", "(Enquête CEGOS 2012)", "… années (L’Atelier BNP
  Paribas).", "(Hugo Lauras, Andlil)"), never one that qualifies the word before it ("Lorient
  (Morbihan)", "Haute Autorité de santé (HAS)", "le PID (identifiant de processus)").

A person cited with a role in an organisation brings the organisation ("Stéphane Richard, PDG
d’Orange : …"): the facet lists both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from indexer.sources.quotes.lexicon import (
    ADVERB, AUXILIARY, CLITICS, INVERSION_ONLY, NEEDS_CLAUSE, SAYING, STUDY, STUDY_CAP, WORK_ALONE, by_first_letter,
)
from indexer.sources.quotes.names import (
    APOS, CONNECTOR, FUNCTION_WORDS, LO, LOWER_WORD, ORG, PERSON, ROLE, UP, cleaned, is_name, is_person, read_slot,
)

A = f"[{APOS}]"
NOT_AFTER = rf"(?<![{UP}{LO}{APOS}-])"
# Scanning patterns start with the character before their cue word (the text starts with a
# newline, see __init__._matchable): the engine then skips to those few characters in C, where a
# look-behind would be tried at every position (3x slower over a long text).
BEFORE_WORD = r"[\s(«“\"’'\[—–-]"
NOT_BEFORE = rf"(?![{UP}{LO}{APOS}-])"
PREP = rf"(?:de la|de l{A}|des|du|de|d{A})"
# Social networks and platforms named in prose: "sur X", "sur Twitter" say where, not who.
PLATFORM_NAMES = {
    "x", "twitter", "facebook", "instagram", "linkedin", "tiktok", "youtube", "mastodon", "threads", "bluesky",
    "snapchat", "twitch", "telegram", "whatsapp", "reddit", "discord", "pinterest", "strava",
}

Mention = tuple[int, str]


def mentions(text: str) -> Iterator[Mention]:
    """(position, name) for every source cited in `text`, unordered and repeated."""
    yield from _according_to(text)
    yield from _sayings(text)
    yield from _quoted_speakers(text)
    yield from _works(text)
    yield from _outlets(text)
    yield from _opinions(text)
    yield from _parentheses(text)
    yield from _titles(text)


# --- Reading who is cited ---------------------------------------------------------------------

_TIME_WORDS = re.compile(
    r"(?:\s+(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|aujourd[’']hui|encore|aussi|également"
    r"|alors|enfin|pourtant|ainsi|déjà|toutefois|d[’']ailleurs|soir|matin|après-midi|dernier|pas|plus|guère))*"
)
# "les relevés hebdomadaires du", "le baromètre annuel du", "une étude de": a work, then its maker.
_WORK_THEN_MAKER = re.compile(
    rf"(?:(?:le|la|les|l{A}|un|une|des|ses|son|sa|leur|leurs|cette|cet|ce|ces)\s?)?"
    rf"(?:(?:[a-zéèêàâîôûç-]+\s){{0,2}})?{STUDY}{NOT_BEFORE}(?P<filler>(?:\s{LOWER_WORD}){{0,3}})"
    rf"(?:\s{PREP}\s?|\s(?=[{UP}]))"
)
_APOSITION_PREP = re.compile(rf"{NOT_AFTER}(?<!près )(?<!proche )(?:de la|de l{A}|des|du|de|d{A}|chez|au|aux|à la|à l{A})\s?")
_APPOSITION = re.compile(rf",\s(?P<text>(?:[^,;:.!?«»“”\"\n]|\.(?=\w)){{2,160}})")
_ROLE = re.compile(ROLE)
_ROLE_THEN_NAME = re.compile(rf"(?:{LOWER_WORD}\s){{1,2}}(?=[{UP}])")
_PREP_BEFORE = re.compile(rf"(?:de la|de l{A}|des|du|de|d{A}|chez|au|aux|à la|à l{A})\s?$")
_ACRONYM_ONLY = re.compile(rf"[{UP}]{{2,}}")
_LOWER_WORD_INSIDE = re.compile(rf"\s[{LO}]")
_WITHIN = re.compile(rf"\s(?:à la|à l{A}|au|aux|chez)\s?(?=[{UP}])")
# Roles whose complement is a place, not an organisation: "maire d’Orléans", "préfète de la Gironde".
PLACE_ROLES = re.compile(
    r"(?<![a-zéèêàâîôûç-])(?:maire|préfète?|député?e?|sénat(?:eur|rice)|élue?|habitante?|originaire|procureure?|évêque|rect(?:eur|rice)"
    r"|consul|conseill[eè]re? municipale?|natif|native)\s$"
)
_PARENTHESIS_AFTER = re.compile(r"\s?\((?P<inside>[^()\n]{2,80})\)")
_WHERE_SAID = re.compile(
    rf"\s*,?\s+(?:au micro d(?:e|u|es)|sur l{A}antenne d(?:e|u|es)|à l{A}antenne d(?:e|u|es)|sur le plateau d(?:e|u|es)"
    rf"|sur|dans (?:un|une|son|sa) (?:entretien|interview|tribune|chronique|éditorial) (?:accordée? )?(?:au|à la|à l{A}|à|aux))\s?"
)


def _cited_at(text: str, pos: int, sentence_start: bool = False) -> Iterator[tuple[int, str, str, int]]:
    """(position, name, kind, end) of who is cited at `pos`: a name, or a work and its maker
    ("les relevés du ministère …"), with the organisation of a person named with their role,
    and a second organisation given with the first ("le Muséum … et la Ligue …")."""
    work = _WORK_THEN_MAKER.match(text, pos, min(len(text), pos + 160))
    if work:
        pos = work.end()
    slot = read_slot(text, pos, sentence_start)
    if not slot:
        return
    name, end, kind = slot
    if kind == "person" and not is_person(name):
        kind = "org"
    if not is_name(name) or (kind == "org" and name.casefold() in PLATFORM_NAMES) or _ROLE.match(name):
        return  # "Le PDG de la société a parlé": a role, not a name
    yield pos, name, kind, end
    if kind == "person":
        yield from _organisation_of(text, end)
    yield from _work_in_parenthesis(text, end, acronyms=kind == "person")
    also = _AND.match(text, end, min(len(text), end + 8)) if kind == "org" else None
    if also:
        slot = read_slot(text, also.end())
        if slot and slot[2] == "org" and is_name(slot[0]) and slot[0].casefold() not in PLATFORM_NAMES:
            yield also.end(), slot[0], "org", slot[1]


_AND = re.compile(r"\s(?:et|ainsi que)\s(?=(?:la |le |les |l[’'])?[A-ZÀÂÉÈÊÎÔŒ])")


def _organisation_of(text: str, end: int) -> Iterator[tuple[int, str, str, int]]:
    """The organisation in a person's apposition: ", PDG d’Orange", ", économiste chez Natixis",
    ", Président des Galeries Lafayette", ", délégué CFE-CGC". Places ("plombier à Illkirch") are not."""
    apposition = _APPOSITION.match(text, end, min(len(text), end + 170))
    if not apposition:
        return
    segment_start = apposition.start("text")
    segment_end = apposition.end("text")
    first = text[segment_start:segment_end].split(" ", 1)[0]
    if not (first[:1].islower() or _ROLE.match(first)):
        return  # ", Andlil" or ", Paris": not a role
    direct = _ROLE_THEN_NAME.match(text, segment_start, segment_end)
    starts = [m.end() for m in _APOSITION_PREP.finditer(text, segment_start, segment_end)]
    if direct and _ROLE.match(first):
        starts.insert(0, direct.end())
    for start in starts:
        if PLACE_ROLES.search(text, max(segment_start, start - 40), start - _prep_length(text, start)):
            continue
        slot = read_slot(text, start)
        if slot and slot[1] <= segment_end + 1:
            name, stop, _ = slot
            lone = " " not in name and "-" not in name and not name.isupper()
            if text[start - 5:start].rstrip().lower()[-4:] in ("à la", " à l’", " à l'") and lone:
                continue  # "commissaire à la Concurrence": a portfolio, not a body
            if is_name(name) and name.casefold() not in PLATFORM_NAMES:
                inside = _WITHIN.match(text, stop, segment_end)  # "DG des Ressources humaines à la SNCF"
                outer = read_slot(text, inside.end()) if inside else None
                if outer and outer[1] <= segment_end + 1 and is_name(outer[0]):
                    start, name, stop = inside.end(), outer[0], outer[1]
                yield start, name, "org", stop
                return


def _prep_length(text: str, start: int) -> int:
    """How many characters the preposition before `start` takes ("de la ", "d’", "chez ")."""
    match = _PREP_BEFORE.search(text, max(0, start - 8), start)
    return len(match.group()) if match else 0


def _work_in_parenthesis(text: str, end: int, acronyms: bool) -> Iterator[tuple[int, str, str, int]]:
    """"affirme Joël de Rosnay (Surfer la Vie)", "Louis Richardson (IBM) : …", "une analyse de Google
    (The Customer Journey …)"; after an organisation an acronym is its own ("la HAS (HAS)")."""
    parenthesis = _PARENTHESIS_AFTER.match(text, end, min(len(text), end + 90))
    if parenthesis:
        name = cleaned(parenthesis.group("inside"))
        if is_name(name) and len(name.split()) <= 7 and (acronyms or not _ACRONYM_ONLY.fullmatch(name)):
            yield parenthesis.start("inside"), name, "work", parenthesis.end()


def _emit(found: Iterator[tuple[int, str, str, int]]) -> Iterator[Mention]:
    for pos, name, _, _ in found:
        yield pos, name


# --- The forms --------------------------------------------------------------------------------

ACCORDING_TO = re.compile(
    rf"{BEFORE_WORD}(?:[Ss]elon|[Dd]{A}apr[èe]s|[Àà] en croire|[Dd]e l{A}avis d(?:e la|e l{A}|es|u|e|{A})"
    rf"|[Aa]ux yeux d(?:e la|e l{A}|es|u|e|{A})|[Ss]ource\s?:)\s?"
)


def _according_to(text: str) -> Iterator[Mention]:
    """"Selon l’Insee", "d’après les relevés du ministère …", "Selon Guillaume Poitrinal, président …"."""
    for match in ACCORDING_TO.finditer(text):
        cited = list(_cited_at(text, match.end()))
        if not cited:  # "selon l’introduction à l’i18n de Tomohiro KUBOTA": a person's words
            words = _WORDS_OF.match(text, match.end(), min(len(text), match.end() + 80))
            if words:
                cited = [c for c in _cited_at(text, words.end()) if c[2] == "person"]
        yield from _emit(cited)


_WORDS_OF = re.compile(
    rf"(?:le |la |les |l{A}|un |une )(?:[^\s,;:.!?«»()]+\s){{0,4}}?(?:de la |de l{A}|des |du |de |d{A})(?=[{UP}])"
)


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
_CLAUSE_AFTER = re.compile(rf"\s*(?:que|qu{A}|:|«|“|\")")
_CLAUSE_EDGE = re.compile(r"[.!?…](?=\s)|[;:«»“”\"\n]")
_LEADING_CONJUNCTION = re.compile(r"\s*(?:(?:Et|Mais|Puis|Or|et|mais|puis)\s+)?")
_SUBJECT_STARTS = re.compile(
    rf",\s+|\s(?:et|mais|puis|alors que|tandis que|quand|car|que)\s+|\squ{A}|^\s*(?:Et|Mais|Puis|Or)\s+"
)


def _sayings(text: str) -> Iterator[Mention]:
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
            for pos, name, kind, _ in _cited_at(text, said_by.end()):
                yield pos, name
                break
            continue
        if (text[start - 2:start].rstrip()[-1:] in ",»”\"" or _previous_word(text, start) in ("comme", "que", "ne", "n’", "n'")
                or text[max(0, start - 12):start].rstrip().endswith(("comme le", "comme la", "comme l’", "comme l'"))) and (
            _INVERSION_BEFORE.search(text, max(0, start - 14), start) and _CAPITAL.search(text, end, end + 80)
        ):
            after = _TIME_WORDS.match(text, end).end()
            after += text[after:after + 1] == " "
            cited = [] if _DEMONYM.match(text, after) else list(_cited_at(text, after))
            if cited:
                yield from _emit(cited)
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
        for pos, name, kind, stop in _cited_at(text, start, sentence_start):
            between = _BEFORE_COLON if colon else _BEFORE_VERB
            if between.fullmatch(text, stop, end):
                named = _PERSON_APPOSITION.fullmatch(text, stop, end)
                if named and kind == "org" and is_person(named.group("person")):
                    yield named.start("person"), named.group("person")  # "la Défenseure des droits, Claire Hédon,"
                    return
                if colon and kind == "org" and _LOWER_WORD_INSIDE.search(name):
                    return  # "Première réalité : « rien »" is a heading, not an organisation speaking
                yield pos, name
                if kind == "person":
                    yield from _emit(_organisation_of(text, stop))
                    yield from _emit(_work_in_parenthesis(text, stop, acronyms=True))
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
        for pos, name, kind, _ in _cited_at(text, where.end()):
            if kind == "org":
                yield pos, name
            break


QUOTE_AFTER_COLON = re.compile(r":\s*[«“\"]")


def _quoted_speakers(text: str) -> Iterator[Mention]:
    """"Louis Richardson (IBM) : “…”", "Fred Cavazza, de emarketing.fr : « … »"."""
    for match in QUOTE_AFTER_COLON.finditer(text):
        colon = match.start() - (text[match.start() - 1:match.start()] == " ")
        yield from _speaker_before(text, colon, colon=True)


WORK = re.compile(
    rf"{BEFORE_WORD}(?P<work>{WORK_ALONE}|[ÉE]tude|Enqu[êe]te|Rapport|Sondage|Barom[èe]tre){NOT_BEFORE}"
    rf"(?:\s{LOWER_WORD}){{0,3}}(?:\s{PREP}\s?|\s(?=[{UP}]))"
)
_COMMISSIONED = re.compile(
    rf"\s+(?:(?:réalisée?s?|menée?s?|commandée?s?|publiée?s?|conduite?s?|financée?s?)\s+)?(?:pour|par|avec)\s"
)


def _works(text: str) -> Iterator[Mention]:
    """"une étude de l’Ifop", "l’enquête internationale Timss", "sondage Ipsos commandé par l’Ademe"."""
    for match in WORK.finditer(text):
        cited = list(_cited_at(text, match.end()))
        yield from _emit(cited)
        if cited:
            commissioned = _COMMISSIONED.match(text, max(stop for *_, stop in cited))
            if commissioned:
                yield from _emit(_cited_at(text, commissioned.end()))


_OUTLET_VERBS = by_first_letter(
    "interrog interview contact cit publi rapport révél revél relay pilot réalis coordonn command sign rédig "
    "communiqu glan expliqu document expos".split()
)
OUTLET = re.compile(
    rf"{BEFORE_WORD}(?:(?:(?:{_OUTLET_VERBS}|Interrog|Interview|Cit|Publi)(?:é|ée|és|ées)"
    rf"|(?:paru|lu|joint|conduit|produit|décrit|défini)(?:e|s|es)?)"
    rf"(?:\s[{LO}0-9]+){{0,3}}?\s(?:par|dans|avec)\s"
    rf"|au micro d(?:e|u|es)\s?|sur l{A}antenne d(?:e|u|es)\s?"
    rf"|à l{A}antenne d(?:e|u|es)\s?|sur le plateau d(?:e|u|es)\s?"
    rf"|dans (?:un|une|son|sa) (?:entretien|interview|tribune|chronique|éditorial) (?:accordée? )?(?:au|à la|à l{A}|à|aux)\s?"
    rf"|dans (?:la revue|le journal|le quotidien|le magazine|l{A}hebdomadaire|le mensuel|les colonnes d(?:e|u|es)))\s?"
)


def _outlets(text: str) -> Iterator[Mention]:
    """"interrogé par franceinfo", "au micro de Canal+", "publié dans Les Échos", "dans la revue PNAS"."""
    for match in OUTLET.finditer(text):
        for pos, name, kind, _ in _cited_at(text, match.end()):
            yield pos, name
            break


OPINION = re.compile(r"Pour\s")  # at a sentence start only (checked in _opinions)
_SENTENCE_BEFORE = re.compile(r"(?:^|[.!?…]\s*|\n)\Z")
INTERVIEW = re.compile(rf"(?:Entretien|Interview|Rencontre|Conversation) avec\s")


# "PARIS (AFP) – …": the agency that filed the story.
DATELINE = re.compile(rf"\n[{UP}][{UP}' -]{{1,30}}\s\((?P<agency>[{UP}][{UP}{LO}]{{1,11}})\)\s?[–—-]")


def _opinions(text: str) -> Iterator[Mention]:
    """"Pour Éric Heyer, directeur … de l’OFCE, cette stabilité …", "Entretien avec …"."""
    for match in OPINION.finditer(text):
        if not _SENTENCE_BEFORE.search(text, max(0, match.start() - 3), match.start()):
            continue
        cited = list(_cited_at(text, match.end()))
        if cited and cited[0][2] == "person" and text[cited[0][3]:cited[0][3] + 1] == ",":
            yield from _emit(cited)
    for match in INTERVIEW.finditer(text):
        yield from _emit(_cited_at(text, match.end()))
    for match in DATELINE.finditer(text):
        yield match.start("agency"), match.group("agency")


PARENTHESIS = re.compile(r"\((?P<inside>[^()\n]{1,120})\)")
CONNECTOR_WORDS = {"de", "du", "des", "d’", "d'", "la", "le", "les", "l’", "l'", "et", "en", "à", "of", "the", "for", "and"}
_STUDY_LED = re.compile(rf"^(?:{STUDY_CAP}|{STUDY})\b", re.I)


def _parentheses(text: str) -> Iterator[Mention]:
    """A parenthesis that attributes: it names a study ("(Étude FEVAD)"), or it ends a clause after a
    lower-case word or a quote and holds a name of two words or more, or a person and their
    organisation ("… années (L’Atelier BNP Paribas).", "(Hugo Lauras, Andlil)")."""
    for match in PARENTHESIS.finditer(text):
        inside = match.group("inside").strip()
        if _STUDY_LED.match(inside):
            for part in re.split(r"[,;]\s*", inside):
                name = cleaned(part)
                if is_name(name):
                    yield match.start("inside") + inside.find(part), name
            continue
        before = text[max(0, match.start() - 30):match.start()].rstrip()
        after = text[match.end():match.end() + 2]
        ends_clause = not after.strip() or after.lstrip()[:1] in ".;,:!?"
        attributing = before[-1:] in "»”\"" or bool(re.search(rf"[{LO}%]$", before))
        if not (ends_clause and attributing):
            continue
        if re.search(r"\d", inside) or any(w[0].islower() and w not in CONNECTOR_WORDS for w in inside.replace(",", " ").split()):
            continue
        parts = [cleaned(part) for part in re.split(r",\s*", inside)]
        if len(parts) == 1 and len(parts[0].split()) >= 2 and is_name(parts[0]):
            yield match.start("inside"), parts[0]
        elif len(parts) == 2 and is_person(parts[0]) and is_name(parts[1]):
            yield match.start("inside"), parts[0]
            yield match.start("inside") + inside.find(parts[1]), parts[1]


TITLE_BY = re.compile(rf"[»”]\s+(?:de|du|des|d{A})\s?(?P<who>{ORG})(?:\s+et\s+(?P<also>{ORG}))?(?=\s*[,.;:!?()]|\s*$)")
TITLED = re.compile(
    rf"{BEFORE_WORD}(?:[Ll]ecture|[Rr]apport|[ÉEée]tude)\s+(?:de\s+|d{A}|du\s+)?[«“]\s*(?P<titled>[^«»“”\n]{{2,80}}?)\s*[»”]"
)


def _titles(text: str) -> Iterator[Mention]:
    """"« La transformation digitale » de Adobe et Valtech", "la lecture de « Lean Start Up »"."""
    for match in TITLE_BY.finditer(text):
        for group in ("who", "also"):
            if match.group(group) and is_name(cleaned(match.group(group))):
                yield match.start(group), cleaned(match.group(group))
    for match in TITLED.finditer(text):
        name = cleaned(match.group("titled"))
        if is_name(name):
            yield match.start("titled"), name

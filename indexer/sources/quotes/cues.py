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

from indexer.sources.quotes.cited import A, BEFORE_WORD, NOT_BEFORE, PREP, Mention, cited_at, positions
from indexer.sources.quotes.lexicon import STUDY, STUDY_CAP, WORK_ALONE, by_first_letter
from indexer.sources.quotes.names import LO, LOWER_WORD, ORG, UP, cleaned, is_name, is_person
from indexer.sources.quotes.speech import interviewee, opinions, quoted_speakers, sayings

def mentions(text: str) -> Iterator[Mention]:
    """(position, name) for every source cited in `text`, unordered and repeated."""
    yield from _according_to(text)
    yield from sayings(text)
    yield from quoted_speakers(text)
    yield from _works(text)
    yield from _outlets(text)
    yield from opinions(text)
    yield from _parentheses(text)
    yield from _titles(text)
    yield from interviewee(text)
    yield from _datelines(text)


# --- The forms that are not speech ---------------------------------------------------------------

_OF = "d(?:e la|e l’|e l'|es|u|e|’|')"
ACCORDING_TO = re.compile(
    BEFORE_WORD + by_first_letter([
        "selon", "Selon", "d’après", "D’après", "d'après", "D'après", "d’apres", "d'apres", "à en croire", "À en croire",
        f"aux yeux {_OF}", f"Aux yeux {_OF}", f"de l’avis {_OF}", f"De l’avis {_OF}", f"de l'avis {_OF}",
        "source ?:(?=\\s)", "Source ?:(?=\\s)", "sources ?:(?=\\s)", "Sources ?:(?=\\s)",
    ]) + r"\s?"
)


def _according_to(text: str) -> Iterator[Mention]:
    """"Selon l’Insee", "d’après les relevés du ministère …", "Selon Guillaume Poitrinal, président …"."""
    for match in ACCORDING_TO.finditer(text):
        cited = list(cited_at(text, match.end()))
        if not cited:  # "selon l’introduction à l’i18n de Tomohiro KUBOTA": a person's words
            words = _WORDS_OF.match(text, match.end(), min(len(text), match.end() + 80))
            if words:
                cited = [c for c in cited_at(text, words.end()) if c[2] == "person"]
        yield from positions(cited)


_WORDS_OF = re.compile(
    rf"(?:le |la |les |l{A}|un |une )(?:[^\s,;:.!?«»()]+\s){{0,4}}?(?:de la |de l{A}|des |du |de |d{A})(?=[{UP}])"
)


WORK = re.compile(
    rf"{BEFORE_WORD}(?P<work>{WORK_ALONE}){NOT_BEFORE}"
    rf"(?:\s{LOWER_WORD}){{0,3}}(?:\s{PREP}\s?|\s(?=[{UP}]))"
)
_COMMISSIONED = re.compile(
    rf"\s+(?:(?:réalisée?s?|menée?s?|commandée?s?|publiée?s?|conduite?s?|financée?s?)\s+)?(?:pour|par|avec)\s"
)


def _works(text: str) -> Iterator[Mention]:
    """"une étude de l’Ifop", "l’enquête internationale Timss", "sondage Ipsos commandé par l’Ademe"."""
    for match in WORK.finditer(text):
        if text[match.start("work") - 2:match.start("work")] in ("d’", "d'", "D’", "D'"):
            continue  # "des modules d’analyse de Perl": a kind of module, not a work of Perl
        cited = list(cited_at(text, match.end()))
        yield from positions(cited)
        if cited:
            commissioned = _COMMISSIONED.match(text, max(stop for *_, stop in cited))
            if commissioned:
                yield from positions(cited_at(text, commissioned.end()))


_PARTICIPLE_END = "(?:é|ée|és|ées)"
_OUTLET_FORMS = (
    [f"{verb}{_PARTICIPLE_END}(?:\\s[{LO}0-9]+){{0,3}}?\\s(?:par|dans)\\s" for verb in (
        "interrog interview contact cit publi rapport révél revél relay pilot command rédig communiqu glan "
        "Interrog Interview Cit Publi").split()]
    + [f"{verb}(?:e|s|es)?(?:\\s[{LO}0-9]+){{0,3}}?\\s(?:par|dans)\\s" for verb in ("paru", "lu", "joint")]
    + [f"{verb}{_PARTICIPLE_END}\\s(?:par|avec)\\s" for verb in ("réalis", "coordonn")]
    + [f"{verb}(?:e|s|es)?\\s(?:par|avec)\\s" for verb in ("conduit", "produit")]
    + [f"{verb}{_PARTICIPLE_END}(?:\\s[{LO}]+){{0,2}}?\\spar\\s" for verb in ("expliqu", "document", "expos")]
    # "décrit dans la Charte Debian", never "décrit dans Sauvetage de paquets" (a section's title)
    + [f"{verb}(?:\\s[{LO}]+){{0,2}}?\\sdans\\s(?=(?:la|le|les|l{A})\\s?[{UP}])"
       for verb in ("décrite?s?", f"expliqu{_PARTICIPLE_END}", f"document{_PARTICIPLE_END}", f"expos{_PARTICIPLE_END}")]
    + [f"au micro d(?:e|u|es)\\s?", f"sur l{A}antenne d(?:e|u|es)\\s?", f"à l{A}antenne d(?:e|u|es)\\s?",
       "sur le plateau d(?:e|u|es)\\s?",
       f"dans (?:un|une|son|sa) (?:entretien|interview|tribune|chronique|éditorial) (?:accordée? )?(?:au|à la|à l{A}|à|aux)\\s?",
       f"dans (?:la revue|le journal|le quotidien|le magazine|l{A}hebdomadaire|le mensuel|les colonnes d(?:e|u|es))\\s?"]
)
OUTLET = re.compile(rf"{BEFORE_WORD}{by_first_letter(_OUTLET_FORMS)}\s?")


def _outlets(text: str) -> Iterator[Mention]:
    """"interrogé par franceinfo", "au micro de Canal+", "publié dans Les Échos", "dans la revue PNAS"."""
    for match in OUTLET.finditer(text):
        for pos, name, kind, _ in cited_at(text, match.end()):
            yield pos, name
            break


# "PARIS (AFP) – …": the agency that filed the story.
DATELINE = re.compile(rf"\n[{UP}][{UP}' -]{{1,30}}\s\((?P<agency>[{UP}][{UP}{LO}]{{1,11}})\)\s?[–—-]")



def _datelines(text: str) -> Iterator[Mention]:
    """"PARIS (AFP) – …": the agency that filed the story."""
    for match in DATELINE.finditer(text):
        yield match.start("agency"), match.group("agency")


PARENTHESIS = re.compile(r"\((?P<inside>[^()\n]{1,120})\)")
_NOT_A_NAME_INSIDE = re.compile(r"[«»“”\"]|\b(?:of|the|and|to|for|in|on)\b")
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
        ends_clause = not after.strip() or after.lstrip()[:1] in ".;!?"  # not ", " (a list of terms)
        previous = re.split(r"[’']", before.split()[-1])[-1] if before.split() else ""  # "l’IA" -> "IA"
        attributing = before[-1:] in "»”\"" or previous[:1].islower() or previous.endswith("%")
        if _NOT_A_NAME_INSIDE.search(inside):
            continue  # quotes, or an English expansion ("Round Trip Time", "Type of Service")
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
    rf"{BEFORE_WORD}{by_first_letter('lecture Lecture rapport Rapport étude Étude etude Etude'.split())}"
    rf"\s+(?:de\s+|d{A}|du\s+)?[«“]\s*(?P<titled>[^«»“”\n]{{2,80}}?)\s*[»”]"
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

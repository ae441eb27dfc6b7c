"""What a source's name looks like, read at a position of the text: a person, an organisation, a
public body named by its function ("parquet de Créteil"), and the checks a candidate must pass.

Every pattern is bounded and atomic (a name once matched is never given back), so reading a name
costs a few hundred characters at most, whatever the text around it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.sources.quotes.lexicon import DESCRIPTOR, INSTITUTION, OBJECT, SAYING, STUDY
from indexer.sources.quotes.spelling import APOS, source_key

# Latin letters, French first; Latin Extended-A (Pogačar, Kōmen) in both classes.
UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆÁÍÓÚÑ\u0100-\u017f"
LO = "a-zàâäçéèêëîïôöùûüÿœæßáíóúñã\u0100-\u017f"
A = f"[{APOS}]"
# A word ends a name only where it ends: not glued to code ("Dir::Bin", "MAP_SHARED",
# "source:Version", "Documentation/networking").
END = rf"(?![{UP}{LO}{APOS}0-9_/=@\\-]|::|:[^\s])"

WORD_CAP = rf"[{UP}][{LO}]+(?:-[{UP}]?[{LO}]+)*"  # Babinet, Mamou-Mani, Jean-Claude
PARTICLE = rf"(?:de|du|des|d{A}|van|von|der|le|la|ben|el|da|di|del|dos|ter)"

# Role words: a name never goes on with one of them ("Aubusson Carvalay Président").
ROLE = (
    r"(?i:(?:vice-)?pr[ée]sident(?:e)?(?:-directeur g[ée]n[ée]ral)?|p\.?-?d\.?g\.?|dg|ceo|cto|cdo|cmo|coo"
    r"|directeur|directrice|(?:co-?)?fondat(?:eur|rice)|responsable|associ[ée]e?|consultante?"
    r"|analyste|[ée]conomiste|chercheu(?:r|se)|porte-parole|d[ée]l[ée]gu[ée]e?|secr[ée]taire g[ée]n[ée]rale?"
    r"|drh|dsi|journaliste|r[ée]dact(?:eur|rice) en chef|professeure?)"
    rf"{END}"
)

# Capitalised grammar words start sentences, not names ("Son président", "On", "Ces").
STOP_WORDS = (
    "A À Au Aux Alors Avec Bref Car Ce Cela Ces Cet Cette Ceci Cf Comme Dans De Des Donc Du Elle Elles En "
    "Enfin Ensuite Entre Et Il Ils Je Jusqu La Le Les Leur Leurs Lui Ma Mais Mes Moins Mon Ni Nos Notre Nous On "
    "Or Où Par Pour Plus Puis Quand Que Qu Quel Quelle Quels Quelles Qui Sa Sans Selon Ses Si Son Sur Ta Te "
    "Tes Toi Ton Toute Toutes Tous Tout Tu Un Une Vos Votre Vous Voir Voici Voilà Y Oui Non Avant Après Depuis "
    "Pendant Lors Dès Malgré Chez Contre Vers Sous Parmi Durant Hier Aujourd Ici Là Pas Peu Rien Autrement Ainsi "
    "Aussi Également Notamment Toutefois Cependant Pourtant Néanmoins Sinon Bien Outre Certes Dorénavant Désormais "
    "Certains Certaines Plusieurs Quelques Beaucoup Chacun Chacune Aucun Aucune Tel Telle Exemples Exemple "
    "Deux Trois Quatre Cinq Six Sept Huit Neuf Dix"
).split()
STOP = "(?:" + "|".join(STOP_WORDS) + rf")(?![{LO}{UP}-])"

# A person: a capitalised word or initials, then up to three more, particles allowed inside.
PERSON = (
    rf"(?>(?!{STOP})[{UP}](?<![{UP}{LO}{APOS}-].)"
    rf"(?:[{LO}]+(?:-[{UP}]?[{LO}]+)*|\.\s?(?:[{UP}]\.\s?){{0,2}}{WORD_CAP})"
    rf"{END}(?:\s(?:{PARTICLE}\s?)?(?!{ROLE})(?:{WORD_CAP}{END}|[{UP}]\.(?=\s[{UP}])|[{UP}]{{2,}}{END})){{0,3}})"
)

# Grammar words, days and months, and the verbs of saying are never part of a name written
# partly in lower case ("Cour des comptes", "Santé publique France indique que").
FUNCTION_WORDS = (
    "le la les l un une des du de d au aux à en et ou que qu qui quoi dont où son sa ses leur leurs ce cet "
    "cette ces mon ma mes notre nos votre vos il elle ils elles on nous vous se s ne n pas plus est sont a ont "
    "été être avait avaient sera seront y lui eux dans sur par pour avec sans sous entre vers chez depuis "
    "lors selon après avant comme mais donc car si ni tout tous toute toutes même aussi très bien déjà "
    "hier demain matin soir jour jours semaine semaines mois année "
    "années an ans dernier dernière derniers dernières prochain prochaine fois toujours jamais encore souvent "
    "parfois ici là alors ensuite enfin surtout notamment également ainsi seulement vraiment mieux trop tant "
    "beaucoup peu aujourd hui plutôt"
).split()
PARTICIPLES = (
    r"(?:publi|réalis|men|command|financ|lanc|cré|fond|bas|install|implant|situ|rattach|charg|présid|dirig|cot"
    r"|dépos|sign|adopt|vot|examin|interrog|cit|sollicit|contact|saisi|condamn|accus|visé|touch|concern|chiffr)"
    r"(?:é|ée|és|ées|i|ie|is|ies)"
)
NOT_NAME_WORD = (
    "(?:(?:" + "|".join(sorted(FUNCTION_WORDS, key=len, reverse=True)) + rf"){END}|{SAYING}{END}|{PARTICIPLES}{END})"
)
ORG_WORD = (  # PwC, L’Atelier, CFE-CGC, Canal+, e-Enfance
    rf"(?!{STOP}|L{A}|D{A}|Qu{A}|N{A}|J{A}|S{A}|C{A})(?:[{UP}][{UP}{LO}0-9&{APOS}.-]*(?<![.{APOS}-])(?:/[{UP}][{UP}{LO}0-9]+)?\+?"
    rf"|[{LO}]{{1,3}}-?[{UP}][{UP}{LO}]+){END}"
)
LOWER_WORD = rf"(?!{NOT_NAME_WORD})[{LO}][{LO}-]*(?:{A}[{LO}]+)?{END}"
ADJECTIVE = (
    rf"(?!{NOT_NAME_WORD}|[{LO}-]+ment{END})[{LO}][{LO}-]*"
    r"(?:al|ale|ales|aux|ais|aise|aises|ique|iques|ien|ienne|iens|iennes|el|elle|els|elles|aire|aires"
    r"|if|ive|ifs|ives|ain|aine|ains|aines|é|ée|és|ées|eur|eure|eurs|in|ine|ins|ines|ant|ante|ants|antes"
    r"|éen|éenne|éens|éennes|able|ables|ible|ibles|oire|oires|ier|ière|iers|ières"
    rf"|ente|entes|mixte|mixtes|unie|unies|uni|unis){END}"
)
CONNECTOR = (
    rf"(?:de la|de l{A}|des|du|de|d{A}|et de la|et de l{A}|et des|et du|pour la|pour le"
    rf"|pour l{A}|contre la|contre le|contre l{A}|contre|of|for|and|&)"
)
# After a capitalised word: capitalised words, a number ("Europe 1"), adjectives ("Santé publique
# France") and complements ("Cour des comptes", "Ligue des droits de l’homme").
ORG_REST = (
    rf"(?:\s(?:{ORG_WORD}|[0-9]{{1,2}}(?![0-9,.%])|(?<![{UP}0-9]\s){ADJECTIVE}|et\s{ADJECTIVE}(?=\s{LOWER_WORD})"
    rf"|{CONNECTOR}\s?(?:{ORG_WORD}|{LOWER_WORD}))){{0,9}}"
)
ORG = rf"(?>{ORG_WORD}{ORG_REST})"
INSTITUTION_NAME = (
    rf"(?>{INSTITUTION}{END}(?:\s(?:{ADJECTIVE}\s)?(?:{CONNECTOR}\s?{LOWER_WORD}\s){{0,2}}(?:{CONNECTOR}\s?)?{ORG_WORD}{ORG_REST}"
    rf"|\s{ADJECTIVE}(?:\s{CONNECTOR}\s?{ORG_WORD}{ORG_REST})))"
)
DOMAIN = r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:fr|com|net|org|io|eu|info|co|be|ch|ca)(?![\w.])"
CIVILITY = r"(?:M\.|MM\.|Mme|Mmes|Mlle|Mr\.?|Dr\.?|Pr\.?|Me|Maître)\s+"
ARTICLE = (
    rf"(?P<article>(?:le|la|les|Le|La|Les|son|sa|ses|leur|leurs|Son|Sa|Ses|Leur|Leurs|mon|ma|mes|Mon|Ma|Mes"
    rf"|notre|nos|Notre|Nos|un|une|Un|Une)\s+|[lL]{A}\s?)"
)
# "la procureure", "la procureure de Nîmes,", "l’entraîneur lensois,", "le docteur"
# "la procureure de Nîmes, Cécile Gensac": a place inside a title only before a comma.
_TITLE_WORD = rf"(?!{DESCRIPTOR}{END}){LOWER_WORD}(?:\s{CONNECTOR}\s?(?:{LOWER_WORD}|{WORD_CAP}(?=,)))?"
TITLE_WORDS = rf"(?:(?:{_TITLE_WORD}\s){{0,2}}{_TITLE_WORD},?\s)"
_INSTITUTION = re.compile(INSTITUTION_NAME)
# After a descriptor a name may start with a grammar word: "le collectif Nous Toutes".
_DESCRIBED = re.compile(
    rf"{DESCRIPTOR}{END}(?:\s{CONNECTOR}\s?{LOWER_WORD})?(?:\s{ADJECTIVE}){{0,2}}\s"
    rf"(?P<name>(?>(?:{ORG_WORD}|[{UP}][{LO}]+{END})(?:\s[{UP}][{LO}]+{END})?{ORG_REST}))"
)
# A body written out in full, then its acronym: "le collectif contre les nuisances aériennes de
# l’agglomération toulousaine (Ccnat)", "le service statistique du ministère … (Agreste)".
_SPELLED_OUT = re.compile(
    rf"(?:{DESCRIPTOR}|{INSTITUTION}){END}[^.;:!?«»“”\"()\n]{{0,120}}?\s\((?P<name>[{UP}][{UP}{LO}&-]{{1,11}})\)"
)
_PERSON = re.compile(rf"(?:{TITLE_WORDS})?(?:{CIVILITY})?(?P<name>{PERSON})")
_ORG = re.compile(rf"{DOMAIN}|{ORG}")
# One capitalised word and a noun, then punctuation: "d’après l’Assurance maladie, …".
_WORD_AND_NOUN = re.compile(rf"{ORG_WORD}\s(?<![{UP}0-9]\s){LOWER_WORD}(?=\s?[,.;:)])")
_ARTICLE = re.compile(ARTICLE)
_NAMEABLE = re.compile(rf"[{UP}]|[a-z0-9]\.[a-z]{{2}}")
# "Consultez la table", "Écrire la table de partitions", "Indiquer le numéro": a verb, not a name.
_VERB_FIRST = re.compile(rf"[{UP}][{LO}]+(?:er|ir|ez|ire|dre|tre)\s(?:la|le|les|l{A}|un|une|ce|cette|ces)\b")
_GLUE = set(":_/=@.\\")
_ONE_ACRONYM_AND_COMMON_WORDS = re.compile(rf"[{UP}]{{2,4}}(?:\s(?:{CONNECTOR}\s?)?[{LO}][{LO}{APOS}-]*)+")
_HERE_IN_THE_TEXT = re.compile(r"\s(?:ci-dessous|ci-dessus|plus bas|plus haut|plus loin)\b")
_OBJECT_BEFORE = re.compile(rf"(?<![{LO}]){OBJECT}\s$")
_NUMBERED = re.compile(r"\s\d+(?:\.\d+)+|\s\d+\b(?![ ,]\d)")
_ACRONYM = re.compile(rf"[^.;:!?«»“”\"()\n]{{0,100}}?\s\(([{UP}][{UP}{LO}&-]{{1,11}})\)")


def read_slot(text: str, pos: int, sentence_start: bool = False) -> tuple[str, int, str] | None:
    """(name, end, kind) of whoever is named at `pos`, kind 'person' or 'org'; None if nobody.

    A body named by its function, a name after a descriptor ("le cabinet Altares") or a title
    ("la procureure Louise Neyton"), a person, an organisation or a domain: the longest reading
    wins, and an acronym in parentheses right after an organisation is its value ("… (CPME)").
    A capitalised article belongs to the name ("selon Le Monde") unless it starts the sentence.
    """
    stop = min(len(text), pos + 240)
    if text[pos - 1:pos] in _GLUE or not _NAMEABLE.search(text, pos, pos + 120):
        return None  # no capital and no domain ahead: nobody is named here
    article = _ARTICLE.match(text, pos, stop)
    at = article.end() if article else pos
    best: tuple[int, str, str] | None = None
    for kind, pattern in (("org", _INSTITUTION), ("org", _DESCRIBED), ("person", _PERSON), ("org", _ORG), ("org", _WORD_AND_NOUN), ("org", _SPELLED_OUT)):
        match = pattern.match(text, at, stop)
        if match and pattern is _SPELLED_OUT and _is_verb_between(text, at, match.start("name")):
            continue
        if match and (best is None or match.end() > best[0]):
            name = match.groupdict().get("name") or match.group()
            best = (match.end(), name, kind if len(name.split()) > 1 or kind == "org" else "org")
    if best is None:
        return None
    end, name, kind = best
    if text[at - 1:at] in _GLUE or _ONE_ACRONYM_AND_COMMON_WORDS.fullmatch(name) or _VERB_FIRST.match(text, at):
        return None  # "Acquire::http::No-Cache", "l’ID de l’utilisateur propriétaire"
    if " " not in name and _NUMBERED.match(text, end) or _HERE_IN_THE_TEXT.match(text, end):
        return None  # "Section 4.3", "Tableau 11.2", "Motifs génériques ci-dessous": a part of a document
    if _OBJECT_BEFORE.search(text, max(pos, end - len(name) - 40), end - len(name)):
        return None  # "la commande Linux", "le système Debian", "la liste de diffusion Debian": things
    acronym = _ACRONYM.match(text, end, stop)
    if acronym and kind == "org" and _initial_of(acronym.group(1), text[at:acronym.start(1)]) and not _is_verb_between(text, end, acronym.start(1)):
        return acronym.group(1), acronym.end(), kind
    capital = article and article.group()[0].isupper() and article.group().split()[0] in ("Le", "La", "Les", "L’", "L'")
    if capital and (not sentence_start or article.group().startswith("Les")) and kind == "org" and name == text[at:end]:
        name = article.group() + name
    return cleaned(name), end, kind


_VERB_WORD = re.compile(rf"\s(?:{SAYING}|est|sont|a|ont|avait|qui|que)\s")


def _initial_of(acronym: str, words: str) -> bool:
    """"Legos" for "Laboratoire d’études en géophysique …": the acronym starts with the name's initial."""
    first = _FIRST_CAPITAL.search(words)
    return bool(first) and first.group() == acronym[0]


def _is_verb_between(text: str, start: int, end: int) -> bool:
    return bool(_VERB_WORD.search(text, start, end))


_FIRST_CAPITAL = re.compile(rf"[{UP}]")
_DOMAIN = re.compile(DOMAIN)
_WORDS = re.compile(rf"[\w{APOS}&.+-]+")
_INSTITUTION_WORD = re.compile(rf"{INSTITUTION}{END}")
_ORG_WORD = re.compile(ORG_WORD)
_ROLE = re.compile(ROLE)


# --- Cleaning and checking a candidate -------------------------------------------------------

STUDY_WORD = re.compile(
    rf"^(?i:{STUDY}|sources?|livre blanc|classement)(?:\s*:\s*|\s+(?:de la|de l{A}|du|des|de|d{A})\s?|\s+)"
)
TRAILING_YEAR = re.compile(r"\s+(?:19|20)\d\d$")
SUBTITLE = re.compile(r"\s*(?::|[«“]).*$")
LEADING_WORDS = re.compile(
    r"^(?:(?:A|À|Au|Aux|Alors|Avec|Car|Ce|Cela|Ces|Cet|Cette|Comme|Dans|De|Des|Du|Donc|Elle|En|Enfin|Ensuite|Et"
    r"|Il|Mais|Or|Où|Par|Pour|Puis|Quand|Que|Qui|Sans|Selon|Si|Sur|Un|Une)\s+)+"
)
LEADING_CIVILITY = re.compile(rf"^{CIVILITY}")
LEADING_ARTICLE = re.compile(rf"^(?:la|le|les)\s+|^l{A}")

# Words that may stay lowercase inside a name or a title.
CONNECTORS = {
    "de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "à", "au", "aux", "sur", "pour", "contre",
    "van", "von", "der", "ben", "el", "da", "di", "del", "of", "the", "to", "for", "and", "on", "in",
}
# Places and common words a cue slot holds as often as a source.
NOT_SOURCES = {"france", "paris", "europe", "usa", "etats-unis", "monde", "lyon", "bis", "sic", "ndlr"}


@lru_cache(maxsize=4096)
def cleaned(candidate: str) -> str:
    """The name itself: no study word, civility, year, subtitle, leading article or padding."""
    name = " ".join(candidate.split()).strip(" .,;:")
    name = STUDY_WORD.sub("", name)
    name = SUBTITLE.sub("", name)
    name = TRAILING_YEAR.sub("", name)
    name = LEADING_WORDS.sub("", name)
    name = LEADING_CIVILITY.sub("", name)
    name = LEADING_ARTICLE.sub("", name)
    return name.strip(" .,;:")


@lru_cache(maxsize=4096)
def is_name(name: str) -> bool:
    """Looks like a proper name or a title: capitalised words, short, no shortcut, code or question."""
    if _DOMAIN.fullmatch(name):
        return True
    if len(name) < 2 or len(name) > 80 or re.search(r"[?!%^\[\]{}<>=\\|_@#$*~]|(?<![A-Za-zé])/|/(?![A-Z])|\+\s|\s\+|\d{3}", name):
        return False
    words = _WORDS.findall(name)
    if not 1 <= len(words) <= 12 or source_key(name) in NOT_SOURCES:
        return False
    if not (words[0][0].isupper() or _INSTITUTION_WORD.match(name) or _ORG_WORD.match(name)):
        return False
    return any(character.isupper() for character in name)


def is_person(name: str) -> bool:
    return is_name(name) and len(name.split()) >= 2 and not _ROLE.match(name)

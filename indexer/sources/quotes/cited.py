"""Who is cited at a position of the text: a name right after a cue ("selon l’Insee"), a work and
its maker ("les relevés du ministère …"), the organisation a person is given with ("Stéphane
Richard, PDG d’Orange") and a parenthesis after them ("Louis Richardson (IBM)")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from indexer.sources.quotes.lexicon import STUDY
from indexer.sources.quotes.names import (
    APOS, LO, LOWER_WORD, ROLE, UP, cleaned, is_name, is_person, read_slot,
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
_WITHIN = re.compile(rf"\s(?:à la|à l{A}|au|aux|chez)\s?(?=[{UP}])")
# Roles whose complement is a place, not an organisation: "maire d’Orléans", "préfète de la Gironde".
PLACE_ROLES = re.compile(
    r"(?<![a-zéèêàâîôûç-])(?:maire|préfète?|député?e?|sénat(?:eur|rice)|élue?|habitante?|originaire|procureure?|évêque|rect(?:eur|rice)"
    r"|consul|conseill[eè]re? municipale?|natif|native)\s$"
)
_PARENTHESIS_AFTER = re.compile(r"\s?\((?P<inside>[^()\n]{2,80})\)")


def cited_at(text: str, pos: int, sentence_start: bool = False) -> Iterator[tuple[int, str, str, int]]:
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
        yield from organisation_of(text, end)
    yield from work_in_parenthesis(text, end, acronyms=kind == "person")
    also = _AND.match(text, end, min(len(text), end + 8)) if kind == "org" else None
    if also:
        slot = read_slot(text, also.end())
        if slot and slot[2] == "org" and is_name(slot[0]) and slot[0].casefold() not in PLATFORM_NAMES:
            yield also.end(), slot[0], "org", slot[1]


_AND = re.compile(r"\s(?:et|ainsi que)\s(?=(?:la |le |les |l[’'])?[A-ZÀÂÉÈÊÎÔŒ])")


def organisation_of(text: str, end: int) -> Iterator[tuple[int, str, str, int]]:
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


def work_in_parenthesis(text: str, end: int, acronyms: bool) -> Iterator[tuple[int, str, str, int]]:
    """"affirme Joël de Rosnay (Surfer la Vie)", "Louis Richardson (IBM) : …", "une analyse de Google
    (The Customer Journey …)"; after an organisation an acronym is its own ("la HAS (HAS)")."""
    parenthesis = _PARENTHESIS_AFTER.match(text, end, min(len(text), end + 90))
    if parenthesis:
        name = cleaned(parenthesis.group("inside"))
        if is_name(name) and len(name.split()) <= 7 and (acronyms or not _ACRONYM_ONLY.fullmatch(name)):
            yield parenthesis.start("inside"), name, "work", parenthesis.end()


def positions(found: Iterator[tuple[int, str, str, int]]) -> Iterator[Mention]:
    for pos, name, _, _ in found:
        yield pos, name


"""An editor's curation of the search: synonyms and pinned results, checked, compiled, applied.

Synonyms take Algolia's two shapes: `{"synonyms": ["IA", "intelligence artificielle"]}` (each
stands for every other, both ways) and `{"input": "RS", "synonyms": ["réseaux sociaux"]}` (one
way: a search for RS also finds réseaux sociaux, not the reverse). Every side goes through the
index's French analysis, so a rule written `réseau social` matches a query `Réseaux sociaux`,
and the rules apply at query time: no reindex. A pin `{"query": "ovh", "articles": ["103"]}`
puts those articles first for that query, compared as the analysis reads it.

The admin page edits the same rules as lines, in Solr's synonyms.txt style:
`IA, intelligence artificielle` (both ways), `RS => réseaux sociaux` (one way), and pins as
`ovh => 103, 105`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

from indexer.analysis import analyze
from indexer.errors import QueryError
from indexer.storage import settings as settings_file

MAX_RULES = 500             # synonym rules, and pinned queries
MAX_SYNONYMS = 20           # words or phrases in one rule
MAX_PHRASE_CHARS = 100      # characters of one word or phrase
MAX_PHRASE_TERMS = 8        # terms of one word or phrase, as analysed
MAX_EXPANSIONS = 20         # alternatives one word or phrase of a query may stand for
MAX_PINNED = 10             # articles pinned to one query
MAX_ID_CHARS = 512


class BadSettings(QueryError):
    """A synonym or pin the engine refuses; `param` names where (`synonyms[2].input`)."""

    code = "bad_settings"


def phrase_terms(text: str) -> tuple[str, ...]:
    """A word or phrase as the index reads it: `Réseaux sociaux` -> ('reseau', 'social')."""
    return tuple(term for _, _, _, term, _ in analyze(text))


def normalize_query(text: str) -> str:
    """A query as a pin names it: its terms, so case, accents, plurals and stop words do not count."""
    return " ".join(phrase_terms(text))


# --- checking ------------------------------------------------------------------------------------------

def _phrase(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, str):
        raise BadSettings("must be a string", param=where)
    if not value.strip():
        raise BadSettings("is empty", param=where)
    if len(value) > MAX_PHRASE_CHARS:
        raise BadSettings(f"is longer than {MAX_PHRASE_CHARS} characters", param=where)
    found = phrase_terms(value)
    if not found:
        raise BadSettings(f"{value!r} has no searchable word (only stop words or punctuation)", param=where)
    if len(found) > MAX_PHRASE_TERMS:
        raise BadSettings(f"has more than {MAX_PHRASE_TERMS} words", param=where)
    return found


def _each_rule(rules, kind: str, keys: set[str], *, listed: str, counted: str):
    """Each rule of `kind` (`synonyms`, `pins`) with its index and its place (`synonyms[2]`), once the
    list is one of at most MAX_RULES `counted` and the rule an object of known `keys`."""
    if not isinstance(rules, list):
        raise BadSettings(f"must be a list of {listed}", param=kind)
    if len(rules) > MAX_RULES:
        raise BadSettings(f"at most {MAX_RULES} {counted}", param=kind)
    for i, rule in enumerate(rules):
        where = f"{kind}[{i}]"
        if not isinstance(rule, dict):
            raise BadSettings("must be an object", param=where)
        unknown = set(rule) - keys
        if unknown:
            raise BadSettings(f"unknown key {sorted(unknown)[0]!r}", param=where)
        yield i, where, rule


def _some(items, where: str, most: int, counted: str, of: str = "") -> list:
    """A rule's list (its synonyms, a pin's articles): not empty, at most `most`."""
    if not isinstance(items, list) or not items:
        raise BadSettings(f"must be a non-empty list{of}", param=where)
    if len(items) > most:
        raise BadSettings(f"at most {most} {counted}", param=where)
    return items


def check_synonyms(rules) -> list[dict]:
    """The rules, checked and tidied (strings stripped); BadSettings naming the first bad one."""
    tidy, one_way, spelled = [], {}, {}
    for i, where, rule in _each_rule(rules, "synonyms", {"input", "synonyms"}, listed="rules", counted="rules"):
        words = _some(rule.get("synonyms"), f"{where}.synonyms", MAX_SYNONYMS, "synonyms")
        analysed = [_phrase(w, f"{where}.synonyms[{j}]") for j, w in enumerate(words)]
        seen: dict[tuple, int] = {}
        for j, terms in enumerate(analysed):
            if terms in seen:
                raise BadSettings(f"{words[j]!r} reads as {words[seen[terms]]!r}: the same words twice",
                                  param=f"{where}.synonyms[{j}]")
            seen[terms] = j
        entry = {"synonyms": [w.strip() for w in words]}
        if "input" in rule:
            source = _phrase(rule["input"], f"{where}.input")
            if source in seen:
                raise BadSettings(f"{rule['input']!r} is made a synonym of itself (a loop)",
                                  param=f"{where}.input")
            one_way.setdefault(source, {}).update({t: i for t in analysed})
            spelled.setdefault(source, rule["input"].strip())
            entry = {"input": rule["input"].strip(), **entry}
        elif len(words) < 2:
            raise BadSettings("a rule both ways needs at least two words or phrases", param=f"{where}.synonyms")
        tidy.append(entry)
    _refuse_loops(one_way, spelled)
    compile_synonyms(tidy)  # the size of each expansion
    return tidy


def _refuse_loops(edges: dict[tuple, dict[tuple, int]], spelled: dict[tuple, str]) -> None:
    """One-way rules that lead back to where they start (RS => réseaux sociaux, réseaux sociaux
    => RS) say "both ways" in a roundabout way and would read differently in each direction:
    refused, naming the rule that closes the loop."""
    state: dict[tuple, int] = {}  # 1: on the current path, 2: done

    def visit(node: tuple) -> None:
        state[node] = 1
        for target, rule in edges.get(node, {}).items():
            if state.get(target) == 1:
                raise BadSettings(f"{spelled.get(target, ' '.join(target))!r} leads back to itself through one-way rules (a loop); "
                                  "write one rule both ways instead", param=f"synonyms[{rule}]")
            if target not in state:
                visit(target)
        state[node] = 2

    for node in list(edges):
        if node not in state:
            visit(node)


def check_pins(pins) -> list[dict]:
    """The pins, checked and tidied (strings stripped); BadSettings naming the first bad one."""
    tidy, queries = [], {}
    for i, where, pin in _each_rule(pins, "pins", {"query", "articles"}, listed="pins",
                                    counted="pinned queries"):
        key = " ".join(_phrase(pin.get("query"), f"{where}.query"))
        if key in queries:
            raise BadSettings(f"the same query as pins[{queries[key]}]", param=f"{where}.query")
        queries[key] = i
        ids = _some(pin.get("articles"), f"{where}.articles", MAX_PINNED, "articles", of=" of article ids")
        for j, article_id in enumerate(ids):
            if not isinstance(article_id, str) or not article_id.strip() or len(article_id) > MAX_ID_CHARS:
                raise BadSettings(f"must be an article id (1 to {MAX_ID_CHARS} characters)",
                                  param=f"{where}.articles[{j}]")
        ids = [a.strip() for a in ids]  # as ids are stored: `103` and ` 103` are one article
        if len(set(ids)) != len(ids):
            raise BadSettings("an article is pinned twice", param=f"{where}.articles")
        tidy.append({"query": pin["query"].strip(), "articles": ids})
    return tidy


# --- the admin page's lines ----------------------------------------------------------------------------

def synonyms_from_lines(text: str) -> list[dict]:
    """`IA, intelligence artificielle` and `RS => réseaux sociaux` lines as rules (blank lines
    and `#` comments skipped); not checked yet."""
    rules = []
    for line in _lines(text):
        if "=>" in line:
            source, _, targets = line.partition("=>")
            rules.append({"input": source.strip(), "synonyms": _split(targets)})
        else:
            rules.append({"synonyms": _split(line)})
    return rules


def synonyms_as_lines(rules: list[dict]) -> str:
    return "".join((f"{r['input']} => " if "input" in r else "") + ", ".join(r["synonyms"]) + "\n" for r in rules)


def pins_from_lines(text: str) -> list[dict]:
    pins = []
    for line in _lines(text):
        query, _, ids = line.partition("=>")
        pins.append({"query": query.strip(), "articles": _split(ids)})
    return pins


def pins_as_lines(pins: list[dict]) -> str:
    return "".join(f"{p['query']} => {', '.join(p['articles'])}\n" for p in pins)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",")]


# --- compiled, as the search uses them -----------------------------------------------------------------

@dataclass
class Curation:
    """The settings of one version, compiled: each source's term sequence -> the term sequences
    it also stands for; each pinned query (normalised) -> its article ids."""

    version: int = 0
    expansions: dict[tuple, list[tuple]] = field(default_factory=dict)
    longest: int = 0  # terms of the longest source
    pins: dict[str, list[str]] = field(default_factory=dict)
    updated_at: str | None = None


def compile_synonyms(rules: list[dict]) -> dict[tuple, list[tuple]]:
    expansions: dict[tuple, list[tuple]] = {}

    def add(source: tuple, target: tuple) -> None:
        found = expansions.setdefault(source, [])
        if target != source and target not in found:
            found.append(target)

    for i, rule in enumerate(rules):
        targets = [phrase_terms(w) for w in rule["synonyms"]]
        if "input" in rule:
            for target in targets:
                add(phrase_terms(rule["input"]), target)
        else:
            for source in targets:
                for target in targets:
                    add(source, target)
    for source, targets in expansions.items():
        if len(targets) > MAX_EXPANSIONS:
            raise BadSettings(f"'{' '.join(source)}' would stand for {len(targets)} words or phrases "
                              f"(at most {MAX_EXPANSIONS})", param="synonyms")
    return expansions


def compile_settings(stored: dict) -> Curation:
    expansions = compile_synonyms(stored.get("synonyms") or [])
    # (dict.fromkeys: a file saved before the check above compared stripped ids may pin one twice)
    pins = {normalize_query(p["query"]): list(dict.fromkeys(p["articles"])) for p in stored.get("pins") or []}
    return Curation(version=stored.get("version", 0), expansions=expansions,
                    longest=max((len(s) for s in expansions), default=0), pins=pins,
                    updated_at=stored.get("updated_at"))


_FILES: dict[Path, settings_file.SettingsFile] = {}
_FILES_LOCK = Lock()


def current(index_dir) -> Curation:
    """The curation in force for an index (one `stat` of settings.json a call)."""
    path = Path(index_dir)
    found = _FILES.get(path)
    if found is None:
        with _FILES_LOCK:
            found = _FILES.setdefault(path, settings_file.SettingsFile(path, compile_settings))
    return found.current()


def read_settings(index_dir) -> dict:
    """The stored settings (version, synonyms, pins) as the admin API shows them."""
    stored = settings_file.read(Path(index_dir))
    return {k: stored[k] for k in ("version", "updated_at", "synonyms", "pins")}


def update_settings(index_dir, synonyms=None, pins=None) -> dict:
    """Checks and stores new synonyms and/or pins (None: unchanged); BadSettings and nothing
    stored when any is refused. In force at every server process's next request."""
    changes = {}
    if synonyms is not None:
        changes["synonyms"] = check_synonyms(synonyms)
    if pins is not None:
        changes["pins"] = check_pins(pins)
    written = settings_file.write(Path(index_dir), **changes)
    return {k: written[k] for k in ("version", "updated_at", "synonyms", "pins")}

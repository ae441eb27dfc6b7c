"""A deterministic corpus of French articles for the benchmark, as JSON Lines.

The prose is real French: paragraphs taken from Debian's French documentation packages
(debian-reference-fr, developers-reference-fr, maint-guide-fr, aptitude-doc-fr, manpages-fr)
and the repository's tests/fixtures/seed.txt. Each article is a different random selection and
order of paragraphs (300 to 1,500 words), titled with one of its sentences, with tags (~300, a
Zipf-like distribution), categories (15), authors (50), dates over 20 years and quoted sources
(~200 names). Everything comes from one seeded RNG: the same packages and the same seed give the
same file, and the first 1,000 articles of every size are the same (so the query mix is shared).

The *wide* variant (issue 11) is the same articles with a newsroom's taxonomies: each article also
has 5 tags of its own (50,000 distinct tags at 10k articles), a different author drawn from 2 names
an article (20,000 names at 10k; one author an article: 10,000 distinct, the most there can be) and
2 sources of its own (20,000 at 10k), listed in its `sources` field (the text is unchanged, so that
searching both variants differs by the facets alone). These come from a second RNG: the usual
corpus is unchanged.

    python -m bench.corpus --sizes 1k,10k        # writes bench/out/corpus-1k.jsonl, corpus-10k.jsonl
    python -m bench.corpus --sizes 10k --variant wide   # bench/out/corpus-10k-wide.jsonl
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import html
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
SEED_TEXT = REPO / "tests" / "fixtures" / "seed.txt"
DEFAULT_SEED = 20261129

APT_LINE = ("apt-get update && apt-get install -y debian-reference-fr developers-reference-fr "
            "maint-guide-fr manpages-fr aptitude-doc-fr")

HTML_GLOBS = (
    "/usr/share/debian-reference/*.fr.html",
    "/usr/share/developers-reference/fr/*.html",
    "/usr/share/doc/maint-guide-fr/html/*.fr.html",
    "/usr/share/doc/aptitude/html/fr/*.html",
)
MAN_GLOB = "/usr/share/man/fr/man*/*.gz"

MIN_WORDS, MAX_WORDS = 300, 1500
PARA_MIN_WORDS = 20

# Small stop lists, only to tell French paragraphs from the untranslated English ones.
_FR = set("le la les de des du un une et est en dans que qui pour pas sur au aux par avec ce cette ces "
          "son sa ses il elle ils sont ou plus peut être vous nous leur".split())
_EN = set("the and of to is in that for it with as are be this on by an or not you can from".split())

CATEGORIES = [
    "Actualités", "Logiciel libre", "Sécurité", "Réseau", "Administration système", "Développement",
    "Événements", "Société", "Économie numérique", "Matériel", "Tutoriels", "Entretiens",
    "Opinions", "Éducation", "Données et vie privée",
]
FIRST_NAMES = ["Camille", "Léa", "Hélène", "Chloé", "Zoé", "Inès", "Manon", "Élodie", "Sophie", "Anaïs",
               "Noémie", "Gaëlle", "Julie", "Céline", "Margaux", "Lucas", "Hugo", "Théo", "Jérôme",
               "François", "Benoît", "Mathieu", "Clément", "Loïc", "Stéphane", "Frédéric", "Olivier",
               "Nicolas", "Raphaël", "Joël"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
              "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
              "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
              "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
              "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
              "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin"]
SOURCE_KINDS = ["Étude", "Rapport", "Enquête", "Baromètre", "Sondage", "Observatoire", "Note"]
ORGANISATIONS = ["FEVAD", "INSEE", "Médiamétrie", "Arcep", "CNIL", "Gallup", "Ifop", "Ipsos", "Kantar",
                 "Crédoc", "Afnic", "ANSSI", "Syntec Numérique", "Cigref", "France Stratégie",
                 "Conseil national du numérique", "Cour des comptes", "Sénat", "OCDE", "Eurostat",
                 "Forrester", "Gartner", "IDC", "McKinsey", "Deloitte", "PwC", "BPI France",
                 "Banque de France", "Hadopi", "Arcom"]
OUTLETS = ["Le Monde", "Libération", "Les Échos", "Le Figaro", "L’Express", "Télérama", "Numerama",
           "01net", "Next INpact", "La Tribune", "France Culture", "Le Parisien", "Mediapart",
           "L’Usine Nouvelle", "Ouest-France"]
COMPANIES = ["Orange", "SFR", "Free", "Bouygues Telecom", "OVH", "Dassault Systèmes", "Capgemini",
             "Atos", "Ubisoft", "Criteo", "Deezer", "BlaBlaCar", "Doctolib", "Qwant", "Mozilla"]


class MissingDocs(SystemExit):
    pass


class _Paragraphs(HTMLParser):
    """Text of the <p> elements of an HTML page, outside <pre> and <code> blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._buf: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "script", "style", "table"):
            self._skip += 1
        elif tag == "p" and not self._skip:
            self._flush()
            self._buf = []

    def handle_endtag(self, tag):
        if tag in ("pre", "script", "style", "table"):
            self._skip = max(0, self._skip - 1)
        elif tag == "p":
            self._flush()

    def handle_data(self, data):
        if self._buf is not None and not self._skip:
            self._buf.append(data)

    def _flush(self):
        if self._buf:
            self.out.append("".join(self._buf))
        self._buf = None


_COMBINING = {"'": "\u0301", "`": "\u0300", "^": "\u0302", ":": "\u0308", ",": "\u0327"}

_ROFF_ESCAPES = [
    # old-style accents: \('e -> é, \(`a -> à, \(^o -> ô, \(:i -> ï, \(,c -> ç
    (re.compile(r"\\\(([',`^:])([A-Za-z])"),
     lambda m: unicodedata.normalize("NFC", m.group(2) + _COMBINING[m.group(1)])),
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),   # font changes
    (re.compile(r"\\[,/&:]"), ""),
    (re.compile(r"\\\(em|\\\(en"), "—"),
    (re.compile(r"\\\(Fo"), "«"), (re.compile(r"\\\(Fc"), "»"),
    (re.compile(r"\\\(aq"), "'"), (re.compile(r"\\\(oq|\\\(cq"), "’"),
    (re.compile(r"\\\*\(..|\\\*\[[^\]]*\]|\\\*."), ""),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),
    (re.compile(r"\\-"), "-"), (re.compile(r"\\[ ~0]"), " "), (re.compile(r"\\e"), lambda m: "\\"),
    (re.compile(r"\\."), ""),
]


def _man_paragraphs(text: str) -> list[str]:
    out, buf = [], []
    for line in text.splitlines():
        if line.startswith((".", "'")):
            if line.startswith((".B ", ".I ", ".BR ", ".IR ", ".RB ", ".RI ", ".BI ", ".IB ")):
                buf.append(line.split(" ", 1)[1].replace('"', ""))
                continue
            if buf:
                out.append(" ".join(buf))
                buf = []
            continue
        if not line.strip():
            if buf:
                out.append(" ".join(buf))
                buf = []
            continue
        for pattern, repl in _ROFF_ESCAPES:
            line = pattern.sub(repl, line)
        buf.append(line.strip())
    if buf:
        out.append(" ".join(buf))
    return out


def _clean(text: str) -> str:
    text = html.unescape(unicodedata.normalize("NFC", text))
    return " ".join(text.split())


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _is_prose(text: str) -> bool:
    words = text.split()
    if len(words) < PARA_MIN_WORDS:
        return False
    lower = [w.strip(".,;:!?()«»\"'").lower() for w in words]
    fr = sum(w in _FR for w in lower)
    en = sum(w in _EN for w in lower)
    if fr < 0.12 * len(words) or en > fr / 3:
        return False
    codey = sum(1 for w in words if re.search(r"[/=_<>{}$\\|@#]|--|\(\)", w))
    return codey <= 0.08 * len(words)


def missing_packages() -> list[str]:
    """The documentation packages not installed: the corpus is still made, but it is another one."""
    probes = {"debian-reference-fr": HTML_GLOBS[0], "developers-reference-fr": HTML_GLOBS[1],
              "maint-guide-fr": HTML_GLOBS[2], "aptitude-doc-fr": HTML_GLOBS[3], "manpages-fr": MAN_GLOB}
    return [name for name, pattern in probes.items() if not glob.glob(pattern)]


def fingerprint(pool: list[str]) -> str:
    """Names the paragraph pool, so two runs can tell whether they used the same corpus."""
    digest = hashlib.blake2b("\n".join(pool).encode(), digest_size=6).hexdigest()
    return f"{len(pool)} paragraphs, pool {digest}"


def french_paragraphs() -> list[str]:
    """Every prose paragraph of the installed documentation and seed.txt, in a stable order."""
    html_files = sorted(f for g in HTML_GLOBS for f in glob.glob(g))
    man_files = sorted(glob.glob(MAN_GLOB))
    missing = missing_packages()
    if missing and (html_files or man_files):
        print(f"bench: warning: {', '.join(missing)} not installed; the corpus will differ from the "
              f"reference one. Install with:\n    {APT_LINE}", file=sys.stderr)
    if not html_files and not man_files:
        raise MissingDocs(
            "bench: Debian's French documentation is not installed (no paragraphs to build articles from).\n"
            f"Install it as root with:\n    {APT_LINE}")
    paragraphs: list[str] = []
    for f in html_files:
        parser = _Paragraphs()
        parser.feed(Path(f).read_text(encoding="utf-8", errors="replace"))
        parser.close()
        paragraphs.extend(parser.out)
    for f in man_files:
        with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
            paragraphs.extend(_man_paragraphs(fh.read()))
    if SEED_TEXT.is_file():
        paragraphs.extend(" ".join(block.split()) for block in
                          re.split(r"\n\s*\n", SEED_TEXT.read_text(encoding="utf-8")))
    seen, kept = set(), []
    for p in paragraphs:
        p = _clean(p)
        if _is_prose(p) and p not in seen:
            seen.add(p)
            kept.append(p)
    if len(kept) < 2000:
        raise MissingDocs(
            f"bench: only {len(kept)} French paragraphs found; install the French documentation with:\n"
            f"    {APT_LINE}")
    return kept


_STOP_FOR_TAGS = _FR | set("cette avec sont dans pour plus tout tous toutes fait faire être avoir "
                           "comme mais donc aussi alors ainsi entre sans sous autre autres même "
                           "peut doit vous nous votre leurs elles celui celle ceux dont lorsque "
                           "chaque fichier fichiers option options peuvent quand depuis plusieurs après permet contient "
                           "aucun moins termine possibles".split())


def _vocabulary(paragraphs: list[str], size: int) -> list[str]:
    counts = Counter(w.lower() for p in paragraphs for w in _WORD.findall(p) if len(w) >= 5)
    verbish = ("ant", "ez", "ont", "ait", "aient", "er", "é", "ée", "és", "ées", "ir", "ra", "rait")
    words = [w for w, _ in counts.most_common() if w not in _STOP_FOR_TAGS and not w.isupper()
             and (w.endswith("ité") or not w.endswith(verbish))]
    return words[10:10 + size]


def _zipf_weights(n: int, s: float = 1.07) -> list[float]:
    return [1.0 / (rank ** s) for rank in range(1, n + 1)]


def _sources(rng: random.Random) -> list[str]:
    names = set()
    for kind in SOURCE_KINDS:
        for org in rng.sample(ORGANISATIONS, 14):
            names.add(f"{kind} {org}")
    for outlet in OUTLETS:
        names.add(outlet)
    while len(names) < 200:
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        names.add(f"{person} ({rng.choice(COMPANIES + ORGANISATIONS)})")
    return sorted(names)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«])")


def _title(rng: random.Random, paragraphs: list[str]) -> str:
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p)]
    rng.shuffle(sentences)
    for s in sentences:
        words = s.strip(" .:;").split()
        if 4 <= len(words) <= 14:
            title = " ".join(words)
            return title[0].upper() + title[1:]
    return " ".join(rng.choice(sentences).split()[:10]).strip(" ,.:;")


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:60]


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    return int(text)


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


VARIANTS = ("usual", "wide")
WIDE_TAGS, WIDE_AUTHORS, WIDE_SOURCES = 5, 2, 2  # per article: own tags, author names, own sources


def corpus_path(n: int, seed: int = DEFAULT_SEED, variant: str = "usual") -> Path:
    suffix = "" if seed == DEFAULT_SEED else f"-s{seed}"
    return OUT / f"corpus-{size_label(n)}{suffix}{'' if variant == 'usual' else '-' + variant}.jsonl"


class _Taxonomy:
    """The wide variant's values: tags from pairs of the corpus's words, authors and sources from
    name parts (compound family names, people with their organisation), all distinct, shuffled."""

    def __init__(self, n: int, seed: int, pool: list[str]):
        rng = random.Random(seed * 31 + 7)
        words = _vocabulary(pool, 3000)
        self.tags = self._distinct(rng, WIDE_TAGS * n, lambda: f"{rng.choice(words)} {rng.choice(words)}")
        self.authors = self._distinct(
            rng, WIDE_AUTHORS * n,
            lambda: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{rng.choice(LAST_NAMES)}")
        self.sources = self._distinct(
            rng, WIDE_SOURCES * n,
            lambda: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{rng.choice(LAST_NAMES)} "
                    f"({rng.choice(COMPANIES + ORGANISATIONS)})")

    @staticmethod
    def _distinct(rng: random.Random, count: int, make) -> list[str]:
        out, seen = [], set()
        while len(out) < count:
            value = make()
            key = value.casefold()
            if key not in seen and not value.split()[0] == value.split()[-1]:
                seen.add(key)
                out.append(value)
        return out

    def article(self, i: int, record: dict) -> None:
        """Gives article i its own values (article i's slice of each list: every value used)."""
        record["tags"] = record["tags"] + self.tags[WIDE_TAGS * i:WIDE_TAGS * (i + 1)]
        record["author"] = self.authors[WIDE_AUTHORS * i]
        record["sources"] = sorted(set(record["sources"]) | set(self.sources[WIDE_SOURCES * i:WIDE_SOURCES * (i + 1)]))


def generate(n: int, path: Path, seed: int = DEFAULT_SEED, pool: list[str] | None = None,
             variant: str = "usual") -> dict:
    """Writes n articles to path; returns a summary (paragraph pool, words)."""
    pool = pool if pool is not None else french_paragraphs()
    wide = _Taxonomy(n, seed, pool) if variant == "wide" else None
    rng = random.Random(seed)
    lengths = [len(p.split()) for p in pool]
    tags = _vocabulary(pool, 300)
    tag_weights = _zipf_weights(len(tags))
    cat_weights = _zipf_weights(len(CATEGORIES), 0.8)
    authors = sorted({f"{f} {l}" for f, l in zip(rng.sample(FIRST_NAMES * 2, 50), rng.sample(LAST_NAMES, 50))})
    sources = _sources(rng)
    source_weights = _zipf_weights(len(sources), 0.9)
    first_day, days = date(2005, 1, 1), (date(2024, 12, 31) - date(2005, 1, 1)).days
    seen: set[bytes] = set()
    total_words = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(n):
            while True:
                target = rng.randint(MIN_WORDS, MAX_WORDS)
                chosen, words = [], 0
                while words < target:
                    k = rng.randrange(len(pool))
                    if k in chosen:
                        continue
                    chosen.append(k)
                    words += lengths[k]
                signature = hashlib.blake2b(repr(chosen).encode(), digest_size=16).digest()
                if signature not in seen:
                    seen.add(signature)
                    break
            paras = [pool[k] for k in chosen]
            if words > MAX_WORDS:  # cut the last paragraph so the article keeps to the range
                excess = words - MAX_WORDS
                last = paras[-1].split()
                paras[-1] = " ".join(last[:max(PARA_MIN_WORDS // 2, len(last) - excess)])
            quoted = sorted(set(rng.choices(sources, source_weights, k=rng.choice((0, 1, 1, 2, 2, 3)))))
            for src in quoted:  # each quoted source is named in the text, as a journalist would
                j = rng.randrange(len(paras))
                p = paras[j]
                first = p.split(" ", 1)[0]
                paras[j] = f"D’après {src}, {p[0].lower()}{p[1:]}" if first.lower() in _FR \
                    else f"{p} ({src})"
            article_tags = list(dict.fromkeys(rng.choices(tags, tag_weights, k=rng.randint(1, 5))))
            day = first_day + timedelta(days=rng.randrange(days + 1))
            title = _title(rng, paras)
            body = "\n\n".join(paras)
            total_words += len(body.split())
            record = {
                "id": str(i + 1),
                "title": title,
                "body": body,
                "url": f"https://archive.example.fr/{day:%Y/%m}/{_slug(title)}-{i + 1}",
                "date": day.isoformat(),
                "author": rng.choice(authors),
                "tags": article_tags,
                "categories": list(dict.fromkeys(rng.choices(CATEGORIES, cat_weights, k=rng.choice((1, 1, 2))))),
                "sources": quoted,
            }
            if wide is not None:
                wide.article(i, record)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return {"articles": n, "paragraph_pool": len(pool), "words": total_words, "path": str(path)}


def ensure_corpus(n: int, seed: int = DEFAULT_SEED, log=print, variant: str = "usual") -> Path:
    """The corpus of n articles, generated unless already there."""
    path = corpus_path(n, seed, variant)
    if not path.is_file():
        log(f"bench: generating {path.name} ...")
        summary = generate(n, path, seed, variant=variant)
        log(f"bench: {summary['articles']} articles, {summary['words']:,} words "
            f"from {summary['paragraph_pool']} paragraphs -> {path}")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1k,10k,100k")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="regenerate even if the file exists")
    ap.add_argument("--variant", choices=VARIANTS, default="usual",
                    help="wide: the same articles with 5 own tags, an own author and 2 own sources each")
    args = ap.parse_args(argv)
    try:
        pool = french_paragraphs()
    except MissingDocs as e:
        print(e.code, file=sys.stderr)
        return 1
    for n in map(parse_size, args.sizes.split(",")):
        path = corpus_path(n, args.seed, args.variant)
        if path.is_file() and not args.force:
            print(f"{path} exists (use --force to regenerate)")
            continue
        summary = generate(n, path, args.seed, pool, args.variant)
        print(f"{summary['articles']} articles, {summary['words']:,} words from "
              f"{summary['paragraph_pool']} paragraphs -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

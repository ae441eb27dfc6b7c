"""The reference engine of the benchmark: SQLite FTS5 (stdlib sqlite3) over the same corpus.

It gives the same answer as the project as far as FTS5 can: the total, the top 10 ranked by
bm25() with the project's field weights (title 3, body 1, tags 2, sources 1.5), a `snippet()` of
the body with <mark>, the stored fields, and the counts of the same five facets (tag, category,
source, year, author; top 100 values each, a facet's counts ignoring its own filter) from a
labels side table joined to the matches. What it cannot do: French stemming (plurals and
feminines are other words), did-you-mean (a typo finds nothing), the project's elision rules.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

TOKENIZE = "unicode61 remove_diacritics 2"
WEIGHTS = "3.0, 1.0, 2.0, 1.5"   # title, body, tags, sources
FACETS = ("tag", "category", "source", "year", "author")
MAX_FACET_VALUES = 100
SNIPPET = "snippet(fts, 1, '<mark>', '</mark>', '…', 32)"

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ITEM = re.compile(r'"([^"]*)"?|(\S+)')


def to_match(q: str) -> str | None:
    """The project's query syntax (words, "phrase", prefix*) as an FTS5 MATCH expression."""
    q = q.replace("«", '"').replace("»", '"')
    parts = []
    for m in _ITEM.finditer(q):
        if m.group(1) is not None:
            words = _WORD.findall(m.group(1))
            if words:
                parts.append('"' + " ".join(words) + '"')
            continue
        item = m.group(2)
        words = _WORD.findall(item)
        if not words:
            continue
        if item.endswith("*"):
            parts.extend(f'"{w}"' for w in words[:-1])
            parts.append(f'"{words[-1]}"*')
        else:
            parts.extend(f'"{w}"' for w in words)
    return " ".join(parts) if parts else None


def build(corpus: Path, db_path: Path) -> int:
    """Writes the FTS5 database for the corpus; returns the number of articles."""
    db_path = Path(db_path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(db_path)
    db.executescript(f"""
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, sources, tokenize = "{TOKENIZE}");
        CREATE TABLE docs(id INTEGER PRIMARY KEY, ext_id TEXT, url TEXT, title TEXT, date TEXT,
                          author TEXT, tags TEXT, categories TEXT, sources TEXT);
        CREATE TABLE labels(doc INTEGER, facet TEXT, value TEXT);
    """)
    n = 0
    with db, open(corpus, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            n += 1
            db.execute("INSERT INTO fts(rowid, title, body, tags, sources) VALUES (?, ?, ?, ?, ?)",
                       (n, a["title"], a["body"], "\n".join(a["tags"]), "\n".join(a["sources"])))
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (n, a["id"], a["url"], a["title"], a["date"], a["author"],
                        json.dumps(a["tags"], ensure_ascii=False),
                        json.dumps(a["categories"], ensure_ascii=False),
                        json.dumps(a["sources"], ensure_ascii=False)))
            labels = [("tag", v) for v in a["tags"]] + [("category", v) for v in a["categories"]] + \
                     [("source", v) for v in a["sources"]] + [("year", a["date"][:4]), ("author", a["author"])]
            db.executemany("INSERT INTO labels VALUES (?, ?, ?)", [(n, f, v) for f, v in labels])
    with db:
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        db.executescript("""
            CREATE INDEX labels_doc ON labels(doc, facet, value);
            CREATE INDEX labels_value ON labels(facet, value, doc);
            CREATE INDEX docs_date ON docs(date);
            ANALYZE;
        """)
    db.close()
    return n


class Fts5Search:
    def __init__(self, db_path: Path):
        self.db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("CREATE TEMP TABLE m(doc INTEGER PRIMARY KEY)")

    def search(self, q: str, filters: dict | None = None, per_page: int = 10, simple: bool = False) -> dict:
        """The full answer; `simple`: FTS5's simple one, the peer of issue 11 (the total, the top
        `per_page` with their stored fields but no snippet, and the counts of the tag facet only)."""
        db = self.db
        filters = {k: v for k, v in (filters or {}).items() if v}
        match = to_match(q)
        db.execute("DELETE FROM temp.m")

        def conds(doc: str, skip: str | None = None):
            sql, args = [], []
            for facet, values in filters.items():
                if facet == skip:
                    continue
                sql.append(f"{doc} IN (SELECT doc FROM labels WHERE facet = ? AND value IN "
                           f"({','.join('?' * len(values))}))")
                args += [facet, *values]
            return sql, args

        if match is not None:
            db.execute("INSERT INTO temp.m SELECT rowid FROM fts WHERE fts MATCH ?", (match,))
            base_from, base_where = "temp.m AS m JOIN labels l ON l.doc = m.doc", []
        else:
            base_from, base_where = "labels l", []

        # total
        where, args = conds("m.doc" if match is not None else "d.id")
        if match is not None:
            total = db.execute("SELECT count(*) FROM temp.m m" + _where(where), args).fetchone()[0]
        else:
            total = db.execute("SELECT count(*) FROM docs d" + _where(where), args).fetchone()[0]

        # top of the page
        if match is not None:
            where, args = conds("rowid")
            rows = db.execute(
                f"SELECT rowid, {'NULL' if simple else SNIPPET}, bm25(fts, {WEIGHTS}) "
                f"FROM fts WHERE fts MATCH ?{''.join(' AND ' + w for w in where)} "
                f"ORDER BY bm25(fts, {WEIGHTS}) LIMIT ?", [match, *args, per_page]).fetchall()
        else:
            where, args = conds("d.id")
            ids = [r[0] for r in db.execute(
                "SELECT d.id FROM docs d" + _where(where) + " ORDER BY d.date DESC LIMIT ?",
                [*args, per_page]).fetchall()]
            rows = [(i, None if simple else
                     db.execute("SELECT substr(body, 1, 220) FROM fts WHERE rowid = ?", (i,)).fetchone()[0],
                     None) for i in ids]
        results = []
        for rowid, snippet, score in rows:
            d = db.execute("SELECT ext_id, url, title, date, author, tags, categories, sources FROM docs "
                           "WHERE id = ?", (rowid,)).fetchone()
            results.append({"id": d[0], "url": d[1], "title": d[2], "date": d[3], "author": d[4],
                            "tags": json.loads(d[5]), "categories": json.loads(d[6]),
                            "sources": json.loads(d[7]), **({} if simple else {"snippet": snippet}),
                            "score": None if score is None else round(-score, 4)})

        # facets: one grouped count for the facets without a filter, one per filtered facet
        shown = ("tag",) if simple else FACETS
        counts: dict[str, list] = {f: [] for f in shown}
        free = [f for f in shown if f not in filters]
        groups = ([(free, None)] if free else []) + [([f], f) for f in filters if f in shown]
        for facets, skip in groups:
            where, args = conds("l.doc", skip)
            where = base_where + where + [f"l.facet IN ({','.join('?' * len(facets))})"]
            args = args + list(facets)
            for facet, value, count in db.execute(
                    f"SELECT l.facet, l.value, count(*) FROM {base_from}{_where(where)} "
                    "GROUP BY l.facet, l.value", args):
                counts[facet].append((count, value))
        facets_out = {}
        for facet in shown:
            chosen = set(filters.get(facet, []))
            ranked = sorted(counts[facet], key=lambda cv: (-cv[0], cv[1]))[:MAX_FACET_VALUES]
            facets_out[facet] = [{"value": v, "count": c, "selected": v in chosen} for c, v in ranked]
        return {"query": q, "total": total, "page": 1, "per_page": per_page,
                "pages": -(-total // per_page), "suggestion": None, "results": results,
                "facets": facets_out}


def _where(conds: list[str]) -> str:
    return (" WHERE " + " AND ".join(conds)) if conds else ""

"""python -m bench.sources_eval [FILES…] [--split even|odd|all] [--worst N] [--json] [--ref REF]

Precision, recall and false sources of the quoted-sources facet on the labelled set, per kind of
text, per file and overall; false sources per 10 tech-doc articles; the worst articles; the seed's
long article. With no FILES, both files of the set. --ref scores the extractor of a git ref (e.g.
main, for the figures before a change) on today's set. Nothing is asserted (tests/test_sources_eval.py is).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.sources_eval import (
    FILES, MAX_FALSE_PER_10_TECH_DOCS, MIN_PRECISION, MIN_RECALL, MIN_SEED_FOUND, in_split, load, score,
    seed_long_article, worst,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sources_eval", description=__doc__.split("\n\n")[1])
    parser.add_argument("files", nargs="*", type=Path, help="JSON Lines files (default: press.jsonl and docs.jsonl)")
    parser.add_argument("--split", choices=("all", "even", "odd"), default="all",
                        help="even ids (tuning half), odd ids (held-out half) or all (default)")
    parser.add_argument("--worst", type=int, default=10, metavar="N", help="list the N worst articles (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--ref", help="score the extractor of this git ref instead of the work tree's")
    args = parser.parse_args(argv)
    if args.ref:
        return _at_ref(args.ref, [a for a in (argv if argv is not None else sys.argv[1:])])

    files = args.files or [f for f in FILES if f.exists()]
    try:
        articles = [a for f in files for a in load(f) if in_split(a, args.split)]
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = score(articles)
    seed = seed_long_article()
    tech = result["kinds"].get("tech-doc")
    if args.json:
        print(json.dumps({
            "split": args.split, "files": [str(f) for f in files],
            "kinds": {k: t.as_dict() for k, t in result["kinds"].items()},
            "by_file": {k: t.as_dict() for k, t in result["files"].items()},
            "overall": result["overall"].as_dict(),
            "false_per_10_tech_docs": round(tech.false_per_10, 2) if tech else None,
            "worst": [vars(o) for o in worst(result["outcomes"], args.worst)],
            "seed_long_article": seed,
        }, ensure_ascii=False, indent=1))
        return 0

    print(f"Sources facet quality, split {args.split}: {', '.join(f.name for f in files)}\n")
    print(f"| {'':<12} | articles | expected | found | extracted | false | precision | recall | false/10 art. |")
    print(f"|{'-' * 14}|---------:|---------:|------:|----------:|------:|----------:|-------:|--------------:|")
    rows = list(result["kinds"].items()) + [(f"{k}", t) for k, t in result["files"].items()]
    rows.append(("overall", result["overall"]))
    for name, t in rows:
        print(f"| {name:<12} | {t.articles:>8} | {t.expected:>8} | {t.found:>5} | {t.extracted:>9} | {t.false:>5} "
              f"| {t.precision:>9.3f} | {t.recall:>6.3f} | {t.false_per_10:>13.2f} |")
    print()
    overall = result["overall"]
    print(f"targets: precision {overall.precision:.3f} (>= {MIN_PRECISION}), recall {overall.recall:.3f} "
          f"(>= {MIN_RECALL}), false sources per 10 tech-doc articles "
          f"{tech.false_per_10 if tech else 0:.2f} (<= {MAX_FALSE_PER_10_TECH_DOCS}), "
          f"seed long article {seed['found']}/{seed['cited']} (>= {MIN_SEED_FOUND}), false there: {seed['false']}")
    if args.worst:
        print(f"\nworst articles ({args.worst}):")
        for o in worst(result["outcomes"], args.worst):
            print(f"  {o.id} ({o.kind}): false {o.false}; missed {o.missed}")
    return 0


def _at_ref(ref: str, argv: list[str]) -> int:
    """Runs this command again in a child whose `indexer` is the ref's (bench.run's snapshots)."""
    import subprocess

    from bench.harness import Engine

    engine = Engine(ref)
    rest = [a for a in argv if a != "--ref" and a != ref and not a.startswith("--ref=")]
    files = [str(Path(a).resolve()) if Path(a).suffix == ".jsonl" else a for a in rest] or [str(f) for f in FILES]
    return subprocess.run([sys.executable, "-m", "bench.sources_eval", *files], cwd=engine.root, env=engine.env()).returncode


if __name__ == "__main__":
    sys.exit(main())

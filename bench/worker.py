"""One measured step of the benchmark, run in its own process by bench.run.

A step in a child process gives its peak RSS alone (ru_maxrss), and lets the same step run
under another interpreter (the venv with the other Whoosh fork). Each step writes one JSON
object to --result.

    python -m bench.worker build-project  --corpus C --index DIR --result R.json
    python -m bench.worker rebuild-project --corpus C --index DIR --result R.json
    python -m bench.worker search-project --index DIR --queries Q.json --rounds 3 --result R.json
    python -m bench.worker build-fts5     --corpus C --index DB --result R.json
    python -m bench.worker search-fts5    --index DB --queries Q.json --rounds 3 --result R.json
    python -m bench.worker search-fts5-simple --index DB --queries Q.json --rounds 3 --result R.json
                                          (FTS5's simple answer: top 10 and tag counts, no snippet)
    python -m bench.worker search-interleaved --index DIR --index2 DIR --db DB --db2 DB --queries Q.json ...
                                          (issue 11: both corpus variants, project and FTS5 simple, in turn)
    python -m bench.worker profile-search --index DIR --queries Q.json --result R.json  (cProfile)
    python -m bench.worker profile-build  --corpus C --index DIR --result R.json      (cProfile)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    """Peak RSS of this process plus that of its largest finished child (a build may fork writer
    processes; ru_maxrss of the children is the largest one, not their sum). Linux: kilobytes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + child) / 1024


def dir_size(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _whoosh_version() -> str:
    try:
        import whoosh
        from importlib import metadata
        for dist in ("whoosh-reloaded", "whoosh3", "Whoosh"):
            try:
                return f"{dist} {metadata.version(dist)}"
            except metadata.PackageNotFoundError:
                continue
        return f"whoosh {whoosh.versionstring()}"
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def build_project(corpus: Path, index: Path, incremental: bool) -> dict:
    from indexer.build import build_index
    if not incremental and index.exists():
        shutil.rmtree(index)
    started = time.perf_counter()
    report = build_index([str(corpus)], str(index), incremental=incremental)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "articles": report.articles, "analysed": report.analysed,
            "reused": report.reused, "skipped": len(report.skipped),
            "articles_per_s": report.articles / seconds if not incremental else None,
            "peak_rss_mb": _rss_mb(), "index_bytes": dir_size(index), "whoosh": _whoosh_version(),
            "python": sys.executable}


def build_fts5(corpus: Path, index: Path) -> dict:
    from bench import fts5
    started = time.perf_counter()
    n = fts5.build(corpus, index)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "articles": n, "articles_per_s": n / seconds,
            "peak_rss_mb": _rss_mb(), "index_bytes": dir_size(index)}


def _project_searcher(index: Path):
    from indexer.search import SearchRequest, search
    from indexer.storage.store import IndexStore
    store = IndexStore(str(index))

    def run(q: dict) -> dict:
        # A fresh request each time: the engine keeps no answer cache (searchweb's AnswerCache is
        # not in this path), so each call computes the full answer.
        return search(store, SearchRequest(q=q["q"], filters={k: list(v) for k, v in q["filters"].items()},
                                           per_page=10))
    return run


def _fts5_searcher(index: Path, simple: bool = False):
    from bench.fts5 import Fts5Search
    engine = Fts5Search(index)
    return lambda q: engine.search(q["q"], q["filters"], per_page=10, simple=simple)


def _facet_values(index: Path) -> dict:
    """Distinct values of each facet in the index (what a facet's cost might grow with)."""
    import numpy as np
    from indexer.storage.store import IndexStore
    columns = IndexStore(str(index)).current().columns
    return {name: int(len(np.unique(col.value_ids))) for name, col in columns.facets.items()}


def interleaved(engines: dict, queries: list[dict], warmup: list[dict], rounds: int) -> dict:
    """Each query asked of every engine in turn (the order rotating), so that all see the same
    moments of a shared machine: their ratios do not depend on when each step ran."""
    for q in warmup:
        for run in engines.values():
            run(q)
    names = list(engines)
    samples: dict[str, list] = {name: [] for name in names}
    for r in range(rounds):
        for i, q in enumerate(queries):
            k = (i + r) % len(names)
            for name in names[k:] + names[:k]:
                t = time.perf_counter()
                engines[name](q)
                samples[name].append((q["kind"], (time.perf_counter() - t) * 1000))
    return {"samples": samples, "peak_rss_mb": _rss_mb()}


def timed_mix(run, queries: list[dict], warmup: list[dict], rounds: int) -> dict:
    for q in warmup:
        run(q)
    samples = []
    totals = []
    for r in range(rounds):
        for q in queries:
            t = time.perf_counter()
            answer = run(q)
            ms = (time.perf_counter() - t) * 1000
            samples.append((q["kind"], ms))
            if r == 0:
                totals.append({"kind": q["kind"], "q": q["q"], "total": answer["total"],
                               "suggestion": answer.get("suggestion"),
                               "corrected": answer.get("corrected", False)})
    return {"samples": samples, "answers": totals, "peak_rss_mb": _rss_mb()}


def _profile(fn, result_path: Path, top: int = 30) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    out = fn()
    prof.disable()
    prof.dump_stats(str(result_path.with_suffix(".prof")))
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        rows.append({"function": f"{func} ({file}:{line})", "calls": nc, "tottime": tt, "cumtime": ct})
    rows.sort(key=lambda r: -r["cumtime"])
    by_tottime = sorted(rows, key=lambda r: -r["tottime"])[:top]
    return {"result": out, "top_cumulative": rows[:top], "top_tottime": by_tottime, "text": text.getvalue()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("step")
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--index2", type=Path)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--db2", type=Path)
    ap.add_argument("--result", type=Path, required=True)
    args = ap.parse_args(argv)

    def mix():
        data = json.loads(args.queries.read_text(encoding="utf-8"))
        return data["queries"], data.get("warmup", [])

    if args.step == "build-project":
        out = build_project(args.corpus, args.index, incremental=False)
    elif args.step == "rebuild-project":
        out = build_project(args.corpus, args.index, incremental=True)
    elif args.step == "build-fts5":
        out = build_fts5(args.corpus, args.index)
    elif args.step in ("search-project", "search-fts5", "search-fts5-simple"):
        queries, warmup = mix()
        run = (_project_searcher(args.index) if args.step == "search-project"
               else _fts5_searcher(args.index, simple=args.step == "search-fts5-simple"))
        out = timed_mix(run, queries, warmup, args.rounds)
        out["whoosh"] = _whoosh_version() if args.step == "search-project" else None
        if args.step == "search-project":
            out["facet_values"] = _facet_values(args.index)
    elif args.step == "search-interleaved":
        # --index/--db: the usual corpus's; --index2/--db2: the wide one's (issue 11)
        queries, warmup = mix()
        engines = {"project": _project_searcher(args.index), "project_wide": _project_searcher(args.index2),
                   "fts5_simple": _fts5_searcher(args.db, simple=True),
                   "fts5_simple_wide": _fts5_searcher(args.db2, simple=True)}
        out = interleaved(engines, queries, warmup, args.rounds)
    elif args.step == "profile-search":
        queries, warmup = mix()
        run = _project_searcher(args.index)
        for q in warmup:
            run(q)
        out = _profile(lambda: [run(q)["total"] for q in queries], args.result)
        out["result"] = len(out["result"])
    elif args.step == "profile-build":
        out = _profile(lambda: build_project(args.corpus, args.index, incremental=False), args.result)
    else:
        ap.error(f"unknown step {args.step}")
    tmp = args.result.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

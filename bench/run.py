"""The benchmark of issue 4: build and search, the project against SQLite FTS5, in one run.

    python -m bench.run --sizes 1k,10k                 # in-process build and search, FTS5 beside
    python -m bench.run --sizes 1k,10k --http          # + HTTP load against `archive-search serve`
    python -m bench.run --sizes 1k --quick             # CI smoke run (48 queries, 1 round, no HTTP)
    python -m bench.run --sizes 1k,10k --fork-python /path/to/venv-with-whoosh3/bin/python
    python -m bench.run ... --engine-ref HEAD          # measure a committed engine, not the work tree
    python -m bench.run ... --profile                  # + cProfile of the build and the search
    python -m bench.run --sizes 10k --live             # + the live index's updates (bench/live.py)
    python -m bench.run --sizes 10k --variants usual,wide   # + the wide-taxonomy corpus (issue 11)

Every timed step runs in a child process (peak RSS is that process's ru_maxrss). The figures
are written as Markdown to --out (default: bench/out/BENCHMARKS.md; pass --out BENCHMARKS.md to
replace the repository's table) and as JSON beside it in bench/out/. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import corpus as corpus_mod
from bench import http_load, live as live_mod, queries as queries_mod
from bench.corpus import OUT, parse_size, size_label
from bench.figures import fmt, pct, ratio
from bench.harness import Engine, log, machine, step

KINDS = queries_mod.KINDS


def summarize(samples: list[tuple[str, float]]) -> dict:
    by_kind: dict[str, list[float]] = {}
    for kind, ms in samples:
        by_kind.setdefault(kind, []).append(ms)
    out = {k: {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95), "p99": pct(v, 99)} for k, v in by_kind.items()}
    allv = [ms for _, ms in samples]
    out["overall"] = {"n": len(allv), "p50": pct(allv, 50), "p95": pct(allv, 95), "p99": pct(allv, 99)}
    return out


_POOLS: dict[Path, list[dict]] = {}


def run_size(n: int, args, engine: Engine, results: dict, variant: str = "usual") -> None:
    label = size_label(n) + ("" if variant == "usual" else f"-{variant}")
    corpus = corpus_mod.ensure_corpus(n, log=log, variant=variant)
    res = results["sizes"].setdefault(label, {"articles": n, "variant": variant})
    per_kind = 4 if args.quick else args.per_kind
    mix = queries_mod.build_mix(corpus_mod.ensure_corpus(1000, log=log) if n >= 1000 else corpus, per_kind=per_kind)
    pool_corpus = corpus_mod.ensure_corpus(1000, log=log) if n >= 1000 else corpus
    if pool_corpus not in _POOLS:  # the same for every size from 1k: drawn once (a few seconds)
        _POOLS[pool_corpus] = queries_mod.http_pool(pool_corpus)
    pool = _POOLS[pool_corpus]
    mix_keys = {(q["q"], json.dumps(q["filters"], sort_keys=True)) for q in mix}
    pool = [q for q in pool if (q["q"], json.dumps(q["filters"], sort_keys=True)) not in mix_keys]
    warmup, http_pool = pool[:12], pool[12:]
    res["http_pool"] = {"size": len(http_pool), "kinds": queries_mod.pool_kinds(http_pool)}
    qfile = OUT / f"queries-{label}.json"
    qfile.write_text(json.dumps({"queries": mix, "warmup": warmup}, ensure_ascii=False), encoding="utf-8")
    res["queries"] = len(mix)
    timeout = args.step_timeout

    idx = OUT / f"index-{label}"
    log(f"{label}: project build ({sys.executable})")
    res["build"] = step(engine, sys.executable, "build-project", OUT / f"r-build-{label}.json", timeout,
                        corpus=corpus, index=idx)
    log(f"{label}: build {res['build']['seconds']:.1f} s, {res['build']['articles_per_s']:.0f} articles/s")
    res["rebuild"] = step(engine, sys.executable, "rebuild-project", OUT / f"r-rebuild-{label}.json", timeout,
                          corpus=corpus, index=idx)
    log(f"{label}: incremental rebuild {res['rebuild']['seconds']:.1f} s")
    db = OUT / f"fts5-{label}.db"
    res["fts5_build"] = step(engine, sys.executable, "build-fts5", OUT / f"r-fts5build-{label}.json", timeout,
                             corpus=corpus, index=db)
    log(f"{label}: FTS5 build {res['fts5_build']['seconds']:.1f} s")

    search = step(engine, sys.executable, "search-project", OUT / f"r-search-{label}.json", timeout,
                  index=idx, queries=qfile, rounds=args.rounds)
    res["search"] = {"summary": summarize(search["samples"]), "answers": search["answers"],
                     "first_round": summarize(search["samples"][:len(mix)])["overall"],
                     "peak_rss_mb": search["peak_rss_mb"], "whoosh": search["whoosh"],
                     "facet_values": search.get("facet_values")}
    log(f"{label}: project search p50 {res['search']['summary']['overall']['p50']:.1f} ms")
    fsearch = step(engine, sys.executable, "search-fts5", OUT / f"r-fts5search-{label}.json", timeout,
                   index=db, queries=qfile, rounds=args.rounds)
    res["fts5_search"] = {"summary": summarize(fsearch["samples"]), "answers": fsearch["answers"],
                          "first_round": summarize(fsearch["samples"][:len(mix)])["overall"]}
    log(f"{label}: FTS5 search p50 {res['fts5_search']['summary']['overall']['p50']:.1f} ms")
    fsimple = step(engine, sys.executable, "search-fts5-simple", OUT / f"r-fts5simple-{label}.json", timeout,
                   index=db, queries=qfile, rounds=args.rounds)
    res["fts5_simple"] = {"summary": summarize(fsimple["samples"])}
    log(f"{label}: FTS5 simple answer (top 10, tag counts) p50 {res['fts5_simple']['summary']['overall']['p50']:.1f} ms")

    if args.fork_python and n <= args.fork_max:
        fidx = OUT / f"index-{label}-fork"
        log(f"{label}: fork build ({args.fork_python})")
        fb = step(engine, args.fork_python, "build-project", OUT / f"r-forkbuild-{label}.json", timeout,
                  corpus=corpus, index=fidx)
        fs = step(engine, args.fork_python, "search-project", OUT / f"r-forksearch-{label}.json", timeout,
                  index=fidx, queries=qfile, rounds=args.rounds)
        res["fork"] = {"build": fb, "search": {"summary": summarize(fs["samples"]), "whoosh": fs["whoosh"],
                                               "answers": fs["answers"]}}
        log(f"{label}: fork build {fb['articles_per_s']:.0f} articles/s, search p50 "
            f"{res['fork']['search']['summary']['overall']['p50']:.1f} ms")

    if args.profile and n == max(map(parse_size, args.sizes.split(","))):
        log(f"{label}: cProfile of the search and of the build")
        ps = step(engine, sys.executable, "profile-search", OUT / f"profile-search-{label}.json", timeout,
                  index=idx, queries=qfile)
        pb = step(engine, sys.executable, "profile-build", OUT / f"profile-build-{label}.json", timeout * 2,
                  corpus=corpus, index=OUT / f"index-{label}-profile")
        shutil.rmtree(OUT / f"index-{label}-profile", ignore_errors=True)
        res["profile"] = {"search": ps["top_cumulative"][:25], "search_tottime": ps["top_tottime"][:15],
                          "build": pb["top_cumulative"][:25], "build_tottime": pb["top_tottime"][:15]}
        (OUT / f"profile-search-{label}.txt").write_text(ps["text"], encoding="utf-8")
        (OUT / f"profile-build-{label}.txt").write_text(pb["text"], encoding="utf-8")

    if args.http:
        port = http_load.free_port()
        serve = [sys.executable, "-c", "from indexer.cli import run; run()", "serve",
                 "--index-dir", str(idx), "--port", str(port), "--workers", "2"]
        cached = [next(q for q in mix if q["kind"] == k) for k in KINDS if any(q["kind"] == k for q in mix)]
        log(f"{label}: HTTP load against archive-search serve (2 workers)")
        res["http"] = http_load.measure(serve, port, engine.root, engine.env(), OUT / f"serve-{label}.log",
                                        http_pool, cached, args.concurrency, args.http_seconds, args.cached_seconds,
                                        latency=mix, warmup=warmup)
        port = http_load.free_port()
        fts5_serve = [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
                      "--access-logfile", "-", "bench.fts5_app:app"]
        env = engine.env()
        env["BENCH_FTS5_DB"] = str(db)
        log(f"{label}: HTTP load against FTS5 (gunicorn, 2 workers)")
        res["fts5_http"] = http_load.measure(fts5_serve, port, engine.root, env, OUT / f"fts5-serve-{label}.log",
                                             http_pool, cached, args.concurrency, args.http_seconds,
                                             args.cached_seconds, latency=mix, warmup=warmup)
        for side in ("http", "fts5_http"):
            for run in res[side].values():
                if "latencies_ms" in run:
                    lat = run.pop("latencies_ms")
                    run.update(p50_ms=pct(lat, 50), p95_ms=pct(lat, 95), p99_ms=pct(lat, 99))
        for side, name in (("http", "project"), ("fts5_http", "FTS5")):
            h = res[side]
            log(f"{label}: {name} HTTP latency p50 {h['latency']['p50_ms']:.1f} ms, uncached "
                f"{h['uncached']['rps']:.0f} req/s ({h['uncached']['requests']} requests, "
                f"{h['uncached'].get('repeats', 0)} repeats), cached {h['cached']['rps']:.0f} req/s")

    if args.live:
        log(f"{label}: live updates (bench.live, on a copy of the built index)")
        opts = live_mod.Options.quick() if args.quick else live_mod.Options(per_kind=per_kind)
        res["live"] = live_mod.run_size(n, engine, opts, index_from=idx, mix=mix, warmup=warmup, pool=http_pool)


def run_interleaved(n: int, args, engine: Engine, results: dict) -> None:
    """Issue 11's comparisons at the same moments: the project and FTS5's simple answer over both
    corpus variants, each query asked of the four in turn (bench.worker search-interleaved)."""
    label = size_label(n)
    log(f"{label}: project and FTS5 simple over both variants, interleaved")
    out = step(engine, sys.executable, "search-interleaved", OUT / f"r-interleaved-{label}.json",
               args.step_timeout, index=OUT / f"index-{label}", index2=OUT / f"index-{label}-wide",
               db=OUT / f"fts5-{label}.db", db2=OUT / f"fts5-{label}-wide.db", queries=OUT / f"queries-{label}.json",
               rounds=args.rounds)
    results.setdefault("interleaved", {})[label] = {name: summarize(samples) for name, samples in out["samples"].items()}
    s = results["interleaved"][label]
    log(f"{label}: interleaved p50 project {s['project']['overall']['p50']:.1f}, wide {s['project_wide']['overall']['p50']:.1f}, "
        f"FTS5 simple {s['fts5_simple']['overall']['p50']:.1f}, wide {s['fts5_simple_wide']['overall']['p50']:.1f} ms")


# ---------------------------------------------------------------- report

def _diff(a, b) -> str:
    if a is None or b is None:
        return "–"
    return f"{a - b:+.1f}"


def _requests(run: dict) -> str:
    """The requests cell: the count, and the repeats if an uncached pool ran out."""
    repeats = run.get("repeats") or 0
    return f"{run['requests']}" + (f" ({repeats} repeats)" if repeats else "")


def _zero_share(answers: list[dict], kind: str | None = None) -> str:
    rows = [a for a in answers if kind is None or a["kind"] == kind]
    if not rows:
        return "–"
    return f"{sum(1 for a in rows if a['total'] == 0)}/{len(rows)}"


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "The latest figures of `bench/` (issue 4): the project against SQLite FTS5 over the same corpus and",
        "queries, in one run. Percentiles and ratios; nothing is asserted. Rerun with the command below",
        "(options: `python -m bench.run --help`; the corpus needs Debian's French documentation packages).",
        "",
        f"- **Date**: {results['date']}",
        f"- **Command**: `{results['command']}`",
        f"- **Engine**: {results['engine']}; {results['whoosh']}; Python {m['python']}; SQLite {m['sqlite']}",
        f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; load average before the run "
        f"{', '.join(f'{x:.2f}' for x in m['load_before'])}.",
        "  The 2 cores are shared with other engineers' test runs: figures can be disturbed by them;",
        "  compare ratios measured in the same run rather than absolute times across runs.",
        "- **Peak RSS**: ru_maxrss of the step's process, plus that of its largest child process if it forked any.",
        f"- **Corpus**: `python -m bench.corpus` (seed {corpus_mod.DEFAULT_SEED}): real French paragraphs from Debian's "
        "French documentation packages and `tests/fixtures/seed.txt`, 300–1,500 words an article"
        f"{' (' + results['pool'] + ')' if results.get('pool') else ''}.",
        f"- **Queries**: {results['queries_note']}",
        "- **Ratios** are project / FTS5 (for times: above 1× the project is slower; for rates: above 1× faster).",
        "- **Uncached** means no answer cache: every query is parsed, matched, ranked, counted and "
        "snippeted. The engine keeps each term's posting list as arrays once read (per index "
        "generation and worker, like SQLite's page cache); with `--rounds 1` most terms of a query are "
        "read for the first time.",
        "",
    ]
    for label, r in results["sizes"].items():
        b, rb, fb = r["build"], r["rebuild"], r["fts5_build"]
        lines += [f"## {label} articles", "", "### Build", "",
                  "| engine | articles/s | wall time | peak RSS | index size | incremental rebuild, nothing changed |",
                  "|---|---|---|---|---|---|",
                  f"| project ({b['whoosh']}) | {fmt(b['articles_per_s'])} | {fmt(b['seconds'])} s | "
                  f"{fmt(b['peak_rss_mb'])} MB | {fmt(b['index_bytes'] / 1e6)} MB | {fmt(rb['seconds'])} s "
                  f"({rb['reused']} reused, {rb['analysed']} analysed) |"]
        if "fork" in r:
            f = r["fork"]["build"]
            lines.append(f"| project ({f['whoosh']}) | {fmt(f['articles_per_s'])} | {fmt(f['seconds'])} s | "
                         f"{fmt(f['peak_rss_mb'])} MB | {fmt(f['index_bytes'] / 1e6)} MB | – |")
        lines += [f"| SQLite FTS5 | {fmt(fb['articles_per_s'])} | {fmt(fb['seconds'])} s | {fmt(fb['peak_rss_mb'])} MB | "
                  f"{fmt(fb['index_bytes'] / 1e6)} MB | (no incremental build) |",
                  f"| **ratio project/FTS5** | {ratio(b['articles_per_s'], fb['articles_per_s'])} | "
                  f"{ratio(b['seconds'], fb['seconds'])} | {ratio(b['peak_rss_mb'], fb['peak_rss_mb'])} | "
                  f"{ratio(b['index_bytes'], fb['index_bytes'])} | – |", ""]

        s, fs = r["search"]["summary"], r["fts5_search"]["summary"]
        lines += ["### Search in process, full answer (top 10, snippets, 5 facets, suggestion), uncached, ms", "",
                  "| kind | n | project p50 | p95 | p99 | FTS5 p50 | p95 | p99 | ratio p50 | ratio p99 | "
                  "no hit: project / FTS5 |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for kind in [*KINDS, "overall"]:
            if kind not in s:
                continue
            a, c = s[kind], fs[kind]
            name = f"**{kind}**" if kind == "overall" else kind
            zk = None if kind == "overall" else kind
            lines.append(f"| {name} | {a['n']} | {fmt(a['p50'])} | {fmt(a['p95'])} | {fmt(a['p99'])} | {fmt(c['p50'])} | "
                         f"{fmt(c['p95'])} | {fmt(c['p99'])} | {ratio(a['p50'], c['p50'])} | "
                         f"{ratio(a['p99'], c['p99'])} | {_zero_share(r['search']['answers'], zk)} / "
                         f"{_zero_share(r['fts5_search']['answers'], zk)} |")
        lines.append("")

        if "http" in r:
            lines += ["### Over HTTP, 2 gunicorn workers, concurrent load", "",
                      "| run | client | requests | errors | p50 ms | p95 ms | p99 ms | requests/s |",
                      "|---|---|---|---|---|---|---|---|"]
            for mode in ("uncached", "cached"):
                p, q = r["http"][mode], r["fts5_http"][mode]
                lines += [f"| project, {mode} | {p['client']} | {_requests(p)} | {p['errors']} | {fmt(p['p50_ms'])} | "
                          f"{fmt(p['p95_ms'])} | {fmt(p['p99_ms'])} | {fmt(p['rps'])} |",
                          f"| FTS5, {mode} | {q['client']} | {_requests(q)} | {q['errors']} | {fmt(q['p50_ms'])} | "
                          f"{fmt(q['p95_ms'])} | {fmt(q['p99_ms'])} | {fmt(q['rps'])} |",
                          f"| **ratio project/FTS5**, {mode} | | | | {ratio(p['p50_ms'], q['p50_ms'])} | "
                          f"{ratio(p['p95_ms'], q['p95_ms'])} | {ratio(p['p99_ms'], q['p99_ms'])} | "
                          f"{ratio(p['rps'], q['rps'])} |"]
            lines.append("")
            if "latency" in r["http"]:
                lines += ["### Over HTTP, one client at a time (latency)", "",
                          "The in-process query mix, each query once, one request at a time, uncached; beside it "
                          "the first in-process pass over the same queries (same warm-up, each query once). ms.", "",
                          "| engine | requests | errors | HTTP p50 | p95 | p99 | in-process p50 | p99 | "
                          "HTTP − in-process p50 (ms) | HTTP − in-process p99 (ms) |",
                          "|---|---|---|---|---|---|---|---|---|---|"]
                for name, side, search in (("project", "http", "search"), ("FTS5", "fts5_http", "fts5_search")):
                    h = r[side]["latency"]
                    i = r[search].get("first_round") or r[search]["summary"]["overall"]
                    lines.append(f"| {name} | {h['requests']} | {h['errors']} | {fmt(h['p50_ms'])} | "
                                 f"{fmt(h['p95_ms'])} | {fmt(h['p99_ms'])} | {fmt(i['p50'])} | {fmt(i['p99'])} | "
                                 f"{_diff(h['p50_ms'], i['p50'])} | {_diff(h['p99_ms'], i['p99'])} |")
                lines.append("")
            lines += [results["http_note"], ""]

    live = {label: r["live"] for label, r in results["sizes"].items() if "live" in r}
    if live:
        lines += live_mod.report_section(live)

    forks = [(label, r) for label, r in results["sizes"].items() if "fork" in r]
    if forks:
        lines += ["## The two Whoosh forks", "",
                  "Same engine code, same corpus and queries; only the `whoosh` package differs.", "",
                  "| size | fork | build articles/s | search p50 ms | p95 ms | p99 ms | index size |",
                  "|---|---|---|---|---|---|---|"]
        for label, r in forks:
            a, b = r["search"]["summary"]["overall"], r["fork"]["search"]["summary"]["overall"]
            lines += [f"| {label} | {r['build']['whoosh']} | {fmt(r['build']['articles_per_s'])} | {fmt(a['p50'])} | "
                      f"{fmt(a['p95'])} | {fmt(a['p99'])} | {fmt(r['build']['index_bytes'] / 1e6)} MB |",
                      f"| {label} | {r['fork']['build']['whoosh']} | {fmt(r['fork']['build']['articles_per_s'])} | "
                      f"{fmt(b['p50'])} | {fmt(b['p95'])} | {fmt(b['p99'])} | "
                      f"{fmt(r['fork']['build']['index_bytes'] / 1e6)} MB |",
                      f"| {label} | ratio {r['build']['whoosh'].split()[0]} / {r['fork']['build']['whoosh'].split()[0]} | "
                      f"{ratio(r['build']['articles_per_s'], r['fork']['build']['articles_per_s'])} | "
                      f"{ratio(a['p50'], b['p50'])} | {ratio(a['p95'], b['p95'])} | {ratio(a['p99'], b['p99'])} | |"]
        lines.append("")

    for label, r in results["sizes"].items():
        if "profile" in r:
            lines += [f"## Profile hints ({label}, cProfile, one pass)", ""]
            for part, title in (("search", "search (the query mix once)"), ("build", "full build")):
                lines += [f"**{title}**, top functions by cumulative time:", "",
                          "| function | calls | cumulative s | own s |", "|---|---|---|---|"]
                rows = [row for row in r["profile"][part] if "(worker.py:" not in row["function"]]
                for row in rows[:12]:
                    lines.append(f"| `{row['function']}` | {row['calls']} | {row['cumtime']:.2f} | {row['tottime']:.2f} |")
                lines += ["", "by own time: " + ", ".join(f"`{row['function']}` {row['tottime']:.2f} s"
                                                         for row in r["profile"][part + "_tottime"][:8]), ""]
    lines += issue11_section(results)
    lines += ["## How to read it", "",
              "- *Full answer*: `indexer.search.search()` with the default 10 a page: total, top 10 with stored fields "
              "and a snippet, counts of the 5 facets, did-you-mean (and the corrected search when nothing matches). "
              "FTS5 gives the same shape: `bm25()` with the project's field weights (title 3, body 1, tags 2, sources "
              "1.5), `snippet()`, the 5 facets counted from a labels side table joined to the matches (a facet's "
              "counts ignoring its own filter).",
              "- FTS5 cannot do what makes the project French-aware: no stemming (an *inflected* query finds only "
              "that form), no did-you-mean (a *typo* finds nothing: its time is that of an empty answer), no elision "
              "rules; it does fold accents (`remove_diacritics 2`). The *no hit* column shows these differences.",
              "- *Uncached* in process: a fresh `SearchRequest` per query; the engine keeps no answer cache (if it "
              "gains one, the worker must bypass it). Each step runs in its own process; *peak RSS* is its ru_maxrss.",
              "- *Incremental rebuild*: `build_index` again over the unchanged corpus (every article reused).",
              ""]
    if results.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(lines)


def issue11_section(results: dict) -> list[str]:
    """Issue 11's table: each corpus variant's full answer beside FTS5's full and simple answers
    (same run, same queries), and the wide variant against the usual one."""
    rows = [(label, r) for label, r in results["sizes"].items() if "fts5_simple" in r]
    if not rows and not results.get("interleaved"):
        return []
    lines = ["## Wide taxonomies, and the full answer against FTS5's simple one (issue 11)", "",
             "In process, uncached, ms, the query mix above. *Full answer*: the project's (top 10, snippets, "
             "5 facets, suggestion). *FTS5 simple*: FTS5's total, top 10 with stored fields (no snippet) and "
             "tag counts only (`bench/fts5.py`, `simple=True`). The *wide* corpus is the usual one's articles "
             "with a newsroom's taxonomies (`python -m bench.corpus --variant wide`: 5 own tags, an own "
             "author and 2 own sources an article).", "",
             "| corpus | distinct tags / authors / sources | project p50 | p95 | p99 | FTS5 simple p50 | p99 | "
             "FTS5 full p50 | p99 | **project / FTS5 simple, p50** | project / FTS5 full, p50 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in rows:
        a = r["search"]["summary"]["overall"]
        f, fs = r["fts5_search"]["summary"]["overall"], r["fts5_simple"]["summary"]["overall"]
        v = r["search"].get("facet_values") or {}
        distinct = " / ".join(f"{v[k]:,}" if k in v else "–" for k in ("tag", "author", "source"))
        lines.append(f"| {label} | {distinct} | {fmt(a['p50'])} | {fmt(a['p95'])} | {fmt(a['p99'])} | "
                     f"{fmt(fs['p50'])} | {fmt(fs['p99'])} | {fmt(f['p50'])} | {fmt(f['p99'])} | "
                     f"**{ratio(a['p50'], fs['p50'])}** | {ratio(a['p50'], f['p50'])} |")
    lines.append("")
    for label, s in results.get("interleaved", {}).items():
        lines += [f"**{label}, at the same moments** (each query asked of the four in turn, the order rotating: "
                  "`bench.worker search-interleaved`; the tables above ran one step after another, while other "
                  "work on the machine came and went), ms:", "",
                  "| corpus | project p50 | p95 | p99 | FTS5 simple p50 | p99 | **project / FTS5 simple, p50** |",
                  "|---|---|---|---|---|---|---|"]
        for variant, p, f in (("usual", "project", "fts5_simple"), ("wide", "project_wide", "fts5_simple_wide")):
            a, b = s[p]["overall"], s[f]["overall"]
            lines.append(f"| {label}{'' if variant == 'usual' else '-wide'} | {fmt(a['p50'])} | {fmt(a['p95'])} | "
                         f"{fmt(a['p99'])} | {fmt(b['p50'])} | {fmt(b['p99'])} | **{ratio(a['p50'], b['p50'])}** |")
        a, b = s["project_wide"]["overall"], s["project"]["overall"]
        lines += ["", f"**wide / usual, the project's full answer, same moments**: p50 **{ratio(a['p50'], b['p50'])}**, "
                  f"p95 {ratio(a['p95'], b['p95'])}, p99 **{ratio(a['p99'], b['p99'])}**.", "",
                  "Per kind, p50 ms (project usual / wide; FTS5 simple usual / wide):", "",
                  "| kind | project | project wide | FTS5 simple | FTS5 simple wide |", "|---|---|---|---|---|"]
        for kind in KINDS:
            if kind in s["project"]:
                lines.append(f"| {kind} | {fmt(s['project'][kind]['p50'])} | {fmt(s['project_wide'][kind]['p50'])} | "
                             f"{fmt(s['fts5_simple'][kind]['p50'])} | {fmt(s['fts5_simple_wide'][kind]['p50'])} |")
        lines.append("")
    pairs = [(label, r, results["sizes"].get(label[:-len("-wide")]))
             for label, r in rows if label.endswith("-wide")]
    for label, wide, usual in pairs:
        if not usual:
            continue
        a, b = wide["search"]["summary"]["overall"], usual["search"]["summary"]["overall"]
        lines.append(f"**{label} / {label[:-len('-wide')]}** (the project's full answer, wide taxonomies "
                     f"against the usual ones): p50 **{ratio(a['p50'], b['p50'])}**, p95 {ratio(a['p95'], b['p95'])}, "
                     f"p99 **{ratio(a['p99'], b['p99'])}**.")
        lines.append("")
    return lines


def http_note(results: dict, args) -> str:
    """What the HTTP tables measure, from what the run actually did (pool, client, repeats)."""
    with_http = [(label, r) for label, r in results["sizes"].items() if "http" in r]
    if not with_http:
        return ""
    label, r = with_http[0]
    pool = r["http_pool"]
    kinds = ", ".join(f"{k} {n}" for k, n in pool["kinds"].items())
    if all(r[side]["uncached"]["client"].startswith("wrk") for _, r in with_http for side in ("http", "fts5_http")):
        method = (f"wrk ({2 * args.concurrency} connections, 2 threads) for {int(args.http_seconds)} s over a pool "
                  "of distinct requests split into disjoint slices, one per wrk thread (request i to thread i mod 2), "
                  "each thread walking its slice in order, so each request is sent at most once unless a slice "
                  "runs out (then the thread wraps around and the repeats may hit the answer cache)")
    else:
        method = (f"the Python client ({args.concurrency} threads; wrk not found) sending each request of a pool of "
                  f"distinct requests once, for at most {args.http_seconds:.0f} s")
    repeats = [f"{name} {lab}: {r[side]['uncached']['requests']} requests, {r[side]['uncached']['repeats']} repeats"
               for lab, r in with_http for side, name in (("http", "project"), ("fts5_http", "FTS5"))
               if r[side]["uncached"].get("repeats")]
    lines = [
        f"Uncached: {method}. The pool: {pool['size']:,} distinct (query, filters) pairs drawn like the mix "
        f"(`bench.queries.http_pool`, other seeds, none in the mix nor among the warm-up queries), as evenly "
        f"across kinds as the 1,000-article sample allows, shuffled; per kind: {kinds}. "
        + ("The pool was too small for the run: " + "; ".join(repeats) + ". " if repeats else
           "No request was repeated (the pool was larger than every run's request count). ")
        + "The server's answer cache (searchweb.engine.AnswerCache) keys on the parsed request, so an unknown "
        "cache-busting parameter would still hit it: distinct queries are the only way to miss.",
        "Latency: before the concurrent loads, the 12 warm-up queries (twice) then the in-process mix "
        f"({r['queries']} queries, distinct from the pool, so uncached) sent once each, one request at a time by "
        "the Python client (a new connection each, as gunicorn's sync workers close it); compared with the "
        "first in-process pass over the same queries after the same warm-up (the in-process table pools "
        f"{args.rounds} round(s)). The difference is Flask, JSON, gunicorn, the client and the 2 workers each "
        "reading its own posting lists.",
        f"Cached: the first query of each kind, each already asked 4 times, then repeated for "
        f"{args.cached_seconds} s ({r['http']['cached']['client']}; that set includes the plain empty query, "
        "whose facet counts cover every article: the costliest FTS5 query, hence FTS5 \"cached\" slower than "
        "its uncached pool). FTS5 runs behind the same stack (Flask, gunicorn, 2 sync workers, access log on) with no answer cache, so its \"cached\" "
        "run is only SQLite's page cache. Client and server share the 2 cores.",
    ]
    return "\n\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1k,10k")
    ap.add_argument("--quick", action="store_true", help="smoke run: 4 queries a kind, 1 round, no HTTP")
    ap.add_argument("--variants", default="usual",
                    help="corpus variants measured at each size: usual, wide (issue 11: 5 own tags, an own "
                         "author and 2 own sources an article; bench/corpus.py), e.g. usual,wide")
    ap.add_argument("--http", action="store_true", help="also measure over HTTP (archive-search serve)")
    ap.add_argument("--live", action="store_true",
                    help="also measure the live index: updates pushed to a server, freshness, search meanwhile "
                         "(bench/live.py)")
    ap.add_argument("--per-kind", type=int, default=17, help="queries of each kind (12 kinds)")
    ap.add_argument("--rounds", type=int, default=None, help="passes over the query mix (default 3, quick 1)")
    ap.add_argument("--fork-python", default=os.environ.get("BENCH_FORK_PYTHON"),
                    help="a Python whose environment has the other Whoosh fork: its build and search are measured too")
    ap.add_argument("--fork-max", type=parse_size, default=10_000, help="largest size measured with --fork-python")
    ap.add_argument("--engine-ref", default=None, help="measure the engine of this git ref instead of the work tree")
    ap.add_argument("--profile", action="store_true", help="cProfile the search and the build of the largest size")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--http-seconds", type=float, default=20.0,
                    help="duration of the uncached HTTP load (whole seconds; wrk -d)")
    ap.add_argument("--cached-seconds", type=int, default=10)
    ap.add_argument("--step-timeout", type=float, default=3600)
    ap.add_argument("--out", type=Path, default=OUT / "BENCHMARKS.md")
    ap.add_argument("--report-from", type=Path, help="only write the Markdown of a results-*.json")
    args = ap.parse_args(argv)
    if args.report_from:
        results = json.loads(args.report_from.read_text(encoding="utf-8"))
        args.out.write_text(report(results) + f"\nThe run took {results['seconds'] / 60:.1f} minutes.\n",
                            encoding="utf-8")
        return 0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3

    OUT.mkdir(parents=True, exist_ok=True)
    try:
        pool = corpus_mod.french_paragraphs()
    except corpus_mod.MissingDocs as e:
        print(e.code, file=sys.stderr)
        return 1
    engine = Engine(args.engine_ref)
    command = "python -m bench.run " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
               "machine": machine(), "engine": f"git {engine.describe}" + (f" (ref {args.engine_ref})" if args.engine_ref else " (work tree)"),
               "sizes": {}, "notes": [], "pool": corpus_mod.fingerprint(pool)}
    started = time.monotonic()
    for n in map(parse_size, args.sizes.split(",")):
        for variant in args.variants.split(","):
            run_size(n, args, engine, results, variant)
        if {"usual", "wide"} <= set(args.variants.split(",")):
            run_interleaved(n, args, engine, results)
    first = next(iter(results["sizes"].values()))
    results["whoosh"] = first["build"]["whoosh"]
    q = first["queries"]
    results["queries_note"] = (
        f"{q} queries ({q // len(KINDS)} of each of {len(KINDS)} kinds, `python -m bench.queries`), drawn from the "
        f"first 1,000 articles (the same for every size); {args.rounds} round(s) after 12 warm-up queries, so each "
        f"kind has {args.rounds * (q // len(KINDS))} samples (p99 of a kind is close to its maximum).")
    results["http_note"] = http_note(results, args)
    results["seconds"] = time.monotonic() - started
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    args.out.write_text(report(results) + f"\nThe run took {results['seconds'] / 60:.1f} minutes.\n", encoding="utf-8")
    log(f"done in {results['seconds']:.0f} s -> {args.out}, {OUT / f'results-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The cost of finding quoted sources, before and after a change, in one run (issue 11).

    python -m bench.sources_eval.speed --ref main --corpus bench/out/corpus-10k.jsonl --rounds 3

Two engines, each in its own child processes, taking turns: the code of a git ref (today's) and
the work tree. For each: the time `extract_sources` takes over every article of the corpus (read
beforehand, as the build reads them), and the time of a full build of the corpus (bench.worker's
build-project). Times are CPU seconds (user + system, of the step's whole process tree), which other
work on shared cores disturbs far less than wall time; wall time is reported beside. Prints medians
and ratios, writes them as JSON to bench/out/sources-speed.json. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import OUT


def _extract_child(corpus: Path, result: Path) -> None:
    """Runs under the engine's PYTHONPATH: its own reader and its own extract_sources."""
    from indexer.sources import open_source
    from indexer.sources.quotes import extract_sources

    articles = [a for a in open_source(str(corpus)) if hasattr(a, "body")]
    started, cpu = time.perf_counter(), time.process_time()
    found = sum(len(extract_sources(a.body, a.body_html)) for a in articles)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    result.write_text(json.dumps({"seconds": seconds, "cpu": cpu, "articles": len(articles), "sources": found}))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sources_eval.speed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="main", help="git ref of today's code (default: main)")
    ap.add_argument("--corpus", type=Path, default=OUT / "corpus-10k.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-build", action="store_true", help="time the extraction only")
    ap.add_argument("--child", choices=("extract",), help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _extract_child(args.corpus.resolve(), args.result)
        return 0
    if not args.corpus.is_file():
        print(f"error: no corpus at {args.corpus} (python -m bench.corpus --sizes 10k makes it)", file=sys.stderr)
        return 2

    from bench.harness import Engine, log, step  # the benchmark's own engine snapshots and child steps
    import subprocess

    engines = {"before": Engine(args.ref), "after": Engine(None)}
    corpus = args.corpus.resolve()
    times: dict[str, dict[str, list[float]]] = {
        name: {"extract": [], "build": [], "extract_wall": [], "build_wall": []} for name in engines
    }
    counts: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="sources-speed-") as tmp:
        for round_ in range(args.rounds):
            order = list(engines) if round_ % 2 == 0 else list(reversed(engines))
            for name in order:
                engine = engines[name]
                result = Path(tmp) / f"{name}-{round_}.json"
                proc = subprocess.run(
                    [sys.executable, "-m", "bench.sources_eval.speed", "--child", "extract",
                     "--corpus", str(corpus), "--result", str(result)],
                    cwd=engine.root, env=engine.env(), capture_output=True, text=True,
                )
                if proc.returncode != 0:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    return 1
                data = json.loads(result.read_text())
                times[name]["extract"].append(data["cpu"])
                times[name]["extract_wall"].append(data["seconds"])
                counts[name] = {"articles": data["articles"], "sources": data["sources"]}
                log(f"round {round_ + 1} {name}: extraction {data['cpu']:.2f} s CPU ({data['seconds']:.2f} s wall), "
                    f"{data['sources']} sources")
                if not args.no_build:
                    before = _children_cpu()
                    built = step(engine, sys.executable, "build-project", Path(tmp) / f"b-{name}-{round_}.json",
                                 timeout=3600, corpus=corpus, index=Path(tmp) / f"index-{name}-{round_}")
                    times[name]["build"].append(_children_cpu() - before)
                    times[name]["build_wall"].append(built["seconds"])
                    log(f"round {round_ + 1} {name}: build {times[name]['build'][-1]:.1f} s CPU "
                        f"({built['seconds']:.1f} s wall)")
    medians = {name: {k: statistics.median(v) if v else None for k, v in t.items()} for name, t in times.items()}
    ratio = {k: (medians["after"][k] / medians["before"][k]) if medians["before"][k] else None
             for k in ("extract", "build", "extract_wall", "build_wall")}
    report = {"ref": args.ref, "before": engines["before"].describe, "after": engines["after"].describe,
              "corpus": str(args.corpus), "rounds": args.rounds, "times_s": times, "median_s": medians,
              "ratio_after_before": ratio, "counts": counts}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sources-speed.json").write_text(json.dumps(report, indent=1))
    print(f"| step | before ({report['before']}) | after ({report['after']}) | after / before |")
    print("|---|---:|---:|---:|")
    labels = {"extract": "extraction, CPU", "build": "build, CPU", "extract_wall": "extraction, wall",
              "build_wall": "build, wall"}
    for k, label in labels.items():
        if medians["before"][k] is not None:
            print(f"| {label}, median of {args.rounds}, s | {medians['before'][k]:.2f} | {medians['after'][k]:.2f} "
                  f"| {ratio[k]:.2f} |")
    print(f"sources found: before {counts['before']['sources']}, after {counts['after']['sources']} "
          f"({counts['after']['articles']} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

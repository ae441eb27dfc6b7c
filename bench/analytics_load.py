"""What the search analytics cost under the benchmark's uncached HTTP load (issue 12: under 5%).

    python -m bench.analytics_load --corpus bench/out/corpus-10k.jsonl --rounds 3 --seconds 20

The same index, the same pool of distinct requests (bench/queries.http_pool) and the same wrk load
as `bench.run --http`'s uncached run, against `archive-search serve` (2 workers) started fresh for
each run (so its answer cache is empty: each path is sent once), alternately with the analytics on
and off (ARCHIVE_SEARCH_ANALYTICS), on/off then off/on, `--rounds` times. It prints and writes
(bench/out/analytics-load.json) each run's requests/s and latency, the medians of each side and
their ratio, the server's CPU time a request (all its processes: user + system, the measure that
does not depend on what else the machine runs), and, for the runs with analytics on, how many searches the file counted against the
requests sent (the events dropped, if any, show there). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import http_load, queries as queries_mod

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
METRICS_TOKEN = "bench-analytics"


def build(corpus: Path, index: Path) -> None:
    if (index / "CURRENT").exists():
        return
    from indexer.build import build_index
    print(f"building {index} from {corpus}", flush=True)
    build_index([str(corpus)], index)


def session_cpu_seconds(sid: int) -> float:
    """User + system CPU time of every live process of the server's session (master, workers,
    applier): what the server spent, whatever else the machine runs meanwhile."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # (fields after the name: state, ppid, pgrp, session, ...)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def dropped_events(port: int) -> float:
    """The analytics events the server could not record (all reasons), from its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "archive_search_analytics_dropped_events_total")


def run_once(index: Path, paths: list[str], analytics: bool, seconds: int, concurrency: int, log: Path) -> dict:
    port = http_load.free_port()
    argv = [sys.executable, "-c", "from indexer.cli import run; run()", "serve", "--index-dir", str(index),
            "--port", str(port), "--workers", "2"]
    with tempfile.TemporaryDirectory() as tmp:
        analytics_file = Path(tmp) / "analytics.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_SEARCH_", "PROMETHEUS_"))}
        env.update(ARCHIVE_SEARCH_ANALYTICS="on" if analytics else "off",
                   ARCHIVE_SEARCH_ANALYTICS_FILE=str(analytics_file), PYTHONPATH=str(ROOT),
                   ARCHIVE_SEARCH_METRICS_TOKEN=METRICS_TOKEN)
        with http_load.Server(argv, port, ROOT, env, log) as server:
            for _ in range(6):  # warm both workers outside the pool (as bench.run does)
                http_load.get("127.0.0.1", port, "/api/v1/search?q=warmup+bench")
            cpu_before = session_cpu_seconds(server.proc.pid)
            result = http_load.wrk_load(port, paths, 2 * concurrency, seconds, Path(tmp), slices=True)
            if result is None:
                result = http_load.python_load(port, paths, concurrency, seconds)
                result.pop("latencies_ms", None)
            time.sleep(2)  # the writers' last batches
            cpu = session_cpu_seconds(server.proc.pid) - cpu_before
            result["dropped"] = dropped_events(port)
        result["server_cpu_s"] = round(cpu, 3)
        result["cpu_ms_per_request"] = round(cpu * 1000 / max(result["requests"], 1), 3)
        if analytics and analytics_file.exists():
            with sqlite3.connect(analytics_file) as db:
                result["counted"] = db.execute("SELECT coalesce(sum(searches), 0) FROM daily").fetchone()[0]
                result["queries"] = db.execute("SELECT count(DISTINCT query) FROM daily").fetchone()[0]
    result["analytics"] = analytics
    return result


def request_side_cost(index: Path, pool: list[dict], n: int = 2000) -> dict:
    """In one process: the time a search spends handing its event to the analytics (normalise the
    query, put it on the queue, the writer thread writing meanwhile) against the search itself
    (the engine's answer), over the same `n` queries of the pool, each side timed alone."""
    from indexer.search import IndexStore, SearchRequest, search
    from searchweb.analytics import Recorder

    store = IndexStore(index)
    queries = [q for q in pool if q["q"].strip()][:n]
    requests = [SearchRequest(q=q["q"], filters=q["filters"]) for q in queries]
    for req in requests[:50]:
        search(store, req)
    started = time.perf_counter()
    for req in requests:
        search(store, req)
    search_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        recorder = Recorder(Path(tmp) / "analytics.sqlite3")
        recorder.search("warmup", 1)
        recorder.flush()
        started = time.perf_counter()
        for i, req in enumerate(requests):
            recorder.search(req.q, i % 3)
        hand_off_s = time.perf_counter() - started
        recorder.flush()
    return {"queries": len(requests), "search_ms": search_s * 1000 / len(requests),
            "hand_off_us": hand_off_s * 1e6 / len(requests),
            "share": hand_off_s / search_s}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=OUT / "corpus-10k.jsonl")
    ap.add_argument("--index", type=Path, default=None, help="default: bench/out/index-analytics-<corpus name>")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=4, help="as bench.run: wrk opens twice as many connections")
    ap.add_argument("--out", type=Path, default=OUT / "analytics-load.json")
    args = ap.parse_args(argv)

    index = args.index or OUT / f"index-analytics-{args.corpus.stem}"
    build(args.corpus, index)
    pool = queries_mod.http_pool(args.corpus)
    paths = [http_load.path_for(q) for q in pool]
    side = request_side_cost(index, pool)
    print(f"in process: a search {side['search_ms']:.2f} ms, handing its analytics event over "
          f"{side['hand_off_us']:.1f} µs ({side['share'] * 100:.2f}%)", flush=True)
    runs = []
    for round_no in range(args.rounds):
        order = (True, False) if round_no % 2 == 0 else (False, True)
        for analytics in order:
            r = run_once(index, paths, analytics, args.seconds, args.concurrency,
                         OUT / f"analytics-serve-{round_no}-{'on' if analytics else 'off'}.log")
            r["round"] = round_no
            runs.append(r)
            extra = f", counted {r['counted']} searches, {r['dropped']:.0f} dropped" if "counted" in r else ""
            print(f"round {round_no} analytics {'on ' if analytics else 'off'}: {r['rps']:.1f} req/s, "
                  f"{r['requests']} requests, {r['errors']} errors, p50 {r.get('p50_ms', float('nan')):.1f} ms, "
                  f"server CPU {r['cpu_ms_per_request']:.2f} ms a request"
                  f"{extra}", flush=True)
    on = [r["rps"] for r in runs if r["analytics"]]
    off = [r["rps"] for r in runs if not r["analytics"]]
    cpu_on = [r["cpu_ms_per_request"] for r in runs if r["analytics"]]
    cpu_off = [r["cpu_ms_per_request"] for r in runs if not r["analytics"]]
    summary = {
        "median_cpu_ms_on": statistics.median(cpu_on), "median_cpu_ms_off": statistics.median(cpu_off),
        "cpu_ratio_on_off": statistics.median(cpu_on) / statistics.median(cpu_off),
        "corpus": str(args.corpus), "pool": len(paths), "seconds": args.seconds, "rounds": args.rounds,
        "connections": 2 * args.concurrency, "cpus": os.cpu_count(),
        "median_rps_on": statistics.median(on), "median_rps_off": statistics.median(off),
        "ratio_on_off": statistics.median(on) / statistics.median(off),
        "request_side": side,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"median uncached req/s: analytics on {summary['median_rps_on']:.1f}, off {summary['median_rps_off']:.1f}, "
          f"on/off {summary['ratio_on_off']:.3f}; server CPU ms a request: on {summary['median_cpu_ms_on']:.2f}, "
          f"off {summary['median_cpu_ms_off']:.2f}, on/off {summary['cpu_ratio_on_off']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the duration histograms cost (indexer/durations.py): the applier's transaction that finishes
a batch of tasks, with and without adding their durations, and one scrape's read of the histograms.

    python -m bench.durations                    # batches of 1, 10, 100 and 2000 tasks, 15 rounds each
    python -m bench.durations --no-fsync         # the statements alone (WAL, synchronous=NORMAL)

The transaction is the applier's own (`Ledger.set_state` in a fsynced `BEGIN IMMEDIATE`, on a real
live.sqlite in a temporary folder, the pushed rows laid too); the peer is the very same transaction
with `durations.observe` made a no-op, each round running both in turn (a shared machine's noise
falls on both alike). Medians in milliseconds; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from indexer import durations
from indexer.live import ledger as ledger_mod
from indexer.live.ledger import Ledger

KINDS = ("put", "batch", "delete")


def _tasks(first: int, n: int) -> list[dict]:
    now = time.time()
    return [{"id": first + i, "kind": KINDS[i % 3], "articles": 1, "ids": [f"a{first + i}"],
             "enqueued_at": ledger_mod.now_iso(), "enqueued_unix": now - 0.3} for i in range(n)]


def _finish(ledger: Ledger, tasks: list[dict]) -> float:
    with ledger.transaction() as db:  # as the applier: processing first, in a transaction of its own
        ledger.set_state(db, tasks, "processing")
    started = time.perf_counter()
    with ledger.transaction() as db:
        for task in tasks:
            ledger.lay(db, task["id"], [{"op": "delete", "id": task["ids"][0]}])
        ledger.set_state(db, tasks, "succeeded")
    return (time.perf_counter() - started) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", default="1,10,100,2000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-fsync", action="store_true",
                        help="synchronous=NORMAL instead of the applier's FULL: the statements' own cost, without the flush")
    opts = parser.parse_args(argv)
    real_observe = durations.observe
    with tempfile.TemporaryDirectory() as folder:
        with_dir, without_dir = Path(folder, "with"), Path(folder, "without")
        with_ledger, without_ledger = (Ledger(with_dir, durable=not opts.no_fsync),
                                        Ledger(without_dir, durable=not opts.no_fsync))
        seq = 0
        print("| tasks a batch | finishing transaction, with durations (ms) | without (peer) | ratio |")
        print("|---|---|---|---|")
        for size in (int(b) for b in opts.batches.split(",")):
            times = {"with": [], "without": []}
            for r in range(opts.rounds):
                pair = (("with", with_ledger), ("without", without_ledger))
                for name, ledger in (pair if r % 2 else pair[::-1]):  # each goes first in half the rounds
                    durations.observe = real_observe if name == "with" else (lambda *a, **k: None)
                    tasks = _tasks(seq + 1, size)
                    seq += size
                    times[name].append(_finish(ledger, tasks))
            durations.observe = real_observe
            w, wo = statistics.median(times["with"]), statistics.median(times["without"])
            print(f"| {size} | {w:.2f} | {wo:.2f} | {w / wo:.2f}× |")
        with_ledger.close()
        without_ledger.close()
        reads = []
        for _ in range(200):
            started = time.perf_counter()
            durations.read(with_dir / ledger_mod.FILE)
            reads.append((time.perf_counter() - started) * 1000)
        print(f"\nOne scrape's read of both histograms ({seq} tasks recorded): median {statistics.median(reads):.2f} ms, "
              f"max {max(reads):.2f} ms over {len(reads)} reads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

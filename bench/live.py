"""The live index's benchmark (issue 9): articles pushed through the document API of a real
server, and what they cost, at one or more archive sizes.

    python -m bench.live --sizes 10k                  # writes bench/out/LIVE.md and live-results-*.json
    python -m bench.live --sizes 10k,100k --engine-ref HEAD --out LIVE.md
    python -m bench.live --sizes 1k --quick           # smoke run (20 updates, 2 batches, 40 PUTs streamed)
    python -m bench.run --sizes 10k --live            # the same, as a section of bench.run's report

For each size every write is drawn first (new articles from another seed's corpus, replacements
of corpus articles; each holds a made-up word of its own in its title and body), so that the
*peer*, a fresh build (child process) of the very articles the live index will end with, is
built before anything runs. Then `archive-search serve --workers 2` (its applier beside it) is
started on a fresh build of the corpus, with an admin token and a free port: the 2 workers,
the applier, its merges and the client share the machine's cores as in production.

1. (a) search latency: the query list (the bench's mix, `bench.queries`, then distinct requests
   of its HTTP pool), each request once, one at a time, to the live server and to the peer
   (served beside it) in turn: both see the same moments of a shared, noisy machine;
2. single updates, one at a time (new articles and replacements alternately): from the 202,
   `GET /api/v1/search?q=<word>` every ~20 ms until it finds that article; then, once its task
   has succeeded, the bytes it added: its generation's files that no earlier generation holds
   (by inode: kept files are hard links), the journal's growth, the SQLite ledger's WAL
   frames; the applier's /proc/<pid>/io over all of them; what merges wrote meanwhile;
3. batches (POST, NDJSON), one at a time: until a word shared by the batch finds it whole;
4. (b) the query list, to the live server and the peer in turn, while another process PUTs an
   article every --interval seconds; then (b2) the same requests once the stream's last write
   is applied and merges are done; each worker's memory, the applier's, the merges'.

The peer is started anew before each phase (empty answer cache, cold caches), so no request is
ever answered from a cache: each is sent once per phase, and the live server's answer cache is
keyed by a generation the earlier phases never saw. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import struct
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench import corpus as corpus_mod
from bench import http_load, queries as queries_mod
from bench.corpus import DEFAULT_SEED, OUT, parse_size, size_label
from bench.figures import fmt, pct, ratio
from bench.harness import Engine, log, machine, step

TOKEN_ENV = "ARCHIVE_SEARCH_ADMIN_TOKEN"
NEW_SEED = DEFAULT_SEED + 9          # the corpus new articles come from (another selection of the same prose)
WORD_LETTERS = "bcdfghjklmnpqrtvwz"  # no vowel, no s or x: the French stemmer leaves such a word whole


@dataclass
class Options:
    singles: int = 200          # single-article updates, one at a time
    batches: int = 20           # batches ...
    batch_size: int = 100       # ... of this many articles
    interval: float = 0.15      # seconds between two PUTs of the stream (b)
    stream_puts: int = 300      # PUTs of the stream (b): 45 s at one every 150 ms
    extra_queries: int = 800    # distinct HTTP-pool requests added to the mix
    per_kind: int = 17          # queries of each kind in the mix
    poll: float = 0.02          # seconds between two searches for a pushed word
    timeout: float = 120.0      # seconds an update may take to become searchable
    step_timeout: float = 3600

    @classmethod
    def quick(cls) -> "Options":
        return cls(singles=20, batches=2, stream_puts=40, extra_queries=100, per_kind=4)


# ---------------------------------------------------------------- HTTP

def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Admin:
    """The document API with the bench's token."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.auth = {"Authorization": f"Bearer {token}"}

    def put(self, article_id: str, article: dict) -> tuple[int, dict, float]:
        fields = {k: v for k, v in article.items() if k != "id"}
        body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
        return self._write("PUT", f"/api/v1/admin/articles/{article_id}", body, "application/json")

    def batch(self, articles: list[dict]) -> tuple[int, dict, float]:
        body = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles).encode("utf-8")
        return self._write("POST", "/api/v1/admin/articles", body, "application/x-ndjson")

    def _write(self, method, path, body, ctype) -> tuple[int, dict, float]:
        started = time.perf_counter()
        status, raw = request(self.port, method, path, body, {**self.auth, "Content-Type": ctype})
        ms = (time.perf_counter() - started) * 1000
        try:
            task = json.loads(raw).get("task") or {}
        except ValueError:
            task = {}
        return status, task, ms

    def task_state(self, task_id: int) -> str | None:
        status, raw = request(self.port, "GET", f"/api/v1/admin/tasks/{task_id}", headers=self.auth)
        return json.loads(raw)["task"]["state"] if status == 200 else None

    def wait_task(self, task_id: int, timeout: float, every: float = 0.01) -> str | None:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.task_state(task_id)
            if state in ("succeeded", "failed"):
                return state
            time.sleep(every)
        return state


def wait_searchable(port: int, word: str, since: float, expect: int, article_id: str | None,
                    every: float, timeout: float) -> tuple[float | None, int]:
    """Searches `word` every `every` seconds (a search starts at least that long after the last
    one started) until it finds `expect` articles (and `article_id` among them), not through a
    did-you-mean correction. Returns (ms from `since` to the answer that found it, searches)."""
    path = "/api/v1/search?q=" + word
    polls = 0
    while True:
        sent = time.perf_counter()
        status, raw = request(port, "GET", path)
        got = time.perf_counter()
        polls += 1
        if status == 200:
            answer = json.loads(raw)
            if (not answer.get("corrected") and answer["total"] >= expect
                    and (article_id is None or any(r["id"] == article_id for r in answer["results"]))):
                return (got - since) * 1000, polls
        if got - since > timeout:
            return None, polls
        time.sleep(max(0.0, sent + every - time.perf_counter()))


# ---------------------------------------------------------------- processes and files

def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def server_processes(arbiter: int) -> tuple[list[int], int | None]:
    """(gunicorn workers, applier) among the children of the server's main process."""
    workers, applier = [], None
    for pid in _children(arbiter):
        cmd = _cmdline(pid)
        if "indexer.cli apply" in cmd:
            applier = pid
        elif cmd:
            workers.append(pid)
    return workers, applier


def memory(pid: int) -> dict:
    """kB figures of /proc/<pid>/smaps_rollup and /proc/<pid>/status, in MB."""
    out = {"pid": pid}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            if value.strip().endswith("kB"):
                out[name] = int(value.split()[0]) / 1024
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, value = line.split(":", 1)
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[name] = int(value.split()[0]) / 1024
    except OSError as e:
        out["error"] = str(e)
    out["Private"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def proc_io(pid: int | None) -> dict:
    if pid is None:
        return {}
    try:
        return {k: int(v) for k, v in (l.split(": ") for l in Path(f"/proc/{pid}/io").read_text().splitlines())}
    except OSError:
        return {}


def generation_files(index_dir: Path) -> dict:
    """The live generation: its name and number, files, bytes and segments (Whoosh's `.seg` files)."""
    name = (index_dir / "CURRENT").read_text().strip()
    files = size = segments = 0
    for path in (index_dir / name).rglob("*"):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            files += 1
            size += st.st_size
            segments += path.suffix == ".seg"
    return {"generation": name, "number": int(name.split("-")[1]), "files": files, "bytes": size,
            "segments": segments}


def _kind(name: str) -> str:
    """What a file of a generation is, without its segment's id: `.seg`, `catalog.json`, `.toc`..."""
    if name.endswith(".toc"):
        return ".toc"
    if name.startswith("MAIN_"):
        return name.split(".", 1)[1] if "." in name else name
    return name


class Generations:
    """What every published generation holds, by inode (and modification time: a freed inode
    number is soon reused): tells the files an update's generation added (those no earlier
    generation had: with hard links, a file kept is the same inode) from the files other
    generations added (merges). A merge links its segment from a staging folder, so right
    after publication a new file may have two links: inodes, not `st_nlink`, tell what is new."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.known: set[tuple[int, int]] = set()
        self.others: dict[str, dict] = {}  # generation -> its new files, for generations not an update's own
        self.known = {key for g in self.scan().values() for key in g["files"]}  # what is there already

    def scan(self) -> dict[str, dict]:
        found = {}
        for folder in self.index_dir.iterdir():
            if not folder.name.startswith("gen-"):
                continue
            try:
                meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
                files, segments = {}, 0
                for path in folder.rglob("*"):
                    st = path.lstat()
                    if stat.S_ISREG(st.st_mode):  # (inode, mtime): an inode number is reused once freed
                        files[(st.st_ino, st.st_mtime_ns)] = (st.st_size, _kind(path.name))
                        segments += path.suffix == ".seg"
            except (OSError, ValueError):
                continue  # removed meanwhile
            found[folder.name] = {"number": int(folder.name.split("-")[1]), "seq": meta.get("journal_seq", 0),
                                  "files": files, "segments": segments}
        return found

    def look(self, own: str | None = None) -> dict[str, dict]:
        """Scans; files new since the last look that are not in `own` are other generations' writes."""
        gens = self.scan()
        own_files = gens[own]["files"] if own in gens else {}
        seen = set()
        for name, g in sorted(gens.items(), key=lambda kv: kv[1]["number"]):
            for key, (size, kind) in g["files"].items():
                if key in self.known or key in seen:
                    continue
                seen.add(key)
                if name != own and key not in own_files:
                    other = self.others.setdefault(name, {"bytes": 0, "files": 0, "by_kind": {},
                                                          "segments": g["segments"]})
                    other["bytes"] += size
                    other["files"] += 1
                    other["by_kind"][kind] = other["by_kind"].get(kind, 0) + size
        self.known |= seen
        return gens

    def other_bytes(self) -> int:
        return sum(o["bytes"] for o in self.others.values())

    def top(self) -> int:
        return max((g["number"] for g in self.scan().values()), default=0)

    def update(self, after_number: int, task_id: int) -> dict:
        """The generation a task made (the first published after `after_number` that applied
        it) and the files it added; `interleaved` if another generation (a merge) came between."""
        gens = self.scan()
        mine = sorted((g["number"], name) for name, g in gens.items()
                      if g["number"] > after_number and g["seq"] >= task_id)
        if not mine:
            self.look()
            return {"generation": None}
        name = mine[0][1]
        g = gens[name]
        new = {key: v for key, v in g["files"].items() if key not in self.known}
        by_kind: dict[str, int] = {}
        for size, kind in new.values():
            by_kind[kind] = by_kind.get(kind, 0) + size
        self.look(own=name)
        return {"generation": name, "interleaved": g["number"] != after_number + 1,
                "new_bytes": sum(size for size, _ in new.values()), "new_files": len(new), "files": len(g["files"]),
                "bytes": sum(size for size, _ in g["files"].values()), "segments": g["segments"],
                "manifest_bytes": by_kind.get("manifest.json"), "by_kind": by_kind}


def generation_number(index_dir: Path) -> int:
    return int((index_dir / "CURRENT").read_text().strip().split("-")[1])


def _sizes(folder: Path, names=None) -> dict[str, int]:
    if not folder.is_dir():
        return {}
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file() and (names is None or p.name in names)}


def _growth(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(max(0, size - before.get(name, 0)) for name, size in after.items())


SQLITE_FILES = ("live.sqlite", "live.sqlite-wal")


def sqlite_state(index_dir: Path) -> dict:
    """The ledger's file sizes and its WAL's frame count (mxFrame, in the wal-index header that
    SQLite keeps in live.sqlite-shm: a u16 page size at byte 14, a u32 frame count at byte 16)."""
    state = {"sizes": _sizes(index_dir, SQLITE_FILES), "frames": None, "page": None}
    try:
        with open(index_dir / "live.sqlite-shm", "rb") as f:
            head = f.read(24)
        page, frames = struct.unpack_from("=HI", head, 14)
        state.update(page=65536 if page == 1 else page, frames=frames)
    except (OSError, struct.error):
        pass
    return state


def sqlite_written(before: dict, after: dict) -> int:
    """Bytes of WAL frames (a page and a 24-byte header each) written between two states. If the
    WAL restarted in between (after a checkpoint), the frames written before the restart are
    counted up to the WAL file's length. Without a wal-index: the growth of the files' sizes."""
    if after["frames"] is None or not after["page"]:
        return _growth(before["sizes"], after["sizes"])
    frame = after["page"] + 24
    old = before["frames"] or 0
    if after["frames"] >= old:
        return (after["frames"] - old) * frame
    wal_frames = max(0, (after["sizes"].get("live.sqlite-wal", 0) - 32) // frame)
    return (max(0, wal_frames - old) + after["frames"]) * frame


# ---------------------------------------------------------------- articles

class Words:
    """Made-up words, one per pushed article (and one per batch): 10 letters without a vowel,
    found in no French text and far from one another (no did-you-mean from one to the next)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seen: set[str] = set()

    def __call__(self) -> str:
        while True:
            w = "zq" + "".join(self.rng.choice(WORD_LETTERS) for _ in range(8))
            if w not in self.seen:
                self.seen.add(w)
                return w


def _marked(article: dict, word: str, shared: str | None = None) -> dict:
    a = {k: article[k] for k in ("title", "body", "url", "date", "author", "tags", "categories", "sources")}
    a["title"] = f"{article['title']} {word}"
    a["body"] = article["body"] + f"\n\nMot témoin : {word}" + (f", lot {shared}" if shared else "") + "."
    return a


_ID = re.compile(r'\{"id": "([^"]*)"')  # bench.corpus writes the id first


def _line_id(line: str) -> str:
    m = _ID.match(line)
    return m.group(1) if m else json.loads(line)["id"]


def _read_ids(corpus: Path, ids: set[str]) -> dict[str, dict]:
    found = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if _line_id(line) in ids:
                rec = json.loads(line)
                found[rec["id"]] = rec
    return found


class Plan:
    """What is pushed, drawn once per size: new articles (from another seed's corpus, ids
    `live-<k>`) and replacements (corpus articles with their made-up word), alternately."""

    def __init__(self, n: int, corpus: Path, opts: Options, stream_puts: int):
        def halves(k: int) -> tuple[int, int]:  # (new, replacements) of k writes alternating, new first
            return k - k // 2, k // 2
        counts = [halves(opts.singles), *[halves(opts.batch_size)] * opts.batches, halves(stream_puts), (1, 0)]
        new_needed = sum(c[0] for c in counts)
        replaced_needed = sum(c[1] for c in counts)
        self.new_corpus = corpus_mod.ensure_corpus(max(2000, -(-new_needed // 1000) * 1000), seed=NEW_SEED, log=log)
        rng = random.Random(n)
        ids = [str(i) for i in range(1, n + 1)]
        rng.shuffle(ids)
        self.replace_ids = [ids[i % len(ids)] for i in range(replaced_needed)]
        self.originals = _read_ids(corpus, set(self.replace_ids))
        self.new_articles = []
        with open(self.new_corpus, encoding="utf-8") as f:
            for line in f:
                if len(self.new_articles) >= new_needed:
                    break
                self.new_articles.append(json.loads(line))
        self.words = Words(n)
        self._new = self._replaced = 0

    def next(self, new: bool, shared: str | None = None) -> tuple[str, dict, str]:
        """(id, article, its word), a new article or a replacement."""
        word = self.words()
        if new:
            source = self.new_articles[self._new]
            self._new += 1
            article_id = f"live-{self._new}"
        else:
            article_id = self.replace_ids[self._replaced]
            self._replaced += 1
            source = self.originals[article_id]
        return article_id, _marked(source, word, shared), word


# ---------------------------------------------------------------- the stream (another process)

def stream_main(argv) -> int:
    """`python -m bench.live _stream PORT ARTICLES RESULT INTERVAL`: PUTs the articles of ARTICLES
    (JSONL, with ids) one every INTERVAL seconds until SIGTERM or the end of the list; writes
    the acknowledged ones' indexes and times to RESULT."""
    port, articles_path, result, interval = int(argv[0]), Path(argv[1]), Path(argv[2]), float(argv[3])
    admin = Admin(port, os.environ["BENCH_LIVE_TOKEN"])
    articles = [json.loads(l) for l in articles_path.read_text(encoding="utf-8").splitlines() if l.strip()]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    acked, ack_ms, errors, last_task = [], [], 0, None
    started = time.perf_counter()
    for i, article in enumerate(articles):
        if stop:
            break
        status, task, ms = admin.put(article["id"], article)
        if status == 202:
            acked.append(i)
            ack_ms.append(ms)
            last_task = task.get("id")
        else:
            errors += 1
        time.sleep(max(0.0, started + (i + 1) * interval - time.perf_counter()))
    out = {"acked": acked, "ack_ms": ack_ms, "errors": errors, "last_task": last_task,
           "seconds": time.perf_counter() - started, "exhausted": not stop}
    result.write_text(json.dumps(out), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- one size

def _one(port: int, path: str) -> tuple[float, float | None] | None:
    """One search, on a new connection (as bench.http_load's latency run): (HTTP ms, the answer's
    own `took_ms`), or None if it failed."""
    t = time.perf_counter()
    try:
        status, raw = http_load.get("127.0.0.1", port, path)
    except OSError:
        return None
    ms = (time.perf_counter() - t) * 1000
    if status != 200:
        return None
    return ms, json.loads(raw).get("took_ms")


class Timings:
    """The requests of one server in one phase: HTTP time and the engine's own `took_ms` (the
    search alone: not the opening of a new generation, Flask, JSON, waiting for a core)."""

    def __init__(self):
        self.lat: list[float] = []
        self.took: list[float] = []
        self.errors = 0
        self.load = os.getloadavg()

    def add(self, got) -> None:
        if got is None:
            self.errors += 1
        else:
            self.lat.append(got[0])
            if got[1] is not None:
                self.took.append(got[1])

    def result(self) -> dict:
        lat, took = self.lat, self.took
        outside = [a - b for a, b in zip(lat, took)]
        return {"requests": len(lat), "errors": self.errors,
                "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99), "max_ms": max(lat, default=None),
                "took_p50_ms": pct(took, 50), "took_p99_ms": pct(took, 99),
                "outside_p50_ms": pct(outside, 50), "outside_p99_ms": pct(outside, 99),
                "load_before": self.load, "load_after": os.getloadavg(),
                "latencies_ms": [round(x, 2) for x in lat], "took_ms": [round(x, 2) for x in took]}


def paired(live_port: int, peer_port: int, paths: list[str], until=None) -> tuple[dict, dict, int]:
    """Each path to the live server and to the peer (a fresh build), one request at a time, the
    two in turn (which goes first alternates), so that both see the same moments of a shared,
    noisy machine. Stops early once `until()` is true. Returns (live, peer, paths sent)."""
    live, peer = Timings(), Timings()
    started = time.perf_counter()
    sent = 0
    for i, path in enumerate(paths):
        if until is not None and until():
            break
        for port, timings in ((live_port, live), (peer_port, peer))[:: 1 if i % 2 == 0 else -1]:
            timings.add(_one(port, path))
        sent += 1
    seconds = time.perf_counter() - started
    a, b = live.result(), peer.result()
    a["seconds"] = b["seconds"] = seconds
    return a, b, sent


def _warm(port: int, warmup: list[dict]) -> None:
    """As bench.http_load.measure: both workers open the generation and read the warm-up terms."""
    for _ in range(6):
        request(port, "GET", "/api/v1/search?q=warmup+bench")
    for _ in range(2):
        for q in warmup:
            request(port, "GET", http_load.path_for(q))


def _summary(values: list[float]) -> dict:
    vals = [v for v in values if v is not None]
    return {"n": len(vals), "p50": pct(vals, 50), "p95": pct(vals, 95), "p99": pct(vals, 99),
            "max": max(vals, default=None), "min": min(vals, default=None)}


def _snapshot(arbiter: int) -> dict:
    workers, applier = server_processes(arbiter)
    return {"workers": [memory(p) for p in workers], "applier": memory(applier) if applier else None}


def _server(engine, port: int, index: Path, log_path: Path, token: str) -> http_load.Server:
    argv = [sys.executable, "-c", "from indexer.cli import run; run()", "serve",
            "--index-dir", str(index), "--port", str(port), "--workers", "2"]
    env = engine.env()
    env[TOKEN_ENV] = token
    return http_load.Server(argv, port, engine.root, env, log_path)


def merge_processes(arbiter: int) -> list[int]:
    """`archive-search merge` processes (the applier starts them) below the server."""
    _, applier = server_processes(arbiter)
    return [pid for pid in (_children(applier) if applier else []) if "indexer.cli merge" in _cmdline(pid)]


class MergeWatch:
    """Peak memory of the merge processes seen (sampled when the bench looks)."""

    def __init__(self, arbiter: int):
        self.arbiter = arbiter
        self.pids: set[int] = set()
        self.peak: dict | None = None

    def sample(self) -> None:
        for pid in merge_processes(self.arbiter):
            self.pids.add(pid)
            m = memory(pid)
            if "error" not in m and (self.peak is None or m.get("VmHWM", 0) > self.peak.get("VmHWM", 0)):
                self.peak = m

    def result(self) -> dict:
        return {"processes_seen": len(self.pids), "peak": self.peak}


def settle(index: Path, arbiter: int, watch: MergeWatch, quiet: float = 3.0, timeout: float = 600) -> dict:
    """Waits until no merge runs and no generation has been published for `quiet` seconds."""
    started = time.monotonic()
    first = last = generation_number(index)
    since = started
    while time.monotonic() - started < timeout:
        time.sleep(0.2)
        watch.sample()
        number = generation_number(index)
        if number != last or merge_processes(arbiter):
            last, since = number, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return {"seconds": max(0.0, since - started), "generations": last - first}


def _wait_applier(arbiter: int, timeout: float = 30) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, applier = server_processes(arbiter)
        if applier:
            return applier
        time.sleep(0.2)
    return None


class Peer:
    """The peer server: a fresh build of the articles the live index ends with, started anew
    (empty answer cache, cold caches) before each phase it is compared in."""

    def __init__(self, engine, index: Path, log_path: Path, token: str, warmup: list[dict]):
        self.engine, self.index, self.log_path, self.token, self.warmup = engine, index, log_path, token, warmup
        self.server = None
        self.port = None
        self.starts = 0

    def restart(self) -> "Peer":
        self.stop()
        self.port = http_load.free_port()
        self.starts += 1
        log_path = self.log_path.with_name(f"{self.log_path.stem}-{self.starts}.log")
        self.server = _server(self.engine, self.port, self.index, log_path, self.token).__enter__()
        _warm(self.port, self.warmup)
        return self

    def snapshot(self) -> dict:
        return _snapshot(self.server.proc.pid)

    def stop(self) -> None:
        if self.server is not None:
            self.server.__exit__(None, None, None)
            self.server = None


def _write_jsonl(path: Path, corpus: Path, final: dict[str, dict]) -> int:
    """The corpus with `final`'s articles in place of theirs, then the new ones: what the live
    index holds once every planned write is applied."""
    left = dict(final)
    count = 0
    with open(corpus, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for line in src:
            article_id = _line_id(line)
            if article_id in left:
                line = json.dumps({"id": article_id, **left.pop(article_id)}, ensure_ascii=False) + "\n"
            out.write(line)
            count += 1
        for article_id, article in left.items():  # the new ones, in the order they are pushed
            out.write(json.dumps({"id": article_id, **article}, ensure_ascii=False) + "\n")
            count += 1
    return count


def run_size(n: int, engine, opts: Options, index_from: Path | None = None, mix: list[dict] | None = None,
             warmup: list[dict] | None = None, pool: list[dict] | None = None) -> dict:
    """The live measurements at n articles; `index_from`, a fresh build of the corpus to copy
    (bench.run passes its own), else one is built here. `mix`, `warmup`, `pool`: bench.run's."""
    label = size_label(n)
    corpus = corpus_mod.ensure_corpus(n, log=log)
    work = OUT / f"live-{label}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    res: dict = {"articles": n, "options": asdict(opts)}

    sample = corpus_mod.ensure_corpus(1000, log=log) if n >= 1000 else corpus
    if mix is None:
        mix = queries_mod.build_mix(sample, per_kind=opts.per_kind)
        keys = {(q["q"], json.dumps(q["filters"], sort_keys=True)) for q in mix}
        full = [q for q in queries_mod.http_pool(sample)
                if (q["q"], json.dumps(q["filters"], sort_keys=True)) not in keys]
        warmup, pool = full[:12], full[12:]
    queries = mix + pool[:opts.extra_queries]
    paths = [http_load.path_for(q) for q in queries]
    res["queries"] = {"mix": len(mix), "pool": min(opts.extra_queries, len(pool)), "total": len(paths)}

    # Every write is drawn now, so that the peer can be built before the live server starts.
    plan = Plan(n, corpus, opts, opts.stream_puts)
    singles = [plan.next(i % 2 == 0) for i in range(opts.singles)]
    batches = []
    for _ in range(opts.batches):
        shared = plan.words()
        batches.append((shared, [plan.next(i % 2 == 0, shared) for i in range(opts.batch_size)]))
    stream = [plan.next(i % 2 == 0) for i in range(opts.stream_puts)]
    seal = plan.next(True)
    final: dict[str, dict] = {}
    for article_id, article, _ in [*singles, *(x for _, items in batches for x in items), *stream, seal]:
        final.pop(article_id, None)
        final[article_id] = article
    final_path = work / "final.jsonl"
    res["final_articles"] = _write_jsonl(final_path, corpus, final)
    stream_file = work / "stream.jsonl"
    stream_file.write_text("".join(json.dumps({"id": i, **a}, ensure_ascii=False) + "\n" for i, a, _ in stream),
                           encoding="utf-8")

    index = work / "index"
    if index_from is not None:
        log(f"{label} live: copying the built index {index_from}")
        subprocess.run(["cp", "-a", str(index_from), str(index)], check=True)
        res["index_from"] = str(index_from)
    else:
        log(f"{label} live: building the index")
        res["build"] = step(engine, sys.executable, "build-project", work / "r-build.json", opts.step_timeout,
                            corpus=corpus, index=index)
        log(f"{label} live: build {res['build']['seconds']:.1f} s")
    # Only the live generation: the previous one (an incremental rebuild's fallback) would hold links.
    live_name = (index / "CURRENT").read_text().strip()
    for p in index.iterdir():
        if p.name.startswith("gen-") and p.name != live_name:
            shutil.rmtree(p)
    rebuilt = work / "rebuilt"
    log(f"{label} live: (c) the peer: a fresh build of the {res['final_articles']:,} articles the live index will hold")
    res["rebuild"] = step(engine, sys.executable, "build-project", work / "r-rebuild.json", opts.step_timeout,
                          corpus=final_path, index=rebuilt)
    res["rebuilt"] = generation_files(rebuilt)

    token = secrets.token_hex(16)
    port = http_load.free_port()
    peer = Peer(engine, rebuilt, work / "serve-peer.log", token, warmup)
    try:
        with _server(engine, port, index, work / "serve.log", token) as server:
            arbiter = server.proc.pid
            admin = Admin(port, token)
            applier = _wait_applier(arbiter)
            watch = MergeWatch(arbiter)
            res["start"] = generation_files(index)
            _warm(port, warmup)
            peer.restart()
            log(f"{label} live: (a) {len(paths)} queries, one at a time, each to the fresh build and to the peer")
            res["search_fresh"], res["peer_fresh"], _ = paired(port, peer.port, paths)
            res["memory_fresh"] = _snapshot(arbiter)
            res["memory_peer_fresh"] = peer.snapshot()
            peer.stop()  # idle meanwhile: its applier polls, nothing else
            _singles(res, label, opts, index, admin, port, applier, arbiter, watch, singles)
            res["memory_singles"] = _snapshot(arbiter)
            _batches(res, label, opts, index, admin, port, applier, watch, batches)
            res["memory_batches"] = _snapshot(arbiter)

            # --- (b) the query list while the stream of PUTs flows, beside the peer
            res["settle_before_stream"] = settle(index, arbiter, watch)
            peer.restart()
            log(f"{label} live: (b) queries while a PUT goes every {opts.interval:.2f} s ({len(stream)} PUTs)")
            result_file = work / "stream-result.json"
            env = engine.env()
            env["BENCH_LIVE_TOKEN"] = token
            gen_before = generation_number(index)
            io_before = proc_io(applier)
            streamer = subprocess.Popen([sys.executable, "-m", "bench.live", "_stream", str(port), str(stream_file),
                                         str(result_file), str(opts.interval)], cwd=engine.root, env=env)
            time.sleep(1.0)  # the stream is flowing before the first query
            gen_start = generation_number(index)
            search_stream, peer_stream, sent = paired(port, peer.port, paths, until=lambda: streamer.poll() is not None)
            gen_end = generation_number(index)
            outlasted = streamer.poll() is None
            streamer.wait(opts.stream_puts * opts.interval + 600)
            sres = json.loads(result_file.read_text(encoding="utf-8"))
            # A last write, searched for: every write of the stream is applied once it is found, and
            # the generation (b2) runs on is one no query of (b) was answered from.
            article_id, article, word = seal
            status, task, _ = admin.put(article_id, article)
            acked = time.perf_counter()
            drain_ms, _ = wait_searchable(port, word, acked, 1, article_id, opts.poll, opts.timeout)
            admin.wait_task(task["id"], opts.timeout)
            io_after = proc_io(applier)
            search_stream.update(puts=len(sres["acked"]), put_errors=sres["errors"], stream_seconds=sres["seconds"],
                                 put_ack_ms=_summary(sres["ack_ms"]), generations=gen_end - gen_start,
                                 generations_stream=generation_number(index) - gen_before - 1,
                                 drain_ms=drain_ms, queries_sent=sent, stream_outlasted_queries=outlasted,
                                 applier_write_bytes=io_after.get("write_bytes", 0) - io_before.get("write_bytes", 0))
            res["search_stream"], res["peer_stream"] = search_stream, peer_stream
            log(f"{label} live: (b) p50 {fmt(search_stream['p50_ms'])} ms p99 {fmt(search_stream['p99_ms'])} ms "
                f"(peer {fmt(peer_stream['p50_ms'])} / {fmt(peer_stream['p99_ms'])}), {search_stream['puts']} PUTs, "
                f"{search_stream['generations']} generations during {sent} queries")

            # --- (b2) the same queries on the generation the stream ended with, once merges are done
            res["settle"] = settle(index, arbiter, watch)
            res["after_stream"] = generation_files(index)
            _warm(port, warmup)
            peer.restart()
            log(f"{label} live: (b2) queries on the last generation ({res['after_stream']['segments']} segments)")
            res["search_after"], res["peer_after"], _ = paired(port, peer.port, paths[:sent])
            res["memory_after"] = _snapshot(arbiter)
            res["memory_peer_after"] = peer.snapshot()
            res["end"] = generation_files(index)
            res["merges"] = watch.result()
            res["journal_bytes_left"] = sum(_sizes(index / "journal").values())
            res["sqlite_bytes"] = sum(_sizes(index, SQLITE_FILES).values())
    finally:
        peer.stop()
    res["server_errors"] = server_errors(work / "serve.log")
    r = res
    log(f"{label} live: p50 live/peer (a) {ratio(r['search_fresh']['p50_ms'], r['peer_fresh']['p50_ms'])} "
        f"(b) {ratio(r['search_stream']['p50_ms'], r['peer_stream']['p50_ms'])} "
        f"(b2) {ratio(r['search_after']['p50_ms'], r['peer_after']['p50_ms'])}; (b) / quiet peer "
        f"{ratio(r['search_stream']['p50_ms'], r['peer_after']['p50_ms'])}")
    # The indexes are large (100k: ~2 GB each): not kept.
    shutil.rmtree(index, ignore_errors=True)
    shutil.rmtree(rebuilt, ignore_errors=True)
    final_path.unlink(missing_ok=True)
    stream_file.unlink(missing_ok=True)
    return res


def _singles(res, label, opts, index, admin, port, applier, arbiter, watch, singles) -> None:
    """Single updates, one at a time: freshness, and the bytes each one adds."""
    log(f"{label} live: {len(singles)} single updates")
    rows = []
    gens = Generations(index)
    first_number = gens.top()
    io_before = proc_io(applier)
    for i, (article_id, article, word) in enumerate(singles):
        new = i % 2 == 0
        gens.look()
        top = gens.top()
        journal_before = _sizes(index / "journal")
        sqlite_before = sqlite_state(index)
        status, task, ack_ms = admin.put(article_id, article)
        acked = time.perf_counter()
        journal_bytes = _growth(journal_before, _sizes(index / "journal"))
        if status != 202:
            rows.append({"new": new, "status": status})
            continue
        fresh_ms, polls = wait_searchable(port, word, acked, 1, article_id, opts.poll, opts.timeout)
        state = admin.wait_task(task["id"], opts.timeout)
        done_ms = (time.perf_counter() - acked) * 1000
        gen = gens.update(top, task["id"])
        watch.sample()
        rows.append({"new": new, "status": status, "ack_ms": ack_ms, "fresh_ms": fresh_ms, "polls": polls,
                     "task": state, "task_ms": done_ms, "journal_bytes": journal_bytes,
                     "sqlite_bytes": sqlite_written(sqlite_before, sqlite_state(index)), **gen})
    io_after = proc_io(applier)
    gens.look()
    res["singles"] = _singles_summary(rows, io_before, io_after, server_processes(arbiter)[1] == applier)
    res["singles"].update(merge_bytes=gens.other_bytes(), merges=_merges_summary(gens.others),
                          generations=gens.top() - first_number)
    res["singles_rows"] = rows
    res["memory_applier_singles"] = memory(applier) if applier else None
    s = res["singles"]
    log(f"{label} live: singles searchable after p50 {fmt(s['fresh_ms']['p50'])} ms, p95 "
        f"{fmt(s['fresh_ms']['p95'])} ms; new bytes/update p50 {fmt((s['new_bytes']['p50'] or 0) / 1e3)} kB")


def _batches(res, label, opts, index, admin, port, applier, watch, batches) -> None:
    """Batches (POST, NDJSON), one at a time: until a word they all hold finds them all."""
    log(f"{label} live: {len(batches)} batches of {opts.batch_size}")
    rows = []
    gens = Generations(index)
    first_number = gens.top()
    io_before = proc_io(applier)
    for shared, items in batches:
        gens.look()
        top = gens.top()
        batch = [{"id": article_id, **article} for article_id, article, _ in items]
        sqlite_before = sqlite_state(index)
        status, task, ack_ms = admin.batch(batch)
        acked = time.perf_counter()
        if status != 202:
            rows.append({"status": status})
            continue
        fresh_ms, polls = wait_searchable(port, shared, acked, len(batch), None, opts.poll, opts.timeout)
        state = admin.wait_task(task["id"], opts.timeout)
        gen = gens.update(top, task["id"])
        watch.sample()
        rows.append({"status": status, "ack_ms": ack_ms, "fresh_ms": fresh_ms, "polls": polls, "task": state,
                     "sqlite_bytes": sqlite_written(sqlite_before, sqlite_state(index)), **gen})
    io_after = proc_io(applier)
    gens.look()
    res["batches"] = _batches_summary(rows, io_before, io_after)
    res["batches"].update(merge_bytes=gens.other_bytes(), merges=_merges_summary(gens.others),
                          generations=gens.top() - first_number)
    res["batches_rows"] = rows
    s = res["batches"]
    log(f"{label} live: batches searchable after p50 {fmt(s['fresh_ms']['p50'])} ms, p95 {fmt(s['fresh_ms']['p95'])} ms")


def _singles_summary(rows: list[dict], io_before: dict, io_after: dict, same_applier: bool) -> dict:
    ok = [r for r in rows if r.get("status") == 202]
    # Bytes: updates whose generation was found and came right after the previous one (no merge between).
    alone = [r for r in ok if r.get("generation") and not r["interleaved"]]
    k = max(1, min(20, len(ok) // 4))
    out = {
        "n": len(rows), "acked": len(ok), "new": sum(1 for r in ok if r["new"]),
        "replaced": sum(1 for r in ok if not r["new"]),
        "not_found": sum(1 for r in ok if r["fresh_ms"] is None),
        "failed": sum(1 for r in ok if r["task"] != "succeeded"),
        "measured_alone": len(alone),
        "ack_ms": _summary([r["ack_ms"] for r in ok]),
        "fresh_ms": _summary([r["fresh_ms"] for r in ok]),
        "fresh_new_ms": _summary([r["fresh_ms"] for r in ok if r["new"]]),
        "fresh_replaced_ms": _summary([r["fresh_ms"] for r in ok if not r["new"]]),
        "fresh_first_ms": _summary([r["fresh_ms"] for r in ok[:k]]),
        "fresh_last_ms": _summary([r["fresh_ms"] for r in ok[-k:]]),
        "first_last_k": k,
        "task_ms": _summary([r["task_ms"] for r in ok]),
        "new_bytes": _summary([r["new_bytes"] for r in alone]),
        "new_files": _summary([r["new_files"] for r in alone]),
        "manifest_bytes": _summary([r["manifest_bytes"] for r in alone]),
        "journal_bytes": _summary([r["journal_bytes"] for r in ok]),
        "sqlite_bytes": _summary([r["sqlite_bytes"] for r in ok]),
        "index_bytes": _summary([r["bytes"] for r in alone]),
        "files": _summary([r["files"] for r in alone]),
        "segments": _summary([r["segments"] for r in alone]),
        "files_first": alone[0]["files"] if alone else None, "files_last": alone[-1]["files"] if alone else None,
        "segments_first": alone[0]["segments"] if alone else None,
        "segments_last": alone[-1]["segments"] if alone else None,
        "same_applier": same_applier,
        "new_by_kind": _by_kind(alone),
    }
    for key in ("write_bytes", "wchar", "cancelled_write_bytes", "syscw"):
        if key in io_before and key in io_after and ok:
            out[f"applier_{key}_per_update"] = (io_after[key] - io_before[key]) / len(ok)
    return out


def _by_kind(rows: list[dict]) -> dict[str, float]:
    """p50 over `rows` of the bytes of each kind of new file (0 when a row has none), largest first."""
    kinds = {k for r in rows for k in r.get("by_kind", {})}
    p50 = {k: pct([r.get("by_kind", {}).get(k, 0) for r in rows], 50) for k in kinds}
    return dict(sorted(p50.items(), key=lambda kv: -kv[1]))


def _merges_summary(others: dict[str, dict]) -> dict:
    sizes = [o["bytes"] for o in others.values()]
    kinds: dict[str, int] = {}
    for o in others.values():
        for k, v in o["by_kind"].items():
            kinds[k] = kinds.get(k, 0) + v
    return {"generations": len(others), "bytes": sum(sizes), "p50": pct(sizes, 50), "max": max(sizes, default=None),
            "by_kind": dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:8])}


def server_errors(log_path: Path) -> list[str]:
    """Lines of the server's log (workers, applier, merges) that report an error."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [l for l in text.splitlines() if "error" in l.lower() and '"GET ' not in l and '"PUT ' not in l
            and '"POST ' not in l or l.startswith("Traceback")]


def _batches_summary(rows: list[dict], io_before: dict, io_after: dict) -> dict:
    ok = [r for r in rows if r.get("status") == 202]
    alone = [r for r in ok if r.get("generation") and not r["interleaved"]]
    out = {"n": len(rows), "acked": len(ok), "not_found": sum(1 for r in ok if r["fresh_ms"] is None),
           "failed": sum(1 for r in ok if r["task"] != "succeeded"), "measured_alone": len(alone),
           "ack_ms": _summary([r["ack_ms"] for r in ok]), "fresh_ms": _summary([r["fresh_ms"] for r in ok]),
           "new_bytes": _summary([r["new_bytes"] for r in alone]),
           "index_bytes": _summary([r["bytes"] for r in alone]),
           "sqlite_bytes": _summary([r["sqlite_bytes"] for r in ok]),
           "segments": _summary([r["segments"] for r in alone]),
           "segments_last": alone[-1]["segments"] if alone else None}
    if "write_bytes" in io_before and "write_bytes" in io_after and ok:
        out["applier_write_bytes_per_batch"] = (io_after["write_bytes"] - io_before["write_bytes"]) / len(ok)
    return out


# ---------------------------------------------------------------- report

def _mb(x) -> str:
    return "–" if x is None else f"{fmt(x / 1e6)} MB"


def _kb(x) -> str:
    return "–" if x is None else f"{fmt(x / 1e3)} kB"


def report_section(sizes: dict[str, dict], heading: str = "##") -> list[str]:
    """The Markdown of the live measurements, one subsection per size."""
    lines = []
    for label, r in sizes.items():
        o = r["options"]
        s, b = r["singles"], r["batches"]
        st = r["search_stream"]
        k = s["first_last_k"]
        lines += [f"{heading} Live updates, {label} articles", "",
                  f"`archive-search serve --workers 2` and its applier on a fresh build of {r['articles']:,} articles "
                  f"({_mb(r['start']['bytes'])}, {r['start']['segments']} segments, {r['start']['files']} files); "
                  "the client, the 2 workers, the applier and its merges share the machine's cores. "
                  "*Searchable*: from the 202 to the first answer of `GET /api/v1/search?q=<word>` (polled every "
                  f"{o['poll'] * 1000:.0f} ms) that finds the update by a made-up word only it holds (a batch: a word "
                  "all its articles hold, until it finds them all).", "",
                  f"{heading}# Freshness, ms", "",
                  f"| updates | n | 202 p50 | 202 p95 | searchable p50 | p95 | max | first {k} p50 | last {k} p50 |",
                  "|---|---|---|---|---|---|---|---|---|",
                  f"| single PUT, one at a time ({s['new']} new, {s['replaced']} replacements) | {s['acked']} | "
                  f"{fmt(s['ack_ms']['p50'])} | {fmt(s['ack_ms']['p95'])} | **{fmt(s['fresh_ms']['p50'])}** | "
                  f"**{fmt(s['fresh_ms']['p95'])}** | {fmt(s['fresh_ms']['max'])} | {fmt(s['fresh_first_ms']['p50'])} | "
                  f"{fmt(s['fresh_last_ms']['p50'])} |",
                  f"| … new articles only | {s['fresh_new_ms']['n']} | | | {fmt(s['fresh_new_ms']['p50'])} | "
                  f"{fmt(s['fresh_new_ms']['p95'])} | {fmt(s['fresh_new_ms']['max'])} | | |",
                  f"| … replacements only | {s['fresh_replaced_ms']['n']} | | | {fmt(s['fresh_replaced_ms']['p50'])} | "
                  f"{fmt(s['fresh_replaced_ms']['p95'])} | {fmt(s['fresh_replaced_ms']['max'])} | | |",
                  f"| batch of {o['batch_size']} (POST, NDJSON; half new, half replacements) | {b['acked']} | "
                  f"{fmt(b['ack_ms']['p50'])} | {fmt(b['ack_ms']['p95'])} | **{fmt(b['fresh_ms']['p50'])}** | "
                  f"**{fmt(b['fresh_ms']['p95'])}** | {fmt(b['fresh_ms']['max'])} | | |", ""]
        notes = []
        if s["not_found"] or b["not_found"]:
            notes.append(f"not searchable within {o['timeout']:.0f} s: {s['not_found']} single(s), {b['not_found']} batch(es)")
        if s["failed"] or b["failed"]:
            notes.append(f"tasks not succeeded: {s['failed']} single(s), {b['failed']} batch(es)")
        if notes:
            lines += ["**" + "; ".join(notes) + ".**", ""]
        whole = s["index_bytes"]["p50"]
        lines += [f"{heading}# Bytes written per single update", "",
                  f"An update's own generation: its files that no earlier generation holds (by inode; hard-linked "
                  f"files are shared), over the {s['measured_alone']} of {s['acked']} updates whose generation directly "
                  "followed the previous one (no merge published between).", "",
                  "| what | p50 | p95 | max |", "|---|---|---|---|",
                  f"| new index files of the update's generation | **{_kb(s['new_bytes']['p50'])}** | "
                  f"{_kb(s['new_bytes']['p95'])} | {_kb(s['new_bytes']['max'])} |",
                  f"| … of which manifest.json (every file's size and CRC) | {_kb(s['manifest_bytes']['p50'])} | "
                  f"{_kb(s['manifest_bytes']['p95'])} | {_kb(s['manifest_bytes']['max'])} |",
                  f"| journal record | {_kb(s['journal_bytes']['p50'])} | {_kb(s['journal_bytes']['p95'])} | "
                  f"{_kb(s['journal_bytes']['max'])} |",
                  f"| SQLite ledger: WAL frames (task row, its states, the pushed article) | {_kb(s['sqlite_bytes']['p50'])} | "
                  f"{_kb(s['sqlite_bytes']['p95'])} | {_kb(s['sqlite_bytes']['max'])} |",
                  f"| merges meanwhile ({s['merges']['generations']} merge generations, each p50 "
                  f"{_kb(s['merges']['p50'])}, max {_kb(s['merges']['max'])}): their new files, over the "
                  f"{s['acked']} updates | {_kb(s['merge_bytes'] / max(1, s['acked']))} (mean) | | |",
                  f"| applier's `write_bytes` (/proc/<pid>/io; merges are other processes), mean | "
                  f"{_kb(s.get('applier_write_bytes_per_update'))} | | |",
                  f"| applier's `wchar` (bytes passed to write calls), mean | {_kb(s.get('applier_wchar_per_update'))} | | |",
                  f"| the whole index (a generation's files: what copying it would write) | {_mb(whole)} | | |",
                  f"| **new index files / whole index** | **{_pct(s['new_bytes']['p50'], whole)}** | | |", "",
                  "An update's new files, largest kinds (p50 each): " + ", ".join(
                      f"`{k}` {_kb(v)}" for k, v in list(s["new_by_kind"].items())[:6]) + ". "
                  f"Per update: p50 {fmt(s['new_files']['p50'])} new files; a generation holds p50 "
                  f"{fmt(s['files']['p50'])} files (max {fmt(s['files']['max'])}), each hard-linked anew by every "
                  f"update, and p50 {fmt(s['segments']['p50'])} segments (max {fmt(s['segments']['max'])}); the "
                  f"{s['acked']} updates published {s['generations']} generations "
                  f"({s['generations'] - s['acked']} by merges). "
                  f"A batch of {o['batch_size']} adds p50 {_kb(b['new_bytes']['p50'])} of new index files and "
                  f"{_kb(b['sqlite_bytes']['p50'])} of WAL frames"
                  + (f", applier `write_bytes` {_kb(b.get('applier_write_bytes_per_batch'))} a batch" if
                     b.get("applier_write_bytes_per_batch") is not None else "")
                  + f"; merges wrote {_mb(b['merge_bytes'])} over the {b['acked']} batches "
                  f"({b['merges']['generations']} merge generations seen, the largest {_mb(b['merges']['max'])}).", ""]
        errors = r.get("server_errors") or []
        if errors:
            lines += [f"**The server's log (workers, applier, merges) reports {len(errors)} error line(s)**, e.g. "
                      f"`{errors[0][:300]}`", ""]
        q = r["queries"]
        sent = st["queries_sent"]
        lines += [f"{heading}# Search while updates flow, over HTTP, one request at a time, ms", "",
                  f"Each phase sends the same requests (of {q['total']}: {q['mix']} of the mix, `bench.queries`, then "
                  f"{q['pool']} distinct requests of its HTTP pool), each once, uncached, to the live server and to its "
                  f"*peer*, a fresh build of the {r['final_articles']:,} articles the live index ends with "
                  f"({r['rebuilt']['segments']} segments), served beside it and started anew before each phase: one "
                  "request at a time, the two servers in turn, so that both see the same moments of the shared machine "
                  "(the applier and merges slow the peer too). *Engine*: the answers' own `took_ms` (the search "
                  "alone); *rest*: HTTP time minus `took_ms` (opening a new generation, Flask, JSON, the client, "
                  "waiting for a core); *load*: the 1-minute load average before the phase.", "",
                  "| phase | server | requests | errors | p50 | p95 | p99 | p50 / peer | p99 / peer | engine p50 | "
                  "engine p99 | rest p99 | load |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
                  _search_row("(a) before any write", f"live: fresh build, {r['articles']:,} articles, "
                              f"{r['start']['segments']} segments", r["search_fresh"], r["peer_fresh"]),
                  _search_row("", "peer", r["peer_fresh"], r["peer_fresh"]),
                  _search_row(f"**(b) while a PUT goes every {o['interval'] * 1000:.0f} ms**",
                              f"live: {st['puts']} PUTs, {st['generations']} generations published during its "
                              f"{sent} queries", st, r["peer_stream"], bold=True),
                  _search_row("", "peer", r["peer_stream"], r["peer_stream"]),
                  _search_row("(b2) after the stream and its merges", f"live: its last generation, "
                              f"{r['after_stream']['segments']} segments, no writes", r["search_after"], r["peer_after"]),
                  _search_row("", "peer", r["peer_after"], r["peer_after"]), "",
                  f"**(b) against a quiet fresh build** (the live server during the stream / the peer in (b2), "
                  f"same requests, no writes running then): p50 "
                  f"**{ratio(st['p50_ms'], r['peer_after']['p50_ms'])}**, p99 "
                  f"**{ratio(st['p99_ms'], r['peer_after']['p99_ms'])}**; this one includes the CPU the applier and "
                  "merges take from the 2 cores, and the drift of a shared machine between two phases.", "",
                  f"The stream: {st['puts']} PUTs acknowledged in {st['stream_seconds']:.0f} s (202 p50 "
                  f"{fmt(st['put_ack_ms']['p50'])} ms, p95 {fmt(st['put_ack_ms']['p95'])} ms), "
                  f"{st['generations_stream']} generations (updates and merges) until its last write was applied"
                  + ("; it outlasted the queries (the rest of it flowed without queries)" if st.get("stream_outlasted_queries")
                     else f"; the queries stopped with it ({sent} of {q['total']} sent)")
                  + f". A write after it was searchable {fmt(st['drain_ms'])} ms after its 202, and merges went "
                  f"on for {fmt(r['settle']['seconds'])} s ({r['settle']['generations']} more generations) before (b2). "
                  f"The peer's build: {fmt(r['rebuild']['articles_per_s'])} articles/s, {fmt(r['rebuild']['seconds'])} s.", ""]
        lines += [f"{heading}# Memory, MB (`/proc/<pid>/smaps_rollup` and `status`)", "",
                  "| process | when | RSS | PSS | Private (Clean + Dirty) | Anonymous | RssAnon | RssFile | peak RSS (VmHWM) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for key, name, when in (("memory_fresh", "live worker", "after (a)"),
                                ("memory_peer_fresh", "peer worker", "after (a)"),
                                ("memory_singles", "live worker", f"after the single updates ({s['generations']} generations)"),
                                ("memory_batches", "live worker", f"after the batches ({s['generations'] + b['generations']} generations)"),
                                ("memory_after", "live worker", f"after the stream ({s['generations'] + b['generations'] + st['generations_stream']}+ generations) and (b2)"),
                                ("memory_peer_after", "peer worker", "after (b2)")):
            for i, m in enumerate((r.get(key) or {}).get("workers", [])):
                lines.append(_mem_row(f"{name} {i + 1}", when, m))
        if r.get("memory_applier_singles"):
            lines.append(_mem_row("applier", "after the single updates", r["memory_applier_singles"]))
        if r["memory_after"].get("applier"):
            lines.append(_mem_row("applier", "at the end (after batches and the stream)", r["memory_after"]["applier"]))
        merges = r.get("merges") or {}
        if merges.get("peak"):
            lines.append(_mem_row("merge (largest seen)", f"sampled, {merges['processes_seen']} merge processes seen",
                                  merges["peak"]))
        lines.append("")
    return lines


def _pct(a, b) -> str:
    if a is None or not b:
        return "–"
    x = 100 * a / b
    return f"{x:.2f} %" if x < 10 else f"{x:.0f} %"


def _search_row(phase: str, name: str, h: dict, ref: dict, bold: bool = False) -> str:
    p50 = ratio(h["p50_ms"], ref["p50_ms"])
    p99 = ratio(h["p99_ms"], ref["p99_ms"])
    if h is ref:
        p50 = p99 = ""
    elif bold:
        p50, p99 = f"**{p50}**", f"**{p99}**"
    return (f"| {phase} | {name} | {h['requests']} | {h['errors']} | {fmt(h['p50_ms'])} | {fmt(h['p95_ms'])} | "
            f"{fmt(h['p99_ms'])} | {p50} | {p99} | {fmt(h.get('took_p50_ms'))} | {fmt(h.get('took_p99_ms'))} | "
            f"{fmt(h.get('outside_p99_ms'))} | {h['load_before'][0]:.2f} |")


def _mem_row(name: str, when: str, m: dict) -> str:
    return (f"| {name} | {when} | {fmt(m.get('Rss'))} | {fmt(m.get('Pss'))} | {fmt(m.get('Private'))} | "
            f"{fmt(m.get('Anonymous'))} | {fmt(m.get('RssAnon'))} | {fmt(m.get('RssFile'))} | {fmt(m.get('VmHWM'))} |")


def report(results: dict) -> str:
    m = results["machine"]
    lines = ["# Live updates", "",
             "Figures of `bench/live.py` (issue 9). Percentiles and ratios; nothing is asserted.", "",
             f"- **Date**: {results['date']}",
             f"- **Command**: `{results['command']}`",
             f"- **Engine**: {results['engine']}; Python {m['python']}",
             f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; load average before the run "
             f"{', '.join(f'{x:.2f}' for x in m['load_before'])}. The cores are shared with other runs: compare "
             "figures of one run.", ""]
    lines += report_section(results["sizes"])
    return "\n".join(lines) + f"\nThe run took {results['seconds'] / 60:.1f} minutes.\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_stream"]:
        return stream_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20 updates, 2 batches, fewer queries")
    d = Options()
    ap.add_argument("--singles", type=int, default=None, help=f"single updates (default {d.singles})")
    ap.add_argument("--batches", type=int, default=None, help=f"batches (default {d.batches})")
    ap.add_argument("--batch-size", type=int, default=None, help=f"articles a batch (default {d.batch_size})")
    ap.add_argument("--interval", type=float, default=None, help=f"seconds between PUTs of the stream (default {d.interval})")
    ap.add_argument("--stream-puts", type=int, default=None, help=f"PUTs of the stream (default {d.stream_puts})")
    ap.add_argument("--extra-queries", type=int, default=None,
                    help=f"HTTP-pool requests added to the mix (default {d.extra_queries})")
    ap.add_argument("--engine-ref", default=None, help="measure the engine of this git ref instead of the work tree")
    ap.add_argument("--out", type=Path, default=OUT / "LIVE.md")
    ap.add_argument("--report-from", type=Path, help="only write the Markdown of a live-results-*.json")
    args = ap.parse_args(argv)
    if args.report_from:
        args.out.write_text(report(json.loads(args.report_from.read_text(encoding="utf-8"))), encoding="utf-8")
        return 0
    opts = Options.quick() if args.quick else Options()
    for name in ("singles", "batches", "batch_size", "interval", "stream_puts", "extra_queries"):
        if getattr(args, name) is not None:
            setattr(opts, name, getattr(args, name))
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        corpus_mod.french_paragraphs()
    except corpus_mod.MissingDocs as e:
        print(e.code, file=sys.stderr)
        return 1
    engine = Engine(args.engine_ref)
    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "command": "python -m bench.live " + " ".join(shlex.quote(a) for a in argv),
               "machine": machine(),
               "engine": f"git {engine.describe}" + (f" (ref {args.engine_ref})" if args.engine_ref else " (work tree)"),
               "sizes": {}}
    started = time.monotonic()
    for n in map(parse_size, args.sizes.split(",")):
        results["sizes"][size_label(n)] = run_size(n, engine, opts)
    results["seconds"] = time.monotonic() - started
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = OUT / f"live-results-{stamp}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    args.out.write_text(report(results), encoding="utf-8")
    log(f"done in {results['seconds']:.0f} s -> {args.out}, {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

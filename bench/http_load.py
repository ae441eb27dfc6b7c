"""HTTP load for the benchmark: a server started and stopped around a measurement, a small
threaded Python client (exact control of which requests are sent: the one-connection latency run,
and the uncached run when wrk is missing), and wrk (Debian's `wrk`, if installed) for the
uncached and cached runs, where a Python client would eat the CPU the server needs.

Uncached with wrk: the distinct paths are split into disjoint slices, one per wrk thread (path i
goes to thread i mod threads), and each thread walks its slice in order, so no path is sent twice
unless a slice runs out; then it wraps around (stopping a thread early would leave wrk's duration
at the full -d and understate requests/s), and the result's `repeats` counts the requests beyond
the pool's size, which may have been answered from the server's answer cache."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH-JSON {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "wrapped_threads": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), wrapped_threads()))
end
"""

# The cached run: every thread loops over all the paths from a random start.
WRK_SCRIPT = r"""
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
request = function()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
wrapped_threads = function() return 0 end
""" + WRK_DONE

# The uncached run: thread n (numbered by setup) keeps the paths whose 0-based index is n mod the
# number of threads (args[2]) and walks them in order, wrapping around if it reaches the end.
WRK_SLICES_SCRIPT = r"""
local threads = {}
setup = function(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end
local paths = {}
local i = 0
init = function(args)
  local nthreads = tonumber(args[2])
  local index = 0
  for line in io.lines(args[1]) do
    if index % nthreads == id then paths[#paths + 1] = line end
    index = index + 1
  end
  wrapped = 0
end
request = function()
  if i == #paths then
    i = 0
    wrapped = 1
  end
  i = i + 1
  return wrk.format("GET", paths[i])
end
wrapped_threads = function()
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("wrapped") or 0) end
  return n
end
""" + WRK_DONE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def path_for(q: dict, endpoint: str = "/api/v1/search") -> str:
    params = [("q", q["q"])] + [(k, v) for k, vs in sorted(q["filters"].items()) for v in vs]
    return endpoint + "?" + urllib.parse.urlencode(params)


class Server:
    """A server process in its own process group, killed (the group) on exit."""

    def __init__(self, argv: list[str], port: int, cwd: Path, env: dict, log: Path):
        self.argv, self.port, self.cwd, self.env, self.log = argv, port, cwd, env, log
        self.proc = None

    def __enter__(self):
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log}")
            try:
                status, _ = get("127.0.0.1", self.port, "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not answering on {self.port}; see {self.log}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def get(host: str, port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def python_load(port: int, paths: list[str], concurrency: int, max_seconds: float,
                cycle: bool = False) -> dict:
    """Sends the paths (each once, unless cycle) from `concurrency` threads; latency per request."""
    lock = threading.Lock()
    state = {"next": 0}
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + max_seconds

    def take():
        with lock:
            i = state["next"]
            if (not cycle and i >= len(paths)) or time.monotonic() > deadline:
                return None
            state["next"] = i + 1
            return paths[i % len(paths)]

    def client():
        while (path := take()) is not None:
            t = time.perf_counter()
            try:
                status, _ = get("127.0.0.1", port, path)
            except OSError:
                status = 0
            ms = (time.perf_counter() - t) * 1000
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    return {"client": f"python, {concurrency} threads", "latencies_ms": latencies, "errors": errors[0],
            "requests": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed}


def wrk_load(port: int, paths: list[str], connections: int, seconds: int, workdir: Path,
             slices: bool = False, threads: int = 2) -> dict | None:
    """wrk for `seconds`, or None when wrk is not installed. Without `slices`, every thread loops
    over all the paths (the cached run); with `slices`, each thread walks its own disjoint slice
    of them in order, each path once unless the slice runs out (the uncached run)."""
    wrk = shutil.which("wrk")
    if not wrk or len(paths) < threads:
        return None
    seconds = max(1, int(seconds))
    script = workdir / ("bench-slices.lua" if slices else "bench.lua")
    script.write_text(WRK_SLICES_SCRIPT if slices else WRK_SCRIPT, encoding="utf-8")
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}", "--", str(paths_file), str(threads)],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    data = json.loads(line[len("BENCH-JSON "):])
    seconds_run = data["duration_us"] / 1e6
    client = f"wrk, {threads} threads, {connections} connections"
    result = {"client": client, "requests": data["requests"],
              "errors": data["errors"] + data["non2xx"], "seconds": seconds_run,
              "rps": data["requests"] / seconds_run, "p50_ms": data["p50_us"] / 1000,
              "p95_ms": data["p95_us"] / 1000, "p99_ms": data["p99_us"] / 1000}
    if slices:
        # Requests beyond the pool are repeats (a thread wrapped around its slice). A thread may
        # wrap slightly before the total passes the pool's size: wrapped_threads says if any did.
        result["repeats"] = max(0, data["requests"] - len(paths))
        result["wrapped_threads"] = data["wrapped_threads"]
        result["pool"] = len(paths)
        result["client"] = client + (", each path once" if not data["wrapped_threads"] else
                                     ", paths wrapped around")
    return result


def measure(server_argv: list[str], port: int, cwd: Path, env: dict, log: Path,
            uncached: list[dict], cached: list[dict], concurrency: int, uncached_seconds: float,
            cached_seconds: int, latency: list[dict] | None = None,
            warmup: list[dict] | None = None) -> dict:
    """Starts the server; warms it; sends the `latency` queries one at a time (each once, one
    connection); runs the uncached load (wrk over disjoint slices of `uncached`, or the Python
    client if wrk is missing), then the cached load; stops it. For the latency and uncached runs to
    miss the answer cache, `uncached` must share no request with the other sets and `latency` none
    with `warmup` (the cached set may come from `latency`: it is asked 4 times again anyway)."""
    with Server(server_argv, port, cwd, env, log):
        # Warm each worker's process (imports, index files, searchers) with requests outside the sets.
        for _ in range(6):
            get("127.0.0.1", port, "/api/v1/search?q=warmup+bench")
        for _ in range(2):  # like the in-process warm-up; twice, for both workers
            for q in warmup or ():
                get("127.0.0.1", port, path_for(q))
        lat = None
        if latency:
            lat = python_load(port, [path_for(q) for q in latency], 1, 600)
            lat["client"] = "python, 1 connection at a time, each query once"
        unc_paths = [path_for(q) for q in uncached]
        with tempfile.TemporaryDirectory() as tmp:
            unc = wrk_load(port, unc_paths, 2 * concurrency, int(uncached_seconds), Path(tmp), slices=True)
        if unc is None:
            unc = python_load(port, unc_paths, concurrency, uncached_seconds)
            unc["client"] += ", each path once"
            unc.update(repeats=0, pool=len(unc_paths))
        cached_paths = [path_for(q) for q in cached]
        for _ in range(4):  # every worker sees every cached query (sync workers take turns)
            for p in cached_paths:
                get("127.0.0.1", port, p)
        with tempfile.TemporaryDirectory() as tmp:
            cac = wrk_load(port, cached_paths, 2 * concurrency, cached_seconds, Path(tmp))
        if cac is None:
            cac = python_load(port, cached_paths, concurrency, cached_seconds, cycle=True)
    out = {"uncached": unc, "cached": cac}
    if lat is not None:
        out["latency"] = lat
    return out

"""The FTS5 reference behind the same HTTP stack as the project (Flask under gunicorn, sync
workers), so HTTP figures compare like with like. Only for the benchmark.

    BENCH_FTS5_DB=bench/out/fts5-10k.db python -m gunicorn -w 2 -b 127.0.0.1:8766 bench.fts5_app:app
"""

from __future__ import annotations

import os
import threading

from flask import Flask, jsonify, request

from bench.fts5 import FACETS, Fts5Search

app = Flask(__name__)
_local = threading.local()


def _engine() -> Fts5Search:
    engine = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = Fts5Search(os.environ["BENCH_FTS5_DB"])
    return engine


@app.get("/api/v1/search")
def search():
    filters = {f: [v for v in request.args.getlist(f) if v.strip()] for f in FACETS}
    per_page = int(request.args.get("per_page", "10") or 10)
    return jsonify(_engine().search(request.args.get("q", "").strip(), filters, per_page=per_page))


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})

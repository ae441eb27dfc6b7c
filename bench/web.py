"""What a sitemap source costs (issue 10): `archive-search index URL-of-a-sitemap` against a
real local web server, first run and re-runs, beside its peer, the same pages read as an HTML
folder, measured in the same run.

    python -m bench.web --pages 1k              # prints a Markdown table (bench/out/WEB.md too)
    python -m bench.web --pages 1k --rounds 1   # a smoke run

The site is the bench corpus's first N articles written as themed pages (header, menu,
sidebar, footer around the article) and a sitemap with each page's <lastmod>, served by
`python -m http.server` (a process of its own, which honours If-Modified-Since). Each build is
`archive-search index` in a child process, timed from outside; the server's log counts the
requests. The politeness delay between two requests to a site (ARCHIVE_SEARCH_HTTP_DELAY) is
set to 0 to measure the work; at its default of 0.25 s it alone makes a first run of N pages
last at least N / 4 seconds. Runs, each round, in this order, medians over the rounds:

1. web, first run (empty index folder): every page fetched;
2. web, re-run, nothing changed: the sitemap's <lastmod> says so, no page is asked;
3. web, re-run after 10% of the pages changed (and their <lastmod>): those are fetched;
4. web, re-run with a sitemap without <lastmod>: every page asked conditionally (304);
5. folder, first build, and 6. folder, re-run: the same pages from disk.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import ensure_corpus, parse_size, size_label

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def _page(article: dict, extra: str = "") -> str:
    tags = " ".join(f'<a rel="tag" href="/tag/{html.escape(t)}">{html.escape(t)}</a>' for t in article["tags"])
    body = article["body"] if article["body"].lstrip().startswith("<") else "".join(
        f"<p>{html.escape(p)}</p>" for p in article["body"].split("\n\n"))
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{html.escape(article['title'])} | Le blog</title></head><body>
<header id="masthead"><p>Le blog</p><nav class="main-navigation"><ul>
<li><a href="/">Accueil</a></li><li><a href="/archives">Archives</a></li></ul></nav></header>
<main><article><h1>{html.escape(article['title'])}</h1><time datetime="{article['date']}">{article['date']}</time>
<div class="entry-content">{body}{extra}</div><footer class="entry-footer">{tags}</footer></article></main>
<aside class="widget-area"><section class="widget">Articles récents, nuage de mots-clés</section></aside>
<footer id="colophon">© Le blog — mentions légales</footer></body></html>"""


def write_site(folder: Path, articles: list[dict], lastmod: dict[int, str], with_lastmod: bool = True) -> None:
    (folder / "p").mkdir(parents=True, exist_ok=True)
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n")
    urls = "".join(f"<url><loc>/p/{i}.html</loc>" + (f"<lastmod>{lastmod[i]}</lastmod>" if with_lastmod else "")
                   + "</url>" for i in range(len(articles)))
    (folder / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?><urlset '
                                        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _index(source: str, index_dir: Path, env: dict) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "index", source, "--index-dir", str(index_dir),
                           "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench.web: the build failed: {done.stderr.strip()}")
    return time.monotonic() - started


def run(pages: int, rounds: int) -> dict:
    corpus = ensure_corpus(max(pages, 1000))
    with open(corpus, encoding="utf-8") as f:
        articles = [json.loads(line) for _, line in zip(range(pages), f)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
    env["ARCHIVE_SEARCH_HTTP_DELAY"] = "0"
    results: dict[str, list[tuple[float, int]]] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        for round_ in range(rounds):
            site = work / f"site-{round_}"
            lastmod = {i: a["date"] or "2020-01-01" for i, a in enumerate(articles)}
            for i, article in enumerate(articles):
                (site / "p").mkdir(parents=True, exist_ok=True)
                (site / "p" / f"{i}.html").write_text(_page(article), encoding="utf-8")
            write_site(site, articles, lastmod)
            port = _free_port()
            log_path = work / f"server-{round_}.log"
            with open(log_path, "w") as log:
                server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                           "--directory", str(site)], stdout=log, stderr=log)
            try:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.05)
                url = f"http://127.0.0.1:{port}/sitemap.xml"

                def measure(name: str, source: str, index_dir: Path) -> None:
                    before = log_path.read_text().count('"GET ')
                    seconds = _index(source, index_dir, env)
                    requests = log_path.read_text().count('"GET ') - before
                    results.setdefault(name, []).append((seconds, requests))

                web_index, folder_index = work / f"web-{round_}", work / f"folder-{round_}"
                measure("web, first run", url, web_index)
                measure("web, re-run, nothing changed", url, web_index)
                changed = range(0, pages, 10)
                for i in changed:
                    (site / "p" / f"{i}.html").write_text(_page(articles[i], "<p>Une mise à jour.</p>"), encoding="utf-8")
                    lastmod[i] = "2026-11-30"
                write_site(site, articles, lastmod)
                measure("web, re-run, 10% changed", url, web_index)
                write_site(site, articles, lastmod, with_lastmod=False)
                measure("web, re-run, sitemap without lastmod (304s)", url, web_index)
                folder = work / f"folder-site-{round_}"
                shutil.copytree(site / "p", folder)
                measure("folder, first build (peer)", str(folder), folder_index)
                measure("folder, re-run, nothing changed (peer)", str(folder), folder_index)
            finally:
                server.terminate()
                server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {name: {"median_s": statistics.median(s for s, _ in runs), "requests": runs[-1][1],
                   "runs_s": [round(s, 2) for s, _ in runs]} for name, runs in results.items()}


def report(pages: int, rounds: int, figures: dict) -> str:
    peer = figures["folder, first build (peer)"]["median_s"]
    lines = [f"Sitemap of {pages:,} themed pages on a local `http.server`, politeness delay 0, "
             f"{rounds} round(s), medians (`python -m bench.web --pages {size_label(pages)}`), "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores.", "",
             "| run | seconds (median) | requests | × folder first build |", "|---|---|---|---|"]
    for name, f in figures.items():
        lines.append(f"| {name} | {f['median_s']:.2f} | {f['requests']:,} | {f['median_s'] / peer:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="1k", help="pages of the site (1k, 500...)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    pages = parse_size(args.pages)
    figures = run(pages, args.rounds)
    text = report(pages, args.rounds, figures)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "WEB.md").write_text(text, encoding="utf-8")
    (OUT / "web-results.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What WordPress costs and gains (issue 10), on a real WordPress (Debian's `wordpress`, its own
MariaDB, PHP's built-in server: tests/wordpress/wpsite.py), with the bench corpus as its posts.

    python -m bench.wordpress --posts 1k              # prints a Markdown table (bench/out/WORDPRESS.md too)
    python -m bench.wordpress --posts 1k --rounds 1 --saves 10   # a smoke run

1. Reading the site through its REST API (`archive-search index http://site/`, a child process
   timed from outside, requests counted from PHP's server log), beside its peer, the same posts
   from the site's WXR export (`archive-search index export.xml`), measured in the same run,
   medians over the rounds: a first run (empty index folder), a re-run with nothing changed, a
   re-run after 10% of the posts were edited. ARCHIVE_SEARCH_HTTP_DELAY is 0, to measure the work
   (at its default of 0.25 s a first run of N posts waits N / 400 s more: 100 posts a request).
2. What the plugin adds to an editor's save: `wp_insert_post` and the push at the end of the
   request, timed inside PHP (ms, median and p95 over the saves), beside the same saves with the
   plugin's hooks removed; with the service up, with no service URL (queued only), with the
   service down (the first save tries and fails; the next ones wait for the backoff's retry).
3. From a save to searchable, through the plugin and our real server (`archive-search serve`, 2
   workers): each post saved in a PHP process, then the search API polled every 10 ms.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.corpus import ensure_corpus, parse_size, size_label

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests" / "wordpress"))  # the tests' WordPress, started the same way

import wpsite  # noqa: E402

TOKEN = "bench-wordpress-token"
PLUGIN_HOOKS = """
remove_action( 'transition_post_status', array( 'Archive_Search_Queue', 'on_transition' ), 10 );
remove_action( 'post_updated', array( 'Archive_Search_Queue', 'on_update' ), 10 );
remove_action( 'before_delete_post', array( 'Archive_Search_Queue', 'on_delete' ), 10 );
"""


def load_posts(site: wpsite.WordPress, articles: list[dict]) -> list[int]:
    """The corpus as published posts, in one PHP process, the plugin's hooks removed."""
    ids = site.php(PLUGIN_HOOKS + """
        wp_defer_term_counting( true );
        $ids = array();
        foreach ( $data as $a ) {
            $cats = array();
            foreach ( $a['categories'] as $name ) {
                $term = term_exists( $name, 'category' ) ?: wp_insert_term( $name, 'category' );
                if ( ! is_wp_error( $term ) ) { $cats[] = (int) $term['term_id']; }
            }
            $ids[] = wp_insert_post( wp_slash( array(
                'post_title' => $a['title'], 'post_content' => $a['body'], 'post_status' => 'publish',
                'post_date' => $a['date'] . ' 10:00:00', 'tags_input' => $a['tags'], 'post_category' => $cats,
            ) ) );
        }
        wp_defer_term_counting( false );
        echo wp_json_encode( $ids );
    """, [{k: a.get(k) or ([] if k in ("tags", "categories") else "") for k in
           ("title", "body", "date", "tags", "categories")} for a in articles])
    return ids


def export_wxr(site: wpsite.WordPress, path: Path) -> None:
    path.write_text(site.php("""
        require_once ABSPATH . 'wp-admin/includes/export.php';
        ob_start();
        export_wp( array( 'content' => 'all' ) );
        echo wp_json_encode( ob_get_clean() );
    """))


def requests_logged(site: wpsite.WordPress) -> int:
    """Connections PHP's server accepted: one a request (it closes each after its answer)."""
    text = site.server_log.read_text(errors="replace") if site.server_log.exists() else ""
    return sum(1 for line in text.splitlines() if line.endswith(" Accepted"))


def index(source: str, index_dir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
    env["ARCHIVE_SEARCH_HTTP_DELAY"] = "0"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "index", source, "--index-dir", str(index_dir),
                           "--quiet", "--allow-shrink"], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: index {source} failed: {done.stderr.strip()}")
    return seconds


def edit(site: wpsite.WordPress, ids: list[int], stamp: str) -> None:
    site.php(PLUGIN_HOOKS + """
        foreach ( $data['ids'] as $id ) {
            wp_update_post( array( 'ID' => $id, 'post_content' => get_post( $id )->post_content . '<p>' . $data['stamp'] . '</p>' ) );
        }
    """, {"ids": ids, "stamp": stamp})


def sync_figures(site, ids: list[int], rounds: int, work: Path) -> dict:
    export = work / "export.xml"
    export_wxr(site, export)
    runs: dict[str, list[float]] = {}
    requests: dict[str, int] = {}

    def run(name: str, source: str, index_dir: Path) -> None:
        before = requests_logged(site)
        runs.setdefault(name, []).append(index(source, index_dir))
        requests[name] = requests_logged(site) - before

    for r in range(rounds):
        rest, wxr = work / f"rest-{r}", work / f"wxr-{r}"
        run("REST API, first run", site.base + "/", rest)
        run("REST API, re-run, nothing changed", site.base + "/", rest)
        edit(site, ids[r::10], f"édition {r}")
        run("REST API, re-run, 10% of the posts edited", site.base + "/", rest)
        run("WXR export, first build", str(export), wxr)
        run("WXR export, re-run, nothing changed", str(export), wxr)
        shutil.rmtree(wxr)
    return {name: (statistics.median(values), requests.get(name, 0)) for name, values in runs.items()}


SAVE = """
$times = array();
foreach ( $data['titles'] as $title ) {
    $t = microtime( true );
    wp_insert_post( array( 'post_title' => $title, 'post_content' => '<p>' . $title . ' : un billet de mesure.</p>', 'post_status' => 'publish' ) );
    if ( $data['plugin'] ) {
        Archive_Search_Queue::send_noted();  // what the end of the request does
    }
    $times[] = ( microtime( true ) - $t ) * 1000;
}
echo wp_json_encode( $times );
"""


def save_figures(site, service_base: str, saves: int) -> dict:
    def timed(setup: str, label: str, count: int = saves) -> list[float]:
        titles = [f"Mesure {label} {n}" for n in range(count)]
        return site.php(setup + SAVE, {"titles": titles, "plugin": label != "peer"})

    closed = f"http://127.0.0.1:{wpsite.free_port()}"
    conditions = {
        "plugin's hooks removed (the peer)": (PLUGIN_HOOKS, "peer"),
        "service up: pushed at the end of the save": (
            f"update_option( 'archive_search_service_url', {service_base!r} );", "up"),
        "no service URL: queued only": ("update_option( 'archive_search_service_url', '' );", "unset"),
        "service down": (f"update_option( 'archive_search_service_url', {closed!r} ); "
                         "Archive_Search_Queue::retry_now();", "down"),
    }
    timed(PLUGIN_HOOKS, "warm-up")  # the first saves of a run pay for cold caches: not counted
    # The conditions take turns, a few saves each, so that none gets the machine's quiet moments.
    figures: dict[str, list[float]] = {}
    down_first: list[float] = []
    for turn in range(3):
        for name, (setup, label) in conditions.items():
            values = timed(setup, f"{label}-{turn}", max(2, saves // 3))
            if label == "down":
                down_first.append(values.pop(0))
                name = "service down: next saves (backoff: queued only)"
            figures.setdefault(name, []).extend(values)
    figures["service down: first save (tries, connection refused)"] = down_first
    site.php(f"update_option( 'archive_search_service_url', {service_base!r} ); Archive_Search_Queue::retry_now(); "
             "do_action( 'archive_search_retry' );")
    return figures


def latency_figures(site, service_base: str, saves: int) -> dict:
    total, after = [], []
    for n in range(saves):
        word = "latence" + "".join(chr(97 + int(d)) for d in f"{n:04d}") + "x"
        started = time.monotonic()
        post = site.insert_post(f"Billet {word}", f"<p>{word}</p>")
        saved = time.monotonic()
        url = service_base + "/api/v1/search?" + urllib.parse.urlencode({"q": word})
        while True:
            with urllib.request.urlopen(url, timeout=10) as answer:
                if str(post) in [r["id"] for r in json.load(answer)["results"]]:
                    break
            if time.monotonic() - started > 30:
                raise SystemExit(f"bench: post {post} not searchable after 30 s")
            time.sleep(0.01)
        total.append(time.monotonic() - started)
        after.append(time.monotonic() - saved)
    return {"save started -> searchable": total, "save ended (push answered 202) -> searchable": after}


def serve(index_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = wpsite.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SEARCH_")}
    env["ARCHIVE_SEARCH_ADMIN_TOKEN"] = TOKEN
    process = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--index-dir", str(index_dir),
                                "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("bench: the server did not start:\n" + log.read_text())


def ms(values: list[float], digits: int = 1) -> str:
    """`median | p95` of the values."""
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"{statistics.median(values):.{digits}f} | {p95:.{digits}f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", default="1k")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--saves", type=int, default=30)
    args = parser.parse_args(argv)
    why = wpsite.missing()
    if why:
        raise SystemExit(f"bench: {why}")
    n = parse_size(args.posts)
    with ensure_corpus(max(n, 1000)).open() as f:
        articles = [json.loads(line) for _, line in zip(range(n), f)]
    work = Path(tempfile.mkdtemp(prefix="bench-wordpress-"))
    site = wpsite.WordPress(work / "site")
    server = None
    try:
        started = time.monotonic()
        site.start()
        start_s = time.monotonic() - started
        started = time.monotonic()
        ids = load_posts(site, articles)
        load_s = time.monotonic() - started
        sync = sync_figures(site, ids, args.rounds, work)
        server, base = serve(work / "rest-0", work / "server.log")
        site.option("archive_search_token", TOKEN)
        saves = save_figures(site, base, args.saves)
        latency = latency_figures(site, base, args.saves)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        site.stop()
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"### WordPress, {size_label(n)} posts ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} cores, {args.rounds} rounds, {args.saves} saves)", "",
             f"WordPress started in {start_s:.1f} s (MariaDB's datadir made, the site installed, the plugin "
             f"activated); {n} posts loaded in {load_s:.1f} s.", "",
             "| sync (`archive-search index`, a child process) | median s | requests to WordPress | vs the WXR peer |",
             "|---|---|---|---|"]
    peers = {"REST API, first run": "WXR export, first build",
             "REST API, re-run, nothing changed": "WXR export, re-run, nothing changed"}
    for name, (seconds, requests) in sync.items():
        peer = peers.get(name)
        ratio = f"{seconds / sync[peer][0]:.2f}×" if peer else ""
        lines.append(f"| {name} | {seconds:.2f} | {requests if name.startswith('REST') else '–'} | {ratio} |")
    lines += ["", "| an editor's save (`wp_insert_post` + the push), ms | median | p95 | vs the peer |",
              "|---|---|---|---|"]
    peer = statistics.median(saves["plugin's hooks removed (the peer)"])
    for name, values in saves.items():
        lines.append(f"| {name} | {ms(values)} | {statistics.median(values) / peer:.2f}× |")
    lines += ["", "| through the plugin, s | median | p95 |", "|---|---|---|"]
    for name, values in latency.items():
        lines.append(f"| {name} | {ms(values, 2)} |")
    table = "\n".join(lines) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "WORDPRESS.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

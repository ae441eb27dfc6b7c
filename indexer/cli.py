"""The `archive-search` command: a thin shell over the library (index, search, serve).

Every error the engine raises on purpose becomes one line on stderr and exit status 1;
no user ever sees a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from indexer.errors import ArchiveSearchError

DEFAULT_INDEX_DIR = "./index"


def _index_dir_option(f):
    return click.option(
        "--index-dir", type=click.Path(file_okay=False), envvar="ARCHIVE_SEARCH_INDEX_DIR",
        default=DEFAULT_INDEX_DIR, show_default=True,
        help="Folder of the index (env: ARCHIVE_SEARCH_INDEX_DIR).")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archive-search")
def main():
    """Full-text search for archives of French articles."""


@main.command()
@click.argument("sources", nargs=-1)
@_index_dir_option
@click.option("--sample", is_flag=True, help="Index the sample archive bundled with the package.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary (errors still print).")
@click.option("--full", is_flag=True, help="Analyse every article again, even unchanged ones.")
@click.option("--allow-shrink", is_flag=True,
              help="Publish even if the new index holds far fewer articles than the live one.")
@click.option("--forget-pushed", is_flag=True,
              help="Drop every article pushed through the document API: the sources alone make the index.")
@click.option("--repair", is_flag=True,
              help="Rebuild in full from the sources the index was last built from, and the pushed articles "
                   "(after damage; the server starts this by itself).")
@click.option("--job-id", hidden=True)
@click.option("--lock-fd", type=int, hidden=True)
@click.option("--trigger", hidden=True)
def index(sources, index_dir, sample, quiet, full, allow_shrink, forget_pushed, repair, job_id, lock_fd, trigger):
    """Build a new index from SOURCES and publish it.

    A SOURCE is a WordPress export (.xml), a folder of HTML pages, a folder of
    Markdown/text files, a JSON Lines file (.jsonl), or a URL: a WordPress site,
    an RSS or Atom feed, a sitemap. Articles pushed through the document API are
    kept over the sources (unless --forget-pushed).
    """
    from indexer.build import build_index
    from indexer.sample import SAMPLE_ARCHIVE

    sources = list(sources) + ([SAMPLE_ARCHIVE] if sample else [])
    if repair:
        from indexer.storage.generations import recorded_sources
        sources = sources or recorded_sources(Path(index_dir))
        full = True
    elif not sources:
        raise click.UsageError("give at least one SOURCE, or --sample")
    show_bar = not quiet and sys.stderr.isatty()
    with _progress_bar(show_bar) as progress:
        report = build_index(sources, index_dir, progress, incremental=not full,
                             allow_shrink=allow_shrink, job_id=job_id, lock_fd=lock_fd,
                             forget_pushed=forget_pushed, trigger=trigger)
    if not quiet:
        click.echo(report.summary())


class _progress_bar:
    """A click progress bar on a terminal, fed by build_index's (processed, total) calls."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        return self.update if self.enabled else None

    def update(self, processed: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Indexing", file=sys.stderr,
                                         show_pos=True, show_eta=True)
            self.bar.__enter__()
        self.bar.length = total  # readers' totals are estimates: the last call sets the true one
        if processed > self.bar.pos:
            self.bar.update(processed - self.bar.pos)
        else:
            self.bar.render_progress()

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


@main.command()
@click.argument("query")
@_index_dir_option
@click.option("--tag", multiple=True, help="Only articles with this tag (repeatable, ORed).")
@click.option("--category", multiple=True, help="Only articles in this category (repeatable).")
@click.option("--source", "source_", multiple=True, help="Only articles citing this source (repeatable).")
@click.option("--year", multiple=True, help="Only articles of this year (repeatable).")
@click.option("--author", multiple=True, help="Only articles by this author (repeatable).")
@click.option("--from", "date_from", help="Only articles dated on or after YYYY-MM-DD.")
@click.option("--to", "date_to", help="Only articles dated on or before YYYY-MM-DD.")
@click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance",
              show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def search(query, index_dir, tag, category, source_, year, author, date_from, date_to, sort,
           page, per_page, as_json):
    """Search the index, as the JSON API does (an empty QUERY lists every article)."""
    from indexer.search import SearchRequest, search as run_search
    from indexer.search import IndexStore

    filters = {"tag": list(tag), "category": list(category), "source": list(source_),
               "year": list(year), "author": list(author)}
    request = SearchRequest(q=query, page=page, per_page=per_page, sort=sort,
                            filters={k: v for k, v in filters.items() if v},
                            date_from=date_from, date_to=date_to)
    answer = run_search(IndexStore(index_dir), request)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    _print_answer(answer)


def _print_answer(answer: dict) -> None:
    import html
    import re

    if answer["corrected"]:
        click.echo(f"Aucun résultat pour « {answer['query']} » ; résultats pour « {answer['suggestion']} » :")
    elif answer["suggestion"]:
        click.echo(f"Essayez avec « {answer['suggestion']} »")
    click.echo(f"{answer['total']} résultat(s), page {answer['page']}/{max(answer['pages'], 1)}")
    for r in answer["results"]:
        snippet = html.unescape(re.sub(r"</?mark>", "*", r["snippet"]))
        click.echo(f"\n[{r['id']}] {r['title']} ({r['date'] or 'sans date'})")
        if r["tags"]:
            click.echo("  tags: " + ", ".join(r["tags"]))
        click.echo("  " + snippet)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_index_dir_option
@click.option("--no-wait", is_flag=True, help="Return once the writes are recorded, before they are applied.")
def put(files, index_dir, no_wait):
    """Create or replace the articles of FILES, as the document API does.

    A FILE is JSON Lines (one article object a line) or a JSON array of articles; each
    article has an `id` and the API's fields. Every article is checked before anything is
    recorded; a file of more than 1,000 articles makes several tasks.
    """
    from indexer import live
    from indexer.live.documents import MAX_BATCH, articles_from_file

    articles = [a for path in files for a in articles_from_file(Path(path))]
    tasks = [live.put(index_dir, articles[i:i + MAX_BATCH]) for i in range(0, len(articles), MAX_BATCH)]
    _finish_tasks(index_dir, tasks, no_wait)


@main.command()
@click.argument("ids", nargs=-1, required=True)
@_index_dir_option
@click.option("--no-wait", is_flag=True, help="Return once the deletion is recorded, before it is applied.")
def delete(ids, index_dir, no_wait):
    """Remove the articles IDS from the index (as the document API's DELETE)."""
    from indexer import live
    from indexer.live.documents import check_id

    _finish_tasks(index_dir, [live.delete(index_dir, [check_id(i) for i in ids])], no_wait)


def _finish_tasks(index_dir: str, tasks: list[dict], no_wait: bool) -> None:
    """Applies the tasks here when no applier runs for the index (else waits for the server's),
    then prints how each ended; exit status 1 if one failed."""
    from indexer import live
    from indexer.live.applier import Applier
    from indexer.live.processes import ApplierLock

    if not no_wait:
        lock = ApplierLock(Path(index_dir))
        if lock.acquire():
            try:
                Applier(index_dir).run(until_idle=True, timeout=300)
            finally:
                lock.release()
        tasks = [live.wait(index_dir, t["id"], timeout=300) for t in tasks]
    failed = False
    for task in tasks:
        failed |= task["state"] == "failed"
        click.echo(f"task {task['id']}: {task['kind']}, {task['articles']} article(s), {task['state']}"
                   + (f" ({task['error']})" if task["error"] else ""))
    if failed:
        sys.exit(1)


@main.command()
@_index_dir_option
@click.option("--limit", type=int, default=20, show_default=True, help="How many of the last tasks.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def tasks(index_dir, limit, as_json):
    """List the last writes pushed to the index and their state."""
    from indexer import live

    found = live.recent_tasks(index_dir, limit)
    if as_json:
        click.echo(json.dumps({"tasks": found}, ensure_ascii=False, indent=2))
        return
    for task in found:
        ids = ", ".join(task["ids"][:3]) + (f" (+{len(task['ids']) - 3})" if len(task["ids"]) > 3 else "")
        click.echo(f"{task['id']:>8}  {task['state']:<10}  {task['kind']:<6}  {task['articles']:>5}  "
                   f"{task['enqueued_at']}  {ids}" + (f"  {task['error']}" if task["error"] else ""))


@main.command()
@_index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
def status(index_dir, as_json):
    """Say how the index stands: the live generation, pushed writes, the last reindex, settings.

    Exit status 0 when all is well, 1 without an index, 2 when something needs an operator
    (writes waiting with no applier, a failed reindex, unreadable settings): a probe can act on it.
    """
    from indexer.status import exit_code, index_status

    found = index_status(index_dir)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        for line in _status_lines(found):
            click.echo(line)
    sys.exit(exit_code(found))


def _status_lines(found: dict) -> list[str]:
    index, writes, job, settings = found["index"], found["live"], found["reindex"], found["settings"]
    lines = [f"index      {found['index_dir']}"]
    if index is None:
        lines.append("           no index yet")
    elif index.get("unreadable"):
        lines.append(f"           {index['generation']}: its meta.json is unreadable")
    else:
        size = (index["size_bytes"] or 0) / 1e6
        lines.append(f"           {index['articles']} articles, {size:.1f} MB, generation {index['generation']}")
        lines.append(f"           built {index['built_at']} from {', '.join(index['sources']) or '(pushed articles only)'}")
    if writes is not None:
        lines.append(f"live       {writes['pending']} writes waiting, applier "
                     f"{'running' if writes['applier_running'] else 'stopped'}"
                     f"{', merging' if writes['merging'] else ''}; journal {writes['journal_bytes'] / 1e6:.1f} MB")
        if writes["pushed_articles"] or writes["pushed_deletions"]:
            lines.append(f"           {writes['pushed_articles']} pushed articles, "
                         f"{writes['pushed_deletions']} pushed deletions rule over the archive")
    if job is not None:
        ended = f", ended {job['finished_at']}" if job.get("finished_at") else ""
        lines.append(f"reindex    {job['state']}{' (' + job['trigger'] + ')' if job.get('trigger') else ''}: "
                     f"started {job.get('started_at')}{ended}, {job.get('processed', 0)} of {job.get('total', 0)} read")
    if settings is not None:
        lines.append(f"settings   version {settings['version']}: {settings['synonyms']} synonym rules, "
                     f"{settings['pins']} pinned queries")
    lines += [f"attention  {problem}" for problem in found["problems"]] or ["all well"]
    return lines


@main.command()
@_index_dir_option
@click.option("--once", is_flag=True, help="Apply what is waiting, then exit.")
@click.option("--parent", type=int, hidden=True)
def apply(index_dir, once, parent):
    """Apply pushed writes to the index as they arrive (`serve` runs this by itself).

    Exits, with status 0 (within two seconds), when another process applies this index's writes already.
    """
    import signal
    import threading
    import time

    from indexer.live.applier import Applier
    from indexer.live.processes import ApplierLock

    if parent is not None:  # started by `serve`: ends with it (SIGTERM when it dies)
        from indexer.storage.shards import die_with_parent
        die_with_parent(signal.SIGTERM)
        if os.getppid() != parent:
            return
    lock = ApplierLock(Path(index_dir))
    # Whoever checks whether an applier runs (the supervisor, /healthz) takes the lock for a
    # moment: held for longer than that, it is another applier's.
    deadline = time.monotonic() + 2.0
    while not lock.acquire():
        if time.monotonic() > deadline:
            click.echo("archive-search: another process applies this index's writes", err=True)
            return
        time.sleep(0.05)
    os.nice(5)  # readers first: a write has two seconds to become searchable, a search does not
    stop = threading.Event()
    # Set from a thread: Event.set() in a handler that interrupts this thread inside Event.wait()
    # would wait for the lock the interrupted wait holds (an applier stuck for good).
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop.set, daemon=True).start())
    try:
        Applier(index_dir).run(stop=stop, until_idle=once)
    finally:
        lock.release()


@main.command()
@_index_dir_option
@click.option("--parent", type=int, hidden=True)
def merge(index_dir, parent):
    """Merge the index's small segments now (the applier starts this by itself when due).

    Exits at once, with status 0, when a merge of this index runs already.
    """
    import signal

    from indexer.locks import FileLock
    from indexer.live.merge import LOCK, run

    if parent is not None:  # started by the applier: ends with it
        from indexer.storage.shards import die_with_parent
        die_with_parent(signal.SIGTERM)
        if os.getppid() != parent:
            return
    lock = FileLock(Path(index_dir) / LOCK)
    if not lock.acquire():
        return
    os.nice(10)  # searches and live writes first
    try:
        count = run(Path(index_dir))
    finally:
        lock.release()
    if parent is None:
        click.echo(f"{count} merge(s)")


@main.command()
@_index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True, help="Server worker processes.")
@click.option("--archive", multiple=True,
              help="Source(s) an admin reindex rebuilds from: repeat the option or separate them with ':' "
                   "(env: ARCHIVE_SEARCH_ARCHIVE); also built first when the index folder is empty.")
@click.option("--sync-every", envvar="ARCHIVE_SEARCH_SYNC_EVERY", metavar="DURATION",
              help="Pull the archive again on this schedule (15m, 1h, 1h30m...): an incremental reindex, "
                   "for URL sources above all (env: ARCHIVE_SEARCH_SYNC_EVERY).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Access log lines: gunicorn's text, or one JSON object a line (time, method, path, status, "
                   "duration_ms, bytes; no query string, no address).")
def serve(index_dir, host, port, workers, archive, sync_every, log_format):
    """Serve the search page, the JSON API and the widget with a production WSGI server."""
    from indexer.sources import split_sources
    from indexer.sync import parse_duration
    from searchweb.server import serve as run_server

    sources = [s for given in archive for s in split_sources(given)] or \
        split_sources(os.environ.get("ARCHIVE_SEARCH_ARCHIVE", ""))
    every = None
    if sync_every:
        try:
            every = parse_duration(sync_every)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--sync-every") from None
    run_server(index_dir=Path(index_dir), host=host, port=port, archive=sources, workers=workers,
               sync_every=every, log_format=log_format)


def run():
    """Entry point: named errors become one line on stderr."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except ArchiveSearchError as e:
        click.echo(f"archive-search: error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except OSError as e:
        click.echo(f"archive-search: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), err=True)
        sys.exit(1)


if __name__ == "__main__":
    run()

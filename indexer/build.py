"""Building an index: sources in, a new published generation out.

One function, `build_index`, serves the CLI, the admin's reindex and the tests. It writes a
new generation beside the live one and publishes it atomically (storage/generations.py). In
incremental mode (the default) the new generation starts as hard links to the live one's
files and analyses only articles that are new or changed (by id and content hash), then
deletes those no longer in the sources.

The articles pushed through the document API (live/) are laid over the sources: a pushed
article wins over the archive's version of the same id, a pushed deletion removes it, and a
pushed article the archive lacks is kept. What was pushed while the build ran is caught up
just before the new generation is published, under the writer lock, so no pushed write is
ever lost to a reindex.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from indexer.analysis import ANALYZER_VERSION
from indexer.article import Article, Skipped
from indexer.errors import ArchiveSearchError, BuildRefused
from indexer.jobs import BuildLock, JobRecorder, now_iso
from indexer.live.documents import from_record
from indexer.live.ledger import Ledger
from indexer.ingest import prepare
from indexer.sources import close_sources, open_sources
from indexer.sources.quotes import QUOTES_VERSION
from indexer.storage import generations, shards
from indexer.storage.changes import apply_changes, live_articles
from indexer.storage import whoosh_io
from indexer.storage.lexicon import LexiconBuilder, Vocabulary
from indexer.storage.segments import SegmentFiles

# A build that would replace the live index by one this much smaller is refused:
# it is far more likely a truncated export than a real deletion of most articles.
SHRINK_LIMIT = 0.5
# Pushes caught up without the writer lock, in at most this many rounds, until this few are left.
CATCH_UP_ROUNDS = 3
CATCH_UP_UNDER_LOCK = 50

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    generation: str
    articles: int = 0     # in the new index
    analysed: int = 0     # new or changed, analysed in this build
    reused: int = 0       # unchanged, taken from the previous generation
    removed: int = 0      # in the previous generation, not in the sources any more
    pushed: int = 0       # pushed through the document API, laid over the sources
    skipped: list[Skipped] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.articles} articles indexed ({self.analysed} analysed, "
                 f"{self.reused} unchanged, {self.removed} removed) in {self.seconds:.1f} s "
                 f"-> {self.generation}"]
        if self.pushed:
            lines.append(f"{self.pushed} pushed through the document API, kept over the sources")
        if self.excluded:
            lines.append("left out: " + ", ".join(f"{n} {why}" for why, n in sorted(self.excluded.items())))
        if self.skipped:
            lines.append(f"{len(self.skipped)} records skipped:")
            lines.extend(f"  {s}" for s in self.skipped)
        return "\n".join(lines)


def build_index(sources: list, index_dir, progress: Progress | None = None, *,
                incremental: bool = True, allow_shrink: bool = False, shard_count: int | None = None,
                job_id: str | None = None, lock_fd: int | None = None,
                forget_pushed: bool = False, trigger: str | None = None) -> BuildReport:
    """Builds and publishes a new generation holding exactly the sources' articles, with the
    pushed ones laid over them (`forget_pushed`: the sources alone, every pushed write dropped).

    Raises SourceError (a source cannot be read), IndexBusy (a build is running) or
    BuildRefused (nothing to publish, or far fewer articles than the live index); in
    every case the live index is untouched.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    recorder = None
    try:
        with BuildLock(index_dir, fd=lock_fd) as lock:
            recorder = JobRecorder(index_dir, job_id, sources, trigger=trigger)
            try:
                return _build(sources, index_dir, progress, recorder, incremental, allow_shrink,
                              shard_count, lock, forget_pushed)
            except ArchiveSearchError as e:
                recorder.finish("failed", error=str(e))
                raise
            except BaseException as e:
                recorder.finish("failed", error=f"{type(e).__name__}: {e}")
                raise
    finally:
        if recorder is not None:
            # Once the final status is written and the lock released, as before: the figure
            # never delays "done" (nor the next build); it lags it by a transaction.
            recorder.record_duration()


def _build(sources, index_dir: Path, progress, recorder: JobRecorder, incremental: bool,
           allow_shrink: bool, shard_count: int | None, lock: BuildLock, forget_pushed: bool) -> BuildReport:
    started = time.monotonic()
    generations.remove_unfinished(index_dir, generations.BUILDING_PREFIX)
    readers = open_sources(sources, state_dir=index_dir)  # every source must open before any work
    generations.check_space(index_dir, generations.space_needed(index_dir, sources))
    total = sum(r.total for r in readers)
    report = BuildReport(generation="")

    live_count = _live_count(index_dir)
    ledger = Ledger(index_dir)
    if forget_pushed:
        ledger.forget_pushed()
    pushed, pushed_seq = ledger.snapshot()

    building = index_dir / f"{generations.BUILDING_PREFIX}{secrets.token_hex(4)}"
    try:
        building.mkdir()
        base = _start_from_live(index_dir, building) if incremental else None
        # An incremental build reuses the live shards, so it keeps their number.
        shard_count = base.shards if base is not None else (shard_count or shards.default_shards())
        old = base.catalog if base is not None else {}
        known = base.known if base is not None else {}
        catalog: dict[str, dict] = {}
        writers = shards.ShardWriters(building, shard_count, fresh=base is None)
        try:
            def add(article: Article) -> None:
                entry, change = prepare(article, old.get(article.id))
                catalog[article.id] = entry
                if change is None:
                    report.reused += 1
                else:
                    report.analysed += 1
                    writers.send(article.id, "update" if article.id in old else "add", change)

            processed = 0
            for reader in readers:
                for record in reader:
                    processed += 1
                    if isinstance(record, Skipped):
                        _skip(report, recorder, record)
                    elif record.id in catalog:
                        _skip(report, recorder, Skipped(f"id {record.id}", "duplicate id, first one kept"))
                    elif record.id not in pushed:  # a pushed version (or deletion) wins
                        add(record)
                    recorder.progress(processed, max(total, processed))
                    if progress:
                        progress(processed, max(total, processed))
                for why, n in getattr(reader, "excluded", {}).items():
                    report.excluded[why] = report.excluded.get(why, 0) + n
            for article in ledger.pushed_articles(through=pushed_seq):
                if article["id"] not in catalog:
                    add(from_record(article))
                    report.pushed += 1
            for gone in old.keys() - catalog.keys():
                writers.send(gone, "delete", gone)
                report.removed += 1
            _refuse_if_suspicious(len(catalog), live_count, allow_shrink)
            # `total` was an estimate (a reader counts items before excluding drafts...).
            recorder.progress(processed, processed, force=True)
            if progress:
                progress(processed, processed)
            vocabulary = LexiconBuilder(base.vocabulary if base is not None else None)
            writers.commit(vocabulary)
        finally:
            writers.cancel()

        # What was pushed while the build ran (the live index has it already) is caught up on
        # top of what the build made of the sources: first without the writer lock, while the
        # applier goes on (a long build under a stream of pushes has thousands to analyse),
        # then under it for the few pushed meanwhile, so that writes stall only that long.
        caught_up = pushed_seq
        for _ in range(CATCH_UP_ROUNDS):
            changes, through = _pushed_changes(ledger, caught_up)
            if len(changes) <= CATCH_UP_UNDER_LOCK:
                break
            apply_changes(building, shard_count, changes, vocabulary)
            caught_up = through
        with generations.WriterLock(index_dir):
            changes, journal_seq = _pushed_changes(ledger, caught_up)
            apply_changes(building, shard_count, changes, vocabulary)
            journal_seq = max(journal_seq, ledger.laid_through())
            report.articles = live_articles(building, shard_count)
            _refuse_if_suspicious(report.articles, _live_count(index_dir), allow_shrink)
            vocabulary.save(building)
            meta = {"generation": "", "articles": report.articles, "built_at": now_iso(),
                    "analyzer": ANALYZER_VERSION, "quotes": QUOTES_VERSION, "layout": generations.LAYOUT,
                    "shards": shard_count, "sources": [str(s) for s in sources],
                    "analysed": report.analysed, "reused": report.reused, "removed": report.removed,
                    "pushed": report.pushed, "skipped": len(report.skipped), "journal_seq": journal_seq,
                    "job": recorder.job["id"]}  # the job is done once this generation is live (current_job)
            (building / generations.META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            report.generation = generations.publish(index_dir, building, known)
            # At once, and before another writer may publish over it: a client polling the job
            # sees `done` no later than it can see the new generation.
            recorder.finish("done", indexed=report.articles, generation=report.generation,
                            duration_s=round(time.monotonic() - started, 2))
    finally:
        ledger.close()
        close_sources(readers)  # (a URL reader's cache file is in the index folder)
        if building.exists():
            generations.remove_unfinished(index_dir, building.name)
    # The next build may start now (a client saw `done`): what is left needs no lock, since
    # remove_old_generations keeps the live generation and its fallback whoever publishes meanwhile.
    lock.release()
    generations.remove_old_generations(index_dir)
    report.seconds = time.monotonic() - started
    return report


def _pushed_changes(ledger: Ledger, after: int) -> tuple[list, int]:
    """The changes of the articles pushed (or deleted) after journal record `after`, and the
    last record they come from. The ledger lays records in order, so nothing at or below that
    record is missed by the next call."""
    changes, through = [], after
    for article_id, seq, article in ledger.pushed(after=after):
        through = max(through, seq)
        changes.append((article_id, None if article is None else prepare(from_record(article), None)[1]))
    return changes, through


def _skip(report: BuildReport, recorder: JobRecorder, skipped: Skipped) -> None:
    report.skipped.append(skipped)
    recorder.skipped(str(skipped))


def _refuse_if_suspicious(count: int, live_count: int, allow_shrink: bool) -> None:
    if count == 0:
        raise BuildRefused("the sources hold no publishable article; the live index is kept")
    if not allow_shrink and live_count >= 10 and count < live_count * SHRINK_LIMIT:
        raise BuildRefused(
            f"the sources hold {count} articles, far fewer than the {live_count} of the live index "
            "(a truncated export?); the live index is kept — use --allow-shrink if this is intended")


def _live_count(index_dir: Path) -> int:
    live = generations.read_current(index_dir)
    try:
        return generations.read_meta(index_dir / live).get("articles", 0) if live else 0
    except (OSError, ValueError):
        return 0


@dataclass
class _Base:
    """The live generation an incremental build starts from, its shards hard-linked into the
    build's folder (so that the live index may move on meanwhile)."""

    shards: int
    known: dict              # checksums of the linked files (generations.known_checksums)
    catalog: dict[str, dict]  # article id -> catalog entry of its live documents
    vocabulary: Vocabulary


def _start_from_live(index_dir: Path, building: Path) -> _Base | None:
    """Links the live generation's shards into `building` when an incremental build may start
    from it: its analysis and layout match this code's, its files are sound and its shards
    hold few segments; else None, and `building` is left empty (a full build: damage is never
    carried into a new generation)."""
    with generations.WriterLock(index_dir):  # the live generation stays while it is linked
        generations.remove_never_live(index_dir)
        live = generations.read_current(index_dir)
        if not live:
            return None
        folder = index_dir / live
        try:
            meta = generations.read_meta(folder)
            if (meta.get("analyzer") != ANALYZER_VERSION or meta.get("quotes") != QUOTES_VERSION
                    or meta.get("layout") != generations.LAYOUT or not meta.get("shards")):
                return None
            for path in generations.shard_dirs(folder, meta["shards"]):
                generations.link_tree(path, building / path.name)
            known = generations.known_checksums(folder)
            vocabulary = Vocabulary.load(folder)
        except (OSError, ValueError):
            _unlink_shards(building)
            return None
    shard_paths = generations.shard_dirs(building, meta["shards"])
    try:
        generations.verify_linked(building, known)
        if any(shards.too_many_segments(p) for p in shard_paths):
            raise ValueError("too many segments")
        catalog = {}
        for path in shard_paths:
            for segment in whoosh_io.read_toc(path).segments:
                entries = SegmentFiles.load(path, segment.segment_id()).catalog(path)
                catalog.update((e["id"], e) for n, e in enumerate(entries) if not segment.is_deleted(n))
    except (OSError, ValueError, AttributeError, ArchiveSearchError):
        _unlink_shards(building)
        return None
    return _Base(meta["shards"], known, catalog, vocabulary)


def _unlink_shards(building: Path) -> None:
    for path in building.iterdir():
        shutil.rmtree(path, ignore_errors=True)

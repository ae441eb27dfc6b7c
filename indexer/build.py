"""Building an index: sources in, a new published generation out.

One function, `build_index`, serves the CLI, the admin's reindex and the tests. It
writes a complete new generation beside the live one and publishes it atomically
(see generations.py). In incremental mode (the default) it starts from a copy of the
live generation and analyses only articles that are new or changed (by id and content
hash), then deletes those no longer in the sources.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from indexer.storage import generations, shards
from indexer.analysis import ANALYZER_VERSION
from indexer.article import Article, Skipped
from indexer.errors import ArchiveSearchError, BuildRefused
from indexer.storage.columns import Columns
from indexer.storage.lexicon import Lexicon, LexiconBuilder
from indexer.jobs import BuildLock, JobRecorder, now_iso
from indexer.sources import open_source, unique
from indexer.sources.quotes import QUOTES_VERSION, extract_sources

CATALOG = "catalog.json"

# Bump when what a generation holds beside Whoosh changes: an index of another layout is
# rebuilt in full (2: posting arrays beside every segment, segment_arrays.py).
LAYOUT = 2

# A build that would replace the live index by one this much smaller is refused:
# it is far more likely a truncated export than a real deletion of most articles.
SHRINK_LIMIT = 0.5

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    generation: str
    articles: int = 0     # in the new index
    analysed: int = 0     # new or changed, analysed in this build
    reused: int = 0       # unchanged, taken from the previous generation
    removed: int = 0      # in the previous generation, not in the sources any more
    skipped: list[Skipped] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{self.articles} articles indexed ({self.analysed} analysed, "
                 f"{self.reused} unchanged, {self.removed} removed) in {self.seconds:.1f} s "
                 f"-> {self.generation}"]
        if self.excluded:
            lines.append("left out: " + ", ".join(f"{n} {why}" for why, n in sorted(self.excluded.items())))
        if self.skipped:
            lines.append(f"{len(self.skipped)} records skipped:")
            lines.extend(f"  {s}" for s in self.skipped)
        return "\n".join(lines)


def build_index(sources: list, index_dir, progress: Progress | None = None, *,
                incremental: bool = True, allow_shrink: bool = False, shard_count: int | None = None,
                job_id: str | None = None, lock_fd: int | None = None) -> BuildReport:
    """Builds and publishes a new generation holding exactly the sources' articles.

    Raises SourceError (a source cannot be read), IndexBusy (a build is running) or
    BuildRefused (nothing to publish, or far fewer articles than the live index); in
    every case the live index is untouched.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with BuildLock(index_dir, fd=lock_fd) as lock:
        recorder = JobRecorder(index_dir, job_id, sources)
        try:
            report = _build(sources, index_dir, progress, recorder, incremental, allow_shrink,
                            shard_count, lock.fd)
        except ArchiveSearchError as e:
            recorder.finish("failed", error=str(e))
            raise
        except BaseException as e:
            recorder.finish("failed", error=f"{type(e).__name__}: {e}")
            raise
        recorder.finish("done", indexed=report.articles, generation=report.generation,
                        duration_s=round(report.seconds, 2))
        return report


def _build(sources, index_dir: Path, progress, recorder: JobRecorder, incremental: bool,
           allow_shrink: bool, shard_count: int | None, lock_fd: int) -> BuildReport:
    started = time.monotonic()
    generations.remove_leftovers(index_dir)
    readers = [open_source(s) for s in sources]  # every source must open before any work
    generations.check_space(index_dir, generations.space_needed(index_dir, sources))
    total = sum(r.total for r in readers)
    name = generations.new_generation_name(index_dir)
    report = BuildReport(generation=name)

    live = generations.read_current(index_dir)
    live_meta = generations.read_meta(index_dir / live) if live else {}
    live_count = live_meta.get("articles", 0)
    # An incremental build reuses the live shards, so it keeps their number.
    previous = _previous_catalog(index_dir / live, live_meta) if (incremental and live) else None
    shard_count = live_meta["shards"] if previous is not None else (shard_count or shards.default_shards())

    building = index_dir / f"{generations.BUILDING_PREFIX}{name}"
    building.mkdir()
    try:
        if previous is not None:
            for path in shards.shard_dirs(index_dir / live, shard_count):
                shutil.copytree(path, building / path.name)
        old = previous or {}
        catalog: dict[str, dict] = {}
        writers = shards.ShardWriters(building, shard_count, fresh=previous is None, lock_fd=lock_fd)
        try:
            processed = 0
            for reader in readers:
                for record in reader:
                    processed += 1
                    if isinstance(record, Skipped):
                        _skip(report, recorder, record)
                    elif record.id in catalog:
                        _skip(report, recorder, Skipped(f"id {record.id}", "duplicate id, first one kept"))
                    else:
                        content = record.content_hash()
                        if old.get(record.id, {}).get("hash") == content:
                            catalog[record.id] = old[record.id]  # quoted sources included
                            report.reused += 1
                        else:
                            record.sources = unique(record.sources + extract_sources(record.body, record.body_html))
                            catalog[record.id] = _catalog_entry(record, content)
                            report.analysed += 1
                            writers.send(record.id, "update" if record.id in old else "add",
                                         _document(record))
                    recorder.progress(processed, max(total, processed))
                    if progress:
                        progress(processed, max(total, processed))
                for why, n in getattr(reader, "excluded", {}).items():
                    report.excluded[why] = report.excluded.get(why, 0) + n
            for gone in old.keys() - catalog.keys():
                writers.send(gone, "delete", gone)
                report.removed += 1
            _refuse_if_suspicious(len(catalog), live_count, allow_shrink)
            # `total` was an estimate (a reader counts items before excluding drafts...).
            recorder.progress(processed, processed, force=True)
            if progress:
                progress(processed, processed)
            vocabulary = LexiconBuilder(Lexicon.load(index_dir / live) if previous is not None else None)
            writers.commit(vocabulary)
        finally:
            writers.cancel()

        _write_side_files(building, shard_count, catalog)
        vocabulary.save(building)
        report.articles = len(catalog)
        meta = {"generation": name, "articles": len(catalog), "built_at": now_iso(),
                "analyzer": ANALYZER_VERSION, "quotes": QUOTES_VERSION, "layout": LAYOUT, "shards": shard_count,
                "sources": [str(s) for s in sources],
                "analysed": report.analysed, "reused": report.reused, "removed": report.removed,
                "skipped": len(report.skipped)}
        (building / generations.META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        generations.publish(index_dir, building, name)
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    generations.remove_leftovers(index_dir)
    report.seconds = time.monotonic() - started
    return report


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


def _previous_catalog(folder: Path, meta: dict) -> dict | None:
    """The live generation's catalog, when its analysis and layout match this code's, its
    files are sound and its shards hold few segments; else None (a full build: damage is
    never copied into a new generation)."""
    try:
        if (meta.get("analyzer") != ANALYZER_VERSION or meta.get("quotes") != QUOTES_VERSION
                or meta.get("layout") != LAYOUT or not meta.get("shards")):
            return None
        generations.verify(folder)
        if any(shards.too_many_segments(p) for p in shards.shard_dirs(folder, meta["shards"])):
            return None
        return json.loads((folder / CATALOG).read_text(encoding="utf-8"))
    except (OSError, ValueError, generations.CorruptGeneration):
        return None


def _catalog_entry(article: Article, content_hash: str) -> dict:
    return {"hash": content_hash, "date": article.date, "author": article.author,
            "tags": article.tags, "categories": article.categories, "sources": article.sources}


def _document(article: Article) -> dict:
    return {
        "id": article.id, "url": article.url, "title": article.title, "body": article.body,
        "tags": "\n".join(article.tags), "categories": "\n".join(article.categories),
        "sources": "\n".join(article.sources),
        "date": article.date, "author": article.author, "tag_list": article.tags,
        "category_list": article.categories, "source_list": article.sources,
    }


def _write_side_files(building: Path, shard_count: int, catalog: dict) -> None:
    """Facet columns and the catalog, beside the shards."""
    with shards.open_reader(building, shard_count) as reader:
        doc_ids = []
        for leaf, _ in reader.leaf_readers():
            ids = leaf.column_reader("id")
            doc_ids.extend(None if leaf.is_deleted(d) else ids[d] for d in range(leaf.doc_count_all()))
    Columns.build(doc_ids, catalog).save(building)

    (building / CATALOG).write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")

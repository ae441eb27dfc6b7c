"""Merging segments in the background, so that live writes never leave an index of many small ones.

Each live batch adds a small segment to the shards it touches; every segment costs each search
a lookup of each term. The applier starts `archive-search merge` (one at a time, `merge.lock`)
when a shard's segments call for it (`plan`):

- tiered: segments are grouped by size (tiers of ×FACTOR documents); FACTOR segments of one
  tier are merged into one of the next, so a document is rewritten about log(N) times;
- a segment of which more than EXPUNGE_SHARE of the documents are deleted is rewritten alone
  (its deleted documents dropped), so replacing archive articles does not leave big segments
  mostly dead.

A merge reads the live documents of the chosen segments (their stored fields and catalog
entries), writes them as one new segment in a staging folder, with nice 10, outside every
lock; then, under the writer lock, it publishes a generation where that segment replaces the
chosen ones — unless a build replaced them meanwhile — with the deletions made meanwhile
carried over to the new segment's documents. Searches see the same articles before and after.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.ingest import document
from indexer.storage import generations, segments, whoosh_io
from indexer.storage.shards import SEGMENT_DOCS, ShardSession
from indexer.storage.segments import SegmentFiles

log = logging.getLogger("archive_search.merge")

LOCK = "merge.lock"
MERGING_PREFIX = ".merging-"
FACTOR = 4            # segments of one tier merged into one of the next
EXPUNGE_SHARE = 0.3   # a segment with more deleted documents than this is rewritten


@dataclass
class Merge:
    shard: int
    segment_ids: list[str]
    documents: int  # live documents the new segment will hold
    why: str


def shard_segments(folder: Path, shards: int) -> dict[int, list]:
    """Each shard's segments (Whoosh's table-of-contents entries) in a generation."""
    return {i: [s for s in whoosh_io.read_toc(path).segments if s.doc_count_all()]
            for i, path in enumerate(generations.shard_dirs(folder, shards))}


def plan(segments_by_shard: dict[int, list]) -> Merge | None:
    """The most useful merge of a generation's segments (`shard_segments`), or None."""
    candidates = []
    for shard, members in sorted(segments_by_shard.items()):
        tiers: dict[int, list] = {}
        for segment in members:
            if segment.doc_count_all() < SEGMENT_DOCS:
                tiers.setdefault(_tier(segment.doc_count_all()), []).append(segment)
        for tier, group in sorted(tiers.items()):
            if len(group) >= FACTOR:
                chosen = sorted(group, key=lambda s: s.doc_count_all())[:FACTOR]
                total = sum(_live(s) for s in chosen)
                if total <= SEGMENT_DOCS:
                    candidates.append(Merge(shard, [s.segment_id() for s in chosen], total,
                                            f"{FACTOR} segments of tier {tier}"))
        for segment in members:
            deleted = segment.deleted_count()
            if deleted / segment.doc_count_all() > EXPUNGE_SHARE:
                candidates.append(Merge(shard, [segment.segment_id()], _live(segment),
                                        f"{deleted} of {segment.doc_count_all()} documents deleted"))
    # Small merges first: they are quick and bring the segment count down the most per second.
    return min(candidates, key=lambda m: m.documents) if candidates else None


def _live(segment) -> int:
    return segment.doc_count_all() - segment.deleted_count()


def _tier(documents: int) -> int:
    return int(math.log(max(documents, 1), FACTOR))


@dataclass
class _Source:
    """A chosen segment, read under the writer lock: its Whoosh reader (which reads on from its
    open file whatever happens to the generation's folder), deletions and catalog."""

    segment_id: str
    reader: object
    deleted: set
    catalog: list[dict]


def merge_once(index_dir: Path) -> Merge | None:
    """Plans and runs one merge; returns it, or None when none was due (or a build won the race)."""
    index_dir = Path(index_dir)
    with generations.WriterLock(index_dir):
        live = generations.read_current(index_dir)
        if live is None:
            return None
        folder = index_dir / live
        chosen = plan(shard_segments(folder, generations.read_meta(folder)["shards"]))
        if chosen is None:
            return None
        sources = _open_sources(folder, chosen)
    log.info("merging %d segments of shard %d (%s)", len(chosen.segment_ids), chosen.shard, chosen.why)
    staging = index_dir / f"{MERGING_PREFIX}{secrets.token_hex(4)}"
    try:
        origin = _write_merged(sources, staging)
        with generations.WriterLock(index_dir):
            if not _publish(index_dir, chosen, staging, origin):
                log.info("merge dropped: its segments were replaced meanwhile")
                return None
        generations.remove_old_generations(index_dir)
        return chosen
    finally:
        generations.remove_unfinished(index_dir, staging.name)


def _open_sources(folder: Path, chosen: Merge) -> list[_Source]:
    """The chosen segments of the generation at `folder`, their files checked against its
    manifest first (a merge must not carry damage into a segment with a fresh checksum): the
    chosen segments' files only, not the whole index's, as this runs under the writer lock."""
    shard = folder / f"{generations.SHARD_PREFIX}{chosen.shard}"
    toc = whoosh_io.read_toc(shard)
    listed = {s.segment_id(): s for s in toc.segments}
    paths = [p for i in chosen.segment_ids for p in whoosh_io.segment_files(shard, listed[i]) + segments.files_of(shard, i)]
    generations.verify_files(folder, paths)
    return [_Source(i, whoosh_io.segment_reader(shard, toc.schema, listed[i]), set(listed[i].deleted_docs()),
                    SegmentFiles.load(shard, i).catalog(shard)) for i in chosen.segment_ids]


def _write_merged(sources: list[_Source], staging: Path) -> list[tuple[str, int]]:
    """Writes the chosen segments' live documents as one segment in `staging`; returns where
    each of its documents came from, (segment id, document number), in its order."""
    from indexer.live.documents import from_record

    session = ShardSession(staging, fresh=True)
    origin = []
    try:
        for source in sources:
            for local, entry in enumerate(source.catalog):
                if local in source.deleted:
                    continue
                session.put(document(_article(source.reader.stored_fields(local), entry, from_record)),
                            entry, replace=False)
                origin.append((source.segment_id, local))
        session.commit()
    except BaseException:
        session.cancel()
        raise
    return origin


def _article(stored: dict, entry: dict, from_record):
    """The article a stored document and its catalog entry describe (its HTML is not needed
    again: its quoted sources are in the entry)."""
    return from_record({
        "id": stored["id"], "title": stored.get("title") or "", "body": stored.get("body") or "",
        "url": stored.get("url") or "", "date": stored.get("date") or "", "author": stored.get("author") or "",
        "tags": stored.get("tag_list") or [], "categories": stored.get("category_list") or [],
        "sources": entry.get("sources") or stored.get("source_list") or []})


def _publish(index_dir: Path, chosen: Merge, staging: Path, origin: list[tuple[str, int]]) -> bool:
    """Publishes the live generation with the merged segment in place of the chosen ones.
    Called under the writer lock; False (nothing done) if a chosen segment is gone."""
    base = index_dir / generations.read_current(index_dir)
    shard_name = f"{generations.SHARD_PREFIX}{chosen.shard}"
    toc = whoosh_io.read_toc(base / shard_name)
    listed = {s.segment_id(): s for s in toc.segments}
    if not set(chosen.segment_ids) <= listed.keys():
        return False
    staged = whoosh_io.read_toc(staging).segments
    building = index_dir / f"{MERGING_PREFIX}{secrets.token_hex(4)}-generation"
    try:
        generations.link_tree(base, building)
        shard = building / shard_name
        for segment_id in chosen.segment_ids:  # the chosen segments leave this generation
            for path in whoosh_io.segment_files(shard, listed[segment_id]) + segments.files_of(shard, segment_id):
                path.unlink()
        kept = [s for s in toc.segments if s.segment_id() not in set(chosen.segment_ids)]
        first = 0
        for merged in staged:  # (none when every chosen document was deleted)
            for path in whoosh_io.segment_files(staging, merged) + segments.files_of(staging, merged.segment_id()):
                os.link(path, shard / path.relative_to(staging))
            # Documents deleted while the merge ran are deleted in the merged segment too.
            for new in range(merged.doc_count_all()):
                segment_id, local = origin[first + new]
                if listed[segment_id].is_deleted(local):
                    merged.delete_document(new)
            first += merged.doc_count_all()
            kept.append(merged)
        whoosh_io.write_toc(shard, toc.schema, kept, toc.generation + 1)
        meta = generations.read_meta(base)
        meta.update(generation="", merged_at=_now())
        (building / generations.META).unlink(missing_ok=True)
        (building / generations.META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        generations.publish(index_dir, building, generations.known_checksums(base))
        return True
    finally:
        if building.exists():
            generations.remove_unfinished(index_dir, building.name)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def run(index_dir: Path) -> int:
    """Merges until no merge is due; returns how many ran. The caller holds `merge.lock`."""
    count = 0
    while merge_once(index_dir) is not None:
        count += 1
    return count

"""A few changes written into a generation in the making, in this process: the live applier's
batches, a build's catch-up with what was pushed while it ran, a merge's segment.

Each shard that a change touches gets one new segment (and its own files) and the deletions of
the versions it replaces; every other file stays as it was linked from the last generation.
"""

from __future__ import annotations

from pathlib import Path

from indexer.storage import whoosh_io
from indexer.storage.generations import shard_dirs
from indexer.storage.lexicon import LexiconBuilder
from indexer.storage.shards import ShardSession, ShardWriters, shard_of

# From this many changes, each shard is written by a process of its own (as in a build): Whoosh
# writes a segment in pure Python, one core a shard. Below it, forking costs more than it saves.
PARALLEL_FROM = 24

# A change: an article id and what becomes of it, (document, catalog entry) or None (deleted).
Change = tuple[str, "tuple[dict, dict] | None"]


def apply_changes(folder: Path, shards: int, changes: list[Change], vocabulary: LexiconBuilder) -> None:
    """Writes `changes` (one per article id) into the generation at `folder`, counting the
    words of the articles put into `vocabulary`."""
    if len(changes) >= PARALLEL_FROM and shards > 1:
        writers = ShardWriters(folder, shards, fresh=False)
        try:
            for article_id, change in changes:
                if change is None:
                    writers.send(article_id, "delete", article_id)
                else:
                    writers.send(article_id, "update", change)
            writers.commit(vocabulary)
        finally:
            writers.cancel()
        return
    by_shard: dict[int, list[Change]] = {}
    for change in changes:
        by_shard.setdefault(shard_of(change[0], shards), []).append(change)
    paths = shard_dirs(folder, shards)
    for shard, shard_changes in sorted(by_shard.items()):
        path = paths[shard]
        session = ShardSession(path, fresh=not whoosh_io.exists(path))
        try:
            for article_id, change in shard_changes:
                if change is None:
                    session.delete(article_id)
                else:
                    session.put(*change, replace=True)
            session.commit()
        except BaseException:
            session.cancel()
            raise
        vocabulary.merge(session.vocabulary.export())


def live_articles(folder: Path, shards: int) -> int:
    """Documents not deleted, over every shard's table of contents."""
    total = 0
    for path in shard_dirs(folder, shards):
        if whoosh_io.exists(path):
            total += sum(s.doc_count_all() - s.deleted_count() for s in whoosh_io.read_toc(path).segments)
    return total

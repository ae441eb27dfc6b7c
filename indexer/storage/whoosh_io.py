"""Whoosh's files, opened the way this index needs them.

- Without mmap: Whoosh reads a compound segment through `BufferFile`, which copies each
  sub-file it opens (the terms and postings of a segment) into a private `BytesIO`: ~2 GB a
  worker at 100k articles, for postings the search reads from its own arrays anyway. Opened
  through file reads instead, a segment reader costs a few milliseconds and almost no memory,
  and it keeps reading from its open file once its folder is unlinked (a generation removed
  while its segments live on, hard-linked, in the next one).
- The table of contents (TOC) of a shard lists its segments and, for each, its deleted
  documents: a generation's view of a segment is its TOC entry; the segment's files never change.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.reading import SegmentReader

INDEX_NAME = "MAIN"


def storage(path: Path) -> FileStorage:
    return FileStorage(str(path), supports_mmap=False)


def create(path: Path, schema):
    path.mkdir(parents=True, exist_ok=True)
    return storage(path).create_index(schema, indexname=INDEX_NAME)


def open_index(path: Path):
    return storage(path).open_index(indexname=INDEX_NAME)


def read_toc(path: Path) -> TOC:
    """The shard's newest table of contents: `.schema`, `.segments` (with their deletions), `.generation`."""
    return TOC.read(storage(path), INDEX_NAME)


def segment_reader(path: Path, schema, segment) -> SegmentReader:
    return SegmentReader(storage(path), schema, segment)


def write_toc(path: Path, schema, segments: list, generation: int) -> None:
    """Writes a new table of contents for `path` (written to a temporary name, then renamed by
    Whoosh) and removes the older ones; segment files are left to the caller."""
    store = storage(path)
    TOC(schema, segments, generation).write(store, INDEX_NAME)
    for name in store.list():
        if name.startswith(f"_{INDEX_NAME}_") and name.endswith(".toc") and name != f"_{INDEX_NAME}_{generation}.toc":
            store.delete_file(name)


def segment_files(path: Path, segment) -> list[Path]:
    """The files of one segment in a shard folder (its compound file, or its parts)."""
    prefix = f"{segment.segment_id()}."
    return sorted(p for p in path.iterdir() if p.name.startswith(prefix))


def exists(path: Path) -> bool:
    return whoosh_index.exists_in(str(path), indexname=INDEX_NAME)

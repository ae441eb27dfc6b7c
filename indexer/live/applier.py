"""The applier: the one process that applies the journal's writes to the index.

It holds `applier.lock` (one applier per index; `archive-search serve` keeps one running, and
`archive-search put` applies its own writes when none runs). Each step:

1. reads the journal's records after the live generation's `journal_seq` (a batch of up to
   BATCH_OPS operations; for each article only its last write counts);
2. finds quoted sources and content hashes, outside any lock;
3. under the writer lock, writes a new generation: the live one's files hard-linked, one new
   segment in each shard the batch touches (storage/changes.py), the deletions of the versions
   it replaces, the lexicon's delta, `journal_seq` set to the batch's last record; publishes it;
4. records the batch in the ledger in one fsynced transaction (the pushed articles that every
   later build lays over the archive; the tasks, succeeded) and discards journal files that
   are applied everywhere.

A crash at any point loses nothing: before the publication the journal still holds the
batch and the live generation says it is not applied; after it, the replay at start lays
into the ledger what the live generation holds but the ledger does not. Each write is
applied once: the live generation's `journal_seq` says where the next batch starts.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from indexer.errors import ArchiveSearchError
from indexer.ingest import prepare
from indexer.live.documents import from_record
from indexer.live.journal import Journal, Record
from indexer.live.ledger import Ledger
from indexer.live.processes import MergeStarter
from indexer.storage import generations, shards, whoosh_io
from indexer.storage.changes import apply_changes, live_articles
from indexer.storage.lexicon import DELTA_LIMIT, LexiconBuilder, Vocabulary, write_arrays

log = logging.getLogger("archive_search.applier")

APPLYING_PREFIX = ".applying-"
BATCH_OPS = 2000           # operations applied in one generation at most
BATCH_BYTES = 32 << 20     # journal bytes read for one batch at most
POLL = 0.05                # seconds between looks at the journal when idle
# While writes stream in, at most one generation this often: each generation makes every worker
# open it and score terms anew, and the applier's work takes the searches' cores (Elasticsearch's
# refresh interval, 1 s by default, is the same trade). A write after a quiet spell goes at once.
REFRESH_INTERVAL = 0.25
RETRY_AFTER_FULL_DISK = 2.0


def applied_seq(index_dir: Path) -> int:
    """The journal sequence number the live generation has applied up to (0 without one)."""
    live = generations.read_current(index_dir)
    if not live:
        return 0
    try:
        return generations.read_meta(index_dir / live).get("journal_seq", 0)
    except (OSError, ValueError):
        return 0


class Applier:
    def __init__(self, index_dir: Path | str):
        self.index_dir = Path(index_dir)
        self.journal = Journal(self.index_dir)
        self.ledger = Ledger(self.index_dir, durable=True)
        self.applied = 0  # operations applied by this process, for the CLI
        self.merges = MergeStarter(self.index_dir)

    # --- the loop --------------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, until_idle: bool = False,
            timeout: float | None = None) -> None:
        """Applies the journal as it grows until `stop` is set (or, with `until_idle`, until
        nothing is left, or `timeout` seconds have passed: writes that wait for room stay in
        the journal for the next run). The caller holds the applier lock (ApplierLock)."""
        self.recover()
        wait = 0.0
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (stop is not None and stop.is_set()) and not (deadline and time.monotonic() > deadline):
            started = time.monotonic()
            try:
                done = self.step()
            except (DiskFull, OSError, sqlite3.Error) as error:  # the system's trouble: writes wait
                reason = str(error) if isinstance(error, DiskFull) else f"waiting: {error}"
                log.warning("writes wait: %s", reason)
                self._note_waiting(reason)
                wait = RETRY_AFTER_FULL_DISK
                done = 0
            if not until_idle:
                self.merges.check()
                self._repair_if_damaged()
            if done:
                wait = 0.0
                if not until_idle:  # the next batch gathers what arrives meanwhile
                    pause = REFRESH_INTERVAL - (time.monotonic() - started)
                    (stop.wait if stop is not None else time.sleep)(max(0.0, pause))
                continue
            if until_idle and not self._unapplied():
                return
            if stop is not None:
                stop.wait(max(wait, POLL))
            else:
                time.sleep(max(wait, POLL))

    def recover(self) -> None:
        """After a crash: cut the journal's torn tail, remove what a dead applier was writing,
        and lay into the ledger what the live generation holds and the ledger does not yet."""
        self.journal.repair()
        generations.remove_unfinished(self.index_dir, APPLYING_PREFIX)
        target = applied_seq(self.index_dir)
        laid = self.ledger.laid_through()
        if laid < target:
            records = [r for r in self.journal.read(after=laid) if r.seq <= target]
            with self.ledger.transaction() as db:
                for record in records:
                    self.ledger.lay(db, record.seq, record.payload["ops"])
                self.ledger.set_state(db, [_task(r) for r in records], "succeeded")
            log.info("replayed %d applied records into %s", len(records), self.ledger.path)

    def _repair_if_damaged(self) -> None:
        """When a reader reported the live generation damaged (a bad disk, a file edited by
        hand): checks every one of its files and, if it is, starts `index --repair`, a full
        build from the recorded sources and the pushed articles (generations share their
        segments, so an older generation is usually damaged too)."""
        report = generations.reported_damage(self.index_dir)
        if report is None:
            return
        from indexer.errors import IndexBusy
        from indexer.jobs import start_reindex
        live = generations.read_current(self.index_dir)
        try:
            damaged = live is None or not _sound(self.index_dir / live)
            if damaged:
                job = start_reindex(self.index_dir, [], repair=True)
                log.warning("generation %s is damaged: repair started (job %s)", live, job["id"])
        except IndexBusy:
            return  # a build runs: it writes a new generation anyway; look again after it
        (self.index_dir / generations.DAMAGE).unlink(missing_ok=True)

    def _unapplied(self) -> bool:
        return any(True for _ in self._pending(limit=1))

    # --- one batch -------------------------------------------------------------------------------------

    def step(self, max_records: int | None = None) -> int:
        """Applies the next batch; returns how many operations it applied (0: nothing to do).

        A full disk or another input/output error is the system's: the batch stays in the
        journal and is tried again (DiskFull, OSError, and the ledger's sqlite3 errors). A batch that fails for another reason
        is tried again one record at a time, and a record that fails alone is marked failed
        (it would block every write behind it otherwise)."""
        records = list(self._pending(limit=max_records))
        if not records:
            return 0
        try:
            return self._apply(records)
        except (DiskFull, OSError, sqlite3.Error):  # the disk's, the ledger's: not the record's
            raise
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the queue
            if len(records) > 1:
                log.warning("a batch of %d records failed (%r); applying them one at a time", len(records), error)
                return sum(self.step(max_records=1) or 0 for _ in records[:1])
            log.error("task %d failed: %r", records[0].seq, error)
            with self.ledger.transaction() as db:
                self.ledger.set_state(db, [_task(records[0])], "failed", error=_reason(error))
            return 1

    def _pending(self, limit: int | None = None):
        """The journal's records after the live generation's, but those of failed tasks,
        up to a batch's size."""
        applied = applied_seq(self.index_dir)
        last = self.journal.tail_seq()
        if last is None:  # waits for an append in progress; cuts a torn one off
            self.journal.repair()
            last = self.journal.last_seq()
        if last <= applied:
            return  # the idle case, twenty times a second: two small reads
        failed = self.ledger.failed_tasks(after=applied)
        ops = 0
        count = 0
        for record in self.journal.read(after=applied, limit_bytes=BATCH_BYTES):
            if record.seq in failed:
                continue
            yield record
            count += 1
            ops += len(record.payload["ops"])
            if ops >= BATCH_OPS or (limit is not None and count >= limit):
                return

    def _apply(self, records: list[Record]) -> int:
        # The last write of each article wins; ids keep the order of their last write.
        last: dict[str, dict] = {}
        for record in records:
            for op in record.payload["ops"]:
                article_id = op["article"]["id"] if op["op"] == "put" else op["id"]
                last.pop(article_id, None)
                last[article_id] = op
        # Quoted sources and hashes: the costly part, done before taking the writer lock.
        changes = [(i, prepare(from_record(op["article"]), None)[1] if op["op"] == "put" else None)
                   for i, op in last.items()]
        tasks = [_task(r) for r in records]
        with self.ledger.transaction() as db:
            self.ledger.set_state(db, tasks, "processing")
        with generations.WriterLock(self.index_dir):
            base = generations.read_current(self.index_dir)
            if applied_seq(self.index_dir) >= records[0].seq:
                return 0  # a build published meanwhile and caught up with these: read again
            try:
                self._publish(base, changes, records[-1].seq)
            except OSError as error:
                if generations.is_no_space(error):
                    raise DiskFull("the disk is full: the write waits and will be applied once there is room") from None
                raise
            except generations.NoSpace as full:
                raise DiskFull(str(full)) from None
            with self.ledger.transaction() as db:
                for record in records:
                    self.ledger.lay(db, record.seq, record.payload["ops"])
                self.ledger.set_state(db, tasks, "succeeded")
                self.ledger.prune(db)
        # After the lock: the next batch need not wait for unlinking (it keeps the live
        # generation and its fallback, whatever a writer publishes meanwhile).
        generations.remove_old_generations(self.index_dir)
        self.journal.discard_through(min(records[-1].seq, self.ledger.laid_through()))
        self.applied += len(changes)
        return len(changes)

    def _publish(self, base: str | None, changes: list, journal_seq: int) -> str:
        """Writes and publishes the generation `base` plus `changes`. Called under the writer lock."""
        building = self.index_dir / f"{APPLYING_PREFIX}{secrets.token_hex(4)}"
        try:
            if base is None:  # the first articles of an index: fresh shards
                building.mkdir()
                meta = {"analyzer": _versions()[0], "quotes": _versions()[1], "layout": generations.LAYOUT,
                        "shards": shards.default_shards(), "sources": [], "built_at": _now()}
                known, vocabulary = {}, LexiconBuilder()
                base_vocabulary = None
                from indexer.schema import make_schema
                for path in generations.shard_dirs(building, meta["shards"]):
                    whoosh_io.create(path, make_schema())
            else:
                source = self.index_dir / base
                generations.link_tree(source, building)
                meta = generations.read_meta(source)
                known = generations.known_checksums(source)
                base_vocabulary = Vocabulary.load(source)
                vocabulary = LexiconBuilder(_delta_of(base_vocabulary))
            apply_changes(building, meta["shards"], changes, vocabulary)
            _save_vocabulary(building, base_vocabulary, vocabulary)
            meta.update(generation="", journal_seq=journal_seq, updated_at=_now(),
                        articles=live_articles(building, meta["shards"]))
            _replace(building / generations.META, json.dumps(meta, ensure_ascii=False))
            return generations.publish(self.index_dir, building, known)
        finally:
            if building.exists():
                generations.remove_unfinished(self.index_dir, building.name)

    def _note_waiting(self, reason: str) -> None:
        try:
            self.ledger.note_waiting([r.seq for r in self._pending()], reason)
        except Exception:  # noqa: BLE001 - a full disk may refuse this too; the log says it
            log.warning("writes wait: %s", reason)


class DiskFull(ArchiveSearchError):
    """A batch could not be written for lack of space: it stays in the journal, retried."""

    code = "insufficient_storage"


def _sound(folder: Path) -> bool:
    try:
        generations.verify(folder)
        return True
    except (generations.CorruptGeneration, OSError):
        return False


def _task(record: Record) -> dict:
    """The ledger row of a journal record (written if the API could not write it)."""
    payload = record.payload
    ids = [op["article"]["id"] if op["op"] == "put" else op["id"] for op in payload["ops"]]
    return {"id": record.seq, "kind": payload["kind"], "articles": len(ids), "ids": ids,
            "enqueued_at": payload["enqueued_at"], "enqueued_unix": payload.get("enqueued_unix")}


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, ArchiveSearchError) else f"{type(error).__name__}: {text}"


def _delta_of(vocabulary: Vocabulary):
    """The delta layer of a vocabulary, as what a LexiconBuilder starts from (or None)."""
    return Vocabulary(vocabulary.layers[1:]) if len(vocabulary.layers) > 1 else None


def _save_vocabulary(building: Path, base: Vocabulary | None, delta: LexiconBuilder) -> None:
    """The batch's new words: into the delta (words the lexicon arrays already hold are left
    out: their counts only rank candidates, and may drift until the next full build, so a
    delta grows with new words only), or, once the delta is large (or there is no base), into
    new lexicon arrays holding everything. Linked files are replaced, never rewritten: the
    live generation shares them."""
    from indexer.storage import lexicon

    arrays = base.layers[0] if base is not None else None
    entries = {w: e for w, e in delta.entries().items() if arrays is None or not arrays.count(w)}
    if arrays is not None and len(entries) < DELTA_LIMIT:
        _replace(building / lexicon.DELTA, json.dumps(entries, ensure_ascii=False, separators=(",", ":")))
        return
    merged = {word: [count, surface] for word, count, surface in (arrays.items() if arrays else ())}
    for word, (count, surface) in entries.items():
        found = merged.setdefault(word, [0, surface])
        found[0] += count
        found[1] = surface
    for path in lexicon.files(building):
        path.unlink(missing_ok=True)
    (building / lexicon.DELTA).unlink(missing_ok=True)
    write_arrays(building, {w: tuple(v) for w, v in merged.items()})


def _replace(path: Path, text: str) -> None:
    """Writes `path` as a new file (a hard-linked one is left untouched for its other names)."""
    path.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8")


def _versions() -> tuple[str, str]:
    from indexer.analysis import ANALYZER_VERSION
    from indexer.sources.quotes import QUOTES_VERSION
    return ANALYZER_VERSION, QUOTES_VERSION


def _now() -> str:
    from indexer.jobs import now_iso
    return now_iso()

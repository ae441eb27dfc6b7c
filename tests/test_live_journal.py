"""The write-ahead journal on real files: order, durability marks, torn tails, damage, rotation."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from indexer.live import journal as journal_mod
from indexer.live.journal import Journal


def _payload(i: int, size: int = 10) -> dict:
    return {"kind": "put", "ops": [{"op": "put", "article": {"id": str(i), "body": "é" * size}}]}


def test_records_come_back_in_order_with_consecutive_sequence_numbers(tmp_path):
    j = Journal(tmp_path)
    seqs = [j.append(_payload(i, size=10 if i % 2 else 10_000)) for i in range(1, 21)]
    assert seqs == list(range(1, 21))
    records = list(j.read())
    assert [r.seq for r in records] == seqs
    assert records[3].payload == _payload(4, 10_000)  # a large payload is compressed, and read back
    assert [r.seq for r in j.read(after=15)] == [16, 17, 18, 19, 20]
    assert j.last_seq() == 20
    # A new Journal object (another process) reads the same.
    assert [r.seq for r in Journal(tmp_path).read(after=18)] == [19, 20]


def test_reading_on_from_where_it_stopped_sees_new_records(tmp_path):
    j = Journal(tmp_path)
    for i in range(1, 4):
        j.append(_payload(i))
    assert [r.seq for r in j.read(after=0)] == [1, 2, 3]
    Journal(tmp_path).append(_payload(4))
    assert [r.seq for r in j.read(after=3)] == [4]
    assert [r.seq for r in j.read(after=1)] == [2, 3, 4]


def test_a_torn_tail_is_not_read_then_cut_off_and_reported_by_the_next_append(tmp_path):
    j = Journal(tmp_path)
    for i in range(1, 4):
        j.append(_payload(i))
    path = j.files()[-1]
    size = path.stat().st_size
    with open(path, "ab") as f:  # an append killed half-way: a header and part of a payload
        f.write(b"ASJ1" + b"\x00" * 30)
    assert [r.seq for r in j.read()] == [1, 2, 3]  # an incomplete tail may be an append in progress
    assert j.append(_payload(4)) == 4
    assert [r.seq for r in Journal(tmp_path).read()] == [1, 2, 3, 4]
    assert path.stat().st_size > size
    repairs = j.repairs()
    assert len(repairs) == 1 and repairs[0]["bytes"] == 34 and "torn" in repairs[0]["what"]


def test_repair_cuts_a_torn_last_record_and_keeps_the_rest(tmp_path):
    j = Journal(tmp_path)
    for i in range(1, 6):
        j.append(_payload(i, size=2000))
    path = j.files()[-1]
    with open(path, "r+b") as f:  # the last record's end never reached the disk
        f.truncate(path.stat().st_size - 100)
    Journal(tmp_path).repair()
    assert [r.seq for r in Journal(tmp_path).read()] == [1, 2, 3, 4]
    assert Journal(tmp_path).last_seq() == 4
    assert Journal(tmp_path).append(_payload(5)) == 5  # the lost number is given again: it was never acknowledged


def test_a_damaged_record_in_the_middle_is_skipped_and_reported_once(tmp_path):
    j = Journal(tmp_path)
    for i in range(1, 6):
        j.append(_payload(i, size=50))
    path = j.files()[-1]
    data = bytearray(path.read_bytes())
    third = data.find(b"ASJ1", data.find(b"ASJ1", data.find(b"ASJ1") + 1) + 1)
    data[third + 40] ^= 0xFF  # a flipped byte inside record 3's payload
    path.write_bytes(bytes(data))
    reader = Journal(tmp_path)
    assert [r.seq for r in reader.read()] == [1, 2, 4, 5]
    assert [r.seq for r in reader.read(after=2)] == [4, 5]
    assert len(reader.repairs()) == 1 and "damaged" in reader.repairs()[0]["what"]


def test_files_rotate_and_applied_ones_are_discarded(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_mod, "FILE_LIMIT", 3000)
    j = Journal(tmp_path)
    for i in range(1, 31):
        j.append(_payload(i, size=400))
    files = j.files()
    assert len(files) > 3
    assert [r.seq for r in j.read()] == list(range(1, 31))
    j.discard_through(20)
    left = j.files()
    assert len(left) < len(files) and left[-1] == files[-1]
    assert [r.seq for r in Journal(tmp_path).read(after=20)] == list(range(21, 31))
    assert Journal(tmp_path).append(_payload(31)) == 31


def _append_many(folder: str, n: int, out) -> None:
    j = Journal(folder)
    out.put([j.append(_payload(os.getpid())) for _ in range(n)])


def test_appends_from_several_processes_get_distinct_consecutive_numbers(tmp_path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), 25, out)) for _ in range(4)]
    for p in procs:
        p.start()
    got = sorted(s for _ in procs for s in out.get(timeout=60))
    for p in procs:
        p.join(timeout=60)
    assert got == list(range(1, 101))
    assert [r.seq for r in Journal(tmp_path).read()] == got


def test_an_oversized_payload_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_mod, "MAX_PAYLOAD", 100)
    j = Journal(tmp_path)
    with pytest.raises(journal_mod.JournalError):
        j.append({"body": os.urandom(400).hex()})
    assert j.last_seq() == 0 and list(j.read()) == []

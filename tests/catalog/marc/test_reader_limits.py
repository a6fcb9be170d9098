"""The ISO 2709 reader holds at most about a mebibyte of a piece that never ends."""

from __future__ import annotations

import io
import tracemalloc

from catalog.marc import codes, to_iso2709
from catalog.marc.reader import MAX_RECORD_BYTES, MarcFile, ReadRecord, RejectedRecord
from tests.support.marc import cnmarc

MIB = 1024 * 1024


def _record(title: str) -> bytes:
    return to_iso2709(cnmarc(title), "cnmarc")


def test_a_piece_over_a_mebibyte_without_a_terminator_is_one_rejection_and_reading_goes_on():
    first, last = _record("前一条"), _record("后一条")
    junk = b"A" * (3 * MIB)
    entries = list(MarcFile(io.BytesIO(first + junk + b"\x1d" + last)))
    assert [type(e) for e in entries] == [ReadRecord, RejectedRecord, ReadRecord]
    rejected = entries[1]
    assert (rejected.index, rejected.code, rejected.offset) == (2, codes.MARC_RECORD_TOO_LONG, len(first))
    assert entries[2].offset == len(first) + len(junk) + 1
    assert entries[2].record["200"]["a"] == "后一条"


def test_a_file_that_ends_inside_an_over_long_piece_reports_it_once():
    entries = list(MarcFile(io.BytesIO(_record("唯一") + b"B" * (2 * MIB + 5))))
    assert [getattr(e, "code", None) for e in entries] == [None, codes.MARC_RECORD_TOO_LONG]


def test_padding_between_records_is_not_a_record_however_long():
    data = _record("甲") + b"\x00" * (3 * MIB) + _record("乙")
    entries = list(MarcFile(io.BytesIO(data)))
    assert [type(e) for e in entries] == [ReadRecord, ReadRecord]


def test_reading_a_piece_that_never_ends_keeps_memory_flat():
    data = io.BytesIO(_record("开头") + b"C" * (24 * MIB) + b"\x1d" + _record("结尾"))
    tracemalloc.start()
    try:
        entries = list(MarcFile(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(entries) == 3
    # The chunk being read plus at most MAX_RECORD_BYTES held: nowhere near the 24 MiB.
    assert peak < 4 * MAX_RECORD_BYTES

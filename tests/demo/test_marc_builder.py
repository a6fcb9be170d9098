"""Facts -> MARC: flavours, holdings, ISO 2709 byte lengths, GB18030 round trip."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import pymarc
import pytest

from ils.demo.marc_builder import (
    build_records,
    load_network,
    load_works,
    pinyin,
    record_to_iso2709,
    write_iso2709,
)

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(scope="module")
def network() -> dict:
    return load_network()


@pytest.fixture(scope="module")
def works():
    return load_works()


@pytest.fixture(scope="module")
def built(works, network):
    codes = [u["code"] for u in network["units"]]
    return build_records(works, codes, seed=2026, today=TODAY)


@pytest.fixture(scope="module")
def files(built, tmp_path_factory) -> tuple[Path, Path]:
    cnmarc, marc21 = built
    out = tmp_path_factory.mktemp("demo")
    cn_path, m21_path = out / "demo-cnmarc.iso", out / "demo-marc21.iso"
    write_iso2709(cnmarc, cn_path, "gb18030")
    write_iso2709(marc21, m21_path, "utf-8")
    return cn_path, m21_path


def _holdings(built):
    cnmarc, marc21 = built
    for record in cnmarc:
        for field in record.get_fields("905"):
            yield field["a"], field["b"]
    for record in marc21:
        for field in record.get_fields("952"):
            yield field["a"], field["p"]


def test_flavours(built, works):
    cnmarc, marc21 = built
    assert len(cnmarc) == sum(w.language == "chi" for w in works)
    assert len(marc21) == sum(w.language == "eng" for w in works)
    for record in cnmarc:
        leader = str(record.leader)
        assert len(leader) == 24 and leader[9] == " " and leader[20:24] == "450 "
        assert record["001"].data.startswith("DEMO")
        assert record["200"]["a"] and record["200"]["A"] and record["690"]["v"] == "5"
        data100 = record["100"]["a"]
        assert len(data100) == 36 and data100[:8] == "20261123" and data100[22:25] == "chi"
        assert data100[26:30] == "50  "
        assert record["101"]["a"] == "chi" and record["102"]["a"] == "CN"
        assert record.get_fields("905") and not record.get_fields("245")
    for record in marc21:
        leader = str(record.leader)
        assert len(leader) == 24 and leader[9] == "a"
        assert len(record["008"].data) == 40 and record["008"].data[35:38] == "eng"
        assert record["245"]["a"] and record["084"]["2"] == "clc"
        assert record.get_fields("952") and not record.get_fields("200")


def test_copies_match_works(built, works):
    cnmarc, marc21 = built
    by_id = {r["001"].data: r for r in cnmarc + marc21}
    for number, work in enumerate(works, start=1):
        record = by_id[f"DEMO{number:06d}"]
        tag = "905" if work.language == "chi" else "952"
        assert len(record.get_fields(tag)) == work.copies


def test_barcodes_unique_and_shaped(built):
    barcodes = [b for _, b in _holdings(built)]
    assert len(barcodes) == len(set(barcodes))
    assert all(len(b) == 10 and b.isdigit() and b.startswith("01") for b in barcodes)


def test_holdings_units_exist_and_belong_to_the_county_system(built, network):
    levels = {u["code"]: u["level"] for u in network["units"]}
    counts = Counter(unit for unit, _ in _holdings(built))
    for unit in counts:
        assert unit in levels, unit
        assert unit.startswith("DC"), unit  # never the 中心馆 or the second system
        assert levels[unit] != "center"
    assert counts["DC"] == max(counts.values())  # the 总馆 holds most
    assert 0 < counts["DC-MOB"] <= 12
    assert sum(n for u, n in counts.items() if levels[u] == "branch") > 100


def test_holdings_by_item_type(built):
    cnmarc, _ = built
    local_main = local_all = child_small = child_all = 0
    for record in cnmarc:
        for field in record.get_fields("905"):
            if field["t"] == "local_doc":
                local_all += 1
                local_main += field["a"] == "DC"
            elif field["t"] == "children":
                child_all += 1
                child_small += field["a"] == "DC-SF" or field["a"].count("-") == 2
    assert local_main / local_all > 0.7
    assert child_small / child_all > 0.4


def test_book_numbers_increment_per_class(built):
    cnmarc, marc21 = built
    seen: dict[str, list[int]] = {}
    for record in cnmarc:
        field = record["905"]
        seen.setdefault(field["d"], []).append(int(field["e"]))
    for record in marc21:
        clc, number = record["952"]["o"].split("/")
        seen.setdefault(clc, []).append(int(number))
    for numbers in seen.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_deterministic(works, network, built):
    codes = [u["code"] for u in network["units"]]
    again = build_records(works, codes, seed=2026, today=TODAY)
    assert [record_to_iso2709(r, "gb18030") for r in again[0]] == [record_to_iso2709(r, "gb18030") for r in built[0]]
    other = build_records(works, codes, seed=7, today=TODAY)
    assert [r.get_fields("905")[0]["a"] for r in other[0]] != [r.get_fields("905")[0]["a"] for r in built[0]]


def test_gb18030_round_trip(files, built):
    cn_path, _ = files
    cnmarc, _ = built
    raw = cn_path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GB18030, not UTF-8
    with cn_path.open("rb") as fh:
        reader = pymarc.MARCReader(fh, to_unicode=True, force_utf8=False, file_encoding="gb18030")
        read = list(reader)
    assert len(read) == len(cnmarc)
    for original, back in zip(cnmarc, read):
        assert back is not None
        assert back["200"]["a"] == original["200"]["a"]
        assert back["200"]["A"] == original["200"]["A"]
        assert [f["b"] for f in back.get_fields("905")] == [f["b"] for f in original.get_fields("905")]


def test_marc21_round_trip(files, built):
    _, m21_path = files
    _, marc21 = built
    with m21_path.open("rb") as fh:
        read = list(pymarc.MARCReader(fh, to_unicode=True, force_utf8=True))
    assert [r["245"]["a"] for r in read] == [r["245"]["a"] for r in marc21]
    assert [r["020"].get("a") for r in read] == [r["020"].get("a") for r in marc21]


@pytest.mark.parametrize("which", [0, 1])
def test_leader_lengths_are_bytes(files, which):
    raw = files[which].read_bytes()
    chunks = raw.split(b"\x1d")
    assert chunks[-1] == b""
    for chunk in chunks[:-1]:
        record_bytes = chunk + b"\x1d"
        assert int(record_bytes[:5]) == len(record_bytes)
        base = int(record_bytes[12:17])
        assert record_bytes[base - 1 : base] == b"\x1e"
        # every directory entry points at a field ending in a field terminator
        directory = record_bytes[24 : base - 1]
        for i in range(0, len(directory), 12):
            length, start = int(directory[i + 3 : i + 7]), int(directory[i + 7 : i + 12])
            assert record_bytes[base + start + length - 1 : base + start + length] == b"\x1e"


def test_pinyin():
    assert pinyin("红楼梦") == "hong lou meng"
    assert pinyin("长安十二时辰") == "chang an shi er shi chen"
    assert pinyin("J.K.罗琳") == "j k luo lin"


def test_rejects_unknown_units(works):
    with pytest.raises(ValueError):
        build_records(works[:3], ["DC", "NOPE"], today=TODAY)


def test_only_county_units_receive_copies_even_when_given_others(works, network):
    cnmarc, marc21 = build_records(works[:40], ["KMLIB", "XD", "XD-RD", "DC", "DC-TD", "DC-TD-01", "DC-SF"],
                                   today=TODAY)
    units = {f["a"] for r in cnmarc for f in r.get_fields("905")}
    assert units <= {"DC", "DC-TD", "DC-TD-01", "DC-SF"}


def test_pinyin_fixes_and_surnames():
    from ils.demo.marc_builder import name_pinyin

    assert pinyin("朝花夕拾") == "zhao hua xi shi"
    assert name_pinyin("仇兆鳌") == "qiu zhao ao"
    assert name_pinyin("曾觉之") == "zeng jue zhi"
    assert name_pinyin("鲁迅") == "lu xun"

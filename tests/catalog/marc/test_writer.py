"""Exports: ISO 2709 round trips with encoding marks, MARCXML against our XSD, MARC-in-JSON."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pymarc
import pytest
import xmlschema
from pymarc import Field, Indicators, Subfield

from catalog.marc import codes
from catalog.marc.errors import MarcJsonError
from catalog.marc.reader import MarcFile, ReadRecord
from catalog.marc.writer import from_json, to_iso2709, to_json, to_marcxml
from tests.catalog.marc.conftest import read_all

pytestmark = pytest.mark.shared_data

SCHEMA = xmlschema.XMLSchema(str(Path(__file__).with_name("marcxml.xsd")))
TODAY = dt.date(2024, 5, 6)


def _fields(record: pymarc.Record) -> list[tuple]:
    out = []
    for f in record.fields:
        if f.is_control_field():
            out.append((f.tag, f.data))
        else:
            out.append((f.tag, tuple(f.indicators), tuple((sf.code, sf.value) for sf in f.subfields)))
    return out


def _reread(data: bytes) -> list[ReadRecord]:
    results = list(MarcFile(io.BytesIO(data)))
    assert all(isinstance(r, ReadRecord) for r in results)
    return results


@pytest.mark.parametrize(
    "parts",
    [
        ("marc21", "pymarc", "marc.dat"),  # MARC-8 in, UTF-8 out
        ("marc21", "yaz", "marccol1.u8.marc"),
        ("marc21", "marc-perl", "marc-charset", "cjk1.marc"),
    ],
)
def test_marc21_export_round_trips_with_leader_09_a(parts):
    read, _ = read_all(*parts)
    data = b"".join(to_iso2709(r.record, "marc21") for r in read)
    again = _reread(data)
    assert [_fields(r.record) for r in again] == [_fields(r.record) for r in read]
    assert all(str(r.record.leader)[9] == "a" and r.encoding == "utf-8" and r.flavour == "marc21" for r in again)


def test_gb18030_cnmarc_exported_as_utf8_with_100a_marked():
    read, _ = read_all("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030_crlf.iso")
    data = b"".join(to_iso2709(r.record, "cnmarc") for r in read)
    data.decode("utf-8")  # the whole export is UTF-8
    again = _reread(data)
    assert [r.encoding for r in again] == ["utf-8"] * 10
    for before, after in zip(read, again):
        assert after.flavour == "cnmarc"
        assert after.record["100"]["a"][26:30] == "50  "
        strip100 = lambda rec: [f for f in _fields(rec) if f[0] != "100"]  # noqa: E731
        assert strip100(after.record) == strip100(before.record)
        assert after.record["100"]["a"][:26] == before.record["100"]["a"][:26]


def test_iso2709_lengths_are_counted_in_bytes():
    read, _ = read_all("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml")
    data = to_iso2709(read[0].record, "cnmarc")
    assert int(data[:5]) == len(data)
    base = int(data[12:17])
    assert data[base - 1 : base] == b"\x1e"
    # pymarc, which trusts the lengths, agrees
    assert pymarc.Record(data, force_utf8=True)["200"]["a"] == "'94中国发展报告"


def test_short_100a_is_padded_and_missing_100_created_with_the_given_date():
    record = pymarc.Record()
    record.add_field(Field(tag="200", indicators=Indicators("1", " "), subfields=[Subfield("a", "书")]))
    out = _reread(to_iso2709(record, "cnmarc", today=TODAY))[0].record
    assert out["100"]["a"].startswith("20240506d2024")
    assert len(out["100"]["a"]) == 36 and out["100"]["a"][26:30] == "50  "
    record.add_field(Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", "20010101d2001")]))
    out = _reread(to_iso2709(record, "cnmarc"))[0].record
    assert out["100"]["a"].startswith("20010101d2001") and out["100"]["a"][26:30] == "50  "


def test_missing_100_without_a_date_is_refused():
    record = pymarc.Record()
    record.add_field(Field(tag="200", indicators=Indicators("1", " "), subfields=[Subfield("a", "书")]))
    with pytest.raises(ValueError):
        to_iso2709(record, "cnmarc")


@pytest.mark.parametrize(
    ("parts", "flavour"),
    [
        (("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml"), "cnmarc"),
        (("marc21", "dp2", "sample_marcxml.xml"), "marc21"),
        (("marc21", "marc-perl", "marc-xml", "escape.mrc"), "marc21"),  # & < > in data
        (("marc21", "solrmarc", "specTestRecs.mrc"), "marc21"),
        (("unimarc_cnmarc", "marcjs", "bib.mrc"), "cnmarc"),
    ],
)
def test_marcxml_export_validates_against_our_schema_and_reads_back(parts, flavour):
    read, _ = read_all(*parts)
    xml = to_marcxml([r.record for r in read], flavour, today=TODAY)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    SCHEMA.validate(io.BytesIO(xml))
    again = _reread(xml)
    assert len(again) == len(read)
    assert [r.record.title if flavour == "marc21" else r.record["200"]["a"] for r in again] == [
        r.record.title if flavour == "marc21" else r.record["200"]["a"] for r in read
    ]


def test_json_round_trip():
    read, _ = read_all("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml")
    for r in read:
        assert _fields(from_json(to_json(r.record))) == _fields(r.record)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"leader": "short", "fields": []}, "leader"),
        ({"leader": " " * 24, "fields": {}}, "'fields' must be a list"),
        ({"leader": " " * 24, "fields": [{"24": "x"}]}, "tag '24'"),
        ({"leader": " " * 24, "fields": [{"245": {"ind1": "10", "ind2": " ", "subfields": []}}]}, "ind1"),
        ({"leader": " " * 24, "fields": [{"245": {"ind1": "1", "ind2": " ", "subfields": [{"ab": "x"}]}}]}, "code 'ab'"),
        ({"leader": " " * 24, "fields": [{"245": {"ind1": "1", "ind2": " ", "subfields": [{"a": 5}]}}]}, "must be a string"),
        ({"leader": " " * 24, "fields": [{"245": 7}]}, "fields[0] (245)"),
        ([], "must be an object"),
    ],
)
def test_from_json_rejects_bad_shapes_with_a_precise_message(data, fragment):
    with pytest.raises(MarcJsonError) as exc:
        from_json(data)
    assert exc.value.code == codes.MARC_JSON_INVALID
    assert fragment in exc.value.message

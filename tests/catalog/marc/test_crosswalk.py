"""CNMARC -> MARC21 on the dp2 CNMARC sample: the extracted columns survive the crosswalk."""

from __future__ import annotations

import io

import pytest

from catalog.marc.crosswalk import cnmarc_to_marc21
from catalog.marc.extract import extract
from catalog.marc.reader import MarcFile, detect_flavour
from catalog.marc.writer import to_iso2709

pytestmark = pytest.mark.shared_data

KEPT = ("title", "responsibility", "isbns", "publisher", "place", "year", "language", "edition", "clc", "call_number", "control_number", "price_fen")


def test_crosswalked_dp2_records_extract_to_the_same_columns(cnmarc_dp2):
    for r in cnmarc_dp2:
        before = extract(r.record, "cnmarc")
        after = extract(cnmarc_to_marc21(r.record), "marc21")
        assert {k: getattr(after, k) for k in KEPT} == {k: getattr(before, k) for k in KEPT}
        assert sorted(after.authors) == sorted(before.authors)
        assert after.title_pinyin == before.title_pinyin or after.title_pinyin  # MARC21 has no $A: computed


def test_crosswalk_result_is_detected_as_marc21_and_survives_iso2709(cnmarc_dp2):
    m21 = cnmarc_to_marc21(cnmarc_dp2[0].record)
    assert detect_flavour(m21) == ("marc21", None)
    (back,) = list(MarcFile(io.BytesIO(to_iso2709(m21, "marc21"))))
    assert back.flavour == "marc21" and back.record["245"]["a"] == "'94中国发展报告"


def test_crosswalk_maps_fields_to_their_marc21_places(cnmarc_dp2):
    m21 = cnmarc_to_marc21(cnmarc_dp2[0].record)
    assert m21["008"].data[7:11] == "1994" and m21["008"].data[35:38] == "chi" and len(m21["008"].data) == 40
    assert m21["020"]["a"] == "7-5037-1744-0" and m21["020"]["c"] == "CNY68.00"
    assert m21["084"]["a"] == "F124" and m21["084"]["2"] == "clc"
    assert m21["260"]["b"] == "中国统计出版社"
    assert m21["300"]["a"] == "320页"
    assert m21["504"]["a"] == "有书目。"
    assert [f["a"] for f in m21.get_fields("700")] == ["叶震", "李强"]
    assert m21.get_fields("700")[0]["e"] == "主编"
    assert m21["710"]["a"] == "国家统计局"
    subject = m21["650"]
    assert (subject["a"], subject["z"], subject["y"]) == ("经济发展", "中国", "1994")  # $y/$z swap
    assert m21["852"]["b"] == "BNU" and m21["852"]["h"] == "F124" and m21["852"]["i"] == "26"
    assert m21["040"]["a"] == "BNU"
    assert str(m21.leader)[9] == "a"


def test_primary_responsibility_700_becomes_100():
    import pymarc
    from pymarc import Field, Indicators, Subfield

    record = pymarc.Record()
    record.add_field(
        Field(tag="200", indicators=Indicators("1", " "), subfields=[Subfield("a", "红楼梦"), Subfield("d", "= A dream of red mansions")]),
        Field(tag="700", indicators=Indicators(" ", "0"), subfields=[Subfield("a", "曹雪芹"), Subfield("4", "070")]),
        Field(tag="225", indicators=Indicators("2", " "), subfields=[Subfield("a", "中国古典文学丛书")]),
    )
    m21 = cnmarc_to_marc21(record)
    assert m21["100"]["a"] == "曹雪芹" and m21["100"]["4"] == "aut"
    assert m21["245"].indicator1 == "1"
    assert m21["246"]["a"] == "A dream of red mansions"
    assert m21["490"]["a"] == "中国古典文学丛书"

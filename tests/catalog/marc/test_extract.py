"""extract() and match_key() on the real CNMARC and MARC21 samples and on made-up edge cases."""

from __future__ import annotations

import pymarc
import pytest
from pymarc import Field, Indicators, Subfield

from catalog.marc import codes
from catalog.marc.errors import ExtractError
from catalog.marc.extract import extract, match_key, parse_price_fen
from tests.catalog.marc.conftest import read_all

pytestmark = pytest.mark.shared_data


def _record(*fields: Field) -> pymarc.Record:
    record = pymarc.Record()
    record.fields = list(fields)
    return record


def _df(tag: str, *pairs: str, ind: str = "  ") -> Field:
    subs = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subs)


def test_dp2_cnmarc_gives_title_pinyin_from_200A_and_clc_from_690(cnmarc_dp2):
    e = extract(cnmarc_dp2[0].record, "cnmarc")
    assert e.title == "'94中国发展报告"
    assert e.title_pinyin == "94zhong guo fa zhan bao gao"  # the record's own $A, normalised
    assert e.clc == "F124"
    assert e.responsibility == "国家统计局编"
    assert e.authors == ["叶震", "李强", "国家统计局"]
    assert e.author_pinyin == "xie zhen"  # 701 $A wins even where pypinyin would say "ye"
    assert e.isbns == ["9787503717444"]
    assert (e.publisher, e.place, e.year, e.language) == ("中国统计出版社", "北京", 1994, "chi")
    assert e.price_fen == 6800
    assert e.call_number == "F124/26"
    assert e.control_number == "990002180740203961"
    assert e.subjects == ["经济发展--概况--中国--1994"]
    assert e.holdings[0].unit_code == "BNU" and e.holdings[0].call_number == "F124/26"


def test_every_dp2_cnmarc_record_has_title_isbn_and_clc(cnmarc_dp2):
    for r in cnmarc_dp2:
        e = extract(r.record, r.flavour)
        assert e.title and e.clc and e.isbns and e.title_pinyin


def test_gift_price_is_read_in_fen(cnmarc_dp2):
    prices = [extract(r.record, "cnmarc").price_fen for r in cnmarc_dp2]
    assert 9000 in prices  # 010 $d "CNY赠90.00"


def test_marc21_dp2_sample_computes_pinyin_with_pypinyin():
    read, _ = read_all("marc21", "dp2", "sample_marcxml.xml")
    e = extract(read[1].record, "marc21")
    assert e.title == "'08中国改革跟踪报告"
    assert e.title_pinyin == "08 zhong guo gai ge gen zong bao gao"
    assert e.isbns == ["9787040247657"] and e.price_fen == 2900
    assert e.year == 2008 and e.language == "chi" and e.publisher == "高等教育出版社"


def test_marc21_latin_title_has_no_pinyin():
    read, _ = read_all("marc21", "pymarc", "test.dat")
    e = extract(read[0].record, "marc21")
    assert e.title and e.title_pinyin is None
    assert e.authors and e.isbns


def test_multi_isbn_record_keeps_valid_and_invalid_apart():
    read, _ = read_all("marc21", "pymarc", "multi_isbn.dat")
    e = extract(read[0].record, "marc21")
    assert len(e.isbns) == len(set(e.isbns)) >= 2
    assert all(len(i) == 13 and i.isdigit() for i in e.isbns)


def test_invalid_isbn_is_kept_for_display():
    e = extract(_record(_df("010", "a", "7-5037-1744-1"), _df("200", "a", "书名", ind="1 ")), "cnmarc")
    assert e.isbns == [] and e.invalid_isbns == ["7-5037-1744-1"]


def test_missing_title_raises_extract_error():
    with pytest.raises(ExtractError) as exc:
        extract(_record(_df("010", "a", "7-5037-1744-0")), "cnmarc")
    assert exc.value.code == codes.RECORD_TITLE_MISSING
    with pytest.raises(ExtractError):
        extract(_record(_df("020", "a", "9787040247657")), "marc21")


def test_computed_pinyin_for_chinese_title_without_record_pinyin():
    e = extract(_record(_df("200", "a", "红楼梦", "f", "曹雪芹著", ind="1 "), _df("701", "a", "曹雪芹", ind=" 0")), "cnmarc")
    assert e.title_pinyin == "hong lou meng"
    assert e.author_pinyin == "cao xue qin"


def test_author_pinyin_falls_back_to_200F_without_the_role_word():
    e = extract(
        _record(_df("200", "a", "书", "f", "国家统计局编", "F", "Guo Jia Tong Ji Ju Bian", ind="1 "), _df("711", "a", "国家统计局")),
        "cnmarc",
    )
    assert e.author_pinyin == "guo jia tong ji ju"


def test_cnmarc_905_holdings_follow_our_convention():
    record = _record(
        _df("200", "a", "书", ind="1 "),
        _df("905", "a", "XA01", "b", "0012345", "d", "I247.5", "e", "12", "t", "JUV", "p", "CNY25.00"),
        _df("905", "a", "XA02", "b", "0012346", "d", "I247.5", "e", "12", "t", "mystery"),
    )
    e = extract(record, "cnmarc")
    assert [(h.unit_code, h.barcode, h.call_number, h.item_type, h.price_fen) for h in e.holdings] == [
        ("XA01", "0012345", "I247.5/12", "children", 2500),
        ("XA02", "0012346", "I247.5/12", None, None),
    ]
    assert e.call_number == "I247.5/12"


def test_marc21_852_and_koha_952_holdings():
    record = _record(
        _df("245", "a", "Title /", "c", "by Someone."),
        _df("084", "a", "TP311", "2", "clc"),
        _df("852", "b", "U1", "p", "B001", "h", "TP311", "i", "5"),
        _df("952", "a", "HOME", "b", "AWAY", "p", "B002", "o", "TP311/5", "y", "BK", "g", "12.50"),
    )
    e = extract(record, "marc21")
    assert e.title == "Title" and e.responsibility == "by Someone"
    assert e.clc == "TP311"
    assert [(h.unit_code, h.current_unit_code, h.barcode, h.call_number, h.item_type, h.price_fen) for h in e.holdings] == [
        ("U1", None, "B001", "TP311/5", None, None),
        ("HOME", "AWAY", "B002", "TP311/5", "book", 1250),
    ]


@pytest.mark.parametrize(
    ("text", "fen"),
    [("CNY25.00", 2500), ("25.00", 2500), ("CNY赠90.00", 9000), ("¥12.5", 1250), ("CNY38", 3800), ("USD25.00", None), ("", None)],
)
def test_price_parsing_in_fen(text, fen):
    assert parse_price_fen(text) == fen


def test_match_key_is_the_same_for_the_same_work_from_two_sources():
    a = match_key("《红楼梦》", "(清)曹雪芹著 ; 高鹗续", "第2版", 2005)
    b = match_key("红楼梦", "曹雪芹 编著", "2nd ed.", 2005)
    c = match_key("红 楼 梦", "曹雪芹等著", "2", 2005)
    assert a == b == c


def test_match_key_english_responsibility_and_punctuation():
    a = match_key("The Perl book : a guide", "edited by Larry Wall and others.", None, 1999)
    b = match_key("the perl book - a guide", "Larry Wall, Tom Christiansen", "", 1999)
    assert a == b


def test_match_key_first_edition_equals_no_edition_statement():
    assert match_key("书", "张三著", "第1版", 2001) == match_key("书", "张三著", None, 2001)


@pytest.mark.parametrize(
    "other",
    [
        ("红楼梦", "曹雪芹著", "第3版", 2005),  # another edition
        ("红楼梦", "曹雪芹著", "第2版", 2006),  # another year
        ("红楼梦", "脂砚斋评", "第2版", 2005),  # another author
        ("红楼梦续", "曹雪芹著", "第2版", 2005),  # another title
    ],
)
def test_match_key_differs_for_different_editions_years_or_authors(other):
    assert match_key("红楼梦", "曹雪芹著", "第二版", 2005) != match_key(*other)

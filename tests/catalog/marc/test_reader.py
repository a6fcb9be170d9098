"""MarcFile over the real files in ../shared/data: counts, encodings, flavours, rejections."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest

from catalog.marc import codes
from catalog.marc.errors import MarcFileError
from catalog.marc.reader import MarcFile, ReadRecord, RejectedRecord
from tests.catalog.marc.conftest import read_all
from tests.support.shared_data import SHARED_DATA, shared_path

pytestmark = pytest.mark.shared_data

HAN = re.compile(r"[\u4e00-\u9fff]")

# (path, read, rejected). Checked by hand against the SOURCES.md tables. Where we differ
# from pymarc's *streaming* count, it is because we split on 0x1D instead of trusting the
# leader length (so CRLF/0x1A between records or a wrong length does not stop the file)
# and do not count a trailing newline as a record; the note says what else differs.
COUNTS = [
    ("marc21/pymarc/marc.dat", 20, 0),
    ("marc21/pymarc/test.dat", 10, 0),
    ("marc21/pymarc/1251.dat", 6, 0),
    ("marc21/pymarc/regression45.dat", 12, 0),
    ("marc21/pymarc/bad_indicator.dat", 1, 0),  # pymarc stream: +1 error for the 821 trailing bytes of padding
    # pymarc: 2 ok / 6-7 err. We also read records 2, 3 and 6, whose base address is wrong
    # but whose directory ends where a field terminator says (warning); 4 and 5 have a broken
    # directory, 7 has no fields.
    ("marc21/pymarc/bad_records.mrc", 5, 3),
    ("marc21/pymarc/bad_subfield_code.dat", 1, 0),  # pymarc stream stops on the bad length
    ("marc21/pymarc/utf8_without_leader_flag.dat", 1, 0),
    ("marc21/marc4j/008008027.mrc", 18, 1),  # the 3034 trailing bytes are a truncated record
    ("marc21/marc4j/065001035.mrc", 40, 0),
    ("marc21/marc4j/bad_hathi_records.mrc", 5, 0),  # pymarc 3+1 err: wrong lengths, fields found by terminators
    ("marc21/marc4j/bad_oversize_field_bad_directory.mrc", 4, 1),
    ("marc21/marc4j/bad_too_long_plus_2.mrc", 3, 0),  # pymarc stream stops at the wrong length
    ("marc21/marc4j/chinese_mangled_multibyte.mrc", 4, 0),
    ("marc21/marc4j/incomplete_esc_seq.mrc", 0, 1),
    ("marc21/marc4j/pride-and-prejudice-fixed.mrc", 383, 0),
    # pymarc 298 / 85: records with at most 4 bad UTF-8 bytes are read with U+FFFD and a
    # warning instead of rejected (see the bad-bytes policy in reader.py).
    ("marc21/marc4j/pride-and-prejudice-with-many-errors.mrc", 351, 32),
    ("marc21/marc4j/sample1.mrc", 7, 1),
    ("marc21/marc4j/samples/error.mrc", 1, 0),  # pymarc stream: wrong length
    ("marc21/marc-perl/marc-record/badldr.usmarc", 6, 1),  # the 1 is the "7" after the last record
    ("marc21/marc-perl/marc-record/cameleof.usmarc", 10, 0),  # 0x1A between records
    ("marc21/marc-perl/marc-record/filler.usmarc", 3, 0),  # NUL/blank filler skipped
    ("marc21/marc-perl/marc-record/baddir.usmarc", 1, 0),  # directory terminator wrong, warned
    ("marc21/marc-perl/marc-lint/camel.usmarc", 11, 0),
    ("marc21/ruby-marc/marc8_accented_chars.marc", 0, 1),
    ("marc21/ruby-marc/utf8_multirecord.marc", 2, 0),
    ("marc21/solrmarc/specTestRecs.mrc", 76, 0),
    ("marc21/solrmarc/uva_001_2000.mrc", 2000, 0),
    ("marc21/yaz/marccol1.u8.marc", 19, 0),
    ("marc21/yaz/marc4.marc", 0, 1),
    ("marc21/dp2/sample_marcxml.xml", 10, 0),
    ("marc21/marc-perl/marc-xml/batch-ns.xml", 10, 0),
    ("marc21/marc-perl/marc-xml/empty-record.xml", 0, 1),  # pymarc: 1 empty record; we reject it (no fields)
    ("marc21/marc4j/chabon-missing-subfield-code.xml", 0, 1),  # pymarc raises for the whole file
    ("marc21/ruby-marc/three-records-second-bad.xml", 1, 1),  # pymarc raises; XML after the bad token is lost
    ("marc21/solrmarc/specTestRecs_withBOM.xml", 76, 0),
    ("unimarc_cnmarc/derived/bnu_cnmarc_gb18030.iso", 10, 0),
    ("unimarc_cnmarc/derived/bnu_cnmarc_gb18030_crlf.iso", 10, 0),
    ("unimarc_cnmarc/derived/bnu_cnmarc_utf8.iso", 10, 0),
    ("unimarc_cnmarc/dp2/sample_cnmarcxml.xml", 10, 0),
    ("unimarc_cnmarc/dp2/sample_unimarcxml.xml", 10, 0),
    ("unimarc_cnmarc/marcjs/bib.mrc", 6, 0),  # pymarc stream: +1 error for the trailing newline
    ("unimarc_cnmarc/marcjs/bib.xml", 6, 0),
    ("unimarc_cnmarc/marcrecord/marcxml_1.xml", 12, 0),
    ("unimarc_cnmarc/marcrecord/rusmarc_2.iso", 1, 0),  # pymarc fails on the Cyrillic "а" in the leader; we read it as "a"
    ("unimarc_cnmarc/unimarcxml/data.mrc", 5, 0),  # pymarc stream stops at the newline after record 1
    ("unimarc_cnmarc/ruby-marc/cp866_multirecord.marc", 2, 0),  # pymarc: length off by one
]


@pytest.mark.parametrize(("path", "n_read", "n_rejected"), COUNTS, ids=[c[0] for c in COUNTS])
def test_file_yields_expected_read_and_rejected_counts(path, n_read, n_rejected):
    read, rejected = read_all(*path.split("/"))
    assert (len(read), len(rejected)) == (n_read, n_rejected)


# Files that are not MARC at all (JSON, MARCMaker text, test strings, a non-MARC XML) raise
# MarcFileError, by design; everything else must iterate without any exception.
NOT_MARC = {
    "marc21/SOURCES.md", "unimarc_cnmarc/SOURCES.md",
    "marc21/marc-perl/marc-charset/farsi.marc",  # 155 bytes of MARC-8 text, no leader
    "marc21/marc-perl/marc-marcmaker/camel.mrk", "marc21/marc-perl/marc-mij/test.ndj",
    "marc21/marc-perl/marc-xml/invalid.xml", "marc21/marc4j/brkrtest.mrk",
    "marc21/marc4j/illegal-marc-in-json.json", "marc21/marc4j/legal-json-marc-in-json.json",
    "marc21/marc4j/marc-in-json.json", "marc21/marc4j/marc-json.json",
    "marc21/marc4j/summerland-marc-in-json.json", "marc21/pymarc/batch.json",
    "marc21/pymarc/one.json", "marc21/pymarc/test.json", "marc21/pymarc/test_marc8.txt",
    "marc21/pymarc/test_utf8.txt", "unimarc_cnmarc/unimarcxml/unimarctest.xml",
}


def _all_files():
    for top in ("marc21", "unimarc_cnmarc"):
        root = SHARED_DATA / top
        if root.exists():
            yield from sorted(p for p in root.rglob("*") if p.is_file())


def test_every_shared_file_reads_without_an_unexpected_exception():
    shared_path("marc21")
    seen = 0
    for path in _all_files():
        rel = path.relative_to(SHARED_DATA).as_posix()
        with open(path, "rb") as stream:
            try:
                results = list(MarcFile(stream, name=path.name))
            except MarcFileError as exc:
                assert rel in NOT_MARC, f"{rel}: {exc.code} {exc.message}"
                continue
        assert rel not in NOT_MARC, rel
        for r in results:
            assert isinstance(r, (ReadRecord, RejectedRecord))
            if isinstance(r, RejectedRecord):
                assert r.index >= 1 and r.code in codes.CODES and r.message
        seen += 1
    assert seen > 150


def _titles(read):
    return [r.record["200"]["a"] for r in read]


def test_gb18030_cnmarc_decodes_to_same_titles_as_utf8():
    utf8, _ = read_all("unimarc_cnmarc", "derived", "bnu_cnmarc_utf8.iso")
    gb, _ = read_all("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso")
    crlf, _ = read_all("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030_crlf.iso")
    assert _titles(gb) == _titles(utf8) == _titles(crlf)
    assert "'94中国发展报告" in _titles(utf8)
    assert {r.encoding for r in gb} == {"gb18030"}
    assert {r.encoding for r in utf8} == {"utf-8"}


def test_gb18030_file_is_detected_and_the_choice_recorded():
    path = shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso")
    with open(path, "rb") as stream:
        mf = MarcFile(stream)
        assert (mf.format, mf.encoding) == ("iso2709", "gb18030")
        assert "GB18030" in (mf.encoding_note or "")


def test_crlf_between_records_does_not_shift_offsets():
    read, _ = read_all("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030_crlf.iso")
    path = shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030_crlf.iso")
    data = path.read_bytes()
    assert [r.index for r in read] == list(range(1, 11))
    for r in read:
        assert data[r.offset : r.offset + 5].isdigit()


@pytest.mark.parametrize(
    "parts",
    [
        ("marc21", "marc-perl", "marc-charset", "cjk1.marc"),
        ("marc21", "marc-perl", "marc-charset", "cjk2.marc"),
        ("marc21", "marc-perl", "marc-charset", "cjk3.marc"),
        ("marc21", "marc-perl", "marc-charset", "cjk4.marc"),
        ("marc21", "yaz", "marc12.marc"),
    ],
)
def test_marc8_cjk_decodes_to_han_characters(parts):
    read, rejected = read_all(*parts)
    assert not rejected
    (rec,) = read
    assert rec.encoding == "marc-8"
    text = " ".join(f.value() for f in rec.record.fields)
    assert HAN.search(text), text


def test_mislabelled_utf8_is_read_as_utf8_with_a_warning():
    read, _ = read_all("marc21", "pymarc", "utf8_without_leader_flag.dat")
    flagged, _ = read_all("marc21", "pymarc", "utf8_with_leader_flag.dat")
    (rec,) = read
    assert rec.encoding == "utf-8"
    assert any("UTF-8" in w for w in rec.warnings)
    assert rec.record["245"].value() == flagged[0].record["245"].value()


def test_gbk_file_with_encoding_override():
    path = shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso")
    with open(path, "rb") as stream:
        mf = MarcFile(stream, encoding="GBK")
        read = list(mf)
    assert mf.encoding == "gb18030"
    assert all(isinstance(r, ReadRecord) and r.encoding == "gb18030" for r in read)
    assert read[0].record["210"]["c"] == "中国统计出版社"


def test_utf8_file_forced_as_gbk_is_rejected_record_by_record():
    path = shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_utf8.iso")
    with open(path, "rb") as stream:
        results = list(MarcFile(stream, encoding="gb18030"))
    assert len(results) == 10
    rejected = [r for r in results if isinstance(r, RejectedRecord)]
    assert rejected and all(r.code == codes.MARC_ENCODING_INVALID for r in rejected)


def test_cyrillic_override_reads_cp1251_and_cp866():
    read, _ = read_all("marc21", "pymarc", "1251.dat", encoding="cp1251")
    assert all(re.search("[а-яА-Я]", r.record["245"].value()) for r in read)
    read, _ = read_all("unimarc_cnmarc", "ruby-marc", "cp866_unimarc.marc", encoding="cp866")
    assert re.search("[а-яА-Я]", " ".join(f.value() for f in read[0].record.fields))


def test_latin1_override_reads_iso_8859_1_accents():
    read, _ = read_all("marc21", "yaz", "marc1.marc", encoding="latin-1")
    (rec,) = read
    assert rec.encoding == "latin-1"
    text = unicodedata.normalize("NFC", " ".join(f.value() for f in rec.record.fields))
    assert re.search("[À-ÿ]", text)


def test_rejected_records_carry_index_offset_and_code():
    read, rejected = read_all("marc21", "pymarc", "bad_records.mrc")
    assert [(r.index, r.code) for r in rejected] == [
        (4, codes.MARC_DIRECTORY_INVALID),
        (5, codes.MARC_DIRECTORY_INVALID),
        (7, codes.MARC_NO_FIELDS),
    ]
    assert [r.index for r in read] == [1, 2, 3, 6, 8]
    assert all(r.offset is not None and r.message for r in rejected)


def test_truncated_tail_is_rejected_after_the_good_records():
    read, rejected = read_all("marc21", "marc4j", "008008027.mrc")
    assert len(read) == 18
    assert rejected[0].index == 19 and rejected[0].code == codes.MARC_RECORD_TRUNCATED


def test_bad_xml_record_is_rejected_with_its_index_and_earlier_ones_kept():
    read, rejected = read_all("marc21", "ruby-marc", "three-records-second-bad.xml")
    assert [r.index for r in read] == [1]
    assert rejected[0].index == 2 and rejected[0].code == codes.MARC_XML_INVALID


def test_xml_record_without_subfield_code_is_rejected_alone():
    read, rejected = read_all("marc21", "marc4j", "chabon-missing-subfield-code.xml")
    assert rejected[0].code == codes.MARC_FIELD_INVALID


@pytest.mark.parametrize(
    ("parts", "flavour"),
    [
        (("marc21", "pymarc", "marc.dat"), "marc21"),
        (("marc21", "dp2", "sample_marcxml.xml"), "marc21"),
        (("marc21", "yaz", "marccol1.u8.marc"), "marc21"),
        (("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml"), "cnmarc"),
        (("unimarc_cnmarc", "dp2", "sample_unimarcxml.xml"), "cnmarc"),
        (("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso"), "cnmarc"),
        (("unimarc_cnmarc", "marcjs", "bib.mrc"), "cnmarc"),
        (("unimarc_cnmarc", "marcjs", "bib.xml"), "cnmarc"),
        (("unimarc_cnmarc", "pymarc", "testunimarc.dat"), "cnmarc"),
        (("unimarc_cnmarc", "marcrecord", "rusmarc_1.iso"), "cnmarc"),
        (("unimarc_cnmarc", "marcrecord", "marcxml_1.xml"), "cnmarc"),
        (("unimarc_cnmarc", "unimarcxml", "data.mrc"), "cnmarc"),
    ],
)
def test_flavour_is_detected_from_fields(parts, flavour):
    read, _ = read_all(*parts)
    assert read and {r.flavour for r in read} == {flavour}


def test_flavour_override_wins():
    read, _ = read_all("unimarc_cnmarc", "marcjs", "bib.mrc", flavour="marc21")
    assert {r.flavour for r in read} == {"marc21"}


def test_hybrid_record_is_flagged_with_a_warning():
    read, _ = read_all("marc21", "marc4j", "pride-and-prejudice-fixed.mrc")
    # These carry UNIMARC 100/101/200/210 beside MARC21 008/260/300.
    hybrids = [r for r in read if r.flavour == "cnmarc" and all(t in r.record for t in ("008", "260", "300"))]
    assert hybrids and all(any("mixes" in w for w in r.warnings) for r in hybrids)


@pytest.mark.parametrize(
    "parts",
    [
        ("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml"),  # http://www.nlc.cn/ inside SRU
        ("unimarc_cnmarc", "dp2", "sample_unimarcxml.xml"),  # info:srw/schema/8/unimarcxml-v0.1
        ("marc21", "dp2", "sample_marcxml.xml"),  # MARC21 slim inside SRU, with BOM
    ],
)
def test_sru_wrapped_xml_yields_only_the_marc_records(parts):
    read, rejected = read_all(*parts)
    assert len(read) == 10 and not rejected
    assert all(r.offset is None and r.record["001"] for r in read)


def test_dash_blanks_in_xml_leader_become_blanks():
    read, _ = read_all("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml")
    assert str(read[0].record.leader) == "01576nam0 2200409   4500"


def test_prefixed_and_unqualified_marcxml_read_alike():
    ns, _ = read_all("marc21", "marc-perl", "marc-xml", "batch-ns.xml")
    plain, _ = read_all("marc21", "marc-perl", "marc-xml", "batch.xml")
    assert [r.record["245"].value() for r in ns] == [r.record["245"].value() for r in plain]


def test_empty_file_raises_file_error():
    with pytest.raises(MarcFileError) as exc:
        MarcFile(io.BytesIO(b"\r\n  "))
    assert exc.value.code == codes.MARC_FILE_EMPTY


def test_broken_xml_file_raises_file_error():
    with pytest.raises(MarcFileError) as exc:
        list(MarcFile(io.BytesIO(b"<collection><record><leader>")))
    assert exc.value.code == codes.MARC_XML_INVALID


def test_unknown_encoding_override_is_refused():
    with pytest.raises(MarcFileError):
        MarcFile(io.BytesIO(b"00000"), encoding="ebcdic")


def test_reader_reads_in_chunks_across_buffer_boundaries(monkeypatch):
    import catalog.marc.reader as reader_module

    monkeypatch.setattr(reader_module, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(reader_module, "SAMPLE_SIZE", 4096)
    read, rejected = read_all("marc21", "marc4j", "pride-and-prejudice-fixed.mrc")
    assert (len(read), len(rejected)) == (383, 0)


def test_seekable_stream_can_be_iterated_twice():
    data = shared_path("marc21", "pymarc", "test.dat").read_bytes()
    mf = MarcFile(io.BytesIO(data))
    assert len(list(mf)) == len(list(mf)) == 10

"""Importing every real MARC file of ../shared/data, with per-file counts checked by hand.

Each row: (records read, new records, merged into an earlier record, rejected). Merges inside
one file are real duplicates in the source, checked by reading the records: e.g. in the BNU
CNMARC sample records 4 and 5 share ISBN 9787503726231; marc4j/brkrtest.mrc repeats one test
ISBN on six records; marc4j/065001035.mrc is 40 statistical-dataset records with one title,
no ISBN and one year. A string instead of a tuple is the whole-file error code (JSON, MARCMaker
text and plain text files are not MARC and must be refused as a whole, not crash).
"""

from __future__ import annotations

import pytest

from catalog.importer import ImportOptions, import_marc
from catalog.marc import MarcFileError
from tests.support.shared_data import shared_path

EXPECTED: dict[str, tuple[int, int, int, int] | str] = {
    'marc21/dp2/sample_marcxml.xml': (10, 9, 1, 0),  # marcxml utf-8 
    'marc21/marc-perl/marc-charset/cjk1.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/cjk2.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/cjk3.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/cjk4.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/cyrillic.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/farsi.marc': 'MARC_FILE_NOT_MARC',
    'marc21/marc-perl/marc-charset/hebrew1.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/hebrew2.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/hebrew3.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-charset/hebrew4.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-lint/camel.usmarc': (11, 10, 1, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-marcmaker/camel.mrk': 'MARC_FILE_NOT_MARC',
    'marc21/marc-perl/marc-mij/test.mrc': (9, 9, 0, 0),  # iso2709 utf-8 
    'marc21/marc-perl/marc-mij/test.ndj': 'MARC_FILE_NOT_MARC',
    'marc21/marc-perl/marc-record/baddir.usmarc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/badind.usmarc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/badldr.usmarc': (7, 6, 0, 1),  # iso2709 marc-8 MARC_RECORD_TRUNCATED
    'marc21/marc-perl/marc-record/cameleof.usmarc': (10, 9, 1, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/filler.usmarc': (3, 3, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/sample1.usmarc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/sample1eof.usmarc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-record/title_proper.usmarc': (5, 5, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-xml/batch-ns.xml': (10, 9, 1, 0),  # marcxml utf-8 
    'marc21/marc-perl/marc-xml/batch.xml': (10, 9, 1, 0),  # marcxml utf-8 
    'marc21/marc-perl/marc-xml/empty-record-2.xml': (1, 0, 0, 1),  # marcxml utf-8 MARC_NO_FIELDS
    'marc21/marc-perl/marc-xml/empty-record.xml': (1, 0, 0, 1),  # marcxml utf-8 MARC_NO_FIELDS
    'marc21/marc-perl/marc-xml/end-of-stream.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc-perl/marc-xml/escape.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc-perl/marc-xml/invalid.xml': 'MARC_XML_INVALID',
    'marc21/marc-perl/marc-xml/namespace.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc-perl/marc-xml/subfield0.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/008008027.mrc': (19, 1, 17, 1),  # iso2709 utf-8 MARC_RECORD_TRUNCATED
    'marc21/marc4j/065001035.mrc': (40, 1, 39, 0),  # iso2709 utf-8 
    'marc21/marc4j/1474920681_KOHA_LFL_5.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/1474920681_KOHA_LFL_6_with_comment.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/185258.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/54-56-008008027.mrc': (5, 1, 4, 0),  # iso2709 utf-8 
    'marc21/marc4j/OCLC_814388508.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/azdoud.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/bad-characters-in-various-fields.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/bad_hathi_records.mrc': (5, 5, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/bad_leaders_10_11.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/bad_oversize_field_bad_directory.mrc': (5, 4, 0, 1),  # iso2709 utf-8 MARC_DIRECTORY_INVALID
    'marc21/marc4j/bad_too_long_plus_2.mrc': (3, 3, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/brkrtest.mrc': (8, 2, 6, 0),  # iso2709 marc-8 
    'marc21/marc4j/brkrtest.mrk': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/brkrtest_UTF8.mrc': (8, 2, 6, 0),  # iso2709 utf-8 
    'marc21/marc4j/chabon-bad-subfields-element.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/chabon-loc.mrc': (2, 2, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/chabon-missing-controlfield-tag.xml': (1, 0, 0, 1),  # marcxml utf-8 MARC_FIELD_INVALID
    'marc21/marc4j/chabon-missing-datafield-tag.xml': (1, 0, 0, 1),  # marcxml utf-8 MARC_FIELD_INVALID
    'marc21/marc4j/chabon-missing-subfield-code.xml': (1, 0, 0, 1),  # marcxml utf-8 MARC_FIELD_INVALID
    'marc21/marc4j/chabon-record-type-bad.xml': (2, 2, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/chabon-record-type.xml': (2, 2, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/chabon.mrc': (2, 2, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/chabon.xml': (2, 2, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/chinese_mangled_multibyte.mrc': (4, 1, 3, 0),  # iso2709 marc-8 
    'marc21/marc4j/cruel-cruel-indicatorless-summerland.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/cyrillic_capital_e.mrc': (2, 2, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/datos-20161010-slice.mrc': (1, 0, 0, 1),  # iso2709 utf-8 MARC_DIRECTORY_INVALID
    'marc21/marc4j/dp_004015001.mrc': (3, 1, 2, 0),  # iso2709 utf-8 
    'marc21/marc4j/field700_4_test.mrc': (2, 2, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/getty_test_1.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/getty_test_output.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/greekmissingcharsetchange.mrc': (3, 1, 2, 0),  # iso2709 marc-8 
    'marc21/marc4j/illegal-marc-in-json.json': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/incomplete_esc_seq.mrc': (1, 0, 0, 1),  # iso2709 marc-8 MARC_ENCODING_INVALID
    'marc21/marc4j/kan1222221.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/legal-json-marc-in-json.json': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/loongboonmee.mrc': (2, 1, 1, 0),  # iso2709 utf-8 
    'marc21/marc4j/marc-in-json.json': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/marc-json.json': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/not_unimarc_errors_3.mrc': (3, 3, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/oclc_63111280_export_as_UTF8_from_connexion.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/pride-and-prejudice-fixed.mrc': (383, 353, 30, 0),  # iso2709 utf-8 
    'marc21/marc4j/pride-and-prejudice-with-many-errors.mrc': (383, 323, 28, 32),  # iso2709 utf-8 MARC_DIRECTORY_INVALID,MARC_ENCODING_INVALID
    'marc21/marc4j/rec1.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/rec2.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/rec3.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/sample1.mrc': (8, 3, 0, 5),  # iso2709 utf-8 MARC_ENCODING_INVALID,RECORD_TITLE_MISSING
    'marc21/marc4j/sample1a.xml': (9, 4, 0, 5),  # marcxml utf-8 RECORD_TITLE_MISSING
    'marc21/marc4j/samples/brkrtest.mrc': (8, 2, 6, 0),  # iso2709 marc-8 
    'marc21/marc4j/samples/diacritic4.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/samples/error.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/selectedRecs.mrc': (11, 11, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/summerland-marc-in-json.json': 'MARC_FILE_NOT_MARC',
    'marc21/marc4j/summerland-record-with-type.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/summerland-record.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/summerland.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/summerland.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/summerlandwith710.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/marc4j/u17_utf8.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/marc4j/u335.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/marc4j/unordered-directory-entries.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/1251.dat': (6, 6, 0, 0),  # iso2709 cp1251 
    'marc21/pymarc/alphatag.dat': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/bad_eacc_encoding.dat': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/bad_indicator.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/bad_marc8_escape.dat': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/bad_records.mrc': (8, 1, 4, 3),  # iso2709 utf-8 MARC_DIRECTORY_INVALID,MARC_NO_FIELDS
    'marc21/pymarc/bad_subfield_code.dat': (1, 0, 0, 1),  # iso2709 utf-8 RECORD_TITLE_MISSING
    'marc21/pymarc/bad_tag.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/pymarc/batch.json': 'MARC_FILE_NOT_MARC',
    'marc21/pymarc/batch.xml': (2, 2, 0, 0),  # marcxml utf-8 
    'marc21/pymarc/diacritic.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/marc.dat': (20, 20, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/marc8.dat': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/multi_isbn.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/one.dat': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/pymarc/one.json': 'MARC_FILE_NOT_MARC',
    'marc21/pymarc/regression45.dat': (12, 12, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/test.dat': (10, 9, 1, 0),  # iso2709 marc-8 
    'marc21/pymarc/test.json': 'MARC_FILE_NOT_MARC',
    'marc21/pymarc/test_marc8.txt': 'MARC_FILE_NOT_MARC',
    'marc21/pymarc/test_utf8.txt': 'MARC_FILE_NOT_MARC',
    'marc21/pymarc/utf8.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/pymarc/utf8_errors.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/utf8_invalid.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/utf8_with_leader_flag.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/pymarc/utf8_without_leader_flag.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/escaped_character_reference.marc8.marc': (1, 0, 0, 1),  # iso2709 marc-8 RECORD_TITLE_MISSING
    'marc21/ruby-marc/marc8_accented_chars.marc': (1, 0, 0, 1),  # iso2709 utf-8 MARC_ENCODING_INVALID
    'marc21/ruby-marc/marc_with_bad_utf8.utf8.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/messed_up_leader.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/ruby-marc/no-leading-zero.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/ruby-marc/non-numeric.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/non-numeric.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/ruby-marc/one.xml': (1, 1, 0, 0),  # marcxml utf-8 
    'marc21/ruby-marc/random_tag_order.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/random_tag_order2.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/three-records-second-bad.xml': (2, 1, 0, 1),  # marcxml utf-8 MARC_XML_INVALID
    'marc21/ruby-marc/utf8.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/utf8_multirecord.marc': (2, 1, 1, 0),  # iso2709 utf-8 
    'marc21/ruby-marc/utf8_with_bad_bytes.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/1156470.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/datos-20161010-ajob.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/demoRecs.mrc': (6, 6, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/errorRecs.mrc': (5, 5, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/field024.mrc': (2, 2, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/fields_700_4_samp.mrc': (10, 10, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/greek_non-filing_tests.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/hathi_000031056.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/jones_recs.xml': (2, 2, 0, 0),  # marcxml utf-8 
    'marc21/solrmarc/record_000035990.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/record_000036951.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/record_000346945.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/record_001060731.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/record_100696348.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/record_set_045.mrc': (12, 12, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/specTestRecs.mrc': (76, 75, 1, 0),  # iso2709 marc-8 
    'marc21/solrmarc/specTestRecs.xml': (76, 75, 1, 0),  # marcxml utf-8 
    'marc21/solrmarc/specTestRecs_withBOM.xml': (76, 75, 1, 0),  # marcxml utf-8 
    'marc21/solrmarc/title_b.mrc': (1, 0, 0, 1),  # iso2709 marc-8 RECORD_TITLE_MISSING
    'marc21/solrmarc/title_k.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u2294330.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u233.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u392.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/u399.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u4.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u5278992.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u55.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/u60.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u6909669.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/u79065.mrc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/solrmarc/u8738.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/u988749.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/u999662.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/solrmarc/uva_001_2000.mrc': (2000, 1994, 6, 0),  # iso2709 marc-8 
    'marc21/solrmarc/vu10.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marc0.marc': (1, 0, 0, 1),  # iso2709 utf-8 RECORD_TITLE_MISSING
    'marc21/yaz/marc1.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc10.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc11.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc12.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc2.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc3.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc4.marc': (1, 0, 0, 1),  # iso2709 marc-8 MARC_BASE_ADDRESS_INVALID
    'marc21/yaz/marc5.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marc6.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc7.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc8.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marc9.marc': (1, 1, 0, 0),  # iso2709 marc-8 
    'marc21/yaz/marccol1.u8.marc': (19, 19, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marccol2.u8.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marccol3.u8.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marccol4.u8.marc': (1, 1, 0, 0),  # iso2709 utf-8 
    'marc21/yaz/marccol5.u8.marc': (11, 11, 0, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/derived/bnu_cnmarc_gb18030.iso': (10, 9, 1, 0),  # iso2709 gb18030 
    'unimarc_cnmarc/derived/bnu_cnmarc_gb18030_crlf.iso': (10, 9, 1, 0),  # iso2709 gb18030 
    'unimarc_cnmarc/derived/bnu_cnmarc_utf8.iso': (10, 9, 1, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/dp2/sample_cnmarcxml.xml': (10, 9, 1, 0),  # marcxml utf-8 
    'unimarc_cnmarc/dp2/sample_unimarcxml.xml': (10, 9, 1, 0),  # marcxml utf-8 
    'unimarc_cnmarc/marcjs/bib-one.mrc': (1, 1, 0, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/marcjs/bib.mrc': (6, 6, 0, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/marcjs/bib.xml': (6, 6, 0, 0),  # marcxml utf-8 
    'unimarc_cnmarc/marcrecord/marcxml_1.xml': (12, 12, 0, 0),  # marcxml utf-8 
    'unimarc_cnmarc/marcrecord/rusmarc_1.iso': (1, 1, 0, 0),  # iso2709 cp1251 
    'unimarc_cnmarc/marcrecord/rusmarc_2.iso': (1, 1, 0, 0),  # iso2709 cp1251 
    'unimarc_cnmarc/pymarc/testunimarc.dat': (1, 1, 0, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/ruby-marc/cp866_multirecord.marc': (2, 0, 0, 2),  # iso2709 cp866 RECORD_TITLE_MISSING
    'unimarc_cnmarc/ruby-marc/cp866_unimarc.marc': (1, 0, 0, 1),  # iso2709 cp866 RECORD_TITLE_MISSING
    'unimarc_cnmarc/unimarcxml/data.mrc': (5, 5, 0, 0),  # iso2709 utf-8 
    'unimarc_cnmarc/unimarcxml/unimarctest.xml': 'MARC_XML_INVALID',
}


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_shared_file_imports_with_expected_counts(db, relative):
    path = shared_path(*relative.split("/"))
    expected = EXPECTED[relative]
    with path.open("rb") as stream:
        if isinstance(expected, str):
            with pytest.raises(MarcFileError) as caught:
                import_marc(db, stream, ImportOptions(filename=path.name))
            assert caught.value.code == expected
            return
        result = import_marc(db, stream, ImportOptions(filename=path.name))
    assert (result.read, result.imported, result.merged, result.rejected) == expected
    assert all(e.index >= 1 and e.code and e.message for e in result.errors)
    assert len(result.errors) == result.rejected


def test_every_shared_marc_file_is_covered():
    base = shared_path("marc21").parent
    files = {
        str(p.relative_to(base)) for d in ("marc21", "unimarc_cnmarc")
        for p in (base / d).rglob("*") if p.is_file() and p.name != "SOURCES.md"
    }
    assert files == set(EXPECTED)

"""Records in each schema: MARCXML valid against the MARC21 slim schema (CNMARC crosswalked),
Dublin Core, UNIMARC XML for CNMARC records, string packing and the echoed request."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from tests.catalog.sru.answers import NS, search, search_all

pytestmark = pytest.mark.shared_data

SLIM_SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "marc" / "marcxml.xsd"))


def subfields(record: etree._Element, tag: str, code: str, ns: str = "marc") -> list[str]:
    return record.xpath(f"{ns}:datafield[@tag='{tag}']/{ns}:subfield[@code='{code}']/text()", namespaces=NS)


def control(record: etree._Element, tag: str, ns: str = "marc") -> str | None:
    return record.findtext(f"{ns}:controlfield[@tag='{tag}']", namespaces=NS)


def canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def test_marcxml_of_marc21_and_cnmarc_records_validates_against_the_slim_schema(client, camel, bnu):
    answer = search_all(client, "cql.allRecords = 1", recordSchema="marcxml")
    assert answer.total == 19 and len(answer.records) == 19
    for record in answer.records:
        assert record.findtext("srw:recordSchema", namespaces=NS) == "info:srw/schema/1/marcxml-v1.1"
    for data in answer.data():
        assert data.tag == "{http://www.loc.gov/MARC21/slim}record"
        SLIM_SCHEMA.validate(etree.tostring(data))


def test_cnmarc_record_as_marcxml_is_crosswalked_to_marc21(client, bnu):
    (record,) = search(client, "bath.isbn = 7503717440", recordSchema="marcxml").data()
    assert record.tag == "{http://www.loc.gov/MARC21/slim}record"
    assert subfields(record, "245", "a") == ["'94中国发展报告"]
    assert subfields(record, "245", "c") == ["国家统计局编"]
    assert subfields(record, "020", "a") == ["7-5037-1744-0"]
    assert subfields(record, "260", "b") == ["中国统计出版社"]
    assert subfields(record, "650", "a") == ["经济发展"]
    assert subfields(record, "084", "a") == ["F124"] and subfields(record, "084", "2") == ["clc"]
    # Leader/09 "a": the XML is Unicode, whatever the GB18030 source said.
    assert record.findtext("marc:leader", namespaces=NS)[9] == "a"
    assert subfields(record, "200", "a") == []  # no UNIMARC tag leaks into the MARC21 record


def test_cnmarc_record_as_unimarc_keeps_its_own_fields(client, bnu):
    answer = search(client, "bath.isbn = 7503717440", recordSchema="unimarc")
    assert answer.text("srw:records/srw:record/srw:recordSchema") == "info:srw/schema/8/unimarcxml-v0.1"
    (record,) = answer.data()
    assert record.tag == "{info:srw/schema/8/unimarcxml-v0.1}record"
    assert control(record, "001", "uni") == "990002180740203961"
    assert subfields(record, "200", "a", "uni") == ["'94中国发展报告"]
    assert subfields(record, "200", "A", "uni") == ["'94Zhong Guo Fa Zhan Bao Gao"]  # the pinyin stays
    assert subfields(record, "010", "a", "uni") == ["7-5037-1744-0"]
    assert subfields(record, "711", "a", "uni") == ["国家统计局"]
    # 100 $a/26-29 says Unicode ("50"), the UNIMARC way of leader/09.
    assert subfields(record, "100", "a", "uni")[0][26:28] == "50"


def test_dublin_core_of_a_cnmarc_record(client, bnu):
    answer = search(client, "bath.isbn = 7503717440", recordSchema="dc")
    assert answer.text("srw:records/srw:record/srw:recordSchema") == "info:srw/schema/1/dc-v1.1"
    (dc,) = answer.data()
    assert dc.tag == "{info:srw/schema/1/dc-schema}dc"

    def values(name: str) -> list[str]:
        return [e.text for e in dc.findall(f"dc:{name}", NS)]

    assert values("title") == ["'94中国发展报告"]
    assert values("creator") == ["叶震", "李强", "国家统计局"]
    assert values("subject") == ["经济发展--概况--中国--1994", "F124"]
    assert values("description") == ["本书由叶震与李强等主编。", "有书目。"]
    assert values("publisher") == ["中国统计出版社"]
    assert values("date") == ["1994"]
    assert values("identifier") == ["URN:ISBN:9787503717444"]
    assert values("language") == ["chi"]
    assert values("type") == ["Text"]


def test_dublin_core_of_a_marc21_record(client, camel):
    (dc,) = search(client, 'dc.title == "programming perl"', recordSchema="info:srw/schema/1/dc-v1.1").data()
    assert dc.findtext("dc:title", namespaces=NS) == "Programming Perl"
    assert [e.text for e in dc.findall("dc:creator", NS)] == ["Wall, Larry", "Christiansen, Tom", "Orwant, Jon"]
    assert dc.findtext("dc:identifier", namespaces=NS) == "URN:ISBN:9780596000271"
    assert dc.findtext("dc:language", namespaces=NS) == "eng"


def test_string_packing_carries_the_same_record_as_escaped_xml(client, bnu):
    as_xml = search(client, "bath.isbn = 7503717440")
    as_string = search(client, "bath.isbn = 7503717440", recordPacking="string")
    assert as_string.text("srw:records/srw:record/srw:recordPacking") == "string"
    packed = as_string.text("srw:records/srw:record/srw:recordData")
    # Exclusive canonical form: the embedded record also sees the response's own namespaces.
    assert canonical(etree.fromstring(packed)) == canonical(as_xml.data()[0])


def test_the_request_is_echoed_with_the_query_as_xcql(client, camel):
    answer = search(client, "dc.title = perl and (dc.creator = wall or dc.creator = lowe)", startRecord=1,
                    maximumRecords=5, recordSchema="dc", recordPacking="xml")
    echo = answer.root.find("srw:echoedSearchRetrieveRequest", NS)
    assert echo.findtext("srw:query", namespaces=NS) == "dc.title = perl and (dc.creator = wall or dc.creator = lowe)"
    assert [echo.findtext(f"srw:{n}", namespaces=NS) for n in ("startRecord", "maximumRecords", "recordSchema",
                                                                 "recordPacking", "baseUrl")] == [
        "1", "5", "dc", "xml", "http://testserver/sru"]
    triple = echo.find("srw:xQuery/xcql:triple", NS)
    assert triple.findtext("xcql:boolean/xcql:value", namespaces=NS) == "and"
    left = triple.find("xcql:leftOperand/xcql:searchClause", NS)
    assert [left.findtext(f"xcql:{n}", namespaces=NS) for n in ("index", "relation/xcql:value", "term")] == [
        "dc.title", "=", "perl"]
    right = triple.find("xcql:rightOperand/xcql:triple", NS)
    assert right.findtext("xcql:boolean/xcql:value", namespaces=NS) == "or"


def test_version_1_1_is_answered_in_kind_and_takes_exact(client, camel):
    answer = search(client, 'dc.title exact "Programming Perl"', version="1.1")
    assert answer.text("srw:version") == "1.1" and answer.titles() == ["Programming Perl"]

"""explain: a ZeeRex record naming the server, its indexes and record schemas."""

from __future__ import annotations

import pytest

from tests.catalog.sru.answers import NS, sru


def explain_record(answer):
    assert answer.root.tag == "{http://www.loc.gov/zing/srw/}explainResponse"
    assert answer.text("srw:record/srw:recordSchema") == "http://explain.z3950.org/dtd/2.0/"
    return answer.root.find("srw:record/srw:recordData/zr:explain", NS)


@pytest.mark.parametrize("params", [{}, {"operation": "explain"}, {"operation": "explain", "version": "1.1"}])
def test_explain_is_the_answer_with_or_without_operation(client, params):
    answer = sru(client, **params)
    assert explain_record(answer) is not None
    assert answer.text("srw:version") == params.get("version", "1.2")
    assert answer.diagnostics == []


def test_explain_names_host_port_and_database_as_the_client_reached_them(client):
    answer = sru(client, url="http://catalogue.example.cn:8080/sru")
    server = explain_record(answer).find("zr:serverInfo", NS)
    assert server.get("protocol") == "SRU" and server.get("version") == "1.2"
    assert server.findtext("zr:host", namespaces=NS) == "catalogue.example.cn"
    assert server.findtext("zr:port", namespaces=NS) == "8080"
    assert server.findtext("zr:database", namespaces=NS) == "sru"
    assert answer.text("srw:echoedExplainRequest/srw:baseUrl") == "http://catalogue.example.cn:8080/sru"


def test_explain_lists_every_searchable_index_with_its_relations(client):
    record = explain_record(sru(client))
    sets = {s.get("name"): s.get("identifier") for s in record.findall("zr:indexInfo/zr:set", NS)}
    assert sets == {
        "cql": "info:srw/cql-context-set/1/cql-v1.2", "dc": "info:srw/cql-context-set/1/dc-v1.1",
        "bath": "http://zing.z3950.org/cql/bath/2.0/", "rec": "info:srw/cql-context-set/2/rec-1.1",
    }
    indexes = {}
    for index in record.findall("zr:indexInfo/zr:index", NS):
        name = index.find("zr:map/zr:name", NS)
        relations = [s.text for s in index.findall("zr:configInfo/zr:supports[@type='relation']", NS)]
        indexes[f"{name.get('set')}.{name.text}"] = relations
    for name in ("cql.serverChoice", "cql.anywhere", "dc.title", "dc.creator", "dc.subject"):
        assert set(indexes[name]) >= {"=", "==", "any", "all"}, name
    assert "=" in indexes["bath.isbn"] and "=" in indexes["rec.id"]


def test_explain_lists_the_record_schemas_and_paging_limits(client):
    record = explain_record(sru(client))
    schemas = {s.get("name"): s.get("identifier") for s in record.findall("zr:schemaInfo/zr:schema", NS)}
    assert schemas == {
        "marcxml": "info:srw/schema/1/marcxml-v1.1", "dc": "info:srw/schema/1/dc-v1.1",
        "unimarc": "info:srw/schema/8/unimarcxml-v0.1",
    }
    config = record.find("zr:configInfo", NS)
    assert config.findtext("zr:default[@type='numberOfRecords']", namespaces=NS) == "10"
    assert config.findtext("zr:setting[@type='maximumRecords']", namespaces=NS) == "100"


def test_explain_as_a_string_record_packs_the_zeerex_xml_as_text(client):
    answer = sru(client, operation="explain", recordPacking="string")
    assert answer.text("srw:record/srw:recordPacking") == "string"
    packed = answer.text("srw:record/srw:recordData")
    assert packed.startswith("<zr:explain") and "<zr:serverInfo" in packed


def test_sru_is_public(client):
    # No credentials: library systems harvest the union catalogue without an account.
    assert client.get("/sru", params={"operation": "explain"}).status_code == 200

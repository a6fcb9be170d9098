"""The XML of SRU 1.2 responses (namespace http://www.loc.gov/zing/srw/), built with lxml.

Element order follows the SRU 1.2 schema (srw-types.xsd): a searchRetrieveResponse is version,
numberOfRecords, records, nextRecordPosition, echoedSearchRetrieveRequest, diagnostics; a
record is recordSchema, recordPacking, recordData, recordPosition. The echoed query comes both
as written and as XCQL (http://www.loc.gov/zing/cql/xcql/), the parsed form clients can check
their query against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from catalog.marc.writer import xml_safe
from catalog.sru.cql import BooleanQuery, Modifier, Node, PrefixedQuery, SearchClause
from catalog.sru.diagnostics import Diagnostic
from catalog.sru.explain import ZEEREX_SCHEMA

SRW_NS = "http://www.loc.gov/zing/srw/"
DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
XCQL_NS = "http://www.loc.gov/zing/cql/xcql/"
# What <recordSchema> says for a surrogate diagnostic standing in for a record.
DIAGNOSTIC_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"
_NSMAP = {"srw": SRW_NS, "diag": DIAG_NS}


@dataclass(frozen=True)
class ResponseRecord:
    position: int
    schema: str  # the schema identifier (DIAGNOSTIC_SCHEMA for a surrogate diagnostic)
    data: etree._Element


@dataclass(frozen=True)
class EchoedSearch:
    """The request as the server understood it; values that failed to parse are left out."""

    version: str
    base_url: str
    query: str | None = None
    parsed: Node | None = None
    start_record: int | None = None
    maximum_records: int | None = None
    record_packing: str | None = None
    record_schema: str | None = None
    sort_keys: str | None = None
    stylesheet: str | None = None


def _srw(parent: etree._Element, name: str, text: str | int | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{SRW_NS}}}{name}")
    if text is not None:
        element.text = xml_safe(str(text))
    return element


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def diagnostic_element(diagnostic: Diagnostic) -> etree._Element:
    element = etree.Element(f"{{{DIAG_NS}}}diagnostic", nsmap={"diag": DIAG_NS})
    etree.SubElement(element, f"{{{DIAG_NS}}}uri").text = diagnostic.uri
    if diagnostic.details:
        etree.SubElement(element, f"{{{DIAG_NS}}}details").text = xml_safe(diagnostic.details)
    etree.SubElement(element, f"{{{DIAG_NS}}}message").text = diagnostic.message
    return element


def _diagnostics(parent: etree._Element, diagnostics: Sequence[Diagnostic]) -> None:
    if diagnostics:
        container = _srw(parent, "diagnostics")
        for diagnostic in diagnostics:
            container.append(diagnostic_element(diagnostic))


def _record(parent: etree._Element, record: ResponseRecord, packing: str) -> None:
    element = _srw(parent, "record")
    _srw(element, "recordSchema", record.schema)
    _srw(element, "recordPacking", packing)
    data = _srw(element, "recordData")
    if packing == "string":
        data.text = etree.tostring(record.data, encoding="unicode")
    else:
        data.append(record.data)
    _srw(element, "recordPosition", record.position)


def search_retrieve_response(
    version: str,
    total: int,
    records: Sequence[ResponseRecord],
    packing: str,
    next_position: int | None,
    echo: EchoedSearch,
    diagnostics: Sequence[Diagnostic],
) -> bytes:
    root = etree.Element(f"{{{SRW_NS}}}searchRetrieveResponse", nsmap=_NSMAP)
    _srw(root, "version", version)
    _srw(root, "numberOfRecords", total)
    if records:
        container = _srw(root, "records")
        for record in records:
            _record(container, record, packing)
    if next_position is not None:
        _srw(root, "nextRecordPosition", next_position)
    _echo_search(root, echo)
    _diagnostics(root, diagnostics)
    return _document(root)


def _echo_search(parent: etree._Element, echo: EchoedSearch) -> None:
    element = _srw(parent, "echoedSearchRetrieveRequest")
    _srw(element, "version", echo.version)
    if echo.query is not None:
        _srw(element, "query", echo.query)
    if echo.parsed is not None:
        _srw(element, "xQuery").append(xcql(echo.parsed))
    for name, value in (("startRecord", echo.start_record), ("maximumRecords", echo.maximum_records),
                        ("recordPacking", echo.record_packing), ("recordSchema", echo.record_schema),
                        ("sortKeys", echo.sort_keys), ("stylesheet", echo.stylesheet)):
        if value is not None:
            _srw(element, name, value)
    _srw(element, "baseUrl", echo.base_url)


def explain_response(
    version: str, explain: etree._Element, packing: str, base_url: str, diagnostics: Sequence[Diagnostic]
) -> bytes:
    root = etree.Element(f"{{{SRW_NS}}}explainResponse", nsmap=_NSMAP)
    _srw(root, "version", version)
    _record(root, ResponseRecord(1, ZEEREX_SCHEMA, explain), packing)
    echo = _srw(root, "echoedExplainRequest")
    _srw(echo, "version", version)
    _srw(echo, "recordPacking", packing)
    _srw(echo, "baseUrl", base_url)
    _diagnostics(root, diagnostics)
    return _document(root)


def scan_response(version: str, diagnostics: Sequence[Diagnostic]) -> bytes:
    root = etree.Element(f"{{{SRW_NS}}}scanResponse", nsmap=_NSMAP)
    _srw(root, "version", version)
    _diagnostics(root, diagnostics)
    return _document(root)


# ---------------------------------------------------------------------------- XCQL
def _x(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{XCQL_NS}}}{name}")
    element.text = xml_safe(text) if text is not None else None
    return element


def xcql(node: Node) -> etree._Element:
    """The query in XCQL: searchClause and triple elements, prefix assignments as <prefixes>."""
    prefixes: list[PrefixedQuery] = []
    while isinstance(node, PrefixedQuery):
        prefixes.append(node)
        node = node.query
    name = "searchClause" if isinstance(node, SearchClause) else "triple"
    element = etree.Element(f"{{{XCQL_NS}}}{name}", nsmap={None: XCQL_NS})
    if prefixes:
        container = _x(element, "prefixes")
        for assignment in prefixes:
            prefix = _x(container, "prefix")
            _x(prefix, "name", assignment.prefix)
            _x(prefix, "identifier", assignment.uri)
    if isinstance(node, SearchClause):
        _x(element, "index", node.index)
        relation = _x(element, "relation")
        _x(relation, "value", node.relation)
        _modifiers(relation, node.modifiers)
        _x(element, "term", node.term)
    elif isinstance(node, BooleanQuery):
        boolean = _x(element, "boolean")
        _x(boolean, "value", node.operator)
        _modifiers(boolean, node.modifiers)
        _x(element, "leftOperand").append(xcql(node.left))
        _x(element, "rightOperand").append(xcql(node.right))
    return element


def _modifiers(parent: etree._Element, modifiers: Sequence[Modifier]) -> None:
    if not modifiers:
        return
    container = _x(parent, "modifiers")
    for modifier in modifiers:
        element = _x(container, "modifier")
        _x(element, "type", modifier.name)
        if modifier.comparison is not None:
            _x(element, "comparison", modifier.comparison)
            _x(element, "value", modifier.value)

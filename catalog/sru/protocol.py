"""Answering one SRU request: its parameters in, the response document out.

SRU 1.2 over HTTP GET: ``operation`` is explain (also when absent: a bare base URL must
describe the server) or searchRetrieve; scan and anything else get diagnostic 4. ``version``
1.1 and 1.2 are answered in kind (their searchRetrieve and explain differ in nothing this
server uses), any other gets diagnostic 5; a request without one is taken as 1.2.

A fatal diagnostic (a bad parameter, a query that is not CQL or asks for what the catalogue
cannot evaluate) gives a response with no records; non-fatal ones (first record beyond the
result, sorting or stylesheets asked for) travel beside the records, and a record that has no
form in the requested schema is replaced by a surrogate diagnostic in its position.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from catalog.sru import cql
from catalog.sru.diagnostics import (
    FIRST_RECORD_OUT_OF_RANGE,
    GENERAL_SYSTEM_ERROR,
    MANDATORY_PARAMETER_MISSING,
    RECORD_NOT_IN_SCHEMA,
    SORT_NOT_SUPPORTED,
    STYLESHEETS_NOT_SUPPORTED,
    TOO_MANY_CHARACTERS_IN_QUERY,
    UNSUPPORTED_OPERATION,
    UNSUPPORTED_PARAMETER,
    UNSUPPORTED_PARAMETER_VALUE,
    UNSUPPORTED_RECORD_PACKING,
    UNSUPPORTED_VERSION,
    XPATH_UNSUPPORTED,
    Diagnostic,
    SruError,
)
from catalog.sru.explain import DEFAULT_MAXIMUM_RECORDS, MAXIMUM_RECORDS_LIMIT, Endpoint, explain_record
from catalog.sru.query import SearchPage, search, where
from catalog.sru.responses import (
    DIAGNOSTIC_SCHEMA,
    EchoedSearch,
    ResponseRecord,
    diagnostic_element,
    explain_response,
    scan_response,
    search_retrieve_response,
)
from catalog.sru.schemas import RecordSchema, resolve_schema
from ils.config import get_settings
from ils.db import Database

log = logging.getLogger("ils.sru")

SUPPORTED_VERSIONS = ("1.1", "1.2")
HIGHEST_VERSION = "1.2"
PACKINGS = ("xml", "string")
_FLAVOUR_NAMES = {"marc21": "MARC21", "cnmarc": "CNMARC"}
MAX_QUERY_LENGTH = 2000
# The searchRetrieve parameters of SRU 1.2; any other (except x- extensions) is diagnostic 8.
SEARCH_PARAMETERS = frozenset({
    "operation", "version", "query", "startRecord", "maximumRecords", "recordPacking", "recordSchema",
    "recordXPath", "resultSetTTL", "sortKeys", "stylesheet", "extraRequestData",
})


def respond(parameters: Iterable[tuple[str, str]], endpoint: Endpoint, db: Database, now: datetime) -> bytes:
    """The response document for a request's query parameters (the first value of each counts)."""
    params: dict[str, str] = {}
    for name, value in parameters:
        params.setdefault(name, value)
    operation = params.get("operation") or "explain"
    version = params.get("version") or HIGHEST_VERSION
    if version not in SUPPORTED_VERSIONS:
        return _unsupported_version(operation, params, endpoint)
    if operation == "explain":
        return _explain(version, params, endpoint)
    if operation == "searchRetrieve":
        return _search_retrieve(version, params, endpoint, db, now)
    if operation == "scan":
        return scan_response(version, [Diagnostic(UNSUPPORTED_OPERATION, operation)])
    return _explain(version, params, endpoint, [Diagnostic(UNSUPPORTED_OPERATION, operation)])


def _unsupported_version(operation: str, params: dict[str, str], endpoint: Endpoint) -> bytes:
    diagnostic = Diagnostic(UNSUPPORTED_VERSION, HIGHEST_VERSION)
    if operation == "searchRetrieve":
        echo = EchoedSearch(params["version"], endpoint.base_url, query=params.get("query"))
        return search_retrieve_response(HIGHEST_VERSION, 0, [], "xml", None, echo, [diagnostic])
    return _explain(HIGHEST_VERSION, params, endpoint, [diagnostic])


def _explain(version: str, params: dict[str, str], endpoint: Endpoint, diagnostics: Sequence[Diagnostic] = ()
             ) -> bytes:
    found = list(diagnostics)
    packing = params.get("recordPacking") or "xml"
    if packing not in PACKINGS:
        # Explain still answers (in XML): a client learning about the server needs the record.
        found.append(Diagnostic(UNSUPPORTED_RECORD_PACKING, packing))
        packing = "xml"
    if params.get("stylesheet"):
        found.append(Diagnostic(STYLESHEETS_NOT_SUPPORTED, params["stylesheet"]))
    return explain_response(version, explain_record(endpoint), packing, endpoint.base_url, found)


def _integer(value: str | None, minimum: int) -> int | None:
    """The parameter as an integer of at least ``minimum``; None when absent or not one."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number >= minimum else None


def _search_retrieve(version: str, params: dict[str, str], endpoint: Endpoint, db: Database, now: datetime
                     ) -> bytes:
    start = _integer(params.get("startRecord"), 1)
    maximum = _integer(params.get("maximumRecords"), 0)
    packing = params.get("recordPacking") or "xml"
    echo = EchoedSearch(
        version, endpoint.base_url, query=params.get("query"), start_record=start, maximum_records=maximum,
        record_packing=packing if packing in PACKINGS else None, record_schema=params.get("recordSchema"),
        sort_keys=params.get("sortKeys"), stylesheet=params.get("stylesheet"),
    )
    notes = _ignored_features(params)
    try:
        _check_parameters(params, start, maximum, packing)
        schema = resolve_schema(params.get("recordSchema"))
        query = _parse(params["query"])
        echo = replace(echo, parsed=query.root)
        if query.sort_keys and not params.get("sortKeys"):
            notes.append(Diagnostic(SORT_NOT_SUPPORTED, "sortby"))
        page = _run(db, query, start or 1, _page_size(maximum))
    except SruError as error:
        return search_retrieve_response(version, 0, [], "xml", None, echo, [*notes, error.diagnostic])
    first = start or 1
    if page.total and first > page.total:
        notes.append(Diagnostic(FIRST_RECORD_OUT_OF_RANGE, str(first)))
    records = _render(page, schema, first, now)
    following = first + len(records)
    next_position = following if following <= page.total else None
    return search_retrieve_response(version, page.total, records, packing, next_position, echo, notes)


def _ignored_features(params: dict[str, str]) -> list[Diagnostic]:
    """Non-fatal: the records come anyway, in record-number order and without a stylesheet."""
    notes = []
    if params.get("sortKeys"):
        notes.append(Diagnostic(SORT_NOT_SUPPORTED, params["sortKeys"]))
    if params.get("stylesheet"):
        notes.append(Diagnostic(STYLESHEETS_NOT_SUPPORTED, params["stylesheet"]))
    return notes


def _check_parameters(params: dict[str, str], start: int | None, maximum: int | None, packing: str) -> None:
    unknown = sorted(n for n in params if n not in SEARCH_PARAMETERS and not n.startswith("x-"))
    if unknown:
        raise SruError(UNSUPPORTED_PARAMETER, unknown[0])
    if not (params.get("query") or "").strip():
        raise SruError(MANDATORY_PARAMETER_MISSING, "query")
    if "startRecord" in params and start is None:
        raise SruError(UNSUPPORTED_PARAMETER_VALUE, "startRecord")
    if "maximumRecords" in params and maximum is None:
        raise SruError(UNSUPPORTED_PARAMETER_VALUE, "maximumRecords")
    if packing not in PACKINGS:
        raise SruError(UNSUPPORTED_RECORD_PACKING, packing)
    if params.get("recordXPath"):
        raise SruError(XPATH_UNSUPPORTED, params["recordXPath"])


def _parse(text: str) -> cql.CqlQuery:
    if len(text) > MAX_QUERY_LENGTH:
        raise SruError(TOO_MANY_CHARACTERS_IN_QUERY, str(MAX_QUERY_LENGTH))
    return cql.parse(text)


def _page_size(maximum: int | None) -> int:
    # SRU lets a server return fewer records than asked for; nextRecordPosition tells the rest.
    return min(DEFAULT_MAXIMUM_RECORDS if maximum is None else maximum, MAXIMUM_RECORDS_LIMIT)


def _run(db: Database, query: cql.CqlQuery, start: int, size: int) -> SearchPage:
    condition = where(query, db.dialect)  # SruError for an unsupported index, relation ... comes first
    try:
        with db.session(write=False) as session:
            return search(session, condition, start, size)
    except Exception as exc:  # the protocol's answer to any failure is diagnostic 1, not an HTTP error
        log.exception("SRU search failed: %s", query)
        raise SruError(GENERAL_SYSTEM_ERROR, "the catalogue could not be searched") from exc


def _render(page: SearchPage, schema: RecordSchema, first: int, now: datetime) -> list[ResponseRecord]:
    today = now.astimezone(get_settings().tz).date()
    out = []
    for position, record in enumerate(page.records, start=first):
        element = schema.render(record, page.isbns.get(record.id, []), today)
        if element is None:
            flavour = _FLAVOUR_NAMES[record.flavour]
            surrogate = Diagnostic(RECORD_NOT_IN_SCHEMA, f"rec.id={record.id} is a {flavour} record")
            out.append(ResponseRecord(position, DIAGNOSTIC_SCHEMA, diagnostic_element(surrogate)))
        else:
            out.append(ResponseRecord(position, schema.identifier, element))
    return out

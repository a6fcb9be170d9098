"""SRU diagnostics exactly as the standard numbers and words them, inside HTTP 200 text/xml."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from catalog.sru import protocol
from tests.catalog.sru.answers import search, sru

DIAGNOSTIC = "info:srw/diagnostic/1/"


def only_diagnostic(answer) -> tuple[int, str | None, str | None]:
    assert len(answer.diagnostics) == 1, answer.diagnostics
    uri, details, message = answer.diagnostics[0]
    assert uri.startswith(DIAGNOSTIC)
    return int(uri.removeprefix(DIAGNOSTIC)), details, message


def test_general_system_error_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(protocol, "search", broken)
    answer = search(client, "dc.title = 红楼梦")
    assert only_diagnostic(answer) == (1, "the catalogue could not be searched", "General system error")
    assert answer.total == 0 and answer.records == []


@pytest.mark.parametrize("operation", ["scan", "update", "searchretrieve"])
def test_unsupported_operation(client, operation):
    answer = sru(client, operation=operation, version="1.2")
    assert only_diagnostic(answer) == (4, operation, "Unsupported operation")


@pytest.mark.parametrize("operation,root", [("searchRetrieve", "searchRetrieveResponse"),
                                            ("explain", "explainResponse")])
def test_unsupported_version_says_the_highest_supported(client, operation, root):
    answer = sru(client, operation=operation, version="2.0", query="红楼梦")
    assert answer.root.tag == f"{{http://www.loc.gov/zing/srw/}}{root}"
    assert only_diagnostic(answer) == (5, "1.2", "Unsupported version")
    assert answer.text("srw:version") == "1.2"


@pytest.mark.parametrize("name,value", [("startRecord", "0"), ("startRecord", "first"), ("maximumRecords", "-1"),
                                        ("maximumRecords", "ten")])
def test_unsupported_parameter_value_names_the_parameter(client, name, value):
    answer = search(client, "红楼梦", **{name: value})
    assert only_diagnostic(answer) == (6, name, "Unsupported parameter value")


@pytest.mark.parametrize("query", [None, "", "   "])
def test_mandatory_query_missing(client, query):
    params = {"operation": "searchRetrieve", "version": "1.2"}
    if query is not None:
        params["query"] = query
    assert only_diagnostic(sru(client, **params)) == (7, "query", "Mandatory parameter not supplied")


def test_unsupported_parameter(client):
    answer = search(client, "红楼梦", scanClause="dc.title")
    assert only_diagnostic(answer) == (8, "scanClause", "Unsupported Parameter")
    assert search(client, "红楼梦", **{"x-info-debug": "1"}).diagnostics == []  # extensions are ignored


@pytest.mark.parametrize("query,number,details", [
    ("dc.title =", 10, None), ("dog cat", 10, None), ("dc.title = 红楼梦 and", 10, None),
    ("(dc.title = 红楼梦", 13, "0"), ("dc.title = 红楼梦)", 13, "14"), ('dc.title = "红楼梦', 14, "11"),
])
def test_query_syntax_errors(client, query, number, details):
    got, got_details, message = only_diagnostic(search(client, query))
    assert got == number
    assert message == {10: "Query syntax error", 13: "Invalid or unsupported use of parentheses",
                       14: "Invalid or unsupported use of quotes"}[number]
    if details is not None:
        assert got_details == details


@pytest.mark.parametrize("query,expected", [
    ("dc.date = 1999", (16, "dc.date", "Unsupported index")),
    ("title.main = 红楼梦", (15, "title", "Unsupported context set")),
    ('> x = "info:srw/cql-context-set/9/other" x.title = 红楼梦', (15, "info:srw/cql-context-set/9/other",
                                                                 "Unsupported context set")),
    ("dc.title within 红楼梦", (19, "within", "Unsupported relation")),
    ("dc.title encloses 红楼梦", (19, "encloses", "Unsupported relation")),
    ("dc.title < 红楼梦", (22, "dc.title <", "Unsupported combination of relation and index")),
    ("dc.title =/relevant 红楼梦", (20, "relevant", "Unsupported relation modifier")),
    ("dc.title = 红楼梦 prox dc.title = 曹雪芹", (37, "prox", "Unsupported boolean operator")),
    ("dc.title = 红楼梦 and/rel.combine=sum dc.creator = 曹雪芹",
     (46, "rel.combine", "Unsupported boolean modifier")),
    ('dc.title = ""', (27, None, "Empty term unsupported")),
    ('dc.title = "红^楼梦"', (32, "1", "Anchoring character in unsupported position")),
    ('bath.isbn = "^9787020002207"', (31, "^9787020002207", "Anchoring character not supported")),
    ("rec.id = 1*", (28, "1*", "Masking character not supported")),
    ("rec.id = one", (36, "one", "Term in invalid format for index or relation")),
    ("dc.title = a*b*c*d*e*f*g*h*i*j", (30, "8", "Too many masking characters in term")),
])
def test_what_the_catalogue_cannot_evaluate(client, query, expected):
    answer = search(client, query)
    assert only_diagnostic(answer) == expected
    assert answer.total == 0 and answer.records == []


def test_too_long_query_and_term(client):
    assert only_diagnostic(search(client, "a or " * 500 + "b"))[:2] == (12, "2000")
    assert only_diagnostic(search(client, "dc.title = " + "长" * 300))[:2] == (23, "256")


def test_first_record_out_of_range_still_counts_the_matches(client, classics):
    answer = search(client, "dc.creator = 曹雪芹", startRecord=3)
    assert only_diagnostic(answer) == (61, "3", "First record position out of range")
    assert answer.total == 2 and answer.records == [] and answer.next_position is None


def test_unknown_schema(client, classics):
    answer = search(client, "红楼梦", recordSchema="mods")
    assert only_diagnostic(answer) == (66, "mods", "Unknown schema for retrieval")
    assert answer.records == []


@pytest.mark.shared_data
def test_marc21_record_asked_for_as_unimarc_is_a_surrogate_diagnostic(client, camel, classics):
    answer = search(client, 'cql.anywhere any "wall 曹雪芹"', recordSchema="unimarc", maximumRecords=10)
    assert answer.total == 3 and answer.diagnostics == []
    schemas = [r.findtext("{http://www.loc.gov/zing/srw/}recordSchema") for r in answer.records]
    surrogate = [r for r, s in zip(answer.records, schemas) if s == "info:srw/schema/1/diagnostics-v1.1"]
    assert len(surrogate) == 1 and schemas.count("info:srw/schema/8/unimarcxml-v0.1") == 2
    diagnostic = surrogate[0].find(".//{http://www.loc.gov/zing/srw/diagnostic/}diagnostic")
    assert diagnostic.findtext("{http://www.loc.gov/zing/srw/diagnostic/}uri") == DIAGNOSTIC + "67"
    assert diagnostic.findtext("{http://www.loc.gov/zing/srw/diagnostic/}message") == (
        "Record not available in this schema")
    assert answer.positions == [1, 2, 3]  # the surrogate keeps its record's place


def test_unsupported_record_packing_and_xpath(client):
    assert only_diagnostic(search(client, "红楼梦", recordPacking="json")) == (71, "json", "Unsupported record packing")
    assert only_diagnostic(search(client, "红楼梦", recordXPath="/record")) == (
        72, "/record", "XPath retrieval unsupported")


def test_sorting_and_stylesheets_are_not_fatal(client, classics):
    answer = search(client, "dc.creator = 曹雪芹 sortby dc.title", stylesheet="/style.xsl")
    assert sorted(answer.codes) == [80, 110]
    assert answer.total == 2 and len(answer.records) == 2
    assert search(client, "dc.creator = 曹雪芹", sortKeys="title,,1").codes == [80]


def test_a_control_character_in_the_query_is_echoed_safely(client):
    answer = search(client, "dc.title = a\x01b")
    assert answer.text("srw:echoedSearchRetrieveRequest/srw:query") == "dc.title = a\ufffdb"


def test_parentheses_nested_330_deep_get_diagnostic_13_at_the_first_one_too_deep_not_a_server_error(client):
    # 330 levels was where the recursive parser ran out of stack (RecursionError, a 500).
    from catalog.sru.cql import MAX_NESTING

    answer = search(client, "(" * 330 + "红楼梦" + ")" * 330)
    assert only_diagnostic(answer) == (13, str(MAX_NESTING), "Invalid or unsupported use of parentheses")
    assert answer.total == 0 and answer.records == []


def test_parentheses_nested_to_the_limit_are_still_a_query(client):
    from catalog.sru.cql import MAX_NESTING

    answer = search(client, "(" * MAX_NESTING + "红楼梦" + ")" * MAX_NESTING)
    assert answer.diagnostics == [] and answer.total == 0


def test_prefix_assignments_nested_beyond_the_limit_get_diagnostic_10(client):
    answer = search(client, "> x = y " * 40 + "dc.title = 红楼梦")  # within the 2,000 characters
    number, details, message = only_diagnostic(answer)
    assert (number, message) == (10, "Query syntax error") and "nested" in details

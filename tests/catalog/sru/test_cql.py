"""The CQL parser: clauses, relations, booleans read left to right, quoting, prefixes, errors."""

from __future__ import annotations

import pytest

from catalog.sru.cql import BooleanQuery, Modifier, PrefixedQuery, SearchClause, SortKey, parse
from catalog.sru.diagnostics import SruError


def clause(index: str, relation: str, term: str) -> SearchClause:
    return SearchClause(index, relation, term)


def test_a_bare_term_searches_the_server_choice_index():
    assert parse("红楼梦").root == clause("cql.serverChoice", "=", "红楼梦")


@pytest.mark.parametrize("text,expected", [
    ("dc.title = 红楼梦", ("dc.title", "=", "红楼梦")),
    ("dc.title==红楼梦", ("dc.title", "==", "红楼梦")),
    ("dc.title exact 红楼梦", ("dc.title", "exact", "红楼梦")),
    ("dc.creator any 曹雪芹", ("dc.creator", "any", "曹雪芹")),
    ("dc.title ALL 红楼梦", ("dc.title", "ALL", "红楼梦")),
    ("rec.id >= 5", ("rec.id", ">=", "5")),
    ("rec.id<>5", ("rec.id", "<>", "5")),
])
def test_index_relation_and_term_with_symbols_and_named_relations(text, expected):
    assert parse(text).root == clause(*expected)


def test_quoted_terms_keep_spaces_and_escaped_quotes():
    root = parse(r'dc.title = "pride and \"prejudice\""').root
    assert root == clause("dc.title", "=", r'pride and \"prejudice\"')


def test_booleans_have_equal_precedence_and_read_left_to_right():
    # CQL: "a or b and c" is "(a or b) and c", unlike most programming languages.
    root = parse("a or b and c").root
    assert root == BooleanQuery("and", BooleanQuery("or", clause("cql.serverChoice", "=", "a"),
                                                    clause("cql.serverChoice", "=", "b")),
                                clause("cql.serverChoice", "=", "c"))


def test_parentheses_group_first():
    root = parse("a or (b and c)").root
    assert isinstance(root, BooleanQuery) and root.operator == "or"
    assert isinstance(root.right, BooleanQuery) and root.right.operator == "and"


def test_boolean_words_are_case_insensitive_and_keep_their_modifiers():
    root = parse("a PROX/distance<3 b").root
    assert isinstance(root, BooleanQuery)
    assert root.operator == "prox" and root.modifiers == (Modifier("distance", "<", "3"),)


def test_relation_modifiers():
    root = parse("dc.title =/relevant/cql.string=x 红楼梦").root
    assert isinstance(root, SearchClause)
    assert root.modifiers == (Modifier("relevant"), Modifier("cql.string", "=", "x"))


def test_prefix_assignment_scopes_the_query():
    root = parse('> d = "info:srw/cql-context-set/1/dc-v1.1" d.title = 红楼梦').root
    assert root == PrefixedQuery("d", "info:srw/cql-context-set/1/dc-v1.1", clause("d.title", "=", "红楼梦"))


def test_sortby_is_read_after_the_query():
    query = parse("dc.title = perl sortby dc.date/sort.descending dc.title")
    assert query.sort_keys == (SortKey("dc.date", (Modifier("sort.descending"),)), SortKey("dc.title"))


@pytest.mark.parametrize("text,number", [
    ("dc.title =", 10), ("dog cat", 10), ("a and", 10), ("= x", 10), ("a sortby", 10), ("", 10),
    ("(a and b", 13), ("a and b)", 13), ("()", 13), ('dc.title = "unclosed', 14),
])
def test_malformed_queries_raise_the_standard_diagnostic(text, number):
    with pytest.raises(SruError) as raised:
        parse(text)
    assert raised.value.diagnostic.number == number


def test_too_many_booleans_is_diagnostic_38():
    with pytest.raises(SruError) as raised:
        parse(" or ".join(["a"] * 40))
    assert raised.value.diagnostic.number == 38

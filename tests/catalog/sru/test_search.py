"""searchRetrieve over the union catalogue: every index, relations, Chinese terms, booleans, paging.

Real records from ../shared/data (MARC21 Perl books, CNMARC 中国发展报告, Pride and prejudice in
many languages) and a few CNMARC records of our own (tests.support.marc)."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from catalog.models import Record
from tests.catalog.sru.answers import search, search_all

pytestmark = pytest.mark.shared_data

PERL_IN_TITLE = {
    "Programming the Perl DBI", "Perl", "CGI programming with Perl", "Proceedings of the Perl Conference 4.0",
    "Perl for system administration", "Programming Perl", "Perl programmer's interactive workbook",
    "Cross-platform Perl",
}


def titles(client, query: str) -> set[str]:
    answer = search_all(client, query)
    assert answer.diagnostics == [], answer.diagnostics
    found = answer.titles()
    assert len(found) == answer.total, "every match fits in one page here"
    return set(found)


def record_id(db, title: str) -> int:
    with db.session(write=False) as session:
        return session.scalars(select(Record.id).where(Record.title == title)).one()


# ---------------------------------------------------------------------------- dc.title
def test_title_search_for_hongloumeng_finds_it_in_simplified_and_traditional_characters(client, classics):
    assert titles(client, "dc.title = 红楼梦") == {"红楼梦", "紅樓夢"}
    assert titles(client, "dc.title = 紅樓夢") == {"红楼梦", "紅樓夢"}
    assert titles(client, "dc.title = 红楼") == {"红楼梦", "紅樓夢"}


def test_title_search_in_real_marc21_records_folds_traditional_to_simplified(client, austen):
    simplified = titles(client, "dc.title = 傲慢与偏见")
    assert simplified == {"傲慢与偏见", "傲慢與偏見"}
    assert search(client, "dc.title = 傲慢与偏见").total == search(client, "dc.title = 傲慢與偏見").total == 11


def test_title_words_are_whole_words_for_latin_script(client, camel):
    assert titles(client, "dc.title = perl") == PERL_IN_TITLE  # not "ActivePerl with ASP and ADO"


def test_a_latin_word_is_found_next_to_han_characters(client, classics):
    assert titles(client, "dc.title = python") == {"Python编程：从入门到实践"}
    assert titles(client, "dc.title = 编程") == {"Python编程：从入门到实践"}


def test_title_relations_adj_all_any_exact(client, camel):
    assert titles(client, 'dc.title = "programming perl"') == {"Programming Perl"}
    assert titles(client, 'dc.title adj "programming perl"') == {"Programming Perl"}
    assert titles(client, 'dc.title all "perl programming"') == {
        "Programming the Perl DBI", "CGI programming with Perl", "Programming Perl"}
    assert titles(client, 'dc.title any "dbi workbook"') == {
        "Programming the Perl DBI", "Perl programmer's interactive workbook"}
    assert titles(client, "dc.title == perl") == {"Perl"}
    assert titles(client, 'dc.title exact "PROGRAMMING PERL"') == {"Programming Perl"}


def test_masking_and_anchoring_in_terms(client, camel):
    assert titles(client, "dc.title = program*") == {
        "Programming the Perl DBI", "CGI programming with Perl", "Programming Perl",
        "Perl programmer's interactive workbook"}
    assert titles(client, "dc.title = p?rl") == PERL_IN_TITLE
    assert titles(client, 'dc.title = "^perl"') == {
        "Perl", "Perl for system administration", "Perl programmer's interactive workbook"}
    assert titles(client, 'dc.title = "perl^"') == {"Perl", "CGI programming with Perl", "Programming Perl",
                                                    "Cross-platform Perl"}


# ---------------------------------------------------------------------------- dc.creator
def test_creator_finds_headings_and_statements_of_responsibility(client, camel):
    assert titles(client, "dc.creator = wall") == {"Programming Perl"}
    assert titles(client, 'dc.creator = "wall, larry"') == {"Programming Perl"}  # the 100 heading
    assert titles(client, 'dc.creator = "larry wall"') == {"Programming Perl"}  # the 245 $c statement


def test_creator_in_chinese(client, bnu, classics):
    assert titles(client, "dc.creator = 曹雪芹") == {"红楼梦", "紅樓夢"}
    assert titles(client, "dc.creator = 张塞") == {"'96 中国发展报告", "`93中国发展报告"}


def test_creator_traditional_record_found_with_simplified_name(client, austen):
    found = titles(client, "dc.creator = 奥斯丁 and dc.title = 傲慢与偏见")
    assert found == {"傲慢與偏見", "傲慢与偏见"}


# ---------------------------------------------------------------------------- dc.subject
def test_subject_headings_and_clc_class(client, camel, bnu, classics):
    assert titles(client, 'dc.subject = "perl (computer program language)"') == PERL_IN_TITLE | {
        "ActivePerl with ASP and ADO"}
    assert titles(client, "dc.subject = 社会分析") == {"’92中国发展报告"}
    assert titles(client, "dc.subject = 章回小说") == {"三国演义"}
    assert titles(client, "dc.subject = D668") == {"’92中国发展报告", "1999 年中国发展状况与趋势"}


def test_subject_exact_matches_a_whole_heading(client, bnu):
    assert titles(client, "dc.subject == 社会分析--中国") == {"’92中国发展报告"}
    assert titles(client, "dc.subject == 社会分析") == set()


# ---------------------------------------------------------------------------- bath.isbn
@pytest.mark.parametrize("isbn", ["9787503717444", "978-7-5037-1744-4", "7-5037-1744-0", "7503717440"])
def test_isbn_in_any_form_finds_its_record(client, bnu, isbn):
    assert titles(client, f'bath.isbn = "{isbn}"') == {"'94中国发展报告"}


def test_isbn_any_masked_and_invalid(client, bnu, classics):
    assert titles(client, 'bath.isbn any "9787020002207 9789573207382"') == {"红楼梦", "紅樓夢"}
    assert titles(client, "bath.isbn = 978750371*") == {"'94中国发展报告", "`93中国发展报告"}
    assert titles(client, "bath.isbn = 9787503717445") == set()  # wrong check digit: no such book


# ---------------------------------------------------------------------------- rec.id
def test_record_number_equal_list_and_range(client, db, classics):
    first, second = record_id(db, "红楼梦"), record_id(db, "紅樓夢")
    assert titles(client, f"rec.id = {first}") == {"红楼梦"}
    assert titles(client, f'rec.id any "{first} {second}"') == {"红楼梦", "紅樓夢"}
    assert titles(client, f"rec.id > {second}") == {"三国演义", "Python编程：从入门到实践"}
    assert titles(client, f"rec.id <= {first}") == {"红楼梦"}


# ---------------------------------------------------------------------------- anywhere
def test_a_bare_term_searches_anywhere(client, bnu, classics):
    assert titles(client, "曹雪芹") == {"红楼梦", "紅樓夢"}  # an author
    assert titles(client, "遠流出版") == {"紅樓夢"}  # a publisher
    assert titles(client, "9787020002207") == {"红楼梦"}  # an ISBN
    assert titles(client, "7-5037-1744-0") == {"'94中国发展报告"}


def test_anywhere_all_words_may_be_in_different_fields(client, bnu):
    assert titles(client, 'cql.anywhere = "发展报告 张塞"') == {"'96 中国发展报告", "`93中国发展报告"}
    assert titles(client, 'cql.serverChoice all "发展报告 张塞"') == {"'96 中国发展报告", "`93中国发展报告"}
    assert len(titles(client, 'cql.anywhere any "张塞 季野"')) == 3


def test_all_records(client, classics):
    assert search(client, "cql.allRecords = 1").total == 4


# ---------------------------------------------------------------------------- booleans
def test_and_or_not(client, camel):
    assert titles(client, "dc.title = perl and dc.creator = wall") == {"Programming Perl"}
    assert titles(client, "dc.title = dbi or dc.title = workbook") == {
        "Programming the Perl DBI", "Perl programmer's interactive workbook"}
    assert titles(client, "dc.title = perl not dc.title = programming") == {
        "Perl", "Proceedings of the Perl Conference 4.0", "Perl for system administration",
        "Perl programmer's interactive workbook", "Cross-platform Perl"}


def test_booleans_read_left_to_right_unless_parenthesised(client, camel):
    assert titles(client, "dc.title = dbi or dc.title = workbook and dc.creator = lowe") == {
        "Perl programmer's interactive workbook"}
    assert titles(client, "dc.title = dbi or (dc.title = workbook and dc.creator = lowe)") == {
        "Programming the Perl DBI", "Perl programmer's interactive workbook"}


def test_not_keeps_records_whose_fields_are_empty(client, camel):
    # A record without subjects or publisher place is not "unknown" to NOT: it simply does not match.
    assert titles(client, "cql.allRecords = 1 not dc.subject = perl") == {"Test subfields in control fields"}
    assert titles(client, "dc.title = perl not cql.anywhere = reilly") == {
        "Perl", "Perl programmer's interactive workbook", "Cross-platform Perl"}


def test_prefix_assignment_names_a_context_set(client, camel):
    query = '> d = "info:srw/cql-context-set/1/dc-v1.1" d.creator = wall'
    assert titles(client, query) == {"Programming Perl"}


# ---------------------------------------------------------------------------- paging
def _page_records(answer) -> list[bytes]:
    return [etree.tostring(data) for data in answer.data()]


def test_paging_walks_a_large_result_without_gaps_or_repeats(client, austen):
    whole = search(client, "dc.creator = austen", maximumRecords=100)
    total = whole.total
    assert total > 250
    assert whole.positions == list(range(1, 101)) and whole.next_position == 101
    seen: list[bytes] = []
    sizes: list[int] = []
    start: int | None = 1
    while start is not None:
        page = search(client, "dc.creator = austen", startRecord=start, maximumRecords=40)
        assert page.total == total
        assert page.positions == list(range(start, start + len(page.records)))
        seen += _page_records(page)
        sizes.append(len(page.records))
        start = page.next_position
    assert sizes[:-1] == [40] * (len(sizes) - 1) and 0 < sizes[-1] <= 40
    assert len(seen) == total and seen[:100] == _page_records(whole)


def test_default_and_capped_page_sizes(client, austen):
    default = search(client, "dc.creator = austen")
    assert len(default.records) == 10 and default.next_position == 11
    capped = search(client, "dc.creator = austen", maximumRecords=500)
    assert len(capped.records) == 100 and capped.next_position == 101
    counted = search(client, "dc.creator = austen", maximumRecords=0)
    assert counted.records == [] and counted.total == default.total and counted.next_position == 1


def test_last_page_has_no_next_position(client, camel):
    answer = search(client, "dc.title = perl", startRecord=7, maximumRecords=5)
    assert answer.total == 8 and answer.positions == [7, 8] and answer.next_position is None


def test_no_match_is_zero_records_without_diagnostics(client, camel):
    answer = search(client, "dc.title = 红楼梦")
    assert answer.total == 0 and answer.records == [] and answer.diagnostics == []

"""The demo catalogue facts (ils/demo/works.tsv)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ils.demo.marc_builder import ITEM_TYPES, TSV_COLUMNS, WORKS_PATH, load_works

CLC = re.compile(r"^[A-Z][A-Z0-9]*(\.[0-9]+)*(-[0-9]+)?(\.[0-9]+)*(=[0-9]+)?$")


def isbn_valid(isbn: str) -> bool:
    if re.fullmatch(r"97[89]\d{10}", isbn):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(isbn[:12]))
        return (10 - total % 10) % 10 == int(isbn[12])
    if re.fullmatch(r"\d{9}[\dXx]", isbn):
        total = sum((10 - i) * int(c) for i, c in enumerate(isbn[:9]))
        check = (11 - total % 11) % 11
        return ("X" if check == 10 else str(check)) == isbn[9].upper()
    return False


@pytest.fixture(scope="module")
def works():
    return load_works()


def test_isbn_checker_itself():
    assert isbn_valid("9787506365437")
    assert not isbn_valid("9787506365438")
    assert isbn_valid("0316769487")
    assert isbn_valid("020161622X")


def test_header_and_columns():
    lines = WORKS_PATH.read_text(encoding="utf-8").splitlines()
    assert tuple(lines[0].split("\t")) == TSV_COLUMNS
    for n, line in enumerate(lines[1:], start=2):
        assert len(line.split("\t")) == len(TSV_COLUMNS), f"line {n}"


def test_counts(works):
    languages = Counter(w.language for w in works)
    assert len(works) >= 400
    assert languages["chi"] >= 320
    assert languages["eng"] >= 40
    types = Counter(w.item_type for w in works)
    assert types["local_doc"] >= 15
    assert types["children"] >= 30
    assert types["large_print"] >= 3


def test_no_duplicate_manifestations(works):
    keys = Counter((w.title, w.publisher, w.year) for w in works)
    assert [k for k, n in keys.items() if n > 1] == []


def test_isbns_have_valid_check_digits_and_are_unique(works):
    isbns = [w.isbn for w in works if w.isbn]
    for isbn in isbns:
        assert isbn_valid(isbn), isbn
    assert len(isbns) == len(set(isbns))


def test_fields_plausible(works):
    for w in works:
        assert w.item_type in ITEM_TYPES
        assert 1 <= w.copies <= 8
        assert 1900 <= w.year <= 2026
        assert CLC.match(w.clc), (w.title, w.clc)
        assert w.publisher and w.place
        if w.language == "chi":
            assert len(w.roles) == len(w.authors)
            assert all(r for r in w.roles), w.title
        else:
            assert w.role == "", w.title
            assert all(", " in a or a.count(" ") == 0 for a in w.authors), w.title


def test_same_work_in_several_editions(works):
    by_title = Counter(w.title for w in works if w.language == "chi")
    assert by_title["红楼梦"] >= 2
    assert by_title["活着"] >= 2

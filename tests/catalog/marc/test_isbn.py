"""ISBN normalisation with real Chinese ISBNs."""

from __future__ import annotations

import pytest

from catalog.marc.isbn import isbn10_to_13, isbn13_to_10, normalise_isbn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-5037-1744-0", "9787503717444"),  # 中国统计出版社, from the dp2 sample
        ("7-5037-2790-X", "9787503727900"),  # ISBN-10 with X check character
        ("978-7-04-024765-7", "9787040247657"),  # 高等教育出版社
        ("9787040247657", "9787040247657"),
        ("ISBN 978-7-04-024765-7", "9787040247657"),
        ("ISBN 7-5037-1744-0 (pbk.)", "9787503717444"),
        ("7-5037-1744-0 : CNY45.00", "9787503717444"),
        ("9787040247657 25.00", "9787040247657"),
        ("978 7 04 024765 7", "9787040247657"),
        ("0-306-40615-2", "9780306406157"),
        ("７-５０３７-１７４４-０", "9787503717444"),  # full-width, as typed with a Chinese IME
    ],
)
def test_normalise_isbn_accepts_real_forms(text, expected):
    assert normalise_isbn(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "7-5037-1744-1",  # wrong ISBN-10 check digit
        "978-7-04-024765-8",  # wrong ISBN-13 check digit
        "9771234567003",  # ISSN as EAN-13 (977): not an ISBN
        "9771671216002",
        "CNY25.00",
        "",
        None,
        "12345",
    ],
)
def test_normalise_isbn_rejects_invalid_values(text):
    assert normalise_isbn(text) is None


def test_isbn10_to_13_and_back():
    assert isbn10_to_13("750371744X"[:9] + "0") == "9787503717444"
    assert isbn13_to_10("9787503727900") == "750372790X"
    assert isbn13_to_10("9791234567896") is None

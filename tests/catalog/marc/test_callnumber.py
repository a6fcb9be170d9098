"""Shelf order of Chinese call numbers through call_number_sort_key."""

from __future__ import annotations

import random

import pytest

from catalog.marc.callnumber import call_number_sort_key as key

# Each pair must sort strictly in this order on the shelf.
BEFORE = [
    ("TP311", "TP32"),  # class digits are a decimal fraction
    ("TP311/1", "TP32/1"),
    ("I247.5/2", "I247.5/1234"),  # book numbers compare as integers
    ("I247.5/9", "I247.5/10"),
    ("I247.5", "I247.57"),
    ("I247.57", "I248"),
    ("I247.5/9999", "I247.57/1"),
    ("TP311.1", "TP311.13"),
    ("TP311.13", "TP312"),
    ("A", "B"),  # letters-only classes alphabetical
    ("B", "TP"),
    ("TP", "TU"),
    ("T", "TB"),
    ("TP", "TP3"),
    ("I247.5/2:1", "I247.5/2:2"),  # volumes
    ("I247.5/2:2", "I247.5/2:10"),
    ("I247.5/2", "I247.5/2:1"),
    ("I247.5/2:10", "I247.5/3"),
    ("I247.5/9999", "I247.5-53/1"),  # general subdivision after the plain class
    ("I247.5-53/1", "I247.51/1"),  # ... and before longer class digits
    ("K295(1)/2", "K295(2)/1"),
    ("F124/26", "F124.1/1"),
    ("H31/C123", "H31/C124"),  # 著者号 letter + number
    ("H31/C9", "H31/C10"),
    ("I247.5/2=2", "I247.5/2=10"),  # editions
    ("Z/1", "馆藏本"),  # not a call number: after all real ones
]


@pytest.mark.parametrize(("first", "second"), BEFORE, ids=[f"{a} < {b}" for a, b in BEFORE])
def test_call_numbers_sort_in_shelf_order(first, second):
    assert key(first) < key(second)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("I247.5/2", " i247.5/2 "),  # case and blanks
        ("TP311.13/1", "TP31113/1"),  # the dots in the class are reading aids only
        ("I247.5/02", "I247.5/2"),  # leading zeros in a book number
        ("ＴＰ３１１/１", "TP311/1"),  # full-width input
    ],
)
def test_equivalent_spellings_give_the_same_key(a, b):
    assert key(a) == key(b)


def test_keys_are_ascii_and_deterministic_even_for_garbage():
    for text in ["", "???", "馆藏", "/////", "123", "I247.5//::==--", "TP\x00311"]:
        k = key(text)
        assert k.isascii() and k == key(text)


def test_shuffled_shelf_sorts_back_with_plain_string_sort():
    shelf = [
        "A81/2", "B2/1", "F124/26", "F124.1/1", "I206.7/5", "I247.5/2", "I247.5/2:1", "I247.5/2:2",
        "I247.5/2:10", "I247.5/15", "I247.5/1234", "I247.5-53/1", "I247.57/3", "I248/1", "K825.6/1",
        "TB1/1", "TP3/5", "TP311/9", "TP311.1/1", "TP311.13/1", "TP311.138/2", "TP312/1", "TP32/1",
        "TU/1",
    ]
    shuffled = shelf[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=key) == shelf
    # bytewise order (SQLite, PostgreSQL "C") is the same as Python's str order on ASCII keys
    assert sorted(key(s).encode() for s in shuffled) == [key(s).encode() for s in shelf]

"""Shelf order of Chinese call numbers (索书号) as a plain ASCII sort key.

A call number is a 中图法 (CLC) class, "/", and a book number (种次号 or 著者号), optionally
followed by ":" volume, "=" edition, "-" copy and the like: "I247.5/1234:2".

Shelf order is not string order:

* class digits are a decimal fraction (the dots are only reading aids every three digits), so
  TP311 < TP32 and I247.5 < I247.57 < I248;
* general subdivisions ("-", "(", "=", '"', "<") sort after the plain class and before longer
  class digits: I247.5/9999 < I247.5-53/1 < I247.57/1;
* book numbers and volume numbers are integers: I247.5/2 < I247.5/1234, :2 < :10.

The key is built so that bytewise order (SQLite, PostgreSQL "C" collation, Python sort) is
shelf order. Layout, byte values chosen so each rule above holds:

    <class letters><class digits>{<mark><subdivision>}[" "<tail tokens>]

Inside the tail, a run of digits becomes two digits giving its length then the digits (so
numbers compare as integers), letters are kept upper-cased, and punctuation becomes a mark
byte below "0". A call number that does not start with a class letter sorts after every
real one ("~" prefix) in a deterministic order.
"""

from __future__ import annotations

import unicodedata

# Marks inside the class part (after the digits). " " (0x20, book-number start) must stay below
# all of them so that every book of the plain class precedes its subdivisions.
_CLASS_MARKS = {"-": "!", "(": '"', "=": "#", '"': "$", "<": "%", ":": "&", "+": "'"}
_TAIL_MARKS = {"/": "!", "-": '"', "(": "#", ".": "$", ":": "%", "=": "&", ",": "'", ";": "("}
_OTHER_MARK = ")"
_CLOSING = ")>]）"


def _number(digits: str) -> str:
    digits = digits.lstrip("0") or "0"
    return f"{min(len(digits), 99):02d}{digits}"


def _tail_key(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            out.append(_number(text[i:j]))
            i = j
        elif ch.isalpha():
            j = i
            while j < n and text[j].isalpha():
                j += 1
            out.append(text[i:j])
            i = j
        else:
            if ch not in _CLOSING and not ch.isspace():
                out.append(_TAIL_MARKS.get(ch, _OTHER_MARK))
            i += 1
    return "".join(out)


def call_number_sort_key(call_number: str) -> str:
    """Return an ASCII key whose plain string order is the shelf order of ``call_number``."""
    text = unicodedata.normalize("NFKC", call_number or "").strip().upper()
    if not text.isascii():
        # Not a CLC call number (local text, stray characters): keep it deterministic and
        # shelve it after all real call numbers.
        return "~" + text.encode("utf-8").hex()
    i, n = 0, len(text)
    while i < n and "A" <= text[i] <= "Z":
        i += 1
    if i == 0:
        return "~" + _tail_key(text)
    parts = [text[:i]]
    # Class digits: a decimal fraction, dots dropped.
    digits = []
    while i < n and (text[i].isdigit() or text[i] == "."):
        if text[i] != ".":
            digits.append(text[i])
        i += 1
    parts.append("".join(digits))
    # Class subdivisions, up to the book number.
    while i < n and text[i] in _CLASS_MARKS:
        parts.append(_CLASS_MARKS[text[i]])
        i += 1
        start = i
        while i < n and text[i] not in "/ " and text[i] not in _CLASS_MARKS:
            i += 1
        parts.append("".join(ch for ch in text[start:i] if ch.isalnum()))
    rest = text[i:].strip()
    if rest:
        if rest[0] == "/":
            rest = rest[1:]
        parts.append(" " + _tail_key(rest))
    return "".join(parts)

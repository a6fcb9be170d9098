"""CQL search terms → what the database compares: a LIKE prefilter and a regular expression.

How a term matches a field (title, a name, a subject ...):

* Letters and digits of scripts written with spaces (Latin, Greek, Cyrillic ...) match whole
  words: ``perl`` finds "Programming Perl" but not "ActivePerl", and ``python`` finds
  "Python编程" because a Han character ends a Latin word as well as a space does.
* Han characters, kana and Hangul are written without spaces, so they match anywhere:
  ``红楼`` finds 红楼梦, whatever a segmenter would have made of the title.
* Punctuation and spacing between words never matter ("T.S. Eliot" and "T. S. Eliot" are one
  phrase), though the words of a phrase must be adjacent. Case never matters (for non-ASCII
  letters on SQLite only as far as its lower() goes).
* CQL masking: ``*`` is any run of letters, ``?`` one letter (``comput*``); ``^`` at the start
  or end anchors the term to the start or end of the field. ``\\*`` is a literal asterisk,
  which, like all punctuation, only separates words.
* 紅樓夢 and 红楼梦 are one book: every run of letters is also tried folded to simplified
  (catalog.search.analysis.fold) and converted back to traditional characters, so a query in
  either form finds records catalogued in either.

The regular expressions use only what Python's ``re`` (SQLAlchemy's REGEXP function on SQLite)
and PostgreSQL's ``~`` read the same way: literal characters, bracket classes of explicit
ranges, ``*``, ``+``, ``|``, ``^`` and ``$``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from catalog.search.analysis import fold
from catalog.sru.diagnostics import (
    ANCHORING_IN_UNSUPPORTED_POSITION,
    EMPTY_TERM,
    TOO_MANY_CHARACTERS_IN_TERM,
    TOO_MANY_MASKING_CHARACTERS,
    SruError,
)

# Letters and digits of scripts that separate words with spaces: a term's word must start and
# end where these stop.
_SPACED = "0-9a-z\u00b5\u00c0-\u024f\u0370-\u03ff\u0400-\u052f\u0531-\u0587\u05d0-\u05ea\u0620-\u064a"
# Scripts written without spaces (Thai, kana, Han, Hangul): a term matches inside their runs.
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_LETTER = f"[{_SPACED}{_UNSPACED}]"
_SEPARATOR = f"[^{_SPACED}{_UNSPACED}]"
_NOT_SPACED = f"[^{_SPACED}]"
_SPACED_CHAR = re.compile(f"[{_SPACED}]")

MAX_TERM_LENGTH = 256
# Each mask becomes a repetition in the expression; a few are all a catalogue search needs.
MAX_MASKS = 8

PieceKind = Literal["char", "any", "one", "gap"]


@dataclass(frozen=True)
class Piece:
    kind: PieceKind  # a letter or digit, a * mask, a ? mask, or a gap between words
    char: str = ""


@dataclass(frozen=True)
class Phrase:
    """A term as a sequence of letters, masks and word gaps, lower case, without punctuation."""

    pieces: tuple[Piece, ...]
    anchored_start: bool = False
    anchored_end: bool = False

    def words(self) -> list[Phrase]:
        """The phrase cut at its gaps: what ``any`` and ``all`` look for one by one."""
        words: list[list[Piece]] = [[]]
        for piece in self.pieces:
            if piece.kind == "gap":
                words.append([])
            else:
                words[-1].append(piece)
        last = len(words) - 1
        return [Phrase(tuple(w), self.anchored_start and n == 0, self.anchored_end and n == last)
                for n, w in enumerate(words) if w]

    def text(self) -> str:
        return "".join(p.char for p in self.pieces)

    def longest_run(self) -> str:
        """The longest run of letters every matching value contains as it is (the LIKE prefilter,
        which lets the database skip the regular expression for most rows)."""
        best, run = "", ""
        for piece in self.pieces:
            run = run + piece.char if piece.kind == "char" else ""
            best = max(best, run, key=len)
        return best

    def needs_regex(self, whole: bool) -> bool:
        """False when the LIKE prefilter alone decides: one unmasked run of unspaced script."""
        if whole or self.anchored_start or self.anchored_end:
            return True
        if any(p.kind != "char" for p in self.pieces):
            return True
        return _is_spaced(self.pieces[0].char) or _is_spaced(self.pieces[-1].char)

    def regex(self, whole: bool) -> str:
        """The regular expression over the lower-cased field value; ``whole`` for exact matches."""
        pieces = self.pieces
        parts: list[str] = []
        if whole or self.anchored_start:
            parts.append(f"^{_SEPARATOR}*")
        elif _bounded(pieces[0]):
            parts.append(f"(^|{_NOT_SPACED})")
        for n, piece in enumerate(pieces):
            if piece.kind == "char":
                parts.append(_escape(piece.char))
            elif piece.kind == "any":
                parts.append(f"{_LETTER}*")
            elif piece.kind == "one":
                parts.append(_LETTER)
            else:
                # Han needs no space between words (红楼梦 校注 finds 红楼梦校注); Latin words do.
                unspaced = _is_unspaced_piece(pieces[n - 1]) or _is_unspaced_piece(pieces[n + 1])
                parts.append(f"{_SEPARATOR}*" if unspaced else f"{_SEPARATOR}+")
        if whole or self.anchored_end:
            parts.append(f"{_SEPARATOR}*$")
        elif _bounded(pieces[-1]):
            parts.append(f"({_NOT_SPACED}|$)")
        return "".join(parts)


def _is_spaced(char: str) -> bool:
    return bool(_SPACED_CHAR.match(char))


def _bounded(piece: Piece) -> bool:
    return piece.kind == "char" and _is_spaced(piece.char)


def _is_unspaced_piece(piece: Piece) -> bool:
    return piece.kind == "char" and not _is_spaced(piece.char)


def _escape(char: str) -> str:
    # Pieces only hold letters and digits, which no regex dialect treats specially; escaping
    # anything else keeps a future change from turning user input into regex syntax.
    return "\\" + char if char.isascii() and not char.isalnum() else char


def parse_term(raw: str) -> Phrase:
    """Read a CQL term (escapes kept, as catalog.sru.cql returns it) into a Phrase.

    Raise SruError 23 (too long), 27 (nothing to search for), 30 (too many masks) or 32 (``^``
    in the middle).
    """
    if len(raw) > MAX_TERM_LENGTH:
        raise SruError(TOO_MANY_CHARACTERS_IN_TERM, str(MAX_TERM_LENGTH))
    text = unicodedata.normalize("NFKC", raw)
    pieces: list[Piece] = []
    anchored_start = anchored_end = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            i += 1
            _add_literal(pieces, text[i])
        elif ch == "*":
            if not pieces or pieces[-1].kind != "any":
                pieces.append(Piece("any"))
        elif ch == "?":
            pieces.append(Piece("one"))
        elif ch == "^":
            if i == 0:
                anchored_start = True
            elif i == len(text) - 1:
                anchored_end = True
            else:
                raise SruError(ANCHORING_IN_UNSUPPORTED_POSITION, str(i))
        else:
            _add_literal(pieces, ch)
        i += 1
    while pieces and pieces[-1].kind == "gap":
        pieces.pop()
    if not pieces:
        raise SruError(EMPTY_TERM)
    if sum(p.kind in ("any", "one") for p in pieces) > MAX_MASKS:
        raise SruError(TOO_MANY_MASKING_CHARACTERS, str(MAX_MASKS))
    return Phrase(tuple(pieces), anchored_start, anchored_end)


def _add_literal(pieces: list[Piece], char: str) -> None:
    if char.isalnum():
        pieces.extend(Piece("char", c) for c in char.lower())
    elif pieces and pieces[-1].kind != "gap":
        pieces.append(Piece("gap"))


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


def _traditional(text: str) -> str:
    return _s2t().convert(fold(text))


def variants(phrase: Phrase) -> list[Phrase]:
    """The phrase as typed, folded to simplified and converted to traditional (distinct ones)."""
    found = [phrase, _convert(phrase, fold), _convert(phrase, _traditional)]
    return list(dict.fromkeys(found))


def _convert(phrase: Phrase, convert: Callable[[str], str]) -> Phrase:
    """Apply ``convert`` to each run of letters (whole runs: OpenCC converts words, not characters)."""
    out: list[Piece] = []
    run: list[str] = []

    def flush() -> None:
        converted = convert("".join(run))
        out.extend(Piece("char", c) for c in converted if c.isalnum())
        run.clear()

    for piece in phrase.pieces:
        if piece.kind == "char":
            run.append(piece.char)
        else:
            flush()
            out.append(piece)
    flush()
    return replace(phrase, pieces=tuple(out))

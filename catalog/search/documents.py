"""What the search index holds for a record: display fields, facets, holdings and the
analysed terms (catalog.search.analysis), built from the database in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Item, Record, RecordIsbn
from catalog.search.analysis import call_number_terms, isbn_terms, pinyin_of, text_terms
from ils.network.models import Unit

# Copies a reader can take off the shelf now.
ON_SHELF = "available"


@dataclass
class SearchDocument:
    record_id: int
    version: int
    title: str
    authors: list[str]
    responsibility: str | None
    publisher: str | None
    year: int | None
    language: str | None
    isbns: list[str]
    clc: str | None
    clc_top: str | None  # 中图法 top class: the first letter (A … Z)
    call_number: str | None
    item_types: list[str]
    holdings: list[dict[str, Any]]  # [{unit, copies, on_shelf}]
    title_terms: list[str] = field(default_factory=list)
    author_terms: list[str] = field(default_factory=list)
    other_terms: list[str] = field(default_factory=list)
    pinyin_terms: list[str] = field(default_factory=list)
    isbn_terms: list[str] = field(default_factory=list)
    call_number_terms: list[str] = field(default_factory=list)
    title_pinyin: str = ""

    @property
    def title_rank(self) -> int:
        """An integer that sorts titles in pinyin order (first 13 letters, base 27), for
        backends that sort on numbers."""
        rank = 0
        letters = [c for c in self.title_pinyin.lower() if "a" <= c <= "z"][:13]
        for c in letters + [""] * (13 - len(letters)):
            rank = rank * 27 + (ord(c) - 96 if c else 0)
        return rank

    @property
    def units(self) -> list[str]:
        return [h["unit"] for h in self.holdings]

    @property
    def units_on_shelf(self) -> list[str]:
        return [h["unit"] for h in self.holdings if h["on_shelf"]]

    def display(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id, "title": self.title, "authors": self.authors,
            "responsibility": self.responsibility, "publisher": self.publisher, "year": self.year,
            "language": self.language, "isbn": self.isbns[0] if self.isbns else None, "isbns": self.isbns,
            "clc": self.clc, "call_number": self.call_number, "item_types": self.item_types,
            "holdings": self.holdings,
        }


def build_documents(session: Session, record_ids: Sequence[int]) -> list[SearchDocument]:
    """Documents for the given records (those that exist), three queries per call."""
    ids = sorted(set(record_ids))
    if not ids:
        return []
    records = session.scalars(select(Record).where(Record.id.in_(ids))).all()
    isbns: dict[int, list[str]] = defaultdict(list)
    for isbn, rid in session.execute(select(RecordIsbn.isbn, RecordIsbn.record_id).where(RecordIsbn.record_id.in_(ids))):
        isbns[rid].append(isbn)
    units = dict(session.execute(select(Unit.id, Unit.code)).all())
    copies: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    types: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(Item.record_id, Item.current_unit_id, Item.status, Item.item_type).where(Item.record_id.in_(ids))
    )
    for rid, unit_id, status, item_type in rows:
        counts = copies[rid][units[unit_id]]
        counts[0] += 1
        counts[1] += status == ON_SHELF
        types[rid].add(item_type)
    return [_document(r, isbns[r.id], copies[r.id], sorted(types[r.id])) for r in records]


def _document(record: Record, isbns: list[str], copies: dict[str, list[int]], item_types: list[str]) -> SearchDocument:
    title_pinyin = pinyin_of(record.title, record.title_pinyin)
    first_author = record.authors[0] if record.authors else None
    author_pinyin = pinyin_of(first_author, record.author_pinyin)
    other = " ".join(filter(None, [record.publisher, record.series, *record.subjects]))
    clc = record.clc
    return SearchDocument(
        record_id=record.id, version=record.version, title=record.title, authors=record.authors,
        responsibility=record.responsibility, publisher=record.publisher, year=record.year,
        language=record.language, isbns=[record.isbn] if record.isbn and not isbns else sorted(isbns, key=lambda i: i != record.isbn),
        clc=clc, clc_top=clc[0].upper() if clc and clc[0].isalpha() else None, call_number=record.call_number,
        item_types=item_types,
        holdings=[{"unit": u, "copies": c, "on_shelf": s} for u, (c, s) in sorted(copies.items())],
        title_terms=text_terms(record.title),
        author_terms=text_terms(" ".join([*record.authors, record.responsibility or ""])),
        other_terms=text_terms(other),
        # The record's pinyin (its $A/$9, or what the catalogue computed, which keeps Latin
        # words: "n hao fang …") ranks first; the reading of the Han characters alone is
        # indexed too, since a reader may type the initials either way.
        pinyin_terms=list(dict.fromkeys([*title_pinyin.terms(), *author_pinyin.terms(), *pinyin_of(record.title).terms()])),
        isbn_terms=isbn_terms(isbns or ([record.isbn] if record.isbn else [])),
        call_number_terms=call_number_terms(record.call_number or clc),
        title_pinyin=title_pinyin.joined or record.title.casefold(),
    )

"""CQL → a WHERE clause over the catalogue's records, and running it (all SQL of SRU is here).

Every record of the union catalogue is searched, MARC21 and CNMARC alike, through the columns
the import extracts from the MARC (catalog.marc.extract): title, authors and statement of
responsibility, subjects, CLC class, publisher ... and the ``record_isbn`` table. How a term
matches a field is catalog.sru.terms; here is which fields an index covers and what a relation
does with the term:

* ``=`` on a field index is ``adj`` (the words as a phrase); on cql.serverChoice / cql.anywhere
  it is ``all`` (every word somewhere in the record);
* ``adj`` phrase, ``all`` every word, ``any`` one of the words, ``==`` (``exact``) the whole
  field value;
* rec.id takes numbers and ``< > <= >= <>`` too; cql.allRecords matches every record;
* on cql.serverChoice / cql.anywhere a term that is an ISBN also finds the record carrying it.

The conditions are never NULL (nullable columns are coalesced), so ``not`` excludes exactly the
records the right-hand side matches. Dialect-specific SQL is only ``_elements`` (the items of a
JSON list column: authors, subjects); regular expressions go through SQLAlchemy's
``regexp_match``, PostgreSQL's ``~`` and, on SQLite, the REGEXP function its driver registers.
Every query scans the record table (a LIKE on the longest literal part of each term first, so
the regular expression only runs on candidate rows): SRU counts and pages exactly, in record
number order, which is fine for a county catalogue; relevance ranking is /api/v1/search's job.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog.marc.isbn import normalise_isbn
from catalog.models import Record, RecordIsbn
from catalog.sru.cql import BooleanQuery, CqlQuery, Node, PrefixedQuery, SearchClause
from catalog.sru.diagnostics import (
    ANCHORING_NOT_SUPPORTED,
    EMPTY_TERM,
    MASKING_NOT_SUPPORTED,
    TERM_INVALID_FOR_INDEX,
    UNSUPPORTED_BOOLEAN_MODIFIER,
    UNSUPPORTED_BOOLEAN_OPERATOR,
    UNSUPPORTED_CONTEXT_SET,
    UNSUPPORTED_INDEX,
    UNSUPPORTED_RELATION,
    UNSUPPORTED_RELATION_FOR_INDEX,
    UNSUPPORTED_RELATION_MODIFIER,
    SruError,
)
from catalog.sru.terms import Phrase, parse_term, variants


@dataclass(frozen=True)
class ContextSet:
    name: str
    identifier: str
    title: str


CQL = ContextSet("cql", "info:srw/cql-context-set/1/cql-v1.2", "CQL context set")
DC = ContextSet("dc", "info:srw/cql-context-set/1/dc-v1.1", "Dublin Core context set")
BATH = ContextSet("bath", "http://zing.z3950.org/cql/bath/2.0/", "Bath context set")
REC = ContextSet("rec", "info:srw/cql-context-set/2/rec-1.1", "Record metadata context set")
CONTEXT_SETS = (CQL, DC, BATH, REC)

# Prefixes and identifiers a query may use for our context sets, earlier versions included
# (CQL 1.1 clients write srw.serverChoice).
_SET_BY_PREFIX = {"cql": CQL, "srw": CQL, "dc": DC, "bath": BATH, "rec": REC}
_SET_BY_IDENTIFIER = {
    **{s.identifier: s for s in CONTEXT_SETS},
    "info:srw/cql-context-set/1/cql-v1.1": CQL,
    "info:srw/cql-context-set/1/dc-v1.0": DC,
    "info:srw/cql-context-set/2/rec-1.0": REC,
}


class Kind(Enum):
    TEXT = "text"
    ISBN = "isbn"
    RECORD_ID = "record_id"
    ALL_RECORDS = "all_records"


@dataclass(frozen=True)
class TextField:
    column: InstrumentedAttribute[Any]
    is_list: bool = False  # a JSON list of strings: a term must match within one item


TITLE = TextField(Record.title)
AUTHORS = TextField(Record.authors, is_list=True)
RESPONSIBILITY = TextField(Record.responsibility)
SUBJECTS = TextField(Record.subjects, is_list=True)
CLC = TextField(Record.clc)
ANYWHERE_FIELDS = (
    TITLE, AUTHORS, RESPONSIBILITY, SUBJECTS, CLC, TextField(Record.publisher), TextField(Record.series),
    TextField(Record.place), TextField(Record.edition), TextField(Record.call_number),
)

TEXT_RELATIONS = ("=", "==", "adj", "all", "any")
ORDER_RELATIONS = ("<", ">", "<=", ">=", "<>")
# Relations some index supports: one asked of an index that lacks it is diagnostic 22 (an
# unsupported combination); any other relation (within, encloses ...) is diagnostic 19.
_KNOWN_RELATIONS = frozenset((*TEXT_RELATIONS, *ORDER_RELATIONS))


@dataclass(frozen=True)
class Index:
    context_set: ContextSet
    name: str
    title_zh: str
    title_en: str
    kind: Kind
    relations: tuple[str, ...]
    fields: tuple[TextField, ...] = ()
    phrase_by_default: bool = True  # what "=" means: adj (a field) or all (the whole record)
    isbn_too: bool = False  # a term that is an ISBN also finds the record carrying it

    @property
    def qualified(self) -> str:
        return f"{self.context_set.name}.{self.name}"


INDEXES = (
    Index(CQL, "serverChoice", "任意字段", "Any field (a bare term)", Kind.TEXT, TEXT_RELATIONS, ANYWHERE_FIELDS,
          phrase_by_default=False, isbn_too=True),
    Index(CQL, "anywhere", "任意字段", "Anywhere in the record", Kind.TEXT, TEXT_RELATIONS, ANYWHERE_FIELDS,
          phrase_by_default=False, isbn_too=True),
    Index(CQL, "allRecords", "全部记录", "Every record (cql.allRecords = 1)", Kind.ALL_RECORDS, ("=",)),
    Index(DC, "title", "题名", "Title", Kind.TEXT, TEXT_RELATIONS, (TITLE,)),
    Index(DC, "creator", "责任者", "Author or statement of responsibility", Kind.TEXT, TEXT_RELATIONS,
          (AUTHORS, RESPONSIBILITY)),
    Index(DC, "subject", "主题", "Subject heading or CLC (中图法) class", Kind.TEXT, TEXT_RELATIONS,
          (SUBJECTS, CLC)),
    Index(BATH, "isbn", "ISBN", "ISBN, 10 or 13 digits, hyphens ignored", Kind.ISBN, ("=", "==", "adj", "any", "all")),
    Index(REC, "id", "记录号", "Record number", Kind.RECORD_ID, ("=", "==", "any", *ORDER_RELATIONS)),
)
_INDEX_BY_NAME = {(i.context_set.name, i.name.lower()): i for i in INDEXES}
# An index written without a prefix: its name is unique among our context sets.
_INDEX_BY_BARE_NAME = {i.name.lower(): i for i in INDEXES}


def where(query: CqlQuery, dialect: str) -> ColumnElement[bool]:
    """The WHERE clause of a parsed query; raise SruError for what the catalogue cannot evaluate."""
    return _Compiler(dialect).node(query.root, {})


class _Compiler:
    def __init__(self, dialect: str):
        self.dialect = dialect

    def node(self, node: Node, prefixes: dict[str, str]) -> ColumnElement[bool]:
        if isinstance(node, PrefixedQuery):
            return self.node(node.query, {**prefixes, node.prefix.lower(): node.uri})
        if isinstance(node, BooleanQuery):
            return self.boolean(node, prefixes)
        return self.clause(node, prefixes)

    def boolean(self, node: BooleanQuery, prefixes: dict[str, str]) -> ColumnElement[bool]:
        if node.operator == "prox":
            raise SruError(UNSUPPORTED_BOOLEAN_OPERATOR, "prox")
        if node.modifiers:
            raise SruError(UNSUPPORTED_BOOLEAN_MODIFIER, node.modifiers[0].name)
        left, right = self.node(node.left, prefixes), self.node(node.right, prefixes)
        if node.operator == "and":
            return and_(left, right)
        if node.operator == "or":
            return or_(left, right)
        return and_(left, not_(right))

    def clause(self, clause: SearchClause, prefixes: dict[str, str]) -> ColumnElement[bool]:
        index = resolve_index(clause.index, prefixes)
        relation = normalise_relation(clause.relation)
        if relation not in index.relations:
            if relation in _KNOWN_RELATIONS:
                raise SruError(UNSUPPORTED_RELATION_FOR_INDEX, f"{index.qualified} {clause.relation}")
            raise SruError(UNSUPPORTED_RELATION, clause.relation)
        if clause.modifiers:
            raise SruError(UNSUPPORTED_RELATION_MODIFIER, clause.modifiers[0].name)
        if index.kind is Kind.ALL_RECORDS:
            return true()
        if index.kind is Kind.ISBN:
            return _isbn(clause.term, relation)
        if index.kind is Kind.RECORD_ID:
            return _record_id(clause.term, relation)
        return self.text(index, relation, clause.term)

    def text(self, index: Index, relation: str, term: str) -> ColumnElement[bool]:
        phrase = parse_term(term)
        if relation == "=":
            relation = "adj" if index.phrase_by_default else "all"
        if relation in ("adj", "=="):
            condition = self.in_fields(index.fields, phrase, whole=relation == "==")
        else:
            words = [self.in_fields(index.fields, word, whole=False,
                                    isbn=_as_isbn(word.text()) if index.isbn_too else None)
                     for word in phrase.words()]
            condition = and_(*words) if relation == "all" else or_(*words)
        # A hyphenated ISBN is several words to the text match; as a whole it names one record.
        isbn = _as_isbn(term) if index.isbn_too else None
        return or_(condition, _has_isbn(isbn)) if isbn else condition

    def in_fields(self, fields: Sequence[TextField], phrase: Phrase, whole: bool, isbn: str | None = None
                  ) -> ColumnElement[bool]:
        """The phrase (in each of its script variants) in one of the fields, or the ISBN if given."""
        phrases = variants(phrase)
        condition = or_(*(self.field(f, phrases, whole) for f in fields))
        return or_(condition, _has_isbn(isbn)) if isbn else condition

    def field(self, field: TextField, phrases: list[Phrase], whole: bool) -> ColumnElement[bool]:
        if field.is_list:
            items = _elements(field.column, self.dialect)
            return exists(select(literal(1)).select_from(items).where(_value_matches(items.c.value, phrases, whole)))
        return _value_matches(func.coalesce(field.column, ""), phrases, whole)


def _value_matches(value: ColumnElement[Any], phrases: list[Phrase], whole: bool) -> ColumnElement[bool]:
    lowered = func.lower(value)
    alternatives = []
    for phrase in phrases:
        conditions: list[ColumnElement[bool]] = []
        run = phrase.longest_run()
        if run:
            conditions.append(lowered.contains(run, autoescape=True))
        if phrase.needs_regex(whole):
            conditions.append(lowered.regexp_match(phrase.regex(whole)))
        alternatives.append(and_(*conditions) if conditions else true())
    return or_(*alternatives)


def _elements(column: InstrumentedAttribute[Any], dialect: str) -> Any:
    """The items of a JSON list column as a table with one column, ``value``."""
    if dialect == "postgresql":
        return func.json_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def resolve_index(name: str, prefixes: dict[str, str]) -> Index:
    """The index a clause names, through the query's prefix assignments; diagnostic 15 or 16."""
    prefix, dot, local = name.partition(".")
    if not dot:
        prefix, local = "", name
    context_set = _context_set(prefix.lower(), prefixes)
    if context_set is None:
        found = _INDEX_BY_BARE_NAME.get(local.lower())
    else:
        found = _INDEX_BY_NAME.get((context_set.name, local.lower()))
    if found is None:
        raise SruError(UNSUPPORTED_INDEX, name)
    return found


def _context_set(prefix: str, prefixes: dict[str, str]) -> ContextSet | None:
    if prefix in prefixes:
        uri = prefixes[prefix]
        if uri not in _SET_BY_IDENTIFIER:
            raise SruError(UNSUPPORTED_CONTEXT_SET, uri)
        return _SET_BY_IDENTIFIER[uri]
    if not prefix:
        return None
    if prefix not in _SET_BY_PREFIX:
        raise SruError(UNSUPPORTED_CONTEXT_SET, prefix)
    return _SET_BY_PREFIX[prefix]


def normalise_relation(relation: str) -> str:
    """CQL 1.1's ``exact`` is 1.2's ``==``; named relations may carry the cql prefix."""
    name = relation.lower().removeprefix("cql.")
    return {"exact": "==", "scr": "="}.get(name, name)


# ---------------------------------------------------------------------------- ISBN and rec.id
_ISBN_MASK = re.compile(r"^[0-9xX*?\-]+$")
# A whole term that is an ISBN (and nothing else) in any usual form: 978-7-5037-1744-4, ISBN 7503717440.
_ISBN_TERM = re.compile(r"(?i)(isbn:?\s*)?[0-9][0-9\- ]{8,16}[0-9x]")


def _as_isbn(term: str) -> str | None:
    return normalise_isbn(term) if _ISBN_TERM.fullmatch(term.strip()) else None


def _has_isbn(isbn: str) -> ColumnElement[bool]:
    return Record.id.in_(select(RecordIsbn.record_id).where(RecordIsbn.isbn == isbn))


def _values(term: str, relation: str) -> list[str]:
    values = term.split() if relation in ("any", "all") else [term.strip()]
    values = [v for v in values if v]
    if not values:
        raise SruError(EMPTY_TERM)
    return values


def _isbn(term: str, relation: str) -> ColumnElement[bool]:
    if "^" in term:
        raise SruError(ANCHORING_NOT_SUPPORTED, term)
    conditions = [_one_isbn(value) for value in _values(term, relation)]
    return and_(*conditions) if relation == "all" else or_(*conditions)


def _one_isbn(value: str) -> ColumnElement[bool]:
    if "*" in value or "?" in value:
        # A masked ISBN is a pattern over the stored 13 digits ("9787020*").
        if not _ISBN_MASK.match(value):
            raise SruError(TERM_INVALID_FOR_INDEX, value)
        pattern = value.replace("-", "").upper().replace("*", "%").replace("?", "_")
        return Record.id.in_(select(RecordIsbn.record_id).where(RecordIsbn.isbn.like(pattern)))
    isbn = normalise_isbn(value)
    # No record carries an ISBN that fails its check digit: the import keeps only valid ones.
    return _has_isbn(isbn) if isbn else false()


def _record_id(term: str, relation: str) -> ColumnElement[bool]:
    numbers = []
    for value in _values(term, relation):
        if "*" in value or "?" in value:
            raise SruError(MASKING_NOT_SUPPORTED, value)
        if not value.isascii() or not value.isdigit():
            raise SruError(TERM_INVALID_FOR_INDEX, value)
        numbers.append(int(value))
    if relation == "any":
        return Record.id.in_(numbers)
    number = numbers[0]
    comparisons = {
        "=": Record.id == number, "==": Record.id == number, "<": Record.id < number, ">": Record.id > number,
        "<=": Record.id <= number, ">=": Record.id >= number, "<>": Record.id != number,
    }
    return comparisons[relation]


# ---------------------------------------------------------------------------- running it
@dataclass(frozen=True)
class SearchPage:
    total: int
    records: list[Record]
    isbns: dict[int, list[str]]  # record id → its ISBN-13s, the primary one first


def search(session: Session, condition: ColumnElement[bool], start: int, size: int) -> SearchPage:
    """Count the matches and read ``size`` of them from position ``start`` (1-based), in record
    number order, so paging through a result never skips or repeats a record."""
    total = session.scalar(select(func.count()).select_from(Record).where(condition)) or 0
    if size == 0 or start > total:
        return SearchPage(total, [], {})
    records = list(session.scalars(select(Record).where(condition).order_by(Record.id).offset(start - 1).limit(size)))
    return SearchPage(total, records, _isbns(session, records))


def _isbns(session: Session, records: list[Record]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(RecordIsbn.record_id, RecordIsbn.isbn).where(RecordIsbn.record_id.in_([r.id for r in records]))
    )
    for record_id, isbn in rows:
        found[record_id].append(isbn)
    primary = {r.id: r.isbn for r in records}
    return {rid: sorted(isbns, key=lambda i: (i != primary[rid], i)) for rid, isbns in found.items()}

"""All SQL of the catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from catalog.models import (
    ImportBatch,
    ImportIssue,
    Item,
    Record,
    RecordIsbn,
    RecordSource,
    RecordVersion,
)
from ils.db import allocate_ids


def record_ids_by_isbn(session: Session, isbns: Iterable[str]) -> dict[str, int]:
    isbns = list(set(isbns))
    result: dict[str, int] = {}
    for chunk in _chunks(isbns, 900):
        result.update(
            session.execute(select(RecordIsbn.isbn, RecordIsbn.record_id).where(RecordIsbn.isbn.in_(chunk)))
            .all()
        )
    return result


def records_by_match_key(session: Session, keys: Iterable[str]) -> dict[str, list[tuple[int, bool]]]:
    """match_key → [(record id, whether that record has an ISBN)], oldest first."""
    result: dict[str, list[tuple[int, bool]]] = {}
    for chunk in _chunks(list(set(keys)), 900):
        rows = session.execute(
            select(Record.match_key, Record.id, Record.isbn.is_not(None))
            .where(Record.match_key.in_(chunk))
            .order_by(Record.id)
        )
        for key, rid, has_isbn in rows:
            result.setdefault(key, []).append((rid, bool(has_isbn)))
    return result


def items_by_barcode(session: Session, barcodes: Iterable[str]) -> dict[str, int]:
    """barcode → record id of the existing item."""
    result: dict[str, int] = {}
    for chunk in _chunks(list(set(barcodes)), 900):
        result.update(
            session.execute(select(Item.barcode, Item.record_id).where(Item.barcode.in_(chunk))).all()
        )
    return result


def insert_records(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    ids = allocate_ids(session, Record.__tablename__, len(rows))
    if ids:
        insert_many(session, Record, [{**row, "id": rid} for row, rid in zip(rows, ids)])
    return ids


def insert_many(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """Plain executemany through Core: imports write thousands of rows per batch, and the
    ORM's bulk path costs several times more per row for nothing we need here."""
    if rows:
        session.connection().execute(model.__table__.insert(), list(rows))  # type: ignore[attr-defined]


def set_missing_isbn(session: Session, isbn_by_record: dict[int, str]) -> None:
    """Give records that have no primary ISBN yet the one given (records with one keep it)."""
    if isbn_by_record:
        session.connection().execute(
            update(Record.__table__)
            .where(Record.__table__.c.id == bindparam("rid"), Record.__table__.c.isbn.is_(None))
            .values(isbn=bindparam("new_isbn")),
            [{"rid": rid, "new_isbn": isbn} for rid, isbn in isbn_by_record.items()],
        )


def get_record(session: Session, record_id: int) -> Record | None:
    return session.get(Record, record_id)


def record_isbns(session: Session, record_id: int) -> list[str]:
    return list(session.scalars(select(RecordIsbn.isbn).where(RecordIsbn.record_id == record_id)))


def compare_and_set_record(session: Session, record_id: int, expected_version: int, values: dict[str, Any]) -> bool:
    """Update a record only if nobody changed it since ``expected_version`` (optimistic lock)."""
    result = session.execute(
        update(Record)
        .where(Record.id == record_id, Record.version == expected_version)
        .values(version=expected_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def items_of_record(session: Session, record_id: int) -> Sequence[Item]:
    return session.scalars(
        select(Item).where(Item.record_id == record_id).order_by(Item.owning_unit_id, Item.call_number_sort, Item.barcode)
    ).all()


def item_by_barcode(session: Session, barcode: str) -> Item | None:
    return session.scalars(select(Item).where(Item.barcode == barcode)).one_or_none()


def earlier_versions(session: Session, record_id: int) -> Sequence[RecordVersion]:
    return session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == record_id).order_by(RecordVersion.version)
    ).all()


def sources(session: Session, record_id: int) -> Sequence[tuple[RecordSource, ImportBatch | None]]:
    rows = session.execute(
        select(RecordSource, ImportBatch)
        .outerjoin(ImportBatch, ImportBatch.id == RecordSource.batch_id)
        .where(RecordSource.record_id == record_id)
        .order_by(RecordSource.id)
    )
    return [(s, b) for s, b in rows]


def page_records(session: Session, limit: int, offset: int) -> tuple[int, Sequence[Record]]:
    total = session.scalar(select(func.count()).select_from(Record)) or 0
    rows = session.scalars(select(Record).order_by(Record.id).limit(limit).offset(offset)).all()
    return total, rows


def item_counts(session: Session, record_ids: Sequence[int]) -> dict[int, int]:
    if not record_ids:
        return {}
    return dict(
        session.execute(
            select(Item.record_id, func.count()).where(Item.record_id.in_(record_ids)).group_by(Item.record_id)
        ).all()
    )


def iter_records(session: Session, stmt: Select[Any] | None = None, chunk: int = 1000) -> Iterator[Record]:
    """Walk records in id order in chunks (keyset paging), so an export never loads them all."""
    last = 0
    while True:
        rows = session.scalars(
            (stmt if stmt is not None else select(Record)).where(Record.id > last).order_by(Record.id).limit(chunk)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def get_batch(session: Session, batch_id: int) -> ImportBatch | None:
    return session.get(ImportBatch, batch_id)


def batch_issues(
    session: Session, batch_id: int, severity: str, limit: int, offset: int = 0
) -> Sequence[ImportIssue]:
    """A page of an import's kept issues of one severity, in file order."""
    return session.scalars(
        select(ImportIssue)
        .where(ImportIssue.batch_id == batch_id, ImportIssue.severity == severity)
        .order_by(ImportIssue.index, ImportIssue.id)
        .limit(limit)
        .offset(offset)
    ).all()


def batch_issue_counts(session: Session, batch_id: int) -> dict[str, int]:
    """How many issues of each severity are kept for an import."""
    rows = session.execute(
        select(ImportIssue.severity, func.count()).where(ImportIssue.batch_id == batch_id).group_by(ImportIssue.severity)
    ).all()
    return {severity: count for severity, count in rows}


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]

"""Use cases for creating, editing and reading records. They never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import repository as repo
from catalog.events import records_changed
from catalog.importer import record_columns
from catalog.marc import extract, from_json, match_key, to_json
from catalog.models import Record, RecordIsbn, RecordVersion
from catalog.schemas import HoldingRead, ItemBrief, RecordRead, RecordVersionRead
from ils.errors import Conflict, DomainError, NotFound, PreconditionFailed
from ils.network import repository as units_repo


def etag(record: Record) -> str:
    return f'"{record.version}"'


def parse_if_match(value: str | None) -> int:
    if not value:
        raise DomainError(
            "RECORD_PRECONDITION_REQUIRED",
            "send If-Match with the ETag you read, so your edit cannot overwrite a colleague's",
            http_status=428,
        )
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true, and int("²") fails
        raise PreconditionFailed("RECORD_VERSION_STALE", f"If-Match {value!r} is not an ETag of this record")
    return int(text)


def get_record(session: Session, record_id: int) -> Record:
    record = repo.get_record(session, record_id)
    if record is None:
        raise NotFound("RECORD_NOT_FOUND", f"no record {record_id}")
    return record


def record_title(session: Session, record_id: int) -> str:
    """Only the title: what a desk answer shows, without loading the record's MARC."""
    title = session.scalar(select(Record.title).where(Record.id == record_id))
    if title is None:
        raise NotFound("RECORD_NOT_FOUND", f"no record {record_id}")
    return title


def _claim_isbns(session: Session, record_id: int, isbns: list[str]) -> None:
    owners = repo.record_ids_by_isbn(session, isbns)
    for isbn, owner in owners.items():
        if owner != record_id:
            raise Conflict("RECORD_ISBN_TAKEN", f"ISBN {isbn} belongs to record {owner}",
                           extra={"record_id": owner, "isbn": isbn})
    session.execute(delete(RecordIsbn).where(RecordIsbn.record_id == record_id))
    repo.insert_many(session, RecordIsbn, [{"isbn": i, "record_id": record_id} for i in dict.fromkeys(isbns)])


def _prepare(flavour: str, marc_json: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    record = from_json(marc_json)
    data = extract(record, flavour)  # type: ignore[arg-type]
    marc = to_json(record)
    key = match_key(data.title, data.responsibility, data.edition, data.year)
    return marc, record_columns(data, flavour, marc, key), data.isbns


def create_record(session: Session, flavour: str, marc_json: dict[str, Any], actor: str, now: datetime) -> Record:
    marc, columns, isbns = _prepare(flavour, marc_json)
    record = Record(**columns, version=1, change="create", created_at=now, created_by=actor, updated_at=now,
                    updated_by=actor)
    session.add(record)
    try:
        session.flush()
        _claim_isbns(session, record.id, isbns)
        session.flush()
    except IntegrityError as exc:  # a concurrent create took the ISBN between our check and insert
        raise Conflict("RECORD_ISBN_TAKEN", "another record was just created with the same ISBN") from exc
    records_changed(session, f"record:{record.id}:1", now, created=[record.id])
    return record


def update_record(
    session: Session, record_id: int, expected_version: int, marc_json: dict[str, Any], actor: str, now: datetime
) -> Record:
    """Replace a record's MARC if nobody changed it since ``expected_version``; 412 otherwise."""
    record = get_record(session, record_id)
    marc, columns, isbns = _prepare(record.flavour, marc_json)
    previous = RecordVersion(record_id=record_id, version=record.version, marc=record.marc, change=record.change,
                             changed_by=record.updated_by, changed_at=record.updated_at)
    # The compare-and-set is the real guard: two editors holding the same version race here
    # and exactly one UPDATE matches. Checking the version read first makes sure ``previous``
    # is the state that UPDATE replaces.
    if record.version != expected_version or not repo.compare_and_set_record(
        session, record_id, expected_version, {**columns, "change": "edit", "updated_at": now, "updated_by": actor}
    ):
        session.refresh(record)
        raise PreconditionFailed(
            "RECORD_VERSION_STALE",
            f"record {record_id} is at version {record.version}, you edited version {expected_version}; "
            f"last changed by {record.updated_by}",
            extra={"current_version": record.version},
        )
    _claim_isbns(session, record_id, isbns)
    session.add(previous)
    session.flush()
    session.refresh(record)
    records_changed(session, f"record:{record_id}:{record.version}", now, edited=[record_id])
    return record


def versions(session: Session, record: Record) -> list[RecordVersionRead]:
    """Every version, oldest first: the earlier ones from the history, then the current one."""
    history = [
        RecordVersionRead(version=v.version, change=v.change, changed_by=v.changed_by, changed_at=v.changed_at)
        for v in repo.earlier_versions(session, record.id)
    ]
    return [*history, RecordVersionRead(version=record.version, change=record.change,
                                        changed_by=record.updated_by, changed_at=record.updated_at)]


def read_record(session: Session, record: Record) -> RecordRead:
    units = {u.id: u for u in units_repo.list_units(session)}
    holdings: dict[int, HoldingRead] = {}
    for item in repo.items_of_record(session, record.id):
        unit = units[item.owning_unit_id]
        h = holdings.get(unit.id)
        if h is None:
            h = holdings[unit.id] = HoldingRead(unit=unit.code, unit_name=unit.name, copies=0, available=0, items=[])
        h.copies += 1
        h.available += item.status == "available"
        h.items.append(ItemBrief(
            barcode=item.barcode, call_number=item.call_number, item_type=item.item_type, status=item.status,
            current_unit=units[item.current_unit_id].code, price_fen=item.price_fen,
        ))
    return RecordRead(
        id=record.id, flavour=record.flavour, version=record.version, title=record.title,  # type: ignore[arg-type]
        responsibility=record.responsibility, authors=record.authors, isbns=repo.record_isbns(session, record.id),
        publisher=record.publisher, place=record.place, year=record.year, language=record.language,
        edition=record.edition, series=record.series, subjects=record.subjects, clc=record.clc,
        call_number=record.call_number, title_pinyin=record.title_pinyin, author_pinyin=record.author_pinyin,
        price_fen=record.price_fen, created_at=record.created_at, created_by=record.created_by,
        updated_at=record.updated_at, updated_by=record.updated_by, holdings=list(holdings.values()),
    )

"""Use cases for items (copies). They never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import repository as repo
from catalog.events import records_changed
from catalog.item_states import check_transition
from catalog.marc import call_number_sort_key
from catalog.models import Item
from catalog.records import get_record
from catalog.schemas import ItemCreate, ItemRead
from ils.errors import Conflict, NotFound
from ils.events import record_event
from ils.network import repository as units_repo
from ils.network.service import get_unit


def create_item(session: Session, data: ItemCreate, now: datetime) -> Item:
    record = get_record(session, data.record_id)
    owning = get_unit(session, data.unit)
    current = get_unit(session, data.current_unit) if data.current_unit else owning
    if repo.item_by_barcode(session, data.barcode):
        raise Conflict("ITEM_BARCODE_TAKEN", f"barcode {data.barcode} is taken")
    call_number = data.call_number or record.call_number
    item = Item(
        barcode=data.barcode, record_id=record.id, owning_unit_id=owning.id, current_unit_id=current.id,
        call_number=call_number, call_number_sort=call_number_sort_key(call_number) if call_number else None,
        item_type=data.item_type, price_fen=data.price_fen if data.price_fen is not None else record.price_fen,
        status=data.status, version=1, created_at=now, updated_at=now,
    )
    session.add(item)
    try:
        session.flush()
    except IntegrityError as exc:  # the same barcode committed by someone else just now
        raise Conflict("ITEM_BARCODE_TAKEN", f"barcode {data.barcode} is taken") from exc
    records_changed(session, f"item:{item.barcode}", now, holdings=[record.id])
    return item


def set_status(session: Session, barcode: str, status: str, now: datetime, actor: str = "system") -> Item:
    """Staff mark a copy damaged, missing, withdrawn, or back on the shelf; the change is an
    event, and the search index hears of it through the outbox (availability per unit)."""
    item = get_item(session, barcode)
    check_transition(item.status, status)
    if item.status != status:
        codes = units_repo.code_map(session)
        record_event(session, "item.status", f"item:{barcode}", actor=actor, now=now,
                     unit_code=codes[item.current_unit_id], before={"status": item.status}, after={"status": status})
        item.status = status
        item.version += 1
        item.updated_at = now
        session.flush()
        records_changed(session, f"item:{barcode}:{item.version}", now, holdings=[item.record_id])
    return item


def get_item(session: Session, barcode: str) -> Item:
    item = repo.item_by_barcode(session, barcode)
    if item is None:
        raise NotFound("ITEM_NOT_FOUND", f"no item with barcode {barcode}")
    return item


def read_item(session: Session, item: Item) -> ItemRead:
    codes = units_repo.code_map(session)
    record = get_record(session, item.record_id)
    return ItemRead(
        barcode=item.barcode, record_id=item.record_id, title=record.title, owning_unit=codes[item.owning_unit_id],
        current_unit=codes[item.current_unit_id], call_number=item.call_number, item_type=item.item_type,
        price_fen=item.price_fen, status=item.status, created_at=item.created_at,
    )

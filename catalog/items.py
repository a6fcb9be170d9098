"""Use cases for items (copies). They never commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import repository as repo
from catalog.events import records_changed
from catalog.item_states import STATUS_TIES, check_transition, tie_refusal
from catalog.marc import call_number_sort_key
from catalog.models import Item
from catalog.records import get_record
from catalog.schemas import ItemCreate, ItemRead
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict, NotFound
from ils.events import record_event
from ils.network import repository as units_repo
from ils.network.service import get_unit


def create_item(session: Session, data: ItemCreate, now: datetime, principal: Principal) -> Item:
    """Add a copy owned by a unit the principal serves."""
    record = get_record(session, data.record_id)
    owning = get_unit(session, data.unit)
    gate.check(session, principal, "item.create", owner=owning.id)
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


# Circulation and logistics know what ties a copy to a reader or a journey (a loan still on a
# reader's record, a trapped hold, an open transit), and circulation must hear when staff take a
# copy off the shelf or put it back (holds pointed at it look elsewhere). The catalogue cannot
# import them (imports run circulation -> logistics -> catalog), so they register here, as
# circulation does for logistics' arrivals.
TieCheck = Callable[[Session, Item], str | None]  # a key of item_states.TIES, or None
StatusEdited = Callable[[Session, Item, str, datetime], None]  # the copy after the edit, its status before
_tie_checks: list[TieCheck] = []
_edit_listeners: list[StatusEdited] = []


def on_status_edit(check: TieCheck) -> None:
    """Register a check a staff status edit asks before changing anything."""
    if check not in _tie_checks:
        _tie_checks.append(check)


def on_status_edited(listener: StatusEdited) -> None:
    """Register a listener told of every staff status edit, in the same transaction."""
    if listener not in _edit_listeners:
        _edit_listeners.append(listener)


def set_status(session: Session, barcode: str, status: str, now: datetime, actor: str = "system") -> Item:
    """Staff mark a copy damaged, missing, withdrawn, or back on the shelf; the change is an
    event, and the search index hears of it through the outbox (availability per unit).

    A copy tied to a reader or a journey (on loan, lost or claimed returned on a reader's
    record, in transit, on a hold shelf) is refused with the code that names the circulation
    step to take instead, and nothing changes: a status edit never leaves a loan, a transit or
    a hold behind. The copy is locked first, as check-out and check-in lock it, so an edit and
    a loan of the same copy queue instead of both winning."""
    item = lock_item(session, barcode)
    if item.status == status:
        return item
    tie = STATUS_TIES.get(item.status) or next(filter(None, (check(session, item) for check in _tie_checks)), None)
    if tie is not None:
        raise tie_refusal(tie, barcode, item.status)
    check_transition(item.status, status, staff=True)
    before = item.status
    codes = units_repo.code_map(session)
    record_event(session, "item.status", f"item:{barcode}", actor=actor, now=now,
                 unit_code=codes[item.current_unit_id], before={"status": before}, after={"status": status})
    move_item(session, item, now, status=status)
    session.flush()
    for listener in _edit_listeners:
        listener(session, item, before, now)
    return item


def lock_item(session: Session, barcode: str) -> Item:
    """The copy, locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's write
    transaction holds the database lock already). Circulation locks the item first, then the
    patron, then holds, so two desks acting on one copy queue instead of both winning.

    FOR NO KEY UPDATE, not FOR UPDATE: rows that merely point at the copy (a hold targeting it,
    a new transit) take a key-share lock for their foreign key, and FOR UPDATE would make them
    wait on us, and us on them — a deadlock. populate_existing: a row this session read before
    the lock must be refreshed with what the lock now guarantees is current."""
    item = session.scalars(select(Item).where(Item.barcode == barcode).with_for_update(key_share=True)
                           .execution_options(populate_existing=True)).one_or_none()
    if item is None:
        raise NotFound("ITEM_NOT_FOUND", f"no item with barcode {barcode}")
    return item


def lock_item_id(session: Session, item_id: int) -> Item:
    item = session.scalars(select(Item).where(Item.id == item_id).with_for_update(key_share=True)
                           .execution_options(populate_existing=True)).one_or_none()
    if item is None:
        raise NotFound("ITEM_NOT_FOUND", f"no item {item_id}")
    return item


def items_of_record(session: Session, record_id: int) -> Sequence[Item]:
    return repo.items_of_record(session, record_id)


def move_item(session: Session, item: Item, now: datetime, *, status: str | None = None,
              current_unit_id: int | None = None, owning_unit_id: int | None = None) -> None:
    """Change where a copy is, what state it is in, or (distribution, 统一配送) which unit owns it,
    through the state machine. The caller writes the event (it knows why); the search index
    hears of it through the outbox."""
    new_status = status or item.status
    check_transition(item.status, new_status)
    new_unit = current_unit_id or item.current_unit_id
    new_owner = owning_unit_id or item.owning_unit_id
    if new_status == item.status and new_unit == item.current_unit_id and new_owner == item.owning_unit_id:
        return
    if new_status == "withdrawn" and item.status != "withdrawn":
        item.withdrawn_at, item.withdrawn_from = now, item.status
    item.status, item.current_unit_id, item.owning_unit_id = new_status, new_unit, new_owner
    item.version += 1
    item.updated_at = now
    records_changed(session, f"item:{item.barcode}:{item.version}", now, holdings=[item.record_id])


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

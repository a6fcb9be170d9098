"""Turning loans, holds and moves into what the API answers (and the desk shows)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from catalog.public import Item, record_title
from circulation import repository as repo
from circulation.models import Hold, Loan
from circulation.schemas import HoldNote, HoldRead, LoanRead, MoveRead, TransitNote
from ils.network.snapshot import network
from logistics.public import Move


def _title(session: Session, record_id: int) -> str:
    """The record's title, read once per request (a check-in answer names it twice)."""
    titles: dict[int, str] = session.info.setdefault("titles", {})
    if record_id not in titles:
        titles[record_id] = record_title(session, record_id)
    return titles[record_id]


def _item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    assert item is not None
    return item


def loan_read(session: Session, loan: Loan, today: date, hold_id: int | None = None,
              card: str | None = None) -> LoanRead:
    item = _item(session, loan.item_id)
    units = network(session).units
    card = card or repo.patron_card_map(session, [loan.patron_id])[loan.patron_id][0]
    end = loan.returned_at.date() if loan.returned_at else today
    return LoanRead(
        id=loan.id, barcode=item.barcode, record_id=item.record_id, title=_title(session, item.record_id),
        call_number=item.call_number,
        card=card, unit=units[loan.unit_id].code, status=loan.status,  # type: ignore[arg-type]
        checked_out_at=loan.checked_out_at, due_on=loan.due_on,
        overdue_days=max(0, (end - loan.due_on).days) if loan.status == "open" or loan.returned_at else 0,
        renewals=loan.renewals, overrides=loan.overrides, returned_at=loan.returned_at,
        returned_unit=units[loan.returned_unit_id].code if loan.returned_unit_id else None, hold_id=hold_id,
    )


def hold_read(session: Session, hold: Hold) -> HoldRead:
    units = network(session).units
    card = repo.patron_card_map(session, [hold.patron_id])[hold.patron_id][0]
    return HoldRead(
        id=hold.id, card=card, record_id=hold.record_id, title=_title(session, hold.record_id),
        item_level=hold.item_level,
        barcode=_item(session, hold.item_id).barcode if hold.item_id else None,
        target_barcode=_item(session, hold.target_item_id).barcode if hold.target_item_id else None,
        pickup_unit=units[hold.pickup_unit_id].code, status=hold.status,  # type: ignore[arg-type]
        queue_position=repo.queue_position(session, hold) if hold.status == "waiting" else None,
        placed_at=hold.placed_at, suspended_until=hold.suspended_until, shelf_expires_on=hold.shelf_expires_on,
        closed_at=hold.closed_at, close_reason=hold.close_reason,
    )


def instruction(move: Move, destination_name: str, hold: HoldNote | None) -> str:
    """The one line the desk shows in large type."""
    if move.disposition == "hold_shelf" and hold is not None:
        return f"预约架：{hold.name}（{hold.card}）"
    if move.disposition == "transit":
        return f"转运至：{destination_name}"
    return "放回书架"


def move_read(session: Session, item: Item, move: Move) -> MoveRead:
    units = network(session).units
    destination = units[move.destination_id]
    hold = HoldNote(**{k: move.detail[k] for k in ("hold_id", "card", "name", "pickup_unit", "shelf_expires_on")}) \
        if "hold_id" in move.detail else None
    transit = TransitNote(id=move.transit.id, from_unit=units[move.transit.from_unit_id].code,
                          to_unit=units[move.transit.to_unit_id].code, reason=move.transit.reason,
                          status=move.transit.status, promised_on=move.transit.promised_on,
                          path=move.transit.path) if move.transit is not None else None
    return MoveRead(
        barcode=item.barcode, title=_title(session, item.record_id), call_number=item.call_number,
        disposition=move.disposition,  # type: ignore[arg-type]
        destination_unit=destination.code, destination_name=destination.name,
        instruction=instruction(move, destination.name, hold), hold=hold, transit=transit,
    )

"""Transits as the desk and the API show them: the desk's views of the open ones (to send,
expected, late, lost) and each transit with its copy's barcode and title."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from catalog.public import Item, get_item, record_title
from ils.config import get_settings
from ils.network.snapshot import network, unit_by_code
from logistics import repository as repo
from logistics.models import Transit
from logistics.schemas import TransitRead

TransitView = Literal["open", "received", "cancelled", "to_send", "expected", "expected_today", "late", "lost"]


def _read(session: Session, transit: Transit, codes: dict[int, str]) -> TransitRead:
    item = session.get(Item, transit.item_id)
    assert item is not None
    return TransitRead(
        id=transit.id, barcode=item.barcode, title=record_title(session, item.record_id),
        call_number=item.call_number, from_unit=codes[transit.from_unit_id], to_unit=codes[transit.to_unit_id],
        reason=transit.reason, reference=transit.reference, status=transit.status,  # type: ignore[arg-type]
        created_at=transit.created_at, created_by=transit.created_by, closed_at=transit.closed_at,
        closed_unit=codes.get(transit.closed_unit_id) if transit.closed_unit_id else None,
        promised_on=transit.promised_on, path=transit.path,
    )


def _matching(session: Session, now: datetime, *, status: TransitView | None, from_unit: str | None,
              to_unit: str | None, unit: str | None, lost_after_days: int, barcode: str | None,
              limit: int) -> Sequence[Transit]:
    item_id = get_item(session, barcode).id if barcode is not None else None
    here = unit_by_code(session, unit).id if unit else None
    today = now.astimezone(get_settings().tz).date()
    own = status if status in ("open", "received", "cancelled") else "open"
    return repo.transits(
        session, from_unit_id=unit_by_code(session, from_unit).id if from_unit else None,
        to_unit_id=(unit_by_code(session, to_unit).id if to_unit else
                    here if status in ("expected", "expected_today", "late", "lost") else None),
        status=own, item_id=item_id, limit=limit,
        at_unit_id=here if status == "to_send" else None, unpacked=status == "to_send",
        promised_on=today if status == "expected_today" else None,
        promised_before=(today if status == "late" else
                         today - timedelta(days=lost_after_days) if status == "lost" else None),
    )


def transit_list(session: Session, now: datetime, *, status: TransitView | None = "open", from_unit: str | None = None,
                 to_unit: str | None = None, unit: str | None = None, lost_after_days: int = 14,
                 barcode: str | None = None, limit: int = 500) -> list[TransitRead]:
    rows = _matching(session, now, status=status, from_unit=from_unit, to_unit=to_unit, unit=unit,
                     lost_after_days=lost_after_days, barcode=barcode, limit=limit)
    codes = {u.id: u.code for u in network(session).units.values()}
    return [_read(session, t, codes) for t in rows]


def transit_count(session: Session, now: datetime, *, status: TransitView, unit: str, limit: int = 500) -> int:
    """How many transits a desk view holds (up to ``limit``), without reading each copy's title."""
    return len(_matching(session, now, status=status, from_unit=None, to_unit=None, unit=unit, lost_after_days=14,
                         barcode=None, limit=limit))

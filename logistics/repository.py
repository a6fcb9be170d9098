"""All SQL of logistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import Session

from catalog.public import Item
from ils.events import Event
from logistics.models import CrateItem, FloatGroupUnit, FloatLimit, PolicyInfo, ReturnPolicy, Transit


def open_transit(session: Session, item_id: int) -> Transit | None:
    # The caller holds the item's lock, and there is at most one open transit per item, so
    # the transit row needs no lock of its own.
    return session.scalars(select(Transit).where(Transit.item_id == item_id, Transit.status == "open")).one_or_none()


def transits(session: Session, *, from_unit_id: int | None = None, to_unit_id: int | None = None,
             status: str | None = None, item_id: int | None = None, limit: int = 500,
             promised_before: date | None = None, at_unit_id: int | None = None,
             unpacked: bool = False, promised_on: date | None = None) -> Sequence[Transit]:
    query = select(Transit)
    if promised_on is not None:
        query = query.where(Transit.promised_on == promised_on)
    if promised_before is not None:
        query = query.where(Transit.promised_on < promised_before)
    if at_unit_id is not None:  # the copy is at this unit now (its first stop, or a hub on the way)
        query = query.join(Item, Item.id == Transit.item_id).where(Item.current_unit_id == at_unit_id)
    if unpacked:
        query = query.where(~exists().where(CrateItem.item_id == Transit.item_id, CrateItem.in_crate.is_(True)))
    if from_unit_id is not None:
        query = query.where(Transit.from_unit_id == from_unit_id)
    if to_unit_id is not None:
        query = query.where(Transit.to_unit_id == to_unit_id)
    if status is not None:
        query = query.where(Transit.status == status)
    if item_id is not None:
        query = query.where(Transit.item_id == item_id)
    return session.scalars(query.order_by(Transit.id).limit(limit)).all()


def return_policies(session: Session) -> Sequence[ReturnPolicy]:
    return session.scalars(select(ReturnPolicy).order_by(ReturnPolicy.id)).all()


def policy_infos(session: Session) -> list[PolicyInfo]:
    return [PolicyInfo(p.id, p.system_code, p.item_type, p.policy, p.float_group) for p in return_policies(session)]


def float_group_units(session: Session, group_code: str) -> set[int]:
    return set(session.scalars(select(FloatGroupUnit.unit_id).where(FloatGroupUnit.group_code == group_code)))


def closed_transits(session: Session, since: datetime) -> Sequence[Transit]:
    return session.scalars(select(Transit).where(Transit.status == "received", Transit.closed_at.is_not(None),
                                                  Transit.created_at >= since)).all()


HERE = ("available", "on_hold_shelf")


def float_limit(session: Session, unit_id: int, item_type: str) -> int | None:
    limits = dict(session.execute(select(FloatLimit.item_type, FloatLimit.max_copies).where(
        FloatLimit.unit_id == unit_id, FloatLimit.item_type.in_((item_type, "*")))).all())
    return limits.get(item_type, limits.get("*"))


def copies_at(session: Session, unit_id: int, item_type: str) -> int:
    return int(session.scalar(select(func.count()).select_from(Item).where(
        Item.current_unit_id == unit_id, Item.item_type == item_type, Item.status.in_(HERE))) or 0)


def home_share(session: Session, unit_id: int, item_type: str) -> float:
    """The share of a unit's own copies of a type that are not sitting on another unit's shelf
    (those at home, on loan or travelling will come back; floated ones stay away)."""
    owned, away = session.execute(select(
        func.count(), func.coalesce(func.sum(case((and_(Item.current_unit_id != unit_id, Item.status.in_(HERE)), 1),
                                                  else_=0)), 0),
    ).where(Item.owning_unit_id == unit_id, Item.item_type == item_type,
            Item.status.not_in(("withdrawn", "lost", "missing")))).one()
    return 1.0 - float(away) / owned if owned else 1.0


def checkouts_of_title(session: Session, record_id: int, unit_codes: list[str], since: datetime) -> dict[str, int]:
    """Check-outs of any copy of the title at each unit since ``since``, from the event log."""
    return dict(session.execute(
        select(Event.unit_code, func.count()).join(Item, Event.subject == literal("item:") + Item.barcode)
        .where(Event.kind == "loan.checkout", Event.occurred_at >= since, Item.record_id == record_id,
               Event.unit_code.in_(unit_codes))
        .group_by(Event.unit_code)).all())

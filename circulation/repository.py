"""All SQL of circulation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from catalog.public import Item
from circulation.models import (
    ACTIVE_HOLD,
    TRAPPED_HOLD,
    Fine,
    Hold,
    Loan,
    Patron,
    PatronBlock,
    PatronCategory,
    PatronProxy,
)


def categories(session: Session) -> Sequence[PatronCategory]:
    return session.scalars(select(PatronCategory).order_by(PatronCategory.code)).all()


def _locked(query: Select[Any]) -> Select[Any]:
    """Locked until the transaction ends, refreshed from the database (a row read earlier in the
    session may be stale), and FOR NO KEY UPDATE so rows that only reference it (loans, holds)
    are not blocked by the lock and cannot deadlock against it."""
    return query.with_for_update(key_share=True).execution_options(populate_existing=True)


def patron_by_card(session: Session, card_number: str, *, lock: bool = False) -> Patron | None:
    query = select(Patron).where(Patron.card_number == card_number)
    return session.scalars(_locked(query) if lock else query).one_or_none()


def patron_by_id_card(session: Session, id_card_number: str, *, lock: bool = False) -> Patron | None:
    query = select(Patron).where(Patron.id_card_number == id_card_number)
    return session.scalars(_locked(query) if lock else query).one_or_none()


def find_patrons(session: Session, name_start: str, phone: str | None, limit: int) -> Sequence[Patron]:
    """Readers whose name starts with ``name_start`` or whose phone is ``phone``, by name."""
    escaped = name_start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    match = Patron.name.like(f"{escaped}%", escape="\\")
    if phone:
        match = or_(match, Patron.phone == phone)
    return session.scalars(select(Patron).where(match).order_by(Patron.name, Patron.card_number).limit(limit)).all()


def active_blocks(session: Session, patron_id: int) -> Sequence[PatronBlock]:
    return session.scalars(
        select(PatronBlock).where(PatronBlock.patron_id == patron_id, PatronBlock.lifted_at.is_(None))
        .order_by(PatronBlock.id)
    ).all()


def proxies_of(session: Session, patron_id: int) -> list[str]:
    return list(session.scalars(
        select(Patron.card_number).join(PatronProxy, PatronProxy.proxy_id == Patron.id)
        .where(PatronProxy.patron_id == patron_id).order_by(Patron.card_number)
    ))


def proxy_for(session: Session, proxy_id: int) -> list[str]:
    return list(session.scalars(
        select(Patron.card_number).join(PatronProxy, PatronProxy.patron_id == Patron.id)
        .where(PatronProxy.proxy_id == proxy_id).order_by(Patron.card_number)
    ))


def proxy_link(session: Session, patron_id: int, proxy_id: int) -> PatronProxy | None:
    return session.scalars(
        select(PatronProxy).where(PatronProxy.patron_id == patron_id, PatronProxy.proxy_id == proxy_id)
    ).one_or_none()


# ---- loans, holds, fines -------------------------------------------------------------------
# Lock order everywhere: item, then patron, then hold. Holds two copies may race for are
# claimed with SKIP LOCKED, so a second check-in passes over a hold the first is filling.


def patron_home_unit(session: Session, patron_id: int) -> int:
    """The unit a reader is registered at (their 'home', for who may act for them)."""
    return session.execute(select(Patron.unit_id).where(Patron.id == patron_id)).scalar_one()


def lock_patron_by_id(session: Session, patron_id: int) -> Patron:
    return session.scalars(_locked(select(Patron).where(Patron.id == patron_id))).one()


def active_loan(session: Session, item_id: int) -> Loan | None:
    return session.scalars(select(Loan).where(Loan.item_id == item_id, Loan.status != "returned")).one_or_none()


def open_loans(session: Session, patron_id: int) -> Sequence[Loan]:
    return session.scalars(select(Loan).where(Loan.patron_id == patron_id, Loan.status == "open")).all()


def patron_loans(session: Session, patron_id: int, *, active: bool = True, limit: int = 200) -> Sequence[Loan]:
    query = select(Loan).where(Loan.patron_id == patron_id)
    if active:
        query = query.where(Loan.status != "returned")
    return session.scalars(query.order_by(Loan.id.desc()).limit(limit)).all()


def owed_fen(session: Session, patron_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(Fine.amount_fen - Fine.paid_fen - Fine.waived_fen), 0))
        .where(Fine.patron_id == patron_id)
    ) or 0)


def open_fines(session: Session, patron_id: int) -> Sequence[Fine]:
    return session.scalars(
        select(Fine).where(Fine.patron_id == patron_id, Fine.amount_fen > Fine.paid_fen + Fine.waived_fen)
        .order_by(Fine.id).with_for_update().execution_options(populate_existing=True)
    ).all()


def fines_of(session: Session, patron_id: int) -> Sequence[Fine]:
    return session.scalars(select(Fine).where(Fine.patron_id == patron_id).order_by(Fine.id)).all()


def lost_fine(session: Session, loan_id: int) -> Fine | None:
    return session.scalars(select(Fine).where(Fine.loan_id == loan_id, Fine.kind == "lost")).first()


def get_hold(session: Session, hold_id: int, *, lock: bool = False, skip_locked: bool = False) -> Hold | None:
    query = select(Hold).where(Hold.id == hold_id)
    if lock:
        query = query.with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def trapped_hold(session: Session, item_id: int) -> Hold | None:
    return session.scalars(select(Hold).where(Hold.item_id == item_id, Hold.status.in_(TRAPPED_HOLD))).one_or_none()


def queue_for_copy(session: Session, record_id: int, item_id: int, today: date, limit: int = 50) -> list[Any]:
    """Waiting, unsuspended holds a copy could fill, first come first served, with what the
    caller needs to choose among them (pickup unit, the patron's category and status)."""
    return list(session.execute(
        select(Hold.id, Hold.pickup_unit_id, Patron.category_code, Patron.status)
        .join(Patron, Patron.id == Hold.patron_id)
        .where(Hold.record_id == record_id, Hold.status == "waiting",
               or_(Hold.item_level.is_(False), Hold.item_id == item_id),
               or_(Hold.suspended_until.is_(None), Hold.suspended_until <= today))
        .order_by(Hold.placed_at, Hold.id).limit(limit)
    ))


def waiting_holds_count(session: Session, record_id: int, item_id: int, today: date) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Hold)
        .where(Hold.record_id == record_id, Hold.status == "waiting",
               or_(Hold.item_level.is_(False), Hold.item_id == item_id),
               or_(Hold.suspended_until.is_(None), Hold.suspended_until <= today))
    ) or 0)


def queue_position(session: Session, hold: Hold) -> int:
    """1 for the first waiting reader of the title."""
    return int(session.scalar(
        select(func.count()).select_from(Hold)
        .where(Hold.record_id == hold.record_id, Hold.status == "waiting",
               or_(Hold.placed_at < hold.placed_at, and_(Hold.placed_at == hold.placed_at, Hold.id <= hold.id)))
    ) or 0)


def active_hold_of(session: Session, patron_id: int, record_id: int) -> Hold | None:
    return session.scalars(select(Hold).where(Hold.patron_id == patron_id, Hold.record_id == record_id,
                                              Hold.status.in_(ACTIVE_HOLD))).first()


def holds_targeting(session: Session, item_id: int) -> list[int]:
    return list(session.scalars(select(Hold.id).where(Hold.target_item_id == item_id, Hold.status == "waiting")))


def patron_holds(session: Session, patron_id: int, *, active: bool = True, limit: int = 200) -> Sequence[Hold]:
    query = select(Hold).where(Hold.patron_id == patron_id)
    if active:
        query = query.where(Hold.status.in_(ACTIVE_HOLD))
    return session.scalars(query.order_by(Hold.id.desc()).limit(limit)).all()


def expired_shelf_holds(session: Session, today: date, limit: int = 1000,
                        pickup_unit_ids: Collection[int] | None = None) -> list[tuple[int, int]]:
    """(hold id, item id) of holds whose shelf time ran out before ``today`` (at those pickup
    units only, when given)."""
    query = select(Hold.id, Hold.item_id).where(Hold.status == "ready", Hold.shelf_expires_on < today)
    if pickup_unit_ids is not None:
        query = query.where(Hold.pickup_unit_id.in_(list(pickup_unit_ids)))
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        query.order_by(Hold.shelf_expires_on, Hold.id).limit(limit)
    )]


def holds_at(session: Session, pickup_unit_id: int, status: str, limit: int = 500) -> Sequence[Hold]:
    return session.scalars(select(Hold).where(Hold.pickup_unit_id == pickup_unit_id, Hold.status == status)
                           .order_by(Hold.id).limit(limit)).all()


def patron_card_map(session: Session, patron_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not patron_ids:
        return {}
    return {row.id: (row.card_number, row.name) for row in session.execute(
        select(Patron.id, Patron.card_number, Patron.name).where(Patron.id.in_(set(patron_ids))))}


def target_counts(session: Session, record_id: int, *, exclude_hold_id: int) -> dict[int, int]:
    """How many waiting holds of the title point at each copy."""
    return {item_id: n for item_id, n in session.execute(
        select(Hold.target_item_id, func.count()).where(
            Hold.record_id == record_id, Hold.status == "waiting", Hold.target_item_id.is_not(None),
            Hold.id != exclude_hold_id,
        ).group_by(Hold.target_item_id))}


def has_record_on_loan(session: Session, patron_id: int, record_id: int) -> bool:
    return session.scalar(
        select(func.count()).select_from(Loan).join(Item, Item.id == Loan.item_id)
        .where(Loan.patron_id == patron_id, Loan.status == "open", Item.record_id == record_id)
    ) > 0


def pull_list(session: Session, unit_id: int, limit: int = 500) -> Sequence[Hold]:
    """Waiting holds whose suggested copy is on this unit's shelf."""
    return session.scalars(
        select(Hold).join(Item, Item.id == Hold.target_item_id)
        .where(Hold.status == "waiting", Item.current_unit_id == unit_id, Item.status == "available")
        .order_by(Hold.placed_at, Hold.id).limit(limit)
    ).all()

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ils.network.models import Unit, UnitClosedDate


def get_by_code(session: Session, code: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.code == code)).one_or_none()


def get_by_id(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def list_units(session: Session, *, level: str | None = None, system_id: int | None = None) -> Sequence[Unit]:
    stmt = select(Unit).order_by(Unit.id)
    if level:
        stmt = stmt.where(Unit.level == level)
    if system_id is not None:
        stmt = stmt.where(Unit.system_id == system_id)
    return session.scalars(stmt).all()


def code_map(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.code)).all())


def id_by_code(session: Session) -> dict[str, int]:
    return {code: uid for uid, code in session.execute(select(Unit.id, Unit.code)).all()}


def closed_dates(session: Session, unit_ids: Sequence[int]) -> dict[int, list[date]]:
    result: dict[int, list[date]] = {uid: [] for uid in unit_ids}
    if not unit_ids:
        return result
    rows = session.execute(
        select(UnitClosedDate.unit_id, UnitClosedDate.day)
        .where(UnitClosedDate.unit_id.in_(unit_ids))
        .order_by(UnitClosedDate.day)
    )
    for uid, day in rows:
        result[uid].append(day)
    return result


def replace_closed_dates(session: Session, unit_id: int, days: Sequence[date]) -> None:
    session.execute(delete(UnitClosedDate).where(UnitClosedDate.unit_id == unit_id))
    session.add_all(UnitClosedDate(unit_id=unit_id, day=d) for d in sorted(set(days)))


def descendants(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it (the network is small: a few hundred rows)."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found

"""All SQL of activities."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from activities.models import Activity, ActivityType
from ils.network.models import Unit


def types(session: Session) -> Sequence[ActivityType]:
    return session.scalars(select(ActivityType).order_by(ActivityType.position, ActivityType.code)).all()


def get_type(session: Session, code: str) -> ActivityType | None:
    return session.get(ActivityType, code)


def get(session: Session, activity_id: int, *, lock: bool = False) -> Activity | None:
    query = select(Activity).where(Activity.id == activity_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _matching(unit_ids: Collection[int] | None, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if unit_ids is not None:
        # An activity concerns the unit where it was held and the one that organised it.
        where.append(or_(Activity.unit_id.in_(unit_ids), Activity.organiser_unit_id.in_(unit_ids)))
    if start is not None:
        where.append(Activity.held_on >= start)
    if end is not None:
        where.append(Activity.held_on <= end)
    return where


def find(session: Session, unit_ids: Collection[int] | None, start: date | None, end: date | None, *,
         type_code: str | None = None, limit: int = 200, offset: int = 0) -> tuple[Sequence[Activity], int, int]:
    """The activities held at or organised by ``unit_ids`` (None: all) from ``start`` to ``end``
    (inclusive), newest first, with how many match and their attendance."""
    where = _matching(unit_ids, start, end)
    if type_code is not None:
        where.append(Activity.type_code == type_code)
    total, attendance = session.execute(
        select(func.count(), func.coalesce(func.sum(Activity.attendance), 0)).where(*where)).one()
    rows = session.scalars(select(Activity).where(*where).order_by(Activity.held_on.desc(), Activity.id.desc())
                           .limit(limit).offset(offset)).all()
    return rows, int(total), int(attendance)


@dataclass(frozen=True)
class Row:
    unit_id: int
    type_code: str
    activities: int
    attendance: int


def held_counts(session: Session, unit_ids: Collection[int], start: date, end: date) -> list[Row]:
    """Activities and attendance per unit where they were held and type."""
    query = (select(Activity.unit_id, Activity.type_code, func.count(), func.sum(Activity.attendance))
             .where(Activity.unit_id.in_(unit_ids), Activity.held_on >= start, Activity.held_on <= end)
             .group_by(Activity.unit_id, Activity.type_code))
    return [Row(u, t, int(n), int(a or 0)) for u, t, n, a in session.execute(query)]


def organised_counts(session: Session, unit_ids: Collection[int], start: date, end: date) -> list[Row]:
    """Activities and attendance per organising unit and type."""
    query = (select(Activity.organiser_unit_id, Activity.type_code, func.count(), func.sum(Activity.attendance))
             .where(Activity.organiser_unit_id.in_(unit_ids), Activity.held_on >= start, Activity.held_on <= end)
             .group_by(Activity.organiser_unit_id, Activity.type_code))
    return [Row(u, t, int(n), int(a or 0)) for u, t, n, a in session.execute(query)]


def outreach_counts(session: Session, unit_ids: Collection[int], start: date, end: date) -> list[tuple[int, int, int]]:
    """(总馆, activities, attendance) of the activities a 总馆 among ``unit_ids`` organised at a
    unit of its own system other than itself: its branches, points, study rooms, mobile library
    (下基层活动)."""
    organiser, held = aliased(Unit), aliased(Unit)
    query = (select(Activity.organiser_unit_id, func.count(), func.sum(Activity.attendance))
             .join(organiser, organiser.id == Activity.organiser_unit_id)
             .join(held, held.id == Activity.unit_id)
             .where(Activity.organiser_unit_id.in_(unit_ids), organiser.level == "main",
                    and_(held.system_id == organiser.id, held.id != organiser.id),
                    Activity.held_on >= start, Activity.held_on <= end)
             .group_by(Activity.organiser_unit_id))
    return [(u, int(n), int(a or 0)) for u, n, a in session.execute(query)]

"""All SQL of the entered figures. The upsert of gate counts is the one dialect-specific statement
(INSERT … ON CONFLICT on the partial unique indexes, which both databases have)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ils.events import Event
from reports.entries.models import UnitAnnualField, VisitCount

BATCH = 2000
V = VisitCount


# ---- gate counts ------------------------------------------------------------------------------

def existing_import_keys(session: Session, unit_ids: Collection[int], start: date,
                         end: date) -> set[tuple[int, date, int | None]]:
    """The (unit, day, hour) of imported rows already kept for these units over a period."""
    if not unit_ids:
        return set()
    rows = session.execute(select(V.unit_id, V.day, V.hour).where(
        V.source == "import", V.unit_id.in_(unit_ids), V.day >= start, V.day <= end))
    return {(u, d, h) for u, d, h in rows}


def upsert_imported(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert imported rows, each replacing the row of the same unit, day, hour and source."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    hourly = [r for r in rows if r["hour"] is not None]
    daily = [r for r in rows if r["hour"] is None]
    for part, columns, where in ((hourly, ["unit_id", "day", "hour", "source"], V.hour.is_not(None)),
                                 (daily, ["unit_id", "day", "source"], V.hour.is_(None))):
        for n in range(0, len(part), BATCH):
            statement = insert(V)
            statement = statement.on_conflict_do_update(
                index_elements=columns, index_where=where,
                set_={name: statement.excluded[name] for name in
                      ("in_count", "out_count", "both_count", "file_name", "note", "entered_at", "entered_by")})
            session.execute(statement, part[n:n + BATCH])


def manual_entry(session: Session, unit_id: int, day: date, *, lock: bool = False) -> VisitCount | None:
    query = select(V).where(V.unit_id == unit_id, V.day == day, V.source == "manual", V.hour.is_(None))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def delete_entry(session: Session, entry: VisitCount) -> None:
    session.delete(entry)
    session.flush()


# The visits of a unit on a day, by the documented rule (see reports.entries.visits): a manual
# entry wins; else an imported daily total; else the imported hours summed. A row gives its
# in-count, or half its both-ways total when it has no in-count (rounded up, per day).

def _half_up(total: ColumnElement[Any]) -> ColumnElement[Any]:
    # Whole-number division on both databases: (n + 1) / 2 is n / 2 rounded up.
    return (func.coalesce(total, 0) + 1) // 2


def _days(unit_ids: Collection[int], start: date, end: date) -> Any:
    manual = V.source == "manual"
    imported_day = (V.source == "import") & V.hour.is_(None)
    imported_hour = (V.source == "import") & V.hour.is_not(None)

    def when(condition: ColumnElement[bool], value: Any) -> Any:
        return case((condition, value))

    def count(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    inner = (
        select(
            V.unit_id.label("unit_id"), V.day.label("day"),
            count(manual).label("manual_rows"),
            func.max(when(manual, V.in_count)).label("manual_in"),
            func.max(when(manual, V.out_count)).label("manual_out"),
            count(imported_day).label("day_rows"),
            func.max(when(imported_day, V.in_count)).label("day_in"),
            func.max(when(imported_day, V.both_count)).label("day_both"),
            func.max(when(imported_day, V.out_count)).label("day_out"),
            count(imported_hour).label("hour_rows"),
            func.sum(when(imported_hour, V.in_count)).label("hour_in"),
            func.sum(when(imported_hour & V.in_count.is_(None), V.both_count)).label("hour_both"),
            func.sum(when(imported_hour, V.out_count)).label("hour_out"),
        )
        .where(V.unit_id.in_(unit_ids), V.day >= start, V.day <= end)
        .group_by(V.unit_id, V.day)
    ).subquery()
    visits = case(
        (inner.c.manual_rows > 0, inner.c.manual_in),
        (inner.c.day_rows > 0, func.coalesce(inner.c.day_in, _half_up(inner.c.day_both))),
        else_=func.coalesce(inner.c.hour_in, 0) + _half_up(inner.c.hour_both),
    )
    counted = case((inner.c.manual_rows > 0, "manual"), (inner.c.day_rows > 0, "import_day"), else_="import_hours")
    return inner, cast(visits, Integer).label("visits"), counted.label("counted")


@dataclass(frozen=True)
class DayRow:
    unit_id: int
    day: date
    visits: int
    counted: str  # manual | import_day | import_hours
    manual_in: int | None
    manual_out: int | None
    day_in: int | None
    day_both: int | None
    day_out: int | None
    hour_rows: int
    hour_in: int | None
    hour_both: int | None
    hour_out: int | None


def visit_days(session: Session, unit_ids: Collection[int], start: date, end: date) -> list[DayRow]:
    """Every unit-day with a count, with its visits and what they were counted from."""
    if not unit_ids:
        return []
    inner, visits, counted = _days(unit_ids, start, end)
    query = select(inner.c.unit_id, inner.c.day, visits, counted, inner.c.manual_in, inner.c.manual_out,
                   inner.c.day_in, inner.c.day_both, inner.c.day_out, inner.c.hour_rows, inner.c.hour_in,
                   inner.c.hour_both, inner.c.hour_out).order_by(inner.c.unit_id, inner.c.day)
    return [DayRow(r[0], r[1], int(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], int(r[9] or 0),
                   *(int(v) if v is not None else None for v in r[10:13])) for r in session.execute(query)]


def visit_totals(session: Session, unit_ids: Collection[int], start: date, end: date) -> dict[int, tuple[int, int]]:
    """unit → (visits, days with a count) over a period, summed in the database."""
    if not unit_ids:
        return {}
    inner, visits, _ = _days(unit_ids, start, end)
    days = select(inner.c.unit_id, visits).subquery()
    query = select(days.c.unit_id, func.sum(days.c.visits), func.count()).group_by(days.c.unit_id)
    return {u: (int(v or 0), int(n)) for u, v, n in session.execute(query)}


def entries_of(session: Session, unit_id: int, day: date) -> Sequence[VisitCount]:
    """Every row of a unit's day: the manual entry, the imported total and hours."""
    return session.scalars(select(V).where(V.unit_id == unit_id, V.day == day)
                           .order_by(V.source, V.hour.is_not(None), V.hour)).all()


# ---- annual fields ----------------------------------------------------------------------------

def annual_fields(session: Session, unit_ids: Collection[int], year: int, *,
                  lock: bool = False) -> Sequence[UnitAnnualField]:
    if not unit_ids:
        return []
    query = select(UnitAnnualField).where(UnitAnnualField.unit_id.in_(unit_ids), UnitAnnualField.year == year)
    if lock:
        query = query.with_for_update()
    return session.scalars(query.order_by(UnitAnnualField.unit_id, UnitAnnualField.field_code)).all()


def delete_annual(session: Session, row: UnitAnnualField) -> None:
    session.delete(row)


def last_changes(session: Session, subjects: Collection[str]) -> dict[str, Event]:
    """The latest annual_field.set event of each subject (its ``before`` is the previous value)."""
    if not subjects:
        return {}
    rows = session.scalars(select(Event).where(Event.kind == "annual_field.set", Event.subject.in_(subjects))
                           .order_by(Event.id))
    return {event.subject: event for event in rows}

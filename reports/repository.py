"""All SQL of the statistics: counts grouped by the unit a figure is credited to.

Every query takes the unit codes (or ids) of the units asked about and a period, and returns
``{unit: value}`` for the units that have something; a unit missing from the answer had none.
Circulation figures are read from the event table's typed columns (never its JSON), the stock
from the copies, cards from the readers, transits from the transits. The one piece of SQL that
differs between SQLite and PostgreSQL (the length of a transit in days) is ``_days_between``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from catalog.public import Item, Record
from circulation.public import Loan, Patron
from ils.events import Event
from ils.network.models import Unit
from logistics.public import Transit
from reports.figures import Attribution
from reports.models import AnnualReport, IndicatorTarget

# The event column a figure is credited by.
_EVENT_UNIT = {"happened": Event.unit_code, "owner": Event.owner_unit_code, "home": Event.home_unit_code}

# Event kinds counted as they are (figure code -> event kind).
EVENT_COUNTS = {
    "loans": "loan.checkout",
    "renewals": "loan.renew",
    "holds_placed": "hold.placed",
    "holds_filled": "hold.fulfilled",
}


@dataclass(frozen=True)
class Window:
    """A period as local days (events) and as UTC instants [start, end) (rows with timestamps)."""
    first_day: date
    last_day: date
    start: datetime
    end: datetime


def _events(window: Window, kinds: Collection[str], by: Attribution, codes: Collection[str]) -> ColumnElement[bool]:
    return and_(Event.kind.in_(list(kinds)), Event.day >= window.first_day, Event.day <= window.last_day,
                _EVENT_UNIT[by].in_(list(codes)))


def event_counts(session: Session, window: Window, by: Attribution, codes: Collection[str]) -> dict[str, dict[str, int]]:
    """{figure: {unit code: count}} for the figures of EVENT_COUNTS, returns and returns away."""
    column = _EVENT_UNIT[by]
    kind_to_figure = {kind: code for code, kind in EVENT_COUNTS.items()}
    found: dict[str, dict[str, int]] = {code: {} for code in (*EVENT_COUNTS, "returns", "returns_away")}
    rows = session.execute(
        select(column, Event.kind, func.count()).where(_events(window, kind_to_figure, by, codes))
        .group_by(column, Event.kind))
    for unit, kind, count in rows:
        found[kind_to_figure[kind]][unit] = count
    # A check-in counts as a return when it closed a loan (a copy found on the shelf closes none).
    returns = _events(window, ["loan.checkin"], by, codes) & Event.loan_id.is_not(None)
    for unit, count in session.execute(select(column, func.count()).where(returns).group_by(column)):
        found["returns"][unit] = count
    lending = aliased(Unit)
    away = (select(column, func.count()).select_from(Event)
            .join(Loan, Loan.id == Event.loan_id).join(lending, lending.id == Loan.unit_id)
            .where(returns, lending.code != Event.unit_code).group_by(column))
    for unit, count in session.execute(away):
        found["returns_away"][unit] = count
    return found


def borrowing_visits(session: Session, window: Window, by: Attribution, codes: Collection[str]) -> dict[str, int]:
    """外借人次: distinct (reader, day, unit) among check-outs, per unit."""
    column = _EVENT_UNIT[by]
    visits = (select(column.label("unit"), Event.patron_id, Event.day).distinct()
              .where(_events(window, ["loan.checkout"], by, codes)).subquery())
    return dict(session.execute(select(visits.c.unit, func.count()).group_by(visits.c.unit)).all())


def active_readers(session: Session, window: Window, by: Attribution, codes: Collection[str]) -> int:
    """Distinct readers who borrowed at any of ``codes`` (a roll-up counts a reader once)."""
    return session.execute(select(func.count(distinct(Event.patron_id)))
                           .where(_events(window, ["loan.checkout"], by, codes))).scalar_one()


def active_readers_by_unit(session: Session, window: Window, by: Attribution,
                           codes: Collection[str]) -> dict[str, int]:
    column = _EVENT_UNIT[by]
    return dict(session.execute(select(column, func.count(distinct(Event.patron_id)))
                                .where(_events(window, ["loan.checkout"], by, codes)).group_by(column)).all())


def _days_between(session: Session, later: ColumnElement[datetime], earlier: ColumnElement[datetime]) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


def transits_sent(session: Session, window: Window, unit_ids: Collection[int]) -> dict[int, int]:
    rows = session.execute(
        select(Transit.from_unit_id, func.count())
        .where(Transit.created_at >= window.start, Transit.created_at < window.end,
               Transit.from_unit_id.in_(list(unit_ids)))
        .group_by(Transit.from_unit_id))
    return dict(rows.all())


def _received(window: Window, unit_ids: Collection[int]) -> ColumnElement[bool]:
    return and_(Transit.status == "received", Transit.closed_at >= window.start, Transit.closed_at < window.end,
                Transit.to_unit_id.in_(list(unit_ids)))


def transit_days(session: Session, window: Window, unit_ids: Collection[int]) -> dict[int, tuple[float, int]]:
    """Per receiving unit: (sum of days on the road, transits) of transits received in the period."""
    days = _days_between(session, Transit.closed_at, Transit.created_at)
    rows = session.execute(select(Transit.to_unit_id, func.sum(days), func.count())
                           .where(_received(window, unit_ids)).group_by(Transit.to_unit_id))
    return {unit: (float(total or 0), count) for unit, total, count in rows}


def cards_issued(session: Session, window: Window, unit_ids: Collection[int]) -> dict[int, int]:
    rows = session.execute(select(Patron.unit_id, func.count())
                           .where(Patron.created_at >= window.start, Patron.created_at < window.end,
                                  Patron.unit_id.in_(list(unit_ids)))
                           .group_by(Patron.unit_id))
    return dict(rows.all())


def valid_cards(session: Session, window: Window, unit_ids: Collection[int]) -> dict[int, int]:
    rows = session.execute(select(Patron.unit_id, func.count())
                           .where(Patron.created_at < window.end, Patron.expires_on > window.last_day,
                                  Patron.status != "closed", Patron.unit_id.in_(list(unit_ids)))
                           .group_by(Patron.unit_id))
    return dict(rows.all())


def _held_at(instant: datetime) -> ColumnElement[bool]:
    """Copies in the holdings at ``instant``: added before it and not withdrawn by then."""
    return and_(Item.created_at < instant, or_(Item.withdrawn_at.is_(None), Item.withdrawn_at >= instant))


@dataclass(frozen=True)
class Stock:
    copies: int
    value_fen: int
    unpriced: int


def holdings(session: Session, instant: datetime, unit_ids: Collection[int]) -> dict[int, Stock]:
    rows = session.execute(
        select(Item.owning_unit_id, func.count(), func.coalesce(func.sum(Item.price_fen), 0),
               func.count() - func.count(Item.price_fen))
        .where(_held_at(instant), Item.owning_unit_id.in_(list(unit_ids))).group_by(Item.owning_unit_id))
    return {unit: Stock(count, int(value), unpriced) for unit, count, value, unpriced in rows}


def holdings_breakdown(session: Session, instant: datetime, unit_ids: Collection[int],
                       by: str) -> dict[str, Stock]:
    """Holdings at ``instant`` over the units, by item type or by 中图法 top class (the first
    letter of the record's class; "" where the record has none)."""
    key: ColumnElement[str]
    query: Select
    if by == "item_type":
        key = Item.item_type
        query = select(key, func.count(), func.coalesce(func.sum(Item.price_fen), 0),
                       func.count() - func.count(Item.price_fen))
    else:
        key = func.coalesce(func.upper(func.substr(Record.clc, 1, 1)), "")
        query = (select(key, func.count(), func.coalesce(func.sum(Item.price_fen), 0),
                        func.count() - func.count(Item.price_fen)).join(Record, Record.id == Item.record_id))
    rows = session.execute(query.where(_held_at(instant), Item.owning_unit_id.in_(list(unit_ids))).group_by(key))
    return {k: Stock(count, int(value), unpriced) for k, count, value, unpriced in rows}


def added(session: Session, window: Window, unit_ids: Collection[int]) -> dict[int, Stock]:
    rows = session.execute(
        select(Item.owning_unit_id, func.count(), func.coalesce(func.sum(Item.price_fen), 0),
               func.count() - func.count(Item.price_fen))
        .where(Item.created_at >= window.start, Item.created_at < window.end,
               Item.owning_unit_id.in_(list(unit_ids)))
        .group_by(Item.owning_unit_id))
    return {unit: Stock(count, int(value), unpriced) for unit, count, value, unpriced in rows}


def withdrawn(session: Session, window: Window, unit_ids: Collection[int]) -> dict[tuple[int, str], Stock]:
    """Copies withdrawn in the period per owning unit and the status they left (lost, damaged …)."""
    reason = func.coalesce(Item.withdrawn_from, "")
    rows = session.execute(
        select(Item.owning_unit_id, reason, func.count(), func.coalesce(func.sum(Item.price_fen), 0),
               func.count() - func.count(Item.price_fen))
        .where(Item.withdrawn_at >= window.start, Item.withdrawn_at < window.end,
               Item.owning_unit_id.in_(list(unit_ids)))
        .group_by(Item.owning_unit_id, reason))
    return {(unit, why): Stock(count, int(value), unpriced) for unit, why, count, value, unpriced in rows}


def populations(session: Session, unit_ids: Collection[int]) -> dict[int, int | None]:
    return dict(session.execute(select(Unit.id, Unit.population).where(Unit.id.in_(list(unit_ids)))).all())


# ---- annual reports -------------------------------------------------------------------------------

def annual_report(session: Session, unit_id: int, year: int, *, lock: bool = False) -> AnnualReport | None:
    query = select(AnnualReport).where(AnnualReport.unit_id == unit_id, AnnualReport.year == year)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def add_annual_report(session: Session, report: AnnualReport) -> AnnualReport:
    """Insert the report's row, or (another submitter made it a moment ago) lock theirs."""
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:
        found = annual_report(session, report.unit_id, report.year, lock=True)
        assert found is not None
        return found
    return report


# ---- evaluation targets -----------------------------------------------------------------------------

def indicator_targets(session: Session, system_id: int) -> list[IndicatorTarget]:
    return list(session.scalars(select(IndicatorTarget).where(IndicatorTarget.system_id == system_id)))


def put_indicator_target(session: Session, system_id: int, indicator: str, level: str, target: int, actor: str,
                         now: datetime) -> None:
    row = session.scalars(select(IndicatorTarget).where(
        IndicatorTarget.system_id == system_id, IndicatorTarget.indicator == indicator,
        IndicatorTarget.level == level).with_for_update()).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(IndicatorTarget(system_id=system_id, indicator=indicator, level=level, target=target,
                                            updated_at=now, updated_by=actor))
            return
        except IntegrityError:  # set at the same moment elsewhere: this one is the later
            row = session.scalars(select(IndicatorTarget).where(
                IndicatorTarget.system_id == system_id, IndicatorTarget.indicator == indicator,
                IndicatorTarget.level == level).with_for_update()).one()
    row.target, row.updated_at, row.updated_by = target, now, actor

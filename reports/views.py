"""Figures shaped for the statistics pages' charts: a roll-up's circulation month by month.

The line chart of a year needs loans, returns and borrowing visits for each of its twelve
months. Each month is counted by the same queries of ``reports.repository`` that count a
period's figures (one period a month), so a month in the chart is exactly what the figures of
that month say, and the twelve add up to the year's: no second definition to drift from the
first. Months that have not begun yet are None (nothing to show, not zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.config import get_settings
from ils.errors import InvalidInput
from ils.network.snapshot import network, unit_by_code
from reports import repository as repo
from reports.figures import ATTRIBUTIONS, FIGURES, Attribution
from reports.service import Period, counted_by, subtree

# The figures of the months' chart, in the order they are drawn.
MONTHLY = ("loans", "returns", "borrowing_readers")


@dataclass(frozen=True)
class Month:
    first_day: date
    values: dict[str, int] | None  # None: the month has not begun


@dataclass(frozen=True)
class Months:
    unit: str
    year: int
    by: Attribution  # as counted (see reports.service.counted_by)
    months: list[Month]


def monthly(session: Session, principal: Principal, unit_code: str, year: int, by: str, today: date) -> Months:
    """Loans, returns and borrowing visits of ``unit_code`` with every unit below it, for each
    month of ``year``, credited by ``by`` (happened | owner | home)."""
    if by not in ATTRIBUTIONS:
        raise InvalidInput("ATTRIBUTION_INVALID", f"by must be one of {', '.join(ATTRIBUTIONS)}, not {by!r}")
    if not 1900 <= year <= 2200:
        raise InvalidInput("PERIOD_INVALID", f"year {year} is out of range")
    root = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=root.id)
    attribution = counted_by(FIGURES["loans"], by)  # type: ignore[arg-type]
    codes = [u.code for u in subtree(network(session), root)]
    tz = get_settings().tz
    months: list[Month] = []
    for number in range(1, 13):
        first = date(year, number, 1)
        if first > today:
            months.append(Month(first, None))
            continue
        last = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
        window = Period(first, last, first.strftime("%Y-%m")).window(tz)
        counts = repo.event_counts(session, window, attribution, codes)
        visits = repo.borrowing_visits(session, window, attribution, codes)
        months.append(Month(first, {
            "loans": sum(counts["loans"].values()),
            "returns": sum(counts["returns"].values()),
            "borrowing_readers": sum(visits.values()),
        }))
    return Months(root.code, year, attribution, months)

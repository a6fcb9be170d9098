"""Figures for a unit and everything below it, for a period, credited by a chosen attribution.

A request names one unit. The answer has a row for it and for every unit below it (a 总馆's
branches and their points; a 中心馆's systems and all theirs): each row's ``own`` figures count
what happened at (or belongs to) that unit alone, and its ``total`` figures the unit with every
unit below it, the roll-up a manager reports for a branch "with its points". The requested
unit's ``total`` is the answer's total. Figures that do not add up (distinct readers, averages,
ratios) are computed for each roll-up from its own rows, never summed.

Per-capita figures need the population the unit serves. A roll-up's population is its unit's
own figure when the unit has one (a 总馆's is its county's, which already includes its
townships'), otherwise the sum of the roll-ups below it; a unit's ``own`` row has per-capita
figures only when nothing lies below it. A population that is missing makes the figure not
computable (null, with the reason), never zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.config import get_settings
from ils.errors import InvalidInput
from ils.network.calendar import hours_per_week
from ils.network.snapshot import NetworkSnapshot, UnitInfo, network, unit_by_code
from activities.public import activity_counts
from reports import repository as repo
from reports.entries.public import visit_totals
from reports.figures import ATTRIBUTIONS, FIGURES, Attribution, Figure

Value = int | float | None


# ---- periods ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    label: str  # "2026", "2026-Q3", "2026-07", "2026-07-15" or "2026-03-01..2026-05-31"

    def window(self, tz: ZoneInfo) -> repo.Window:
        start = datetime.combine(self.first_day, time(0), tz)
        end = datetime.combine(self.last_day + timedelta(days=1), time(0), tz)
        return repo.Window(self.first_day, self.last_day, start, end)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})(?:-(\d{2}))?))?$")


def parse_period(text: str | None, start: date | None, end: date | None, today: date) -> Period:
    """A year (2026), a quarter (2026-Q3), a month (2026-07), a day (2026-07-15), or from–to; by
    default this year up to today."""
    if text is not None and (start is not None or end is not None):
        raise InvalidInput("PERIOD_INVALID", "give a period or from and to, not both")
    if text is None and start is None and end is None:
        return Period(date(today.year, 1, 1), today, f"{today.year}")
    if text is None:
        if start is None or end is None:
            raise InvalidInput("PERIOD_INVALID", "from and to go together")
        if end < start:
            raise InvalidInput("PERIOD_INVALID", f"the period ends ({end}) before it starts ({start})")
        if (end - start).days > 366 * 10:
            raise InvalidInput("PERIOD_INVALID", "a period is at most ten years")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    match = _PERIOD.match(text.strip())
    if match is None:
        raise InvalidInput("PERIOD_INVALID", f"period {text!r} is not a year (2026), quarter (2026-Q3), "
                                             "month (2026-07) or day (2026-07-15)")
    year, quarter, month, day = match.groups()
    try:
        y = int(year)
        if quarter:
            first = date(y, 3 * int(quarter) - 2, 1)
            last = _month_end(date(y, 3 * int(quarter), 1))
        elif day:
            first = last = date(y, int(month), int(day))
        elif month:
            first = date(y, int(month), 1)
            last = _month_end(first)
        else:
            first, last = date(y, 1, 1), date(y, 12, 31)
    except ValueError:
        raise InvalidInput("PERIOD_INVALID", f"period {text!r} is not a date that exists") from None
    return Period(first, last, text.strip())


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


# ---- the tree -----------------------------------------------------------------------------------

def subtree(snapshot: NetworkSnapshot, root: UnitInfo) -> list[UnitInfo]:
    """The unit and every unit below it, parents before children, siblings by code."""
    children: dict[int, list[UnitInfo]] = {}
    for unit in snapshot.units.values():
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[UnitInfo] = []
    stack = [root]
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(sorted(children.get(unit.id, []), key=lambda u: u.code, reverse=True))
    return ordered


# ---- the answer ---------------------------------------------------------------------------------

@dataclass
class UnitRow:
    code: str
    name: str
    level: str
    parent: str | None
    depth: int
    population: int | None  # the unit's own, as set on it
    total_population: int | None  # of the roll-up (see the module's docstring)
    own: dict[str, Value] = field(default_factory=dict)
    total: dict[str, Value] = field(default_factory=dict)
    has_children: bool = False


@dataclass
class FiguresReport:
    unit: str
    period: Period
    by: Attribution
    rows: list[UnitRow]
    # Per figure: the attribution it was counted by (a stock figure is always the owner's).
    counted_by: dict[str, Attribution]
    not_computable: dict[str, str]  # "unit:figure" -> why, for figures shown as null

    @property
    def total(self) -> dict[str, Value]:
        return self.rows[0].total


def figures(session: Session, principal: Principal, unit_code: str, period: Period, by: str,
            now: datetime) -> FiguresReport:
    if by not in ATTRIBUTIONS:
        raise InvalidInput("ATTRIBUTION_INVALID", f"by must be one of {', '.join(ATTRIBUTIONS)}, not {by!r}")
    attribution: Attribution = by  # type: ignore[assignment]
    root = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=root.id)
    return compute(session, root, period, attribution)


def counted_by(figure: Figure, by: Attribution) -> Attribution:
    return by if by in figure.attributions else figure.attributions[0]


def compute(session: Session, root: UnitInfo, period: Period, by: Attribution) -> FiguresReport:
    """Every figure for ``root`` and the units below it (no permission check: callers check)."""
    snapshot = network(session)
    units = subtree(snapshot, root)
    ids = [u.id for u in units]
    codes = [u.code for u in units]
    window = period.window(get_settings().tz)
    own: dict[str, dict[int, Value]] = {code: {} for code in FIGURES}
    by_code = {u.code: u.id for u in units}

    def put(figure_code: str, per_code: dict[str, int]) -> None:
        for code, value in per_code.items():
            if code in by_code:
                own[figure_code][by_code[code]] = value

    # Circulation, by the chosen attribution where the figure allows it.
    circulation_by = counted_by(FIGURES["loans"], by)
    for figure_code, per_code in repo.event_counts(session, window, circulation_by, codes).items():
        if figure_code in ("holds_placed", "holds_filled"):
            continue
        put(figure_code, per_code)
    holds_by = counted_by(FIGURES["holds_placed"], by)
    holds = repo.event_counts(session, window, holds_by, codes) if holds_by != circulation_by else None
    source = holds if holds is not None else repo.event_counts(session, window, circulation_by, codes)
    put("holds_placed", source["holds_placed"])
    put("holds_filled", source["holds_filled"])
    put("borrowing_readers", repo.borrowing_visits(session, window, circulation_by, codes))
    put("active_readers", repo.active_readers_by_unit(session, window, circulation_by, codes))
    own["transits_sent"].update(repo.transits_sent(session, window, ids))
    road = repo.transit_days(session, window, ids)
    own["cards_issued"].update(repo.cards_issued(session, window, ids))
    own["valid_cards"].update(repo.valid_cards(session, window, ids))
    stock = repo.holdings(session, window.end, ids)
    for unit_id, s in stock.items():
        own["holdings"][unit_id] = s.copies
        own["holdings_value"][unit_id] = s.value_fen
        own["holdings_unpriced"][unit_id] = s.unpriced
    for unit_id, s in repo.added(session, window, ids).items():
        own["holdings_added"][unit_id] = s.copies
    for (unit_id, _why), s in repo.withdrawn(session, window, ids).items():
        own["holdings_withdrawn"][unit_id] = int(own["holdings_withdrawn"].get(unit_id) or 0) + s.copies
    for unit_id, total in visit_totals(session, ids, period.first_day, period.last_day).items():
        own["visits"][unit_id] = total.visits
    held = activity_counts(session, ids, period.first_day, period.last_day)
    for unit_id, tally in held.held.items():
        own["activities"][unit_id] = tally.activities
        own["activity_attendance"][unit_id] = tally.attendance
    for unit_id, tally in held.outreach.items():
        own["outreach_activities"][unit_id] = tally.activities
    populations = repo.populations(session, ids)

    children: dict[int, list[int]] = {}
    for unit in units[1:]:
        children.setdefault(unit.parent_id, []).append(unit.id)  # type: ignore[arg-type]
    below: dict[int, list[int]] = {}  # every unit of the roll-up, itself included
    for unit in reversed(units):
        below[unit.id] = [unit.id] + [d for c in children.get(unit.id, []) for d in below[c]]
    code_of = {u.id: u.code for u in units}
    total_population: dict[int, int | None] = {}
    for unit in reversed(units):
        if populations.get(unit.id):
            total_population[unit.id] = populations[unit.id]
        else:
            parts = [total_population[c] for c in children.get(unit.id, [])]
            total_population[unit.id] = sum(p for p in parts if p) if parts and all(parts) else None

    not_computable: dict[str, str] = {}
    rows: list[UnitRow] = []
    depth = {root.id: 0}
    for unit in units:
        if unit.parent_id in depth and unit.id != root.id:
            depth[unit.id] = depth[unit.parent_id] + 1
        members = below[unit.id]
        leaf = len(members) == 1
        mine = {code: _zero(FIGURES[code], own[code].get(unit.id)) for code in FIGURES if FIGURES[code].additive}
        mine["active_readers"] = own["active_readers"].get(unit.id, 0)
        mine["opening_hours"] = round(hours_per_week(unit.hours), 2)
        mine["transit_days"] = _mean(*road.get(unit.id, (0.0, 0)))
        total = {code: _sum(FIGURES[code], [own[code].get(m) for m in members])
                 for code in FIGURES if FIGURES[code].additive}
        total["active_readers"] = (mine["active_readers"] if leaf else
                                   repo.active_readers(session, window, circulation_by,
                                                       [code_of[m] for m in members]))
        total["opening_hours"] = mine["opening_hours"]
        sums = [road.get(m, (0.0, 0)) for m in members]
        total["transit_days"] = _mean(sum(s for s, _ in sums), sum(n for _, n in sums))
        for values in (mine, total):
            values["loans_with_renewals"] = int(values["loans"] or 0) + int(values["renewals"] or 0)
        _ratios(total, total_population[unit.id], f"{unit.code}:", not_computable)
        if leaf:
            _ratios(mine, total_population[unit.id], "", {})
        else:
            for code, fig in FIGURES.items():
                if fig.kind == "ratio":
                    mine[code] = None
        rows.append(UnitRow(unit.code, unit.name, unit.level,
                            code_of.get(unit.parent_id) if unit.parent_id is not None else None,  # type: ignore[arg-type]
                            depth.get(unit.id, 0), populations.get(unit.id), total_population[unit.id],
                            mine, total, has_children=not leaf))
    return FiguresReport(root.code, period, by, rows, {c: counted_by(f, by) for c, f in FIGURES.items()},
                         not_computable)


def _zero(figure: Figure, value: Value) -> Value:
    return value if value is not None or figure.entered else 0


def _sum(figure: Figure, values: list[Value]) -> Value:
    present = [v for v in values if v is not None]
    if figure.entered and not present:
        return None  # nobody entered it: no figure, not 0
    return sum(int(v) for v in present)


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _ratios(values: dict[str, Value], population: int | None, label: str, reasons: dict[str, str]) -> None:
    for code, fig in FIGURES.items():
        if fig.kind != "ratio":
            continue
        numerator = values.get(fig.numerator or "")
        if fig.denominator == "population":
            denominator: Any = population
            why = "the population served is not set on the unit"
        else:
            denominator = values.get(fig.denominator or "")
            why = f"{fig.denominator} is 0"
        if not denominator or numerator is None:
            values[code] = None
            if label:
                reasons[f"{label}{code}"] = why
        else:
            values[code] = round(float(numerator) / float(denominator), 6)

"""Opening hours arithmetic. Pure functions: circulation uses them for due dates later."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, timedelta

from ils.errors import InvalidInput
from ils.network.models import WEEKDAYS

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_range(text: str) -> tuple[int, int]:
    """'09:00-17:30' → minutes from midnight (540, 1050)."""
    m = _RANGE.match(text.strip())
    if not m:
        raise InvalidInput("UNIT_HOURS_INVALID", f"not an HH:MM-HH:MM range: {text!r}")
    start = int(m[1]) * 60 + int(m[2])
    end = int(m[3]) * 60 + int(m[4])
    if end <= start or end > 24 * 60:
        raise InvalidInput("UNIT_HOURS_INVALID", f"range ends before it starts: {text!r}")
    return start, end


def normalise_hours(hours: Mapping[str, Iterable[str]] | None) -> dict[str, list[str]]:
    """Validate weekly hours; ranges within a day must not overlap. Returns all 7 days."""
    hours = hours or {}
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise InvalidInput("UNIT_HOURS_INVALID", f"unknown weekday(s): {', '.join(sorted(unknown))}")
    result: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        ranges = [r.strip() for r in (hours.get(day) or [])]
        spans = sorted(parse_range(r) for r in ranges)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            if start < end:
                raise InvalidInput("UNIT_HOURS_INVALID", f"overlapping ranges on {day}: {ranges}")
        result[day] = [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans]
    return result


def hours_per_week(hours: Mapping[str, Iterable[str]]) -> float:
    minutes = sum(e - s for day in WEEKDAYS for s, e in map(parse_range, hours.get(day) or []))
    return round(minutes / 60, 2)


def is_open_on(hours: Mapping[str, Iterable[str]], closed: AbstractSet[date], day: date) -> bool:
    return day not in closed and bool(hours.get(WEEKDAYS[day.weekday()]))


def next_open_day(
    hours: Mapping[str, Iterable[str]], closed: AbstractSet[date], day: date, *, max_days: int = 366
) -> date | None:
    """The first day on or after ``day`` the unit opens; None if it never opens within a year."""
    for offset in range(max_days):
        candidate = day + timedelta(days=offset)
        if is_open_on(hours, closed, candidate):
            return candidate
    return None


def due_date(hours: Mapping[str, Iterable[str]], closed: AbstractSet[date], start: date, loan_days: int) -> date:
    """A loan's due date: ``loan_days`` calendar days after ``start``, moved on to the unit's
    next open day, so it never falls on a day the reader could not return the book."""
    target = start + timedelta(days=loan_days)
    moved = next_open_day(hours, closed, target)
    if moved is None:
        raise InvalidInput("UNIT_NEVER_OPEN", "the unit has no open day in the year after the due date")
    return moved


def after_open_days(hours: Mapping[str, Iterable[str]], closed: AbstractSet[date], start: date, open_days: int) -> date:
    """The day on which ``open_days`` days the unit is open have passed after ``start``: how long
    a copy waits on the hold shelf, so a reader of a point open twice a week gets as many
    chances to collect it as one of the 总馆."""
    day, counted = start, 0
    for _ in range(366 * 3):
        day += timedelta(days=1)
        if is_open_on(hours, closed, day):
            counted += 1
            if counted >= open_days:
                return day
    raise InvalidInput("UNIT_NEVER_OPEN", "the unit is not open often enough to count those days")

"""Visits (到馆人次): gate counter files imported, a day entered by hand at the desk, and the rule
that turns them into the figure.

**The rule** (the README says it too). For each unit and day:

1. a **manual entry** made at the desk wins: a librarian enters a day by hand where the unit has
   no counter, or where the counter was broken or wrong that day, so it is the deliberate word
   on that day; deleting it lets the counter's figure count again;
2. else the counter's **daily total** (a row with no hour), when the file gave one: a counter's
   own total also covers the hours its hourly export leaves out, so the two are never added;
3. else the counter's **hours summed**.

A row counts its **in-count**: a two-way counter counts each visitor twice, in and out, so the
out-count is kept but never added. A counter that cannot tell in from out gives its both-ways
total (``both``) instead: half of it counts, rounded up, per unit and day.

Importing keys each row by unit, day, hour and source: importing the same file again, or a
corrected one, replaces those rows and never adds to them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.config import get_settings
from ils.db import lock_keys
from ils.errors import Forbidden, InvalidInput, NotFound
from ils.events import local_day, record_event
from ils.network.snapshot import UnitInfo, network, unit_by_code
from reports.entries import repository as repo
from reports.entries.gatefile import GateFile, RowIssue, parse
from reports.entries.models import VisitCount

MAX_PERIOD_DAYS = 400
FILE_NAME_CHARS = 200


# ---- importing a gate counter's file --------------------------------------------------------------

@dataclass
class ImportResult:
    file_name: str
    encoding: str
    lines: int  # data lines read
    imported: int  # rows kept: new ones plus replaced ones
    replaced: int  # of which replaced a row of an earlier import
    rejected: int
    issues: list[RowIssue] = field(default_factory=list)  # the first ILS_IMPORT_MAX_ISSUES bad rows
    units: list[str] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def issues_truncated(self) -> bool:
        return self.rejected > len(self.issues)


def _check_all(session: Session, principal: Principal, units: Collection[UnitInfo]) -> None:
    """Every unit of the file must be one the principal enters figures for; otherwise the whole file
    is refused, naming them all, and nothing is written (a file of other units' counts is not
    a file with some bad rows)."""
    outside: list[str] = []
    for unit in units:
        try:
            gate.check(session, principal, "stats.enter", unit=unit.id)
        except Forbidden:
            outside.append(unit.code)
    if outside:
        raise Forbidden("UNIT_OUT_OF_SCOPE", f"{principal.label} may not enter visits of {', '.join(outside)}: "
                        f"the file is refused and nothing of it was imported",
                        extra={"operation": "stats.enter", "units": outside})


def import_visits(session: Session, data: bytes, file_name: str, principal: Principal, now: datetime) -> ImportResult:
    """Import a gate counter's CSV (see ``reports.entries.gatefile`` for the format): every good row
    kept, replacing the row of an earlier import with the same unit, day and hour; every bad row
    reported with its line, code and reason."""
    gate.permit(principal, "stats.enter")
    snapshot = network(session)
    parsed: GateFile = parse(data, snapshot.by_code, local_day(now), max_issues=get_settings().import_max_issues)
    units = {row.unit: snapshot.by_code[row.unit] for row in parsed.rows}
    _check_all(session, principal, units.values())
    name = (file_name or "upload")[-FILE_NAME_CHARS:]
    result = ImportResult(name, parsed.encoding, parsed.lines, len(parsed.rows), 0, parsed.rejected,
                          parsed.issues, sorted(units))
    if not parsed.rows:
        return result
    result.first_day = min(row.day for row in parsed.rows)
    result.last_day = max(row.day for row in parsed.rows)
    ids = [u.id for u in units.values()]
    before = repo.existing_import_keys(session, ids, result.first_day, result.last_day)
    rows = [{"unit_id": units[r.unit].id, "day": r.day, "hour": r.hour, "source": "import", "in_count": r.in_count,
             "out_count": r.out_count, "both_count": r.both_count, "file_name": name, "note": None,
             "entered_at": now, "entered_by": principal.label} for r in parsed.rows]
    result.replaced = sum((row["unit_id"], row["day"], row["hour"]) in before for row in rows)
    repo.upsert_imported(session, rows)
    record_event(session, "visit.import", f"visits:{name}"[:100], actor=principal.label, now=now,
                 unit_code=result.units[0] if len(result.units) == 1 else None,
                 after={"file": name, "lines": result.lines, "imported": result.imported,
                        "replaced": result.replaced, "rejected": result.rejected, "units": result.units,
                        "from": result.first_day.isoformat(), "to": result.last_day.isoformat()})
    return result


# ---- a day entered by hand ----------------------------------------------------------------------

def _day(day: date, now: datetime) -> date:
    if day > local_day(now):
        raise InvalidInput("VISIT_DATE_INVALID", f"{day} is in the future")
    return day


def _entry(entry: VisitCount | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"in": entry.in_count, "out": entry.out_count, "note": entry.note, "entered_by": entry.entered_by,
            "entered_at": entry.entered_at.isoformat()}


def enter_day(session: Session, unit_code: str, day: date, in_count: int, out_count: int | None, note: str | None,
              principal: Principal, now: datetime) -> VisitCount:
    """A unit's visits on a day, counted at the desk (a point with no counter, or a day the counter
    failed): they count for that day instead of anything imported. Entering the day again
    replaces the entry; the event log keeps the one before."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.enter", unit=unit.id)
    _day(day, now)
    lock_keys(session, "visits", [f"{unit.id}:{day}"])  # two desks entering the same day: one row
    entry = repo.manual_entry(session, unit.id, day, lock=True)
    before = _entry(entry)
    if entry is None:
        entry = VisitCount(unit_id=unit.id, day=day, hour=None, source="manual")
        session.add(entry)
    entry.in_count, entry.out_count, entry.both_count = in_count, out_count, None
    entry.note = (note or "").strip() or None
    entry.entered_at, entry.entered_by = now, principal.label
    session.flush()
    record_event(session, "visit.set", f"visits:{unit.code}:{day}", actor=principal.label, now=now,
                 unit_code=unit.code, before=before, after=_entry(entry))
    return entry


def clear_day(session: Session, unit_code: str, day: date, principal: Principal, now: datetime) -> None:
    """Remove a day's manual entry: what the counter imported for it counts again."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.enter", unit=unit.id)
    entry = repo.manual_entry(session, unit.id, day, lock=True)
    if entry is None:
        raise NotFound("VISIT_ENTRY_NOT_FOUND", f"{unit.code} has no manual entry for {day}")
    before = _entry(entry)
    repo.delete_entry(session, entry)
    record_event(session, "visit.cleared", f"visits:{unit.code}:{day}", actor=principal.label, now=now,
                 unit_code=unit.code, before=before)


# ---- reading -------------------------------------------------------------------------------------

def period(start: date | None, end: date | None, now: datetime) -> tuple[date, date]:
    """A period given by its days (both included); by default the 31 days up to today."""
    end = end or local_day(now)
    if start is None:
        start = end - timedelta(days=30) if end - date.min > timedelta(days=30) else date.min
    if end < start or (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput("VISIT_PERIOD_INVALID", f"from {start} to {end} is not a period of 1 to "
                           f"{MAX_PERIOD_DAYS} days")
    return start, end


@dataclass(frozen=True)
class DayVisits:
    day: date
    visits: int
    counted: str  # manual | import_day | import_hours: what the day's visits are counted from
    manual: int | None
    imported_day: int | None  # the daily total's in-count (or half its both-ways total)
    imported_hours: int | None  # the hours summed by the same rule
    hours: int  # imported hourly rows
    out: int | None  # the out-count of what is counted, for reference


def _half_up(n: int | None) -> int:
    return ((n or 0) + 1) // 2


def days(session: Session, unit_code: str, start: date | None, end: date | None, principal: Principal,
         now: datetime) -> tuple[UnitInfo, date, date, list[DayVisits]]:
    """A unit's days with a count over a period, each with its visits and what they were counted from."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=unit.id)
    start, end = period(start, end, now)
    found = []
    for row in repo.visit_days(session, [unit.id], start, end):
        imported_day = row.day_in if row.day_in is not None else \
            _half_up(row.day_both) if row.day_both is not None else None
        hours = (row.hour_in or 0) + _half_up(row.hour_both) if row.hour_rows else None
        out = {"manual": row.manual_out, "import_day": row.day_out}.get(row.counted, row.hour_out)
        found.append(DayVisits(row.day, row.visits, row.counted, row.manual_in, imported_day, hours, row.hour_rows,
                               out))
    return unit, start, end, found


def entries(session: Session, unit_code: str, day: date, principal: Principal) -> list[VisitCount]:
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=unit.id)
    return list(repo.entries_of(session, unit.id, day))


# ---- for reports ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitTotal:
    visits: int  # 到馆人次, by the rule above
    days: int  # days with a count: a figure over fewer days than the unit was open may be incomplete


def visit_totals(session: Session, unit_ids: Collection[int], start: date, end: date) -> dict[int, VisitTotal]:
    """Visits per unit from ``start`` to ``end`` (both days included), by the rule of this module;
    units with no count in the period are absent (no figure, not zero)."""
    ids = list(dict.fromkeys(unit_ids))
    return {u: VisitTotal(v, n) for u, (v, n) in repo.visit_totals(session, ids, start, end).items()}


def visits_by_day(session: Session, unit_ids: Collection[int], start: date, end: date) -> dict[int, dict[date, int]]:
    """Visits per unit and day (for charts over months), by the same rule."""
    found: dict[int, dict[date, int]] = {}
    for row in repo.visit_days(session, list(dict.fromkeys(unit_ids)), start, end):
        found.setdefault(row.unit_id, {})[row.day] = row.visits
    return found


__all__ = ["DayVisits", "ImportResult", "VisitTotal", "clear_day", "days", "enter_day", "entries",
           "import_visits", "period", "visit_totals", "visits_by_day"]

"""The annual service report (服务统计年报): a unit's year, laid out like the national table.

A report is for a unit and a year: one sheet for the roll-up (the unit with every unit below
it) and one for each unit of the tree on its own, so a 总馆 files its system and every branch
and point in one go. Each line of the table is either a figure the system computes
(``reports.figures``, counted where it happened: the desk that lent, the unit that issued the
card; stock at its owning unit) or a field entered by hand (``reports.entries.fields``: staff,
floor area, money …), summed over the units of a roll-up. A line with nothing behind it is
blank and flagged, never shown as 0.

States: draft (no row yet, or a row reopened: the figures are live) → submitted (the sheets are
kept as they were at that moment; later loans, withdrawals or entries do not change them, and
the report shows where the live figures now differ) → reopened with a reason → submitted again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict, InvalidInput
from ils.events import record_event
from ils.network.snapshot import UnitInfo, network, unit_by_code
from ils.states import StateMachine
from reports import repository as repo
from reports.entries import repository as entries
from reports.entries.fields import FIELDS, from_stored
from reports.figures import FIGURES
from reports.models import AnnualReport
from reports.service import Period, compute, subtree

Source = Literal["figure", "field", "population"]
REPORT_STATES = StateMachine("annual_report", {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"reopened"}),
    "reopened": frozenset({"submitted"}),
})


@dataclass(frozen=True)
class Line:
    code: str
    zh: str
    en: str
    unit_zh: str
    source: Source
    ref: str  # the figure or field code


@dataclass(frozen=True)
class Section:
    zh: str
    en: str
    lines: tuple[Line, ...]


def _figure(code: str, zh: str | None = None) -> Line:
    f = FIGURES[code]
    return Line(code, zh or f.name_zh, f.name_en, f.unit_zh, "figure", code)


def _field(code: str) -> Line:
    f = FIELDS[code]
    return Line(code, f.zh, f.en, f.unit_zh, "field", code)


def _fields(group: str) -> tuple[Line, ...]:
    return tuple(_field(code) for code, f in FIELDS.items() if f.group == group)


SECTIONS: tuple[Section, ...] = (
    Section("一、基本情况", "General", (
        Line("population", "服务人口", "Population served", "人", "population", "population"),
        _figure("opening_hours"),
        *_fields("staff"), *_fields("premises"))),
    Section("二、文献资源", "Collections", (
        _figure("holdings"), _figure("holdings_added"), _figure("holdings_withdrawn"), _figure("holdings_value"),
        _figure("holdings_unpriced"), *_fields("collection"))),
    Section("三、读者服务", "Services", (
        _figure("valid_cards"), _figure("cards_issued"), _figure("loans", "书刊文献外借册次"), _figure("renewals"),
        _figure("borrowing_readers"), _figure("active_readers"), _figure("returns"), _figure("returns_away"),
        _figure("holds_placed"), _figure("holds_filled"), _figure("transits_sent"), _figure("visits"))),
    Section("四、读者活动", "Reader activities", (
        _figure("activities"), _figure("activity_attendance"), _figure("outreach_activities"))),
    Section("五、经费", "Finance", (*_fields("income"), *_fields("expenditure"))),
    Section("六、人均与比率", "Per capita and rates", (
        _figure("holdings_per_capita"), _figure("added_per_capita"), _figure("loans_per_capita"),
        _figure("visits_per_capita"),
        _figure("circulation_rate"))),
)
LINES: dict[str, Line] = {line.code: line for section in SECTIONS for line in section.lines}

Value = int | float | str | None  # str: a decimal field, kept exactly


@dataclass
class Sheet:
    unit: str
    name: str
    level: str
    scope: Literal["total", "own"]  # the unit with every unit below it, or the unit alone
    values: dict[str, Value]

    @property
    def blanks(self) -> list[str]:
        return [code for code, value in self.values.items() if value is None]

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name, "level": self.level, "scope": self.scope, "values": self.values}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        return cls(data["unit"], data["name"], data["level"], data["scope"], dict(data["values"]))


@dataclass(frozen=True)
class Difference:
    unit: str
    scope: str
    line: str
    submitted: Value
    live: Value


@dataclass
class Report:
    unit: str
    name: str
    year: int
    state: str
    sheets: list[Sheet]
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    reopened_at: datetime | None = None
    reopened_by: str | None = None
    reopen_reason: str | None = None
    differences: list[Difference] = field(default_factory=list)  # submitted vs live, when submitted

    @property
    def blanks(self) -> dict[str, list[str]]:
        return {f"{s.unit}:{s.scope}": s.blanks for s in self.sheets if s.blanks}


def _year(year: int) -> Period:
    if not 1900 <= year <= 2200:
        raise InvalidInput("YEAR_INVALID", f"year {year} is out of range")
    return Period(date(year, 1, 1), date(year, 12, 31), str(year))


def live_sheets(session: Session, root: UnitInfo, year: int) -> list[Sheet]:
    """The sheets as the live data give them now."""
    figures = compute(session, root, _year(year), "happened")
    units = subtree(network(session), root)
    members = {u.id: [m.id for m in subtree(network(session), u)] for u in units}
    stored: dict[int, dict[str, int]] = {}
    for row in entries.annual_fields(session, [u.id for u in units], year):
        stored.setdefault(row.unit_id, {})[row.field_code] = row.value
    sheets: list[Sheet] = []
    for row, unit in zip(figures.rows, units, strict=True):
        for scope in ("total", "own") if row.has_children else ("total",):
            values = row.total if scope == "total" else row.own
            ids = members[unit.id] if scope == "total" else [unit.id]
            sheet: dict[str, Value] = {}
            for code, line in LINES.items():
                if line.source == "figure":
                    sheet[code] = values.get(line.ref)
                elif line.source == "population":
                    sheet[code] = row.total_population if scope == "total" else row.population
                else:
                    entered = [stored[i][line.ref] for i in ids if line.ref in stored.get(i, {})]
                    sheet[code] = _field_value(line.ref, sum(entered)) if entered else None
            sheets.append(Sheet(unit.code, unit.name, unit.level, scope, sheet))  # type: ignore[arg-type]
    return sheets


def _field_value(code: str, stored: int) -> Value:
    value = from_stored(FIELDS[code], stored)
    return str(value) if isinstance(value, Decimal) else value


def _differences(submitted: list[Sheet], live: list[Sheet]) -> list[Difference]:
    now = {(s.unit, s.scope): s for s in live}
    found = []
    for sheet in submitted:
        current = now.get((sheet.unit, sheet.scope))
        for code, value in sheet.values.items():
            live_value = current.values.get(code) if current is not None else None
            if live_value != value:
                found.append(Difference(sheet.unit, sheet.scope, code, value, live_value))
    return found


def _load(session: Session, principal: Principal, unit_code: str, op: str) -> UnitInfo:
    root = unit_by_code(session, unit_code)
    gate.check(session, principal, op, unit=root.id)
    return root


def annual(session: Session, principal: Principal, unit_code: str, year: int) -> Report:
    root = _load(session, principal, unit_code, "stats.read")
    row = repo.annual_report(session, root.id, year)
    live = live_sheets(session, root, year)
    if row is None or row.status != "submitted":
        report = Report(root.code, root.name, year, row.status if row is not None else "draft", live)
    else:
        kept = [Sheet.from_json(s) for s in row.sheets]
        report = Report(root.code, root.name, year, "submitted", kept, differences=_differences(kept, live))
    if row is not None:
        report.submitted_at, report.submitted_by = row.submitted_at, row.submitted_by
        report.reopened_at, report.reopened_by, report.reopen_reason = row.reopened_at, row.reopened_by, row.reopen_reason
    return report


def submit(session: Session, principal: Principal, unit_code: str, year: int, now: datetime, *,
           accept_blanks: bool = False) -> Report:
    """Freeze the report as it stands. Blank lines are refused (ANNUAL_REPORT_INCOMPLETE, naming
    them) unless the submitter accepts them: some units have no computers or no income of a kind."""
    root = _load(session, principal, unit_code, "report.submit")
    row = repo.annual_report(session, root.id, year, lock=True)
    if row is None:
        row = repo.add_annual_report(session, AnnualReport(unit_id=root.id, year=year, status="draft", sheets=[],
                                                           updated_at=now))
    REPORT_STATES.move(row, "submitted")
    sheets = live_sheets(session, root, year)
    blanks = {f"{s.unit}:{s.scope}": s.blanks for s in sheets if s.blanks}
    if blanks and not accept_blanks:
        raise Conflict("ANNUAL_REPORT_INCOMPLETE", f"{sum(map(len, blanks.values()))} lines are blank; fill them in or "
                                                   "submit accepting the blanks", extra={"blanks": blanks})
    row.sheets = [s.to_json() for s in sheets]
    row.submitted_at, row.submitted_by, row.updated_at = now, principal.label, now
    record_event(session, "annual_report.submitted", f"annual_report:{root.code}:{year}", actor=principal.label,
                 now=now, unit_code=root.code, after={"year": year, "blank_lines": sum(map(len, blanks.values()))})
    session.flush()
    return annual(session, principal, unit_code, year)


def reopen(session: Session, principal: Principal, unit_code: str, year: int, reason: str, now: datetime) -> Report:
    root = _load(session, principal, unit_code, "report.submit")
    if not reason.strip():
        raise InvalidInput("REASON_REQUIRED", "say why the report is reopened")
    row = repo.annual_report(session, root.id, year, lock=True)
    if row is None:
        raise Conflict("ANNUAL_REPORT_NOT_SUBMITTED", f"the {year} report of {root.code} has not been submitted")
    REPORT_STATES.move(row, "reopened")
    row.reopened_at, row.reopened_by, row.reopen_reason, row.updated_at = now, principal.label, reason.strip(), now
    record_event(session, "annual_report.reopened", f"annual_report:{root.code}:{year}", actor=principal.label,
                 now=now, unit_code=root.code, before={"submitted_at": row.submitted_at.isoformat()
                                                       if row.submitted_at else None},
                 after={"year": year, "reason": row.reopen_reason})
    session.flush()
    return annual(session, principal, unit_code, year)

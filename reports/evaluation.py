"""The yearly evaluation (绩效考核): every unit of a system against the county's indicators.

An indicator is a figure of ``reports.figures`` and a target per unit level. The defaults are
the county plans' (``DEFAULT_TARGETS``); a system may set its own (``indicator_target`` rows,
``PUT /api/v1/reports/targets``). A unit is judged on its roll-up (a branch with its points)
for the year: **met** at or above the target, **near** within ``NEAR`` of it, **missed** below,
and **none** where the figure cannot be computed (no population set) — never counted as missed.
Units are ranked by the share of their indicators met, then near; the trend is the same figure
for each of the last five years. A manager of the system sees every unit; a branch librarian
asking for their system sees their own units, with their rank among all of the system's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Forbidden, InvalidInput
from ils.events import record_event
from ils.network.snapshot import UnitInfo, network, unit_by_code
from reports import repository as repo
from reports.figures import FIGURES
from reports.service import Period, compute, subtree

Status = Literal["met", "near", "missed", "none"]
NEAR = 0.9  # at 90 % of the target or more: near
TREND_YEARS = 5
LEVELS = ("main", "branch", "service_point")


@dataclass(frozen=True)
class Indicator:
    code: str  # a figure code
    targets: dict[str, float]  # unit level -> target (levels not named are not judged on it)


# The county plans' defaults: holdings per capita >= 0.6, new copies per capita >= 0.04 a year,
# circulation rate >= 0.6 a year, visits per capita >= 0.4 a year, opening >= 57 / 48 / 40 hours a
# week for 总馆 / 分馆 / 服务点, and the 总馆's activities at its branches and points >= 30 a year.
DEFAULT_TARGETS: dict[str, dict[str, float]] = {
    "holdings_per_capita": {"main": 0.6, "branch": 0.6, "service_point": 0.6},
    "added_per_capita": {"main": 0.04, "branch": 0.04, "service_point": 0.04},
    "circulation_rate": {"main": 0.6, "branch": 0.6, "service_point": 0.6},
    "visits_per_capita": {"main": 0.4, "branch": 0.4, "service_point": 0.4},
    "opening_hours": {"main": 57, "branch": 48, "service_point": 40},
    "outreach_activities": {"main": 30},
}


def targets(session: Session, system: UnitInfo) -> dict[str, dict[str, float]]:
    found = {code: dict(levels) for code, levels in DEFAULT_TARGETS.items()}
    for row in repo.indicator_targets(session, system.id):
        found.setdefault(row.indicator, {})[row.level] = row.target / 10_000
    return found


@dataclass(frozen=True)
class Judgement:
    indicator: str
    value: float | None
    target: float
    status: Status
    trend: list[tuple[int, float | None]]  # (year, value), oldest first


@dataclass
class UnitEvaluation:
    code: str
    name: str
    level: str
    parent: str | None
    judgements: list[Judgement] = field(default_factory=list)
    rank: int = 0

    @property
    def met(self) -> int:
        return sum(j.status == "met" for j in self.judgements)

    @property
    def near(self) -> int:
        return sum(j.status == "near" for j in self.judgements)

    @property
    def judged(self) -> int:
        return sum(j.status != "none" for j in self.judgements)

    @property
    def score(self) -> float:
        return (self.met + 0.5 * self.near) / self.judged if self.judged else 0.0


@dataclass
class Evaluation:
    system: str
    name: str
    year: int
    targets: dict[str, dict[str, float]]
    units: list[UnitEvaluation]


def judge(value: float | None, target: float) -> Status:
    if value is None:
        return "none"
    if value >= target:
        return "met"
    return "near" if value >= NEAR * target else "missed"


def _system(session: Session, code: str) -> UnitInfo:
    unit = unit_by_code(session, code)
    if unit.level != "main":
        raise InvalidInput("SYSTEM_REQUIRED", f"{code} is not a 总馆: evaluate a system by its 总馆's code")
    return unit


def evaluate(session: Session, principal: Principal, system_code: str, year: int) -> Evaluation:
    system = _system(session, system_code)
    if not 1900 <= year <= 2200:
        raise InvalidInput("YEAR_INVALID", f"year {year} is out of range")
    units = [u for u in subtree(network(session), system) if u.level in LEVELS]
    shown = {u.code for u in _readable(session, principal, units)}
    goals = targets(session, system)
    years = list(range(year - TREND_YEARS + 1, year + 1))
    per_year = {y: {row.code: row.total for row in compute(session, system, Period(date(y, 1, 1), date(y, 12, 31),
                                                                                  str(y)), "happened").rows}
                for y in years}
    codes = {u.id: u.code for u in network(session).units.values()}
    found: list[UnitEvaluation] = []
    for unit in units:
        evaluation = UnitEvaluation(unit.code, unit.name, unit.level, codes.get(unit.parent_id or 0))
        for indicator, levels in goals.items():
            if unit.level not in levels:
                continue
            trend = [(y, _number(per_year[y][unit.code].get(indicator))) for y in years]
            value = trend[-1][1]
            evaluation.judgements.append(Judgement(indicator, value, levels[unit.level],
                                                   judge(value, levels[unit.level]), trend))
        found.append(evaluation)
    ranked = sorted(found, key=lambda e: (-e.score, -e.met, e.code))
    for position, evaluation in enumerate(ranked, start=1):
        evaluation.rank = position
    return Evaluation(system.code, system.name, year, goals, [e for e in ranked if e.code in shown])


def _readable(session: Session, principal: Principal, units: list[UnitInfo]) -> list[UnitInfo]:
    """The units of the system the principal may read statistics of: a manager of the system all,
    a branch librarian their own (ranked among the whole system, as the county publishes it);
    none at all is the gate's refusal for the system's 总馆."""
    found = []
    for unit in units:
        try:
            gate.check(session, principal, "stats.read", unit=unit.id)
        except Forbidden:
            continue
        found.append(unit)
    if not found:
        gate.check(session, principal, "stats.read", unit=units[0].id)
    return found


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def set_target(session: Session, principal: Principal, system_code: str, indicator: str, level: str,
               target: float, now: datetime) -> dict[str, dict[str, float]]:
    """A system's own target for an indicator at a unit level (kept to 4 decimals)."""
    system = _system(session, system_code)
    gate.check(session, principal, "report.submit", unit=system.id)
    if indicator not in FIGURES or FIGURES[indicator].kind not in ("ratio", "hours", "count"):
        raise InvalidInput("INDICATOR_UNKNOWN", f"{indicator!r} is not a figure that can be an indicator")
    if level not in LEVELS:
        raise InvalidInput("LEVEL_INVALID", f"level must be one of {', '.join(LEVELS)}")
    if not 0 <= target <= 100_000:
        raise InvalidInput("TARGET_INVALID", "a target is between 0 and 100000")
    before = targets(session, system).get(indicator, {}).get(level)
    repo.put_indicator_target(session, system.id, indicator, level, round(target * 10_000), principal.label, now)
    record_event(session, "indicator_target.set", f"system:{system.code}", actor=principal.label, now=now,
                 unit_code=system.code, before={"indicator": indicator, "level": level, "target": before},
                 after={"indicator": indicator, "level": level, "target": target})
    return targets(session, system)

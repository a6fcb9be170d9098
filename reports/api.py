"""Routes of the statistics (统计)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ils.auth.principal import Principal
from ils.http import Now, ReadSession, allows
from reports import service
from reports.figures import FIGURES
from reports.schemas import FigureDefinition, FiguresRead, PeriodRead, UnitFiguresRead

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
StatsReader = Annotated[Principal, allows("stats.read")]


def definitions(counted_by: dict[str, str] | None = None) -> list[FigureDefinition]:
    return [FigureDefinition(code=f.code, name_zh=f.name_zh, name_en=f.name_en, unit_zh=f.unit_zh, unit_en=f.unit_en,
                             definition_zh=f.definition_zh, definition_en=f.definition_en, how=f.how, kind=f.kind,
                             additive=f.additive, attributions=list(f.attributions),
                             counted_by=(counted_by or {}).get(f.code))  # type: ignore[arg-type]
            for f in FIGURES.values()]


@router.get("/definitions", response_model=list[FigureDefinition])
def get_definitions(_: StatsReader) -> list[FigureDefinition]:
    """Every figure: its code, names, definition (after GB/T 13191 / ISO 2789), unit and how it is counted."""
    return definitions()


def read_figures(report: service.FiguresReport) -> FiguresRead:
    return FiguresRead(
        unit=report.unit, period=PeriodRead(label=report.period.label, first_day=report.period.first_day,
                                            last_day=report.period.last_day),
        by=report.by, total=report.total,
        units=[UnitFiguresRead(code=r.code, name=r.name, level=r.level, parent=r.parent, depth=r.depth,
                               population=r.population, total_population=r.total_population,
                               has_children=r.has_children, own=r.own, total=r.total) for r in report.rows],
        figures=definitions(report.counted_by), not_computable=report.not_computable)


@router.get("/figures", response_model=FiguresRead)
def get_figures(
    session: ReadSession, principal: StatsReader, now: Now,
    unit: Annotated[str, Query(max_length=32, description="A unit code: the unit and every unit below it")],
    period: Annotated[str | None, Query(max_length=10, description="2026, 2026-Q3, 2026-07 or 2026-07-15")] = None,
    from_: Annotated[date | None, Query(alias="from", description="First day (with to)")] = None,
    to: Annotated[date | None, Query(description="Last day (with from)")] = None,
    by: Annotated[Literal["happened", "owner", "home"], Query(
        description="Credit loans, renewals and returns to the unit where they happened, the copy's owning unit "
                    "or the reader's home unit")] = "happened",
) -> FiguresRead:
    """The figures of a unit and every unit below it for a period (by default this year so far)."""
    from ils.events import local_day

    chosen = service.parse_period(period, from_, to, local_day(now))
    return read_figures(service.figures(session, principal, unit, chosen, by, now))

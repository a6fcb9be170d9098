"""Routes of the statistics (统计)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ils.auth.principal import Principal
from ils.http import Now, ReadSession, WriteSession, allows
from reports import annual, assets, evaluation, service, xlsx
from reports.figures import FIGURES
from reports.schemas import (
    AnnualLineRead,
    AnnualReopen,
    AnnualReportRead,
    AnnualSectionRead,
    AnnualSheetRead,
    AnnualSubmit,
    AssetReportRead,
    AssetRowRead,
    DifferenceRead,
    EvaluationRead,
    FigureDefinition,
    FiguresRead,
    JudgementRead,
    PeriodRead,
    StockRead,
    TargetWrite,
    UnitEvaluationRead,
    UnitFiguresRead,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
StatsReader = Annotated[Principal, allows("stats.read")]
Submitter = Annotated[Principal, allows("report.submit")]


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


# ---- the annual service report ---------------------------------------------------------------

def read_annual(report: annual.Report) -> AnnualReportRead:
    return AnnualReportRead(
        unit=report.unit, name=report.name, year=report.year, state=report.state,
        submitted_at=report.submitted_at, submitted_by=report.submitted_by, reopened_at=report.reopened_at,
        reopened_by=report.reopened_by, reopen_reason=report.reopen_reason,
        sections=[AnnualSectionRead(zh=s.zh, en=s.en, lines=[
            AnnualLineRead(code=line.code, zh=line.zh, en=line.en, unit_zh=line.unit_zh, source=line.source)
            for line in s.lines]) for s in annual.SECTIONS],
        sheets=[AnnualSheetRead(unit=s.unit, name=s.name, level=s.level, scope=s.scope, values=s.values,
                                blanks=s.blanks) for s in report.sheets],
        blanks=report.blanks,
        differences=[DifferenceRead(unit=d.unit, scope=d.scope, line=d.line, submitted=d.submitted, live=d.live)
                     for d in report.differences])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/annual", response_model=None, responses={200: {
    "description": "The report as JSON (AnnualReportRead), XLSX (a sheet per unit, laid out like the national table) "
                   "or CSV (one row per sheet and line)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnnualReportRead"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}}}}})
def get_annual(
    session: ReadSession, principal: StatsReader,
    unit: Annotated[str, Query(max_length=32)],
    year: Annotated[int, Query(ge=1900, le=2200)],
    format: Annotated[Literal["json", "xlsx", "csv"], Query()] = "json",
) -> AnnualReportRead | Response:
    """The annual service report (服务统计年报) of a unit and every unit below it: live while a draft,
    as submitted once submitted (with the differences from the live figures)."""
    report = annual.annual(session, principal, unit, year)
    if format == "xlsx":
        return Response(xlsx.workbook(report), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="annual-{report.unit}-{year}.xlsx"'})
    if format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(xlsx.csv_rows(report))
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="annual-{report.unit}-{year}.csv"'})
    return read_annual(report)


@router.post("/annual/submit", response_model=AnnualReportRead)
def submit_annual(body: AnnualSubmit, session: WriteSession, principal: Submitter, now: Now) -> AnnualReportRead:
    """Submit the report: its figures are frozen as they are now. Blank lines are refused with
    409 ANNUAL_REPORT_INCOMPLETE (naming them) unless ``accept_blanks``."""
    return read_annual(annual.submit(session, principal, body.unit, body.year, now, accept_blanks=body.accept_blanks))


@router.post("/annual/reopen", response_model=AnnualReportRead)
def reopen_annual(body: AnnualReopen, session: WriteSession, principal: Submitter, now: Now) -> AnnualReportRead:
    """Reopen a submitted report, with a reason: it is live again until submitted anew."""
    return read_annual(annual.reopen(session, principal, body.unit, body.year, body.reason, now))


# ---- the evaluation ---------------------------------------------------------------------------

def read_evaluation(found: evaluation.Evaluation) -> EvaluationRead:
    return EvaluationRead(system=found.system, name=found.name, year=found.year, targets=found.targets, units=[
        UnitEvaluationRead(code=u.code, name=u.name, level=u.level, parent=u.parent, rank=u.rank, met=u.met,
                           near=u.near, judged=u.judged, score=round(u.score, 4), judgements=[
                               JudgementRead(indicator=j.indicator, value=j.value, target=j.target, status=j.status,
                                             trend=j.trend) for j in u.judgements])
        for u in found.units])


@router.get("/evaluation", response_model=None, responses={200: {
    "description": "The evaluation as JSON (EvaluationRead) or XLSX",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EvaluationRead"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def get_evaluation(
    session: ReadSession, principal: StatsReader,
    system: Annotated[str, Query(max_length=32, description="The 总馆's code")],
    year: Annotated[int, Query(ge=1900, le=2200)],
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
) -> EvaluationRead | Response:
    """Every 总馆, branch and point of a system against the indicators (绩效考核): met / near / missed,
    the figure and the target, a ranking, and each figure over the last five years."""
    found = evaluation.evaluate(session, principal, system, year)
    if format == "xlsx":
        return Response(xlsx.evaluation_workbook(found), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="evaluation-{found.system}-{year}.xlsx"'})
    return read_evaluation(found)


@router.put("/targets", response_model=dict[str, dict[str, float]])
def put_target(body: TargetWrite, session: WriteSession, principal: Submitter, now: Now) -> dict[str, dict[str, float]]:
    """Set a system's own target for an indicator at a unit level (main, branch, service_point)."""
    return evaluation.set_target(session, principal, body.system, body.indicator, body.level, body.target, now)


# ---- the asset report ---------------------------------------------------------------------------

def _stock(stock: assets.Stock) -> StockRead:
    return StockRead(copies=stock.copies, value_fen=stock.value_fen, unpriced=stock.unpriced)


def read_assets(report: assets.AssetReport) -> AssetReportRead:
    return AssetReportRead(unit=report.unit, name=report.name, year=report.year, rows=[
        AssetRowRead(code=r.code, name=r.name, level=r.level, depth=r.depth, scope=r.scope, start=_stock(r.start),
                     added=_stock(r.added), weeded=_stock(r.weeded), lost=_stock(r.lost), end=_stock(r.end),
                     balanced=r.balanced) for r in report.rows])


@router.get("/assets", response_model=None, responses={200: {
    "description": "The asset report as JSON (AssetReportRead) or XLSX",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AssetReportRead"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def get_assets(
    session: ReadSession, principal: StatsReader,
    unit: Annotated[str, Query(max_length=32)],
    year: Annotated[int, Query(ge=1900, le=2200)],
    format: Annotated[Literal["json", "xlsx"], Query()] = "json",
) -> AssetReportRead | Response:
    """The asset report (资产统计年报) of a unit and every unit below it: holdings and their value on
    1 January, copies added, weeded and written off after a loss, and holdings at the year's end."""
    report = assets.assets(session, principal, unit, year)
    if format == "xlsx":
        return Response(xlsx.assets_workbook(report), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="assets-{report.unit}-{year}.xlsx"'})
    return read_assets(report)

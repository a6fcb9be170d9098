"""Routes of the entered figures: visits (gate counter files, a day entered at the desk) and the
annual fields of a unit."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from ils import upload
from ils.auth.principal import Principal
from ils.errors import DomainError
from ils.http import Now, ReadSession, WriteSession, allows
from reports.entries import annual, visits
from reports.entries.fields import FIELDS
from reports.entries.schemas import (
    AnnualFieldRead,
    AnnualFieldsRead,
    AnnualFieldsWrite,
    VisitDayRead,
    VisitDaysRead,
    VisitEntry,
    VisitImportRead,
    VisitIssue,
    VisitRowRead,
)

router = APIRouter(prefix="/api/v1", tags=["statistics entries"])
StatsReader = Annotated[Principal, allows("stats.read")]
StatsEntry = Annotated[Principal, allows("stats.enter")]
UnitCode = Annotated[str, Query(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$", description="A unit's code")]
Year = Annotated[int, Query(ge=1949, le=9999, description="A year from 1949 to the current one")]


def too_large(limit_mb: int) -> DomainError:
    return DomainError("VISIT_FILE_TOO_LARGE", f"the file is larger than {limit_mb} MB (ILS_MAX_UPLOAD_MB); import "
                       "it on the server with `ils import-visits`, or split it", http_status=413)


def import_read(result: visits.ImportResult) -> VisitImportRead:
    return VisitImportRead(
        file_name=result.file_name, encoding=result.encoding, lines=result.lines, imported=result.imported,
        replaced=result.replaced, rejected=result.rejected,
        issues=[VisitIssue(line=i.line, code=i.code, message=i.message) for i in result.issues],
        issues_truncated=result.issues_truncated, units=result.units, first_day=result.first_day,
        last_day=result.last_day)


def day_read(day: visits.DayVisits) -> VisitDayRead:
    return VisitDayRead(date=day.day, visits=day.visits, counted=day.counted,  # type: ignore[arg-type]
                        manual=day.manual, imported_day=day.imported_day, imported_hours=day.imported_hours, hours=day.hours, out=day.out)


@upload.post(router, "/visits/import", too_large, response_model=VisitImportRead, responses={
    413: {"description": "VISIT_FILE_TOO_LARGE: the file is over ILS_MAX_UPLOAD_MB (not read)"}})
def import_visits(
    session: WriteSession, now: Now, principal: StatsEntry,
    file: Annotated[UploadFile, File(description="A gate counter's CSV: unit,date,hour,in,out (see the README)")],
) -> VisitImportRead:
    """Import a gate counter's CSV of at most ILS_MAX_UPLOAD_MB: the header `unit,date,hour,in,out`
    (`hour` empty for a day's total; `both` instead of `in` for a counter that cannot tell in from
    out), UTF-8 with or without a BOM, or GBK.

    Every good row is kept, replacing the row of an earlier import with the same unit, day and
    hour (importing a file twice counts it once); every bad row is reported with its line, a
    stable code and the reason. Every unit of the file must be one the caller enters figures
    for, or the whole file is refused (403 UNIT_OUT_OF_SCOPE naming them) and nothing imported."""
    data = file.file.read()
    return import_read(visits.import_visits(session, data, file.filename or "upload.csv", principal, now))


@router.put("/visits", response_model=VisitDayRead)
def enter_visits(body: VisitEntry, session: WriteSession, now: Now, principal: StatsEntry) -> VisitDayRead:
    """Enter a unit's visits for a day by hand (a point with no counter, or a day the counter
    failed). The entry counts for that day instead of anything imported; entering the day again
    replaces it (the event log keeps the one before)."""
    visits.enter_day(session, body.unit, body.date, body.in_count, body.out_count, body.note, principal, now)
    _, _, _, found = visits.days(session, body.unit, body.date, body.date, principal, now)
    return day_read(found[0])


@router.delete("/visits", status_code=204)
def clear_visits(session: WriteSession, now: Now, principal: StatsEntry, unit: UnitCode,
                 date_: Annotated[date, Query(alias="date")]) -> None:
    """Remove a day's manual entry: what a counter's file gave for the day counts again."""
    visits.clear_day(session, unit, date_, principal, now)


@router.get("/visits", response_model=VisitDaysRead)
def list_visits(
    session: ReadSession, now: Now, principal: StatsReader, unit: UnitCode,
    from_: Annotated[date | None, Query(alias="from", description="First day (default: 30 days before `to`)")] = None,
    to: Annotated[date | None, Query(description="Last day, included (default: today)")] = None,
) -> VisitDaysRead:
    """A unit's visits per day over a period of up to 400 days: for each day with a count, the
    visits counted and what from — a manual entry wins, else the counter's daily total, else its
    hours summed; a row counts its in-count, or half its both-ways total."""
    found_unit, start, end, found = visits.days(session, unit, from_, to, principal, now)
    return VisitDaysRead(unit=found_unit.code, from_=start, to=end, visits=sum(d.visits for d in found),
                         days=[day_read(d) for d in found])


@router.get("/visits/rows", response_model=list[VisitRowRead])
def visit_rows(session: ReadSession, principal: StatsReader, unit: UnitCode,
               date_: Annotated[date, Query(alias="date")]) -> list[VisitRowRead]:
    """Every row kept for a unit's day — the manual entry, the imported total and hours — with who
    entered it, when, and from which file."""
    return [VisitRowRead.model_validate(row, from_attributes=True)
            for row in visits.entries(session, unit, date_, principal)]


def fields_read(unit: str, year: int, entered: dict[str, annual.Entered],
                previous: dict[str, int | str | None]) -> AnnualFieldsRead:
    rows = []
    for field in FIELDS.values():
        value = entered.get(field.code)
        rows.append(AnnualFieldRead(
            code=field.code, name_zh=field.zh, name_en=field.en, unit_zh=field.unit_zh, unit_en=field.unit_en,
            kind=field.kind, scale=field.scale, group=field.group, part_of=field.part_of,
            value=value.value if value else None, entered_at=value.entered_at if value else None,
            entered_by=value.entered_by if value else None, previous=previous.get(field.code)))
    return AnnualFieldsRead(unit=unit, year=year, fields=rows)


@router.get("/annual-fields", response_model=AnnualFieldsRead)
def get_annual_fields(session: ReadSession, now: Now, principal: StatsReader, unit: UnitCode,
                      year: Year) -> AnnualFieldsRead:
    """The fields of the national annual table the system cannot compute (staff, floor area, seats,
    computers, e-resources, periodicals, income and expenditure), for a unit and year: each with
    its value as entered (money in fen), who entered it and when, and its value before."""
    found, entered = annual.read(session, unit, year, principal, now)
    return fields_read(found.code, year, entered, annual.previous_values(session, found, year))


@router.put("/annual-fields", response_model=AnnualFieldsRead)
def put_annual_fields(body: AnnualFieldsWrite, session: WriteSession, now: Now, principal: StatsEntry,
                      unit: UnitCode, year: Year) -> AnnualFieldsRead:
    """Enter fields of the annual table for a unit and year; only the fields sent change (null
    blanks one). Each change keeps who and when, and appends an `annual_field.set` event with the
    value before. A part (其中) may not exceed its whole."""
    found, entered = annual.enter(session, unit, year, body.values, principal, now)
    return fields_read(found.code, year, entered, annual.previous_values(session, found, year))

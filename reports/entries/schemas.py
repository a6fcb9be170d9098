"""What the entry API reads and writes: visits and the annual fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count

UNIT_CODE = r"^[A-Z0-9][A-Z0-9-]{0,31}$"
Counted = Literal["manual", "import_day", "import_hours"]


class VisitIssue(BaseModel):
    line: int = Field(description="Line of the file (the header is line 1)", examples=[7])
    code: str = Field(examples=["VISIT_ROW_DATE_INVALID"])
    message: str = Field(examples=["'2026-13-01' is not a day of the calendar"])


class VisitImportRead(BaseModel):
    file_name: str
    encoding: str = Field(description="How the file was read: utf-8, utf-8-sig (with a BOM), utf-16 or gbk")
    lines: int = Field(description="Data lines read (not the header or empty lines)")
    imported: int = Field(description="Rows kept, new or replacing the same unit, day and hour of an earlier import")
    replaced: int = Field(description="Of those, rows that replaced an earlier import's")
    rejected: int = Field(description="Bad rows, every one counted")
    issues: list[VisitIssue] = Field(description="The bad rows (the first ILS_IMPORT_MAX_ISSUES)")
    issues_truncated: bool
    units: list[str] = Field(description="The units the good rows count for")
    first_day: date | None
    last_day: date | None


class VisitEntry(BaseModel):
    """A day's visits counted at the desk (for a point with no counter, or a day the counter
    failed): they count for that day instead of what a counter's file gave."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(pattern=UNIT_CODE, examples=["DC-TD-01"])
    date: date
    in_count: Count = Field(description="Visitors who came in that day (到馆人次)", examples=[86])
    out_count: Count | None = Field(default=None, description="Those who left, if counted (never added)")
    note: str | None = Field(default=None, max_length=500, examples=["门禁计数器故障，人工计数"])


class VisitRowRead(BaseModel):
    source: Literal["import", "manual"]
    hour: int | None = Field(description="0-23 (14: 14:00-14:59); null: the whole day")
    in_count: int | None
    out_count: int | None
    both_count: int | None = Field(description="A counter's both-ways total, given instead of in_count")
    file_name: str | None
    note: str | None
    entered_at: datetime
    entered_by: str


class VisitDayRead(BaseModel):
    date: date
    visits: int = Field(description="到馆人次 counted for the day, by the documented rule")
    counted: Counted = Field(description="What they were counted from: the manual entry, the imported daily total, "
                                         "or the imported hours summed")
    manual: int | None = Field(description="The manual entry's in-count")
    imported_day: int | None = Field(description="The imported daily total (its in-count, or half its both-ways total)")
    imported_hours: int | None = Field(description="The imported hours summed by the same rule")
    hours: int = Field(description="Imported hourly rows")
    out: int | None = Field(description="The out-count of what is counted (for reference; never added)")


class VisitDaysRead(BaseModel):
    unit: str
    from_: date = Field(alias="from")
    to: date
    visits: int = Field(description="The days' visits summed")
    days: list[VisitDayRead] = Field(description="Days with a count, oldest first")

    model_config = ConfigDict(populate_by_name=True)


class AnnualFieldRead(BaseModel):
    code: str = Field(examples=["floor_area"])
    name_zh: str = Field(examples=["实际使用房屋建筑面积"])
    name_en: str
    unit_zh: str = Field(examples=["平方米"])
    unit_en: str
    kind: Literal["int", "money", "decimal"] = Field(description="int; money in fen; decimal as a string")
    scale: int = Field(description="Decimals kept (a decimal field)")
    group: str
    part_of: str | None = Field(description="The field this one is part of (其中)")
    value: int | Decimal | None = Field(description="null: not entered (a blank the annual report flags)")
    entered_at: datetime | None
    entered_by: str | None
    previous: int | str | None = Field(description="The value before its latest change (null: blank or never "
                                                   "changed); every value is in the event log (annual_field.set)")


class AnnualFieldsRead(BaseModel):
    unit: str
    year: int
    fields: list[AnnualFieldRead]


class AnnualFieldsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, int | Decimal | None] = Field(
        description="Field code → value: a whole number (money in fen), a decimal (number or string) for m² and TB; "
                    "null blanks the field. Fields not sent stay as they are.",
        examples=[{"staff_established": 12, "floor_area": "2150.5", "income_fiscal": 186000000}])

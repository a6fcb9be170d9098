"""What the statistics API answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from reports.figures import Attribution, Kind


class FigureDefinition(BaseModel):
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    definition_zh: str
    definition_en: str
    how: str = Field(description="How this system counts it")
    kind: Kind
    additive: bool = Field(description="Whether the roll-up's figure is the sum of its units'")
    attributions: list[Attribution] = Field(description="The units the figure can be credited to")
    counted_by: Attribution | None = Field(None, description="How it was counted in this answer")


class PeriodRead(BaseModel):
    label: str
    first_day: date
    last_day: date


class UnitFiguresRead(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    depth: int = Field(description="0 for the unit asked about, 1 for the units right below it …")
    population: int | None = Field(description="The population served, as set on the unit")
    total_population: int | None = Field(description="The population of the roll-up (null: not known)")
    has_children: bool
    own: dict[str, int | float | None] = Field(description="What happened at or belongs to this unit alone")
    total: dict[str, int | float | None] = Field(description="This unit with every unit below it")


class FiguresRead(BaseModel):
    unit: str
    period: PeriodRead
    by: Attribution
    total: dict[str, int | float | None]
    units: list[UnitFiguresRead]
    figures: list[FigureDefinition]
    not_computable: dict[str, str] = Field(description='"UNIT:figure" of a null figure in a total, and why')


class AnnualLineRead(BaseModel):
    code: str
    zh: str
    en: str
    unit_zh: str
    source: str = Field(description="figure (computed), field (entered by hand) or population (set on the unit)")


class AnnualSectionRead(BaseModel):
    zh: str
    en: str
    lines: list[AnnualLineRead]


class AnnualSheetRead(BaseModel):
    unit: str
    name: str
    level: str
    scope: str = Field(description="total: the unit with every unit below it; own: the unit alone")
    values: dict[str, int | float | str | None] = Field(
        description="By line code; money in fen, decimals as strings, null where blank")
    blanks: list[str]


class DifferenceRead(BaseModel):
    unit: str
    scope: str
    line: str
    submitted: int | float | str | None
    live: int | float | str | None


class AnnualReportRead(BaseModel):
    unit: str
    name: str
    year: int
    state: str = Field(description="draft, submitted (frozen) or reopened")
    submitted_at: datetime | None
    submitted_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None
    sections: list[AnnualSectionRead]
    sheets: list[AnnualSheetRead]
    blanks: dict[str, list[str]] = Field(description='"UNIT:scope" -> blank lines')
    differences: list[DifferenceRead] = Field(description="Where the live figures now differ from the submitted ones")


class AnnualSubmit(BaseModel):
    unit: str = Field(max_length=32)
    year: int = Field(ge=1900, le=2200)
    accept_blanks: bool = Field(False, description="Submit although some lines are blank")


class AnnualReopen(BaseModel):
    unit: str = Field(max_length=32)
    year: int = Field(ge=1900, le=2200)
    reason: str = Field(min_length=1, max_length=500)


class JudgementRead(BaseModel):
    indicator: str
    value: float | None
    target: float
    status: str = Field(description="met, near (within 10 % of the target), missed, or none (not computable)")
    trend: list[tuple[int, float | None]] = Field(description="(year, value) for the last five years")


class UnitEvaluationRead(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    rank: int
    met: int
    near: int
    judged: int
    score: float = Field(description="(met + near / 2) / indicators judged")
    judgements: list[JudgementRead]


class EvaluationRead(BaseModel):
    system: str
    name: str
    year: int
    targets: dict[str, dict[str, float]] = Field(description="indicator -> unit level -> target")
    units: list[UnitEvaluationRead] = Field(description="Ranked, best first")


class TargetWrite(BaseModel):
    system: str = Field(max_length=32)
    indicator: str = Field(max_length=40)
    level: str = Field(max_length=20)
    target: float = Field(ge=0, le=100_000)


class StockRead(BaseModel):
    copies: int
    value_fen: int
    unpriced: int = Field(description="Copies without a price (not in value_fen)")


class AssetRowRead(BaseModel):
    code: str
    name: str
    level: str
    depth: int
    scope: str = Field(description="own: the unit alone; total: with every unit below it")
    start: StockRead = Field(description="Held on 1 January")
    added: StockRead
    weeded: StockRead = Field(description="Withdrawn from the shelf, damaged or in processing (剔旧)")
    lost: StockRead = Field(description="Withdrawn after a loss (from lost or missing)")
    end: StockRead = Field(description="Held at the end of the year")
    balanced: bool = Field(description="start + added - weeded - lost = end, in copies and in value")


class AssetReportRead(BaseModel):
    unit: str
    name: str
    year: int
    rows: list[AssetRowRead]

"""What the statistics API answers."""

from __future__ import annotations

from datetime import date

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

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count, unset_or

Level = Literal["center", "main", "branch", "service_point", "study_room", "mobile"]

HOURS_EXAMPLE = {
    "mon": [],
    "tue": ["09:00-12:00", "14:00-18:00"],
    "wed": ["09:00-12:00", "14:00-18:00"],
    "thu": ["09:00-12:00", "14:00-18:00"],
    "fri": ["09:00-12:00", "14:00-18:00"],
    "sat": ["09:00-17:00"],
    "sun": ["09:00-17:00"],
}


class MobileStop(BaseModel):
    name: str
    address: str | None = None
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    hours: str = Field(examples=["10:00-12:00"])


class UnitRead(BaseModel):
    code: str = Field(examples=["DC-TD"])
    name: str = Field(examples=["东川区图书馆铜都街道分馆"])
    level: Level
    parent: str | None = Field(examples=["DC"])
    system: str | None = Field(description="Code of the 总馆 whose system the unit belongs to.", examples=["DC"])
    population: int | None = None
    address: str | None = None
    phone: str | None = None
    hours: dict[str, list[str]] = Field(examples=[HOURS_EXAMPLE])
    hours_per_week: float
    closed_dates: list[date] = []
    stops: list[MobileStop] = []


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$", examples=["DC-TD-04"])
    name: str = Field(min_length=1, max_length=200, examples=["铜都街道新村社区服务点"])
    level: Level
    parent: str | None = Field(default=None, examples=["DC-TD"])
    population: Count | None = None
    address: str | None = None
    phone: str | None = None
    hours: dict[str, list[str]] = Field(default_factory=dict, examples=[HOURS_EXAMPLE])
    closed_dates: list[date] = []
    stops: list[MobileStop] = []


class UnitUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: str = unset_or(min_length=1, max_length=200)
    parent: str | None = None
    population: Count | None = None
    address: str | None = None
    phone: str | None = None
    hours: dict[str, list[str]] | None = None
    closed_dates: list[date] | None = None
    stops: list[MobileStop] | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)

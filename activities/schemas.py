"""What the activities API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count, Id, unset_or

Audience = Literal["children", "teens", "adults", "elderly", "families", "all"]
UNIT_CODE = r"^[A-Z0-9][A-Z0-9-]{0,31}$"


class ActivityTypeWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_zh: str = Field(min_length=1, max_length=100, examples=["讲座"])
    name_en: str = Field(min_length=1, max_length=100, examples=["lecture"])
    position: Count = Field(default=0, description="Order in lists and forms (smallest first)")
    active: bool = Field(default=True, description="Offered for new activities; old ones keep their type")


class ActivityTypeRead(ActivityTypeWrite):
    code: str = Field(examples=["lecture"])


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=32, description="An activity type's code", examples=["lecture"])
    title: str = Field(min_length=1, max_length=200, examples=["家庭教育讲座：如何陪孩子读书"])
    unit: str = Field(pattern=UNIT_CODE, description="The unit where it was held", examples=["DC-TD-01"])
    organiser: str | None = Field(default=None, pattern=UNIT_CODE,
                                  description="The unit that organised it (default: the unit where it was held)",
                                  examples=["DC"])
    held_on: date = Field(examples=["2026-11-20"])
    attendance: Count = Field(description="参加人次: the people who took part", examples=[45])
    audience: Audience = Field(default="all", description="children 少儿 (under 14), teens 青少年, adults 成人, "
                                                          "elderly 老年人 (60+), families 亲子/家庭, all 不限")
    note: str | None = Field(default=None, max_length=1000)


class ActivityUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    type: str = unset_or(min_length=1, max_length=32)
    title: str = unset_or(min_length=1, max_length=200)
    unit: str = unset_or(pattern=UNIT_CODE)
    organiser: str = unset_or(pattern=UNIT_CODE)
    held_on: date = unset_or()
    attendance: Count = unset_or()
    audience: Audience = unset_or()
    note: str | None = Field(default=None, max_length=1000)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ActivityRead(BaseModel):
    id: Id
    type: str
    type_name: str = Field(description="The type's name in Chinese", examples=["讲座"])
    title: str
    unit: str
    organiser: str
    held_on: date
    attendance: int
    audience: Audience
    note: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deletable_until: datetime = Field(description="Until when it may still be deleted (see DELETE)")


class ActivityList(BaseModel):
    activities: list[ActivityRead]
    total: int = Field(description="Activities matching (the list shows at most `limit` of them)")
    attendance: int = Field(description="参加人次 of all the activities matching")

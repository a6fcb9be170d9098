from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TransitRead(BaseModel):
    id: int
    barcode: str
    title: str
    call_number: str | None
    from_unit: str
    to_unit: str
    reason: Literal["hold", "home", "float", "transfer", "distribution"]
    reference: str | None
    status: Literal["open", "received", "cancelled"]
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_unit: str | None


class ReturnPolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_code: str = Field(default="*", description="Code of the 总馆 whose copies this governs, or *")
    item_type: str = Field(default="*", examples=["children"])
    policy: Literal["home", "float"]
    float_group: str | None = Field(default=None, description="Float only within this group")


class ReturnPolicyRead(ReturnPolicyWrite):
    id: int
    updated_at: datetime
    updated_by: str


class FloatGroupWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    units: list[str] = Field(description="Unit codes")


class FloatGroupRead(FloatGroupWrite):
    code: str

"""What the SIP2 accounts API reads and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Encoding = Literal["utf-8", "gb18030"]
LOGIN_PATTERN = r"^[A-Za-z0-9_.@-]{2,64}$"


class Sip2AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(pattern=LOGIN_PATTERN, examples=["sc-dc-td-01"], description="The machine's CN")
    password: str = Field(min_length=8, max_length=64, description="The machine's CO")
    unit: str = Field(examples=["DC-TD"], description="The unit the machine stands at and acts for")
    encoding: Encoding = Field(default="utf-8", description="What the machine sends and expects: utf-8 or gb18030")
    error_detection: bool = Field(default=False, description="Always answer with AY/AZ (sequence and checksum)")
    institution_id: str | None = Field(default=None, max_length=64, description="AO sent back; default: unit code")
    location: str | None = Field(default=None, max_length=100, examples=["一楼大厅"],
                                 description="AN (where the machine stands)")


class Sip2AccountUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, min_length=8, max_length=64)
    unit: str | None = None
    encoding: Encoding | None = None
    error_detection: bool | None = None
    active: bool | None = None
    institution_id: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=100)


class Sip2AccountRead(BaseModel):
    login: str
    unit: str
    encoding: Encoding
    error_detection: bool
    active: bool
    institution_id: str
    location: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime

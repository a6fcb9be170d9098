from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["active", "suspended", "closed"]


class PatronCategoryWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["senior"])
    name: str = Field(min_length=1, max_length=100, examples=["老年读者"])
    description: str | None = None
    valid_months: int = Field(default=60, ge=1, le=1200)


class PatronCategoryRead(PatronCategoryWrite):
    pass


class PatronCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str = Field(pattern=r"^[A-Za-z0-9]{4,32}$", examples=["DC00000123"])
    id_card_number: str | None = Field(default=None, description="居民身份证号 (18 characters, checked)",
                                       examples=["53011319900307001X"])
    name: str = Field(min_length=1, max_length=100, examples=["李秀英"])
    category: str = Field(examples=["adult"])
    unit: str = Field(description="Unit issuing the card", examples=["DC-TD"])
    expires_on: date | None = Field(default=None, description="Default: today + the category's valid months")
    deposit_fen: int = Field(default=0, ge=0)
    credit_exempt: bool = False
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    password: str | None = Field(default=None, min_length=6, description="Lets the reader log in to the OPAC")


class PatronUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    id_card_number: str | None = None
    category: str | None = None
    status: Status | None = None
    expires_on: date | None = None
    deposit_fen: int | None = Field(default=None, ge=0)
    credit_exempt: bool | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class BlockRead(BaseModel):
    id: int
    reason: str
    created_at: datetime
    created_by: str
    lifted_at: datetime | None
    lifted_by: str | None


class PatronRead(BaseModel):
    card_number: str
    id_card_number: str | None = Field(description="Shown masked (530113********001X) except to staff who edit patrons")
    name: str
    category: str
    unit: str
    status: Status
    expires_on: date
    expired: bool
    deposit_fen: int
    credit_exempt: bool
    phone: str | None
    email: str | None
    address: str | None
    blocks: list[BlockRead] = Field(description="Blocks in force")
    proxies: list[str] = Field(description="Cards that may borrow and collect for this patron")
    proxy_for: list[str] = Field(description="Cards this patron may borrow and collect for")
    version: int


class BlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=1000, examples=["借书证遗失，待补办"])


class ProxyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proxy_card_number: str = Field(examples=["DC00000456"])

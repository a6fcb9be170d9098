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


class RuleWrite(BaseModel):
    """A loan rule; ``*`` in a key part means any."""

    model_config = ConfigDict(extra="forbid")

    patron_category: str = Field(default="*", examples=["child"])
    item_type: str = Field(default="*", examples=["children"])
    unit_level: str = Field(default="*", examples=["service_point"])
    unit_code: str = Field(default="*", examples=["*"])
    loan_days: int = Field(gt=0, le=366, examples=[30])
    max_items: int = Field(ge=0, le=500, examples=[10])
    max_items_of_type: int | None = Field(default=None, ge=0)
    renewals: int = Field(default=1, ge=0, le=20)
    hold_blocks_renewal: bool = True
    holds_allowed: bool = True
    hold_shelf_days: int = Field(default=7, gt=0, le=60)
    fine_per_day_fen: int = Field(default=0, ge=0)
    fine_limit_fen: int | None = Field(default=None, ge=0)


class RuleRead(RuleWrite):
    id: int
    updated_at: datetime
    updated_by: str


class RuleExplanation(BaseModel):
    situation: dict[str, str]
    rule: RuleRead
    reason: str
    candidates: list[str] = Field(description="Every matching rule's key, most specific first")

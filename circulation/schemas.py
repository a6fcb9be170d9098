from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count, Id

Status = Literal["active", "suspended", "closed"]


class PatronCategoryWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["senior"])
    name: str = Field(min_length=1, max_length=100, examples=["老年读者"])
    description: str | None = None
    valid_months: int = Field(default=60, ge=1, le=1200)


class PatronCategoryRead(PatronCategoryWrite):
    pass


class PatronLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=32, description="Card number or 身份证号",
                      examples=["DC00000001"])


class PatronSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=100, description="Card number, 身份证号, phone, or the start of a name",
                   examples=["王建华"])


class PatronMatch(BaseModel):
    """One reader found by a search: enough to tell namesakes apart, with the ID card number and
    phone masked whoever asks."""

    card_number: str
    name: str
    id_card_number: str | None = Field(examples=["530113********001X"])
    phone: str | None = Field(examples=["138****5678"])
    unit: str = Field(description="Where the card was issued")
    category: str
    status: Status
    expires_on: date


class PatronSearchResult(BaseModel):
    matches: list[PatronMatch]
    more: bool = Field(description="More readers match than are listed; narrow the search")


class PatronCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str = Field(pattern=r"^[A-Za-z0-9]{4,32}$", examples=["DC00000123"])
    id_card_number: str | None = Field(default=None, description="居民身份证号 (18 characters, checked)",
                                       examples=["53011319900307001X"])
    name: str = Field(min_length=1, max_length=100, examples=["李秀英"])
    category: str = Field(examples=["adult"])
    unit: str = Field(description="Unit issuing the card", examples=["DC-TD"])
    expires_on: date | None = Field(default=None, description="Default: today + the category's valid months")
    deposit_fen: Count = 0
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
    deposit_fen: Count | None = None
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
    max_items_of_type: Count | None = None
    renewals: int = Field(default=1, ge=0, le=20)
    renew_days_before_due: int | None = Field(
        default=None, ge=0, le=366, examples=[7],
        description="A renewal is possible from this many days before the due day (0: on the due day only); "
                    "null: at any time")
    hold_blocks_renewal: bool = True
    holds_allowed: bool = True
    hold_shelf_days: int = Field(default=7, gt=0, le=60)
    fine_per_day_fen: Count = 0
    fine_limit_fen: Count | None = None
    lost_fee_percent: int = Field(default=100, ge=0, le=1000, description="Share of the price charged for a lost copy")


class RuleRead(RuleWrite):
    id: int
    updated_at: datetime
    updated_by: str


class RuleExplanation(BaseModel):
    situation: dict[str, str]
    rule: RuleRead
    reason: str
    candidates: list[str] = Field(description="Every matching rule's key, most specific first")


# ---- circulation --------------------------------------------------------------------------


class OverrideFields(BaseModel):
    override: list[str] = Field(default_factory=list, description="Block codes to override (needs circulation:override)",
                                examples=[["PATRON_LOAN_LIMIT"]])
    override_reason: str | None = Field(default=None, max_length=500, examples=["读者为班级借书"])


class CheckoutBody(OverrideFields):
    model_config = ConfigDict(extra="forbid")

    card: str = Field(description="Card number or ID card number of the borrower", examples=["DC00000001"])
    barcode: str = Field(examples=["0100000001"])
    unit: str = Field(description="Unit of the desk or machine lending the copy", examples=["DC-TD"])
    proxy_card: str | None = Field(default=None, description="Card of a proxy borrowing for the patron")


class BlockOut(BaseModel):
    code: str
    detail: str
    overridable: bool
    on: date | None = Field(default=None, description="RENEW_TOO_EARLY: the first day a renewal is possible")


class LoanRead(BaseModel):
    id: int
    barcode: str
    record_id: int
    title: str
    call_number: str | None
    card: str
    unit: str = Field(description="Where it was lent")
    status: Literal["open", "lost", "claimed_returned", "returned"]
    checked_out_at: datetime
    due_on: date
    overdue_days: int
    renewals: int
    overrides: list[dict[str, str]]
    returned_at: datetime | None
    returned_unit: str | None
    hold_id: int | None = Field(default=None, description="The borrower's hold this loan fulfilled")


class CheckoutPreview(BaseModel):
    allowed: bool = Field(description="True when no block stands; overridable blocks still need an override")
    blocks: list[BlockOut]
    due_on: date
    rule_id: int
    card: str
    patron_name: str
    barcode: str
    title: str


class CheckinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str = Field(examples=["0100000001"])
    unit: str = Field(description="Unit where the copy is in hand", examples=["DC-WL"])


class HoldNote(BaseModel):
    hold_id: int
    card: str
    name: str
    pickup_unit: str
    shelf_expires_on: date | None


class TransitNote(BaseModel):
    id: int
    from_unit: str
    to_unit: str
    reason: str
    status: str
    promised_on: date | None = Field(default=None, description="The day the van timetable promises it there")
    path: list[dict[str, str]] | None = Field(default=None, description='Hops: [{"route", "day", "from", "to"}]')


class MoveRead(BaseModel):
    """What the desk does with the copy in hand."""

    barcode: str
    title: str
    call_number: str | None
    disposition: Literal["shelve", "hold_shelf", "transit"]
    destination_unit: str
    destination_name: str
    instruction: str = Field(description="The instruction to show in large type", examples=["转运至：乌龙镇分馆"])
    hold: HoldNote | None = None
    transit: TransitNote | None = None


class CheckinResult(MoveRead):
    loan: LoanRead | None = None
    fine_fen: int = 0
    found: bool = Field(default=False, description="The copy was lost, missing or claimed returned")


class RenewBody(OverrideFields):
    model_config = ConfigDict(extra="forbid")

    barcode: str
    unit: str | None = Field(default=None, description="Renewing unit; omitted for the OPAC")


class BarcodeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str
    unit: str | None = None


class LostResult(BaseModel):
    loan: LoanRead
    fine_fen: int


class HoldCreate(OverrideFields):
    model_config = ConfigDict(extra="forbid")

    card: str
    record_id: Id | None = Field(default=None, description="Any copy of this title")
    barcode: str | None = Field(default=None, description="This copy only")
    pickup_unit: str = Field(examples=["DC-TD"])
    suspended_until: date | None = Field(default=None, description="Not before this day (on holiday until …)")


class HoldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pickup_unit: str | None = None
    suspended_until: date | None = Field(default=None, description="null resumes the hold")


class HoldRead(BaseModel):
    id: int
    card: str
    record_id: int
    title: str
    item_level: bool
    barcode: str | None = Field(description="The trapped copy (or the copy asked for)")
    target_barcode: str | None = Field(description="The copy the engine suggests pulling")
    pickup_unit: str
    status: Literal["waiting", "in_transit", "ready", "fulfilled", "cancelled", "expired"]
    queue_position: int | None = Field(description="1 = next in line; null once a copy is trapped")
    placed_at: datetime
    suspended_until: date | None
    shelf_expires_on: date | None
    closed_at: datetime | None
    close_reason: str | None


class HoldChangeResult(BaseModel):
    hold: HoldRead
    copy_move: MoveRead | None = Field(default=None, description="Where the trapped copy goes now, if it moves")


class FineRead(BaseModel):
    id: int
    kind: str
    amount_fen: int
    paid_fen: int
    waived_fen: int
    created_at: datetime
    note: str | None
    loan_id: int | None


class FinesRead(BaseModel):
    owed_fen: int
    accruing_fen: int = Field(description="Overdue fines still growing on loans not yet returned")
    fines: list[FineRead]


class PaymentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: Count = Field(gt=0)
    method: Literal["cash", "wechat", "alipay", "card"] = "cash"
    unit: str


class ExpiryResult(BaseModel):
    expired: int
    moves: list[MoveRead]

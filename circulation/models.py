"""Tables of circulation: patrons (readers), categories, proxies, blocks, loan rules, loans, holds, fines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime
from ils.states import StateMachine

PATRON_STATUSES = ("active", "suspended", "closed")


class PatronCategory(Base):
    """Adult, child, senior, disabled, temporary … — the set is data a library edits."""

    __tablename__ = "patron_category"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Months a new card of this category is valid (a temporary card expires sooner).
    valid_months: Mapped[int] = mapped_column(Integer, default=60)


class Patron(Base):
    """A reader. One card works at every unit of the network (通借通还)."""

    __tablename__ = "patron"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    # 居民身份证号: many readers present the ID card instead of the library card.
    id_card_number: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(ForeignKey("patron_category.code"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # where the card was issued
    status: Mapped[str] = mapped_column(String(20))
    expires_on: Mapped[date] = mapped_column(Date)
    deposit_fen: Mapped[int] = mapped_column(Integer, default=0)
    # 信用免押: borrows without a deposit on the strength of a credit check.
    credit_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'closed')", name="status"),
        CheckConstraint("deposit_fen >= 0", name="deposit_fen"),
        # The desk finds readers by the start of their name and by phone; text_pattern_ops lets
        # PostgreSQL answer LIKE '王建%' from the index whatever the database's collation.
        Index("ix_patron_name", "name", postgresql_ops={"name": "text_pattern_ops"}),
        Index("ix_patron_phone", "phone"),
    )


class PatronProxy(Base):
    """``proxy`` may borrow and collect holds for ``patron`` (an elderly or disabled reader's
    family member, a teacher for a class)."""

    __tablename__ = "patron_proxy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id", ondelete="CASCADE"), index=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("patron.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("patron_id", "proxy_id"),
        CheckConstraint("patron_id <> proxy_id", name="not_self"),
    )


class PatronBlock(Base):
    """A manual block with its reason, until a librarian lifts it. Kept after lifting."""

    __tablename__ = "patron_block"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


ANY = "*"


class CirculationRule(Base):
    """Loan rules as data, keyed by patron category × item type × unit level, optionally for one
    unit. ``*`` means any (not NULL, so the key can be unique on every database)."""

    __tablename__ = "circulation_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_category: Mapped[str] = mapped_column(String(32), default=ANY)
    item_type: Mapped[str] = mapped_column(String(20), default=ANY)
    unit_level: Mapped[str] = mapped_column(String(20), default=ANY)
    unit_code: Mapped[str] = mapped_column(String(32), default=ANY)
    loan_days: Mapped[int] = mapped_column(Integer)
    max_items: Mapped[int] = mapped_column(Integer)  # on loan at once, all types together
    max_items_of_type: Mapped[int | None] = mapped_column(Integer, nullable=True)  # of this rule's item type
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    # A renewal is possible from this many days before the due day; None: at any time. Without
    # it a renewal on the day of check-out spends a renewal and gains nothing.
    renew_days_before_due: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hold_blocks_renewal: Mapped[bool] = mapped_column(Boolean, default=True)
    holds_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    hold_shelf_days: Mapped[int] = mapped_column(Integer, default=7)
    fine_per_day_fen: Mapped[int] = mapped_column(Integer, default=0)  # most networks waive fines
    fine_limit_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)  # owing this much blocks
    # A lost copy is charged at this share of its price (赔偿); 0 charges nothing.
    lost_fee_percent: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("patron_category", "item_type", "unit_level", "unit_code"),
        CheckConstraint("loan_days > 0 AND max_items >= 0 AND renewals >= 0 AND hold_shelf_days > 0", name="positive"),
        CheckConstraint("fine_per_day_fen >= 0", name="fine"),
        CheckConstraint("lost_fee_percent >= 0", name="lost_fee"),
    )


LOAN_STATUSES = ("open", "lost", "claimed_returned", "returned")
LOAN_STATES = StateMachine("loan", {
    "open": frozenset({"lost", "claimed_returned", "returned"}),
    "lost": frozenset({"returned"}),  # found
    "claimed_returned": frozenset({"lost", "returned"}),
    "returned": frozenset(),
})
# A loan is closed only when the copy is back; lost and claimed-returned loans stay open on the
# patron's record until the copy turns up or staff settle them.
ACTIVE_LOAN = ("open", "lost", "claimed_returned")


class Loan(Base):
    __tablename__ = "loan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # where it was lent
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("circulation_rule.id", ondelete="SET NULL"), nullable=True)
    item_type: Mapped[str] = mapped_column(String(20))  # copied: per-type limits count without a join
    status: Mapped[str] = mapped_column(String(20))
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_by: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    # Overridden blocks, with who and why: [{"code", "by", "reason"}].
    overrides: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    returned_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Who the loan is credited to besides the lending desk, as they were when it was made (a copy
    # redistributed or a reader moving later does not rewrite last year's figures); the events of
    # the loan carry them too. Null only on loans made before they were kept (migration 0011
    # filled them from the copy and the reader as they were then).
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    patron_category: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'lost', 'claimed_returned', 'returned')", name="status"),
        CheckConstraint("(status = 'returned') = (returned_at IS NOT NULL)", name="returned"),
        # Never lent twice: one loan per copy until it comes back, whatever happens above.
        Index("uq_loan_active_item", "item_id", unique=True,
              sqlite_where=text("status <> 'returned'"), postgresql_where=text("status <> 'returned'")),
        Index("ix_loan_patron_status", "patron_id", "status"),
        Index("ix_loan_item", "item_id", "id"),
        Index("ix_loan_due", "status", "due_on"),
    )


HOLD_STATUSES = ("waiting", "in_transit", "ready", "fulfilled", "cancelled", "expired")
HOLD_STATES = StateMachine("hold", {
    # waiting → fulfilled: the reader borrowed another copy of the title at a desk.
    "waiting": frozenset({"in_transit", "ready", "fulfilled", "cancelled"}),
    # in_transit → in_transit: sent on to a changed pickup unit; → waiting: the copy was lent
    # to someone else on the way (an override), so the hold waits for another copy.
    "in_transit": frozenset({"in_transit", "ready", "waiting", "cancelled", "fulfilled"}),
    # ready → in_transit: the pickup unit changed, or the copy strayed from the hold shelf.
    "ready": frozenset({"fulfilled", "expired", "cancelled", "in_transit", "waiting"}),
    "fulfilled": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
})
ACTIVE_HOLD = ("waiting", "in_transit", "ready")
TRAPPED_HOLD = ("in_transit", "ready")


class Hold(Base):
    """A reader's request for a title (any copy) or one copy, collected at the pickup unit.

    waiting → in_transit (a copy was trapped elsewhere and travels) → ready (on the hold shelf)
    → fulfilled (lent to the reader); or cancelled / expired. ``item_id`` is set once a copy is
    trapped (or from the start, for a hold on one copy); ``target_item_id`` is the copy the
    engine suggests pulling from a shelf before any is trapped.
    """

    __tablename__ = "hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"))
    item_level: Mapped[bool] = mapped_column(Boolean, default=False)  # only item_id may fill it
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True)
    target_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), nullable=True, index=True)
    pickup_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by: Mapped[str] = mapped_column(String(100))
    suspended_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    trapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shelf_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'in_transit', 'ready', 'fulfilled', 'cancelled', 'expired')",
                        name="status"),
        CheckConstraint("status NOT IN ('in_transit', 'ready') OR item_id IS NOT NULL", name="trapped_item"),
        # No copy fills two holds at once (one trapped item per hold is the item_id column).
        Index("uq_hold_trapped_item", "item_id", unique=True,
              sqlite_where=text("status IN ('in_transit', 'ready')"),
              postgresql_where=text("status IN ('in_transit', 'ready')")),
        # One active hold per reader and title.
        Index("uq_hold_active_patron_record", "patron_id", "record_id", unique=True,
              sqlite_where=text("status IN ('waiting', 'in_transit', 'ready')"),
              postgresql_where=text("status IN ('waiting', 'in_transit', 'ready')")),
        Index("ix_hold_record_queue", "record_id", "status", "placed_at", "id"),
        Index("ix_hold_pickup_status", "pickup_unit_id", "status"),
    )


FINE_KINDS = ("overdue", "lost")


class Fine(Base):
    """Money a patron owes, in fen. Overdue fines accrue only where a rule sets a daily rate."""

    __tablename__ = "fine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)
    waived_fen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        CheckConstraint("kind IN ('overdue', 'lost')", name="kind"),
        CheckConstraint("amount_fen > 0 AND paid_fen >= 0 AND waived_fen >= 0 AND paid_fen + waived_fen <= amount_fen",
                        name="amounts"),
    )


class Payment(Base):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))  # cash, wechat, alipay, card

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount"),)

"""Tables of circulation: patrons (readers), their categories, proxies and blocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

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
    hold_blocks_renewal: Mapped[bool] = mapped_column(Boolean, default=True)
    holds_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    hold_shelf_days: Mapped[int] = mapped_column(Integer, default=7)
    fine_per_day_fen: Mapped[int] = mapped_column(Integer, default=0)  # most networks waive fines
    fine_limit_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)  # owing this much blocks
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("patron_category", "item_type", "unit_level", "unit_code"),
        CheckConstraint("loan_days > 0 AND max_items >= 0 AND renewals >= 0 AND hold_shelf_days > 0", name="positive"),
        CheckConstraint("fine_per_day_fen >= 0", name="fine"),
    )

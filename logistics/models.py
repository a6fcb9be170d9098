"""Tables of logistics: transits, return policies and float groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime
from ils.states import StateMachine

TRANSIT_STATUSES = ("open", "received", "cancelled")
TRANSIT_STATES = StateMachine("transit", {"open": frozenset({"received", "cancelled"}),
                                          "received": frozenset(), "cancelled": frozenset()})
# Why a copy travels. "hold": to the pickup unit of a trapped hold; "home": back to its owning
# unit; "transfer": a staff-made move (display, rotation); "distribution": new stock (统一配送).
TRANSIT_REASONS = ("hold", "home", "float", "transfer", "distribution")
RETURN_POLICIES = ("home", "float")
ANY = "*"


class Transit(Base):
    """One journey of a copy from a unit to another. Open until the copy is scanned in at the
    destination (received) or is lent or sent elsewhere on the way (cancelled)."""

    __tablename__ = "transit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    reason: Mapped[str] = mapped_column(String(20))
    # What the journey serves, opaque to logistics (e.g. "hold:42"); the upper layer reads it.
    reference: Mapped[str | None] = mapped_column(String(50), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'received', 'cancelled')", name="status"),
        CheckConstraint("reason IN ('hold', 'home', 'float', 'transfer', 'distribution')", name="reason"),
        CheckConstraint("from_unit_id <> to_unit_id", name="moves"),
        # At most one open transit per copy, whatever the code above does under load.
        Index("uq_transit_open_item", "item_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_transit_item", "item_id", "id"),
        Index("ix_transit_to_status", "to_unit_id", "status"),
        Index("ix_transit_from_status", "from_unit_id", "status"),
    )


class ReturnPolicy(Base):
    """Where a returned copy with no hold to fill goes, per system (总馆 code) and item type:
    ``home`` (back to its owning unit, the default) or ``float`` (stays where it was returned,
    within the owning system, or within ``float_group`` when one is named)."""

    __tablename__ = "return_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_code: Mapped[str] = mapped_column(String(32), default=ANY)
    item_type: Mapped[str] = mapped_column(String(20), default=ANY)
    policy: Mapped[str] = mapped_column(String(20))
    float_group: Mapped[str | None] = mapped_column(ForeignKey("float_group.code"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("system_code", "item_type"),
        CheckConstraint("policy IN ('home', 'float')", name="policy"),
    )


class FloatGroup(Base):
    """Units among which a floating copy may stay where it is returned (e.g. the 总馆 and the
    town branches on one van route)."""

    __tablename__ = "float_group"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class FloatGroupUnit(Base):
    __tablename__ = "float_group_unit"

    group_code: Mapped[str] = mapped_column(ForeignKey("float_group.code", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)

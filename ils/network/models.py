from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

LEVELS = ("center", "main", "branch", "service_point", "study_room", "mobile")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Unit(Base):
    """Any library of the network: 中心馆, 总馆, 分馆, 服务点, 城市书房 or 流动图书车."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    # The 总馆 whose system this unit belongs to (itself for a 总馆; NULL for a 中心馆, which
    # several systems share). Kept as a column because every circulation rule asks for it.
    system_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # {"mon": ["09:00-12:00", "14:00-18:00"], ...}; a missing or empty day is closed.
    hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # The mobile library's stops: [{"name", "address", "weekday", "hours"}].
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "level IN ('center', 'main', 'branch', 'service_point', 'study_room', 'mobile')", name="level"
        ),
    )


class UnitClosedDate(Base):
    """A day a unit is closed although its weekly hours say open (holidays, stocktaking)."""

    __tablename__ = "unit_closed_date"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (UniqueConstraint("unit_id", "day"),)

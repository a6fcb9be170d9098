"""Tables of the statistics: submitted annual reports (the entered figures are in reports.entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime


class AnnualReport(Base):
    """A unit's annual report once it has been submitted: ``sheets`` keeps every sheet as it was
    submitted (reports.annual.Sheet.to_json), so later changes to the live data do not change it."""

    __tablename__ = "annual_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(20))
    sheets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reopen_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted', 'reopened')", name="status"),
        Index("uq_annual_report_unit_year", "unit_id", "year", unique=True),
    )


class IndicatorTarget(Base):
    """A system's own target for an evaluation indicator at a unit level (reports.evaluation has
    the county plans' defaults). ``target`` is kept in ten-thousandths, exactly on both databases."""

    __tablename__ = "indicator_target"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    indicator: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    target: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        Index("uq_indicator_target", "system_id", "indicator", "level", unique=True),
        CheckConstraint("target >= 0", name="target"),
    )

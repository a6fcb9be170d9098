"""Tables of the entered figures: gate counts and the annual fields per unit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

VISIT_SOURCES = ("import", "manual")


class VisitCount(Base):
    """A gate counter's (or a librarian's) count of visits at a unit for a day, or for one hour of
    it (``hour`` 0-23: 14 is 14:00-14:59; null: the whole day).

    A row is keyed by unit, day, hour and source, so importing the same counter file again
    replaces its rows instead of adding to them. ``in_count`` is the people who came in;
    ``out_count`` those who left, kept for reference; ``both_count`` a counter's both-ways total
    when it cannot tell in from out. How these become visits (到馆人次) is ``reports.entries.visits``'
    rule."""

    __tablename__ = "visit_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    source: Mapped[str] = mapped_column(String(10))
    in_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    out_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    both_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the import it came from
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entered_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("source IN ('import', 'manual')", name="source"),
        CheckConstraint("hour IS NULL OR (hour >= 0 AND hour <= 23)", name="hour"),
        CheckConstraint("in_count IS NULL OR in_count >= 0", name="in_count"),
        CheckConstraint("out_count IS NULL OR out_count >= 0", name="out_count"),
        CheckConstraint("both_count IS NULL OR both_count >= 0", name="both_count"),
        CheckConstraint("in_count IS NOT NULL OR both_count IS NOT NULL", name="counted"),
        CheckConstraint("source = 'import' OR hour IS NULL", name="manual_daily"),
        # One row per unit, day, hour and source. NULL hours are not equal in a unique index, so
        # the daily rows get an index of their own.
        Index("uq_visit_count_hour", "unit_id", "day", "hour", "source", unique=True,
              sqlite_where=text("hour IS NOT NULL"), postgresql_where=text("hour IS NOT NULL")),
        Index("uq_visit_count_day", "unit_id", "day", "source", unique=True,
              sqlite_where=text("hour IS NULL"), postgresql_where=text("hour IS NULL")),
        # What the figures read: a unit's rows over a period (the partial indexes serve only
        # queries that say which kind of row they want).
        Index("ix_visit_count_unit_day", "unit_id", "day"),
    )


class UnitAnnualField(Base):
    """One field of the annual table (``reports.entries.fields``) for a unit and year, as last
    entered, with who and when; each entry's previous value is in the event log
    (``annual_field.set``)."""

    __tablename__ = "unit_annual_field"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    field_code: Mapped[str] = mapped_column(String(40))
    # In the field's smallest unit: fen for money, 10^-scale for decimals (see fields.py).
    value: Mapped[int] = mapped_column(BigInteger)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entered_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        Index("uq_unit_annual_field", "unit_id", "year", "field_code", unique=True),
        CheckConstraint("value >= 0", name="value"),
    )

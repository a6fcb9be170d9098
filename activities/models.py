"""Tables of activities: the types (a list that is data) and the activities held."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

# Who an activity was for. A fixed list, not data: the annual table and the evaluation group by
# these, so a library cannot add one the reports do not know. 少儿 = under 14 (as the annual
# table's 少儿 counts), 青少年 = 14 to 18, 老年人 = 60 and over, 亲子/家庭 = children with their
# parents, 不限 = open to everyone.
AUDIENCES: dict[str, tuple[str, str]] = {
    "children": ("少儿", "children"),
    "teens": ("青少年", "teens"),
    "adults": ("成人", "adults"),
    "elderly": ("老年人", "elderly"),
    "families": ("亲子/家庭", "families"),
    "all": ("不限", "everyone"),
}


class ActivityType(Base):
    """讲座, 展览, 培训, 阅读推广, 送书下乡, 其他 … (seeded by the migration; admins add more)."""

    __tablename__ = "activity_type"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in lists and forms
    # A type no longer offered for new activities; the activities of it keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Activity(Base):
    """A reader activity that was held: where (``unit_id``), by whom (``organiser_unit_id``, often
    the 总馆 at a branch or a village point: 下基层), when, for whom and how many came."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("activity_type.code"))
    title: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    organiser_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    held_on: Mapped[date] = mapped_column(Date)
    attendance: Mapped[int] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("attendance >= 0", name="attendance"),
        CheckConstraint("audience IN ('children', 'teens', 'adults', 'elderly', 'families', 'all')",
                        name="audience"),
        # Reports count by the unit where an activity was held and by the one that organised it,
        # over a period.
        Index("ix_activity_unit_held", "unit_id", "held_on"),
        Index("ix_activity_organiser_held", "organiser_unit_id", "held_on"),
    )

"""The table of SIP2 accounts: one login per self-check machine (or per group of machines at a unit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

ENCODINGS = ("utf-8", "gb18030")


class Sip2Account(Base):
    """A self-check machine's login. It acts at ``unit`` only: every check-out, check-in and
    payment it makes is recorded at that unit, with the machine as actor (``sip2:<login>``)."""

    __tablename__ = "sip2_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # What the machine's firmware speaks: most recent machines UTF-8, older ones GBK/GB18030.
    encoding: Mapped[str] = mapped_column(String(10), default="utf-8")
    # Answer with AY/AZ even when the machine sends none (machines configured for it expect it).
    error_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The institution id (AO) sent back to the machine; the unit's code when not set.
    institution_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Where the machine stands (AN, "1楼大厅"), shown in its status answer.
    location: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("encoding IN ('utf-8', 'gb18030')", name="encoding"),)

"""The append-only event table: who did what, where and when, with the state before and after.

Every circulation and logistics change (and a staff edit of a copy's status) appends a row
in the same transaction as the change. Statistics (统计年报) and the audit trail are read from
it; nothing ever updates or deletes a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ils.db import Base, UTCDateTime


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(50))  # e.g. item.status, loan.checkout, transit.received
    actor: Mapped[str] = mapped_column(String(100))  # staff:wang, patron:DC00000001, api_key:自助机, system
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # where it happened
    subject: Mapped[str] = mapped_column(String(100))  # what it is about: item:0100000001, patron:DC…
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        Index("ix_event_subject", "subject", "id"),
        Index("ix_event_kind_time", "kind", "occurred_at"),
    )


def record_event(
    session: Session,
    kind: str,
    subject: str,
    *,
    actor: str,
    now: datetime,
    unit_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    event = Event(occurred_at=now, kind=kind, actor=actor, unit_code=unit_code, subject=subject, before=before,
                  after=after)
    session.add(event)
    return event

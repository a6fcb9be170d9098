"""The append-only event table: who did what, where and when, with the state before and after.

Every circulation and logistics change (and a staff edit of a copy's status) appends a row
in the same transaction as the change. Statistics (统计年报) and the audit trail are read from
it; nothing ever updates or deletes a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ils.config import get_settings
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
    # What statistics group and count by, as typed columns (reports never read the JSON): the
    # calendar day in the network's timezone, and for an event about a loan the copy's owning
    # unit and the reader's home unit at the time of the loan (通借通还: a loan can be credited
    # to the desk, the owner or the reader's unit), the item type, the reader and their category.
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    owner_unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    home_unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    item_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    patron_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    patron_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_event_subject", "subject", "id"),
        Index("ix_event_kind_time", "kind", "occurred_at"),
        Index("ix_event_kind_day_unit", "kind", "day", "unit_code"),
    )


@dataclass(frozen=True)
class Facts:
    """The typed facts of an event about a loan (see Event)."""
    owner_unit_code: str | None = None
    home_unit_code: str | None = None
    item_type: str | None = None
    patron_category: str | None = None
    patron_id: int | None = None
    loan_id: int | None = None


NO_FACTS = Facts()


def local_day(now: datetime) -> date:
    """The calendar day of ``now`` in the network's timezone: the day a figure counts it on."""
    return now.astimezone(get_settings().tz).date()


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
    facts: Facts = NO_FACTS,
) -> Event:
    event = Event(occurred_at=now, kind=kind, actor=actor, unit_code=unit_code, subject=subject, before=before,
                  after=after, day=local_day(now), owner_unit_code=facts.owner_unit_code,
                  home_unit_code=facts.home_unit_code, item_type=facts.item_type,
                  patron_category=facts.patron_category, patron_id=facts.patron_id, loan_id=facts.loan_id)
    session.add(event)
    return event

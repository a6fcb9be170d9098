"""The outbox's SQL: claiming a batch under a lease and recording what delivery did.

Each function runs inside the caller's short write transaction; none of them waits on anything
but the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from ils.outbox.models import OutboxMessage

_table = OutboxMessage.__table__


@dataclass(frozen=True)
class Failure:
    id: int
    error: str
    retry_at: datetime


def claim(session: Session, relay_id: str, now: datetime, until: datetime, limit: int,
          max_attempts: int) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to ``relay_id`` until ``until``; returns them in id order.

    One UPDATE ... RETURNING. On PostgreSQL the candidate rows are taken FOR UPDATE SKIP LOCKED,
    so two relays claiming at the same instant split the rows between them instead of queueing;
    a row a concurrent claimer has just committed is re-read under the lock and, its lease now
    running, no longer qualifies. SQLite's write transaction (BEGIN IMMEDIATE) serialises
    claimers anyway.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.delivered_at.is_(None),
            OutboxMessage.available_at <= now,
            OutboxMessage.attempts < max_attempts,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(claimed_by=relay_id, claimed_until=until)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt), key=lambda m: m.id)


def mark_delivered(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Delivered, whoever holds the lease now: a relay that outlived its lease did deliver, and
    the row being marked once spares the receivers a further copy."""
    if not ids:
        return
    session.execute(
        update(_table)
        .where(_table.c.id.in_(list(ids)), _table.c.delivered_at.is_(None))
        .values(delivered_at=now, attempts=_table.c.attempts + 1, last_error=None,
                claimed_by=None, claimed_until=None)
    )


def mark_failed(session: Session, relay_id: str, failures: Sequence[Failure]) -> None:
    """A failed attempt with its back-off, only while the lease is still ours: once another relay
    has taken the row over, its own outcome is the one that counts."""
    if not failures:
        return
    session.execute(
        update(_table)
        .where(_table.c.id == bindparam("mid"), _table.c.claimed_by == relay_id, _table.c.delivered_at.is_(None))
        .values(attempts=_table.c.attempts + 1, last_error=bindparam("error"), available_at=bindparam("retry_at"),
                claimed_by=None, claimed_until=None),
        [{"mid": f.id, "error": f.error, "retry_at": f.retry_at} for f in failures],
    )


def release(session: Session, relay_id: str, ids: Sequence[int]) -> None:
    """Give back rows claimed but not attempted, for the next claim to take at once."""
    if not ids:
        return
    session.execute(
        update(_table)
        .where(_table.c.id.in_(list(ids)), _table.c.claimed_by == relay_id)
        .values(claimed_by=None, claimed_until=None)
    )

"""The SQL of logins: sessions and the wrong-password counts. The one dialect-specific statement
(an upsert) has its SQLite and PostgreSQL spellings side by side here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ils.auth.models import AuthSession, LoginThrottle
from ils.db import UTCDateTime

# ---- sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionState:
    kind: str
    account_id: int
    open: bool


def add_session(session: Session, row: AuthSession) -> None:
    session.add(row)
    session.flush()


def session_state(session: Session, session_id: str) -> SessionState | None:
    row = session.execute(
        select(AuthSession.kind, AuthSession.account_id, AuthSession.revoked_at).where(AuthSession.id == session_id)
    ).first()
    if row is None:
        return None
    return SessionState(row.kind, row.account_id, row.revoked_at is None)


def revoke_session(session: Session, session_id: str, now: datetime) -> bool:
    result = session.execute(
        update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_account_sessions(session: Session, kind: str, account_id: int, now: datetime) -> list[str]:
    """End every open session of one account; the ids it ended."""
    ids = list(session.execute(
        select(AuthSession.id).where(AuthSession.kind == kind, AuthSession.account_id == account_id,
                                     AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
    ).scalars())
    if ids:
        session.execute(update(AuthSession).where(AuthSession.id.in_(ids)).values(revoked_at=now))
    return ids


def purge_sessions(session: Session, before: datetime) -> int:
    result = session.execute(delete(AuthSession).where(AuthSession.expires_at <= before))
    return int(result.rowcount)  # type: ignore[attr-defined]


# ---- wrong-password counts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    key: str
    failures: int
    locked_until: datetime | None


def counts(session: Session, keys: Sequence[str]) -> dict[str, Count]:
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.locked_until)
        .where(LoginThrottle.key.in_(keys))
    )
    return {r.key: Count(r.key, r.failures, r.locked_until) for r in rows}


def count_failure(session: Session, key: str, now: datetime, window: timedelta) -> int:
    """One more wrong password for ``key`` (a count older than ``window`` starts again at 1);
    the count after it. One statement, so two processes counting at once both count."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LoginThrottle.__table__
    stale = or_(table.c.window_started_at.is_(None), table.c.window_started_at <= now - window)
    statement = insert(table).values(key=key, failures=1, window_started_at=now, locked_until=None, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "window_started_at": case((stale, literal(now, UTCDateTime())), else_=table.c.window_started_at),
            "updated_at": now,
        },
    ).returning(table.c.failures)
    return int(session.execute(statement).scalar_one())


def lock(session: Session, key: str, until: datetime, now: datetime) -> None:
    """Lock ``key`` until then; its count starts again from nothing once the lock is over."""
    session.execute(
        update(LoginThrottle).where(LoginThrottle.key == key)
        .values(locked_until=until, failures=0, window_started_at=None, updated_at=now)
    )


def clear(session: Session, keys: Iterable[str]) -> int:
    keys = list(keys)
    if not keys:
        return 0
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_counts(session: Session, now: datetime, window: timedelta) -> int:
    """Forget counts whose window and lock are both over."""
    result = session.execute(delete(LoginThrottle).where(and_(
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        or_(LoginThrottle.window_started_at.is_(None), LoginThrottle.window_started_at <= now - window),
    )))
    return int(result.rowcount)  # type: ignore[attr-defined]

"""Idempotency-Key: a retried POST returns the first answer and changes nothing.

A village desk on a flaky network resends a check-out it never saw answered; the second
request must not lend the book twice, nor be refused as "already on loan". The key is claimed
by inserting a row in the request's own transaction before the use case runs. A concurrent
twin blocks on the primary key until the first commits (PostgreSQL) or waits for the write
lock (SQLite), then finds the stored answer and returns it. Refusals are stored too: the use
case runs in a savepoint that is rolled back, and the refusal is the answer to the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ils.db import Base, UTCDateTime
from ils.errors import DomainError, InvalidInput

MAX_KEY_LENGTH = 100


class IdempotentRequest(Base):
    __tablename__ = "idempotent_request"

    actor: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def fingerprint(method: str, path: str, body: Any) -> str:
    return hashlib.sha256(orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)).hexdigest()


def _stored(session: Session, actor: str, key: str, print_: str) -> tuple[int, Any] | None:
    row = session.get(IdempotentRequest, (actor, key), populate_existing=True)
    if row is None:
        return None
    if row.fingerprint != print_:
        raise InvalidInput("IDEMPOTENCY_KEY_REUSED",
                           "this Idempotency-Key was used for a different request; use a new key per operation")
    assert row.status_code is not None
    return row.status_code, row.response


def run_once(session: Session, actor: str, key: str | None, print_: str, now: datetime,
             run: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run ``run`` (returning status and JSON body) at most once per (actor, key)."""
    if key is None:
        return run()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput("IDEMPOTENCY_KEY_INVALID", f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    stored = _stored(session, actor, key, print_)
    if stored is not None:
        return stored
    row = IdempotentRequest(actor=actor, key=key, fingerprint=print_, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The twin committed first (we waited on its key); its answer is ours.
        stored = _stored(session, actor, key, print_)
        assert stored is not None
        return stored
    try:
        with session.begin_nested():
            status, body = run()
    except DomainError as exc:
        status, body = exc.http_status, exc.to_dict()
    row.status_code, row.response = status, body
    session.flush()
    return status, body


def forget_before(session: Session, cutoff: datetime) -> int:
    """Drop keys older than ``cutoff`` (a retry comes within minutes, not weeks)."""
    result = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["IdempotentRequest", "fingerprint", "forget_before", "run_once"]

"""Idempotency-Key: a retried POST returns the first answer and changes nothing.

A village desk on a flaky network resends a check-out it never saw answered; the second
request must not lend the book twice, nor be refused as "already on loan". The key is claimed
by inserting a row in the request's own transaction, with the answer. A concurrent twin
queues on the same rows as the first (the copy's lock on PostgreSQL, the write lock on
SQLite), then fails to claim the key, rolls back what it did and returns the stored answer.
Refusals are stored too: the refusal is the answer to the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, delete, insert
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
    try:
        canonical = orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # orjson stops at 64-bit integers, which a body may still hold where a field takes any
        # JSON; the standard library writes integers of any size (and dates as orjson does).
        canonical = json.dumps([method, path, body], sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(canonical).hexdigest()


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
    """Run ``run`` (returning status and JSON body) at most once per (actor, key).

    The use case runs first and the key is claimed after, in the same transaction: a request
    seen before (a retry after the first committed, or a twin that committed while this one
    waited on its locks) fails to claim the key, and everything it did is rolled back before
    the first answer is returned. The common case — a key never seen — costs one INSERT."""
    if key is None:
        return run()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput("IDEMPOTENCY_KEY_INVALID", f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    try:
        status, body = run()
    except DomainError as exc:
        # A refusal is an answer too; whatever the use case wrote before refusing is undone.
        session.rollback()
        status, body = exc.http_status, exc.to_dict()
    try:
        session.execute(insert(IdempotentRequest).values(
            actor=actor, key=key, fingerprint=print_, status_code=status, response=body, created_at=now))
    except IntegrityError:
        session.rollback()
        stored = _stored(session, actor, key, print_)
        if stored is None:  # cannot happen: the key's row exists, or the INSERT would have passed
            raise
        return stored
    return status, body


def forget_before(session: Session, cutoff: datetime) -> int:
    """Drop keys older than ``cutoff`` (a retry comes within minutes, not weeks)."""
    result = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["IdempotentRequest", "fingerprint", "forget_before", "run_once"]

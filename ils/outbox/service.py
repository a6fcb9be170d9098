from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ils.outbox.models import OutboxMessage


def emit(session: Session, topic: str, key: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    """Queue a side effect in the caller's transaction; it is delivered only if that commits."""
    message = OutboxMessage(
        topic=topic, key=key, payload=payload, created_at=now, available_at=now, attempts=0
    )
    session.add(message)
    return message

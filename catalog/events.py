"""The catalogue's one outbox topic: which records were created, edited, or had copies change.

Consumers (the search index, webhooks) reload the named records from the database, so a
message delivered twice does no harm.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from ils.outbox import emit

TOPIC = "records.changed"


def records_changed(
    session: Session,
    key: str,
    now: datetime,
    *,
    created: Sequence[int] = (),
    edited: Sequence[int] = (),
    holdings: Sequence[int] = (),
) -> None:
    emit(session, TOPIC, key, {"created": list(created), "edited": list(edited), "holdings": list(holdings)}, now)

"""Keeping the index in step with the database, and answering searches.

The index is fed only from the outbox (topic ``records.changed``), at least once: a handler
reloads the named records from the database and replaces them in the index, so a message
handled twice, or late, leaves the index right. ``reindex`` rebuilds it from scratch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from sqlalchemy import func, select

from catalog.events import TOPIC
from catalog.models import Record
from catalog.search.documents import build_documents
from catalog.search.embedded import EmbeddedEngine
from catalog.search.engine import SearchEngine
from ils.config import get_settings
from ils.db import Database, get_database
from ils.outbox.models import OutboxMessage

CHUNK = 1000


@lru_cache(maxsize=None)
def _engine_at(path: str) -> EmbeddedEngine:
    from pathlib import Path

    return EmbeddedEngine(Path(path))


@lru_cache(maxsize=None)
def _meili(url: str, key: str | None) -> SearchEngine:
    from catalog.search.meili import MeiliEngine

    return MeiliEngine(url, key)


def get_engine() -> SearchEngine:
    """The configured backend (ILS_SEARCH): the embedded index under ILS_DATA_DIR/search, or
    Meilisearch at ILS_MEILISEARCH_URL."""
    settings = get_settings()
    if settings.search == "meilisearch":
        if not settings.meilisearch_url:
            from ils.errors import DomainError

            raise DomainError("SEARCH_NOT_CONFIGURED", "ILS_SEARCH=meilisearch needs ILS_MEILISEARCH_URL",
                              http_status=503)
        return _meili(settings.meilisearch_url, settings.meilisearch_key)
    return _engine_at(str((settings.data_dir / "search").resolve()))


def index_records(database: Database, engine: SearchEngine, record_ids: list[int]) -> int:
    """Put the current state of these records in the index; drop the ones that no longer exist."""
    with database.session(write=False) as session:
        documents = build_documents(session, record_ids)
    engine.index(documents)
    gone = sorted(set(record_ids) - {d.record_id for d in documents})
    if gone:
        engine.delete(gone)
    return len(documents)


def outbox_handler(database: Database | None = None, engine: SearchEngine | None = None) -> Callable[[OutboxMessage], None]:
    """The subscriber for ``records.changed`` that the relay calls."""

    def record_ids(message: OutboxMessage) -> list[int]:
        payload = message.payload
        return [*payload.get("created", []), *payload.get("edited", []), *payload.get("holdings", [])]

    def handle(message: OutboxMessage) -> None:
        index_records(database or get_database(), engine or get_engine(), record_ids(message))

    def handle_many(messages: list[OutboxMessage]) -> None:
        # The relay hands over a whole batch: one index commit for it, not one per check-out
        # (a commit costs ~0.2-0.5 s whatever it holds, so one each fell ever further behind).
        ids = sorted({i for m in messages for i in record_ids(m)})
        for start in range(0, len(ids), CHUNK):
            index_records(database or get_database(), engine or get_engine(), ids[start:start + CHUNK])

    handle.__name__ = "search_index_records_changed"
    handle.handle_many = handle_many  # type: ignore[attr-defined]
    return handle


def _record_id_chunks(database: Database) -> Iterator[list[int]]:
    last = 0
    while True:
        with database.session(write=False) as session:
            ids = list(session.scalars(select(Record.id).where(Record.id > last).order_by(Record.id).limit(CHUNK)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def reindex(database: Database, engine: SearchEngine, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the database; returns how many records were indexed."""
    with database.session(write=False) as session:
        total = session.scalar(select(func.count()).select_from(Record)) or 0
    engine.clear()
    done = 0
    for ids in _record_id_chunks(database):
        done += index_records(database, engine, ids)
        if progress:
            progress(done, total)
    return done


def index_lag(database: Database) -> dict[str, object]:
    """How many catalogue changes the index has not taken in yet, and since when."""
    with database.session(write=False) as session:
        pending, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.topic == TOPIC, OutboxMessage.delivered_at.is_(None)
            )
        ).one()
    return {"pending_changes": pending, "oldest_pending_at": oldest.isoformat() if oldest else None}

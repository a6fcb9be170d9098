"""Delivery of outbox rows to in-process handlers, at least once, in id order per batch.

Several relays may run (one per app process, or ``ils outbox-relay``): on PostgreSQL each
claims its batch with ``FOR UPDATE SKIP LOCKED`` so no row is handled by two relays at once;
on SQLite the claiming transaction is ``BEGIN IMMEDIATE`` and so serialised anyway.
A failing handler leaves the row pending with a growing back-off; after ``max_attempts``
the row stays undelivered with its last error, for an operator to read.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from ils.clock import Clock, get_clock
from ils.db import Database
from ils.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

# How long an idle relay waits before looking again. A copy checked out at a desk must show as
# off the shelf in the OPAC within a second; polling an indexed "pending" query this often
# costs the database next to nothing.
POLL_SECONDS = 0.2

Handler = Callable[[OutboxMessage], None]


class Subscriptions:
    """Topic → handlers. A handler for ``"*"`` receives every topic."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        if handler not in self._handlers[topic]:
            self._handlers[topic].append(handler)

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        if handler in self._handlers[topic]:
            self._handlers[topic].remove(handler)

    def handlers_for(self, topic: str) -> list[Handler]:
        return [*self._handlers.get(topic, []), *self._handlers.get("*", [])]


subscriptions = Subscriptions()


class WebhookHandler:
    """Posts each event as JSON to an integrator's URL (ILS_WEBHOOK_URLS).

    The receiver deduplicates with the ``id`` field: delivery is at least once.
    """

    def __init__(self, url: str, client: httpx.Client | None = None):
        self.url = url
        self.client = client or httpx.Client(timeout=10)

    def __call__(self, message: OutboxMessage) -> None:
        body = {
            "id": message.id,
            "topic": message.topic,
            "key": message.key,
            "payload": message.payload,
            "created_at": message.created_at.isoformat(),
        }
        response = self.client.post(self.url, json=body)
        response.raise_for_status()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WebhookHandler) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


class Relay:
    def __init__(
        self,
        database: Database,
        subs: Subscriptions | None = None,
        *,
        clock: Clock | None = None,
        batch_size: int = 100,
        max_attempts: int = 20,
    ):
        self.database = database
        self.subs = subs or subscriptions
        self.clock = clock or get_clock()
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._stop = threading.Event()

    def run_once(self) -> int:
        """Deliver one batch of due messages; return how many were delivered."""
        delivered = 0
        with self.database.session(write=True) as session:
            now = self.clock.now()
            stmt = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.delivered_at.is_(None),
                    OutboxMessage.available_at <= now,
                    OutboxMessage.attempts < self.max_attempts,
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
            )
            if self.database.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            for message in session.scalars(stmt):
                try:
                    for handler in self.subs.handlers_for(message.topic):
                        handler(message)
                except Exception as exc:  # a handler's failure must not stop the others' rows
                    message.attempts += 1
                    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    backoff = min(2 ** message.attempts, 3600)
                    message.available_at = now + timedelta(seconds=backoff)
                    log.warning("outbox %s (%s) failed: %s", message.id, message.topic, exc)
                else:
                    message.attempts += 1
                    message.delivered_at = now
                    message.last_error = None
                    delivered += 1
        return delivered

    def run_until_idle(self, max_batches: int = 1000) -> int:
        total = 0
        for _ in range(max_batches):
            n = self.run_once()
            total += n
            if n == 0:
                break
        return total

    def run_forever(self, interval: float = POLL_SECONDS) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once() == 0:
                    self._stop.wait(interval)
            except Exception:  # database restarting: keep the relay alive
                log.exception("outbox relay batch failed")
                self._stop.wait(interval * 5)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self, interval: float = POLL_SECONDS) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(interval,), name="outbox-relay", daemon=True)
        thread.start()
        return thread


def pending_count(database: Database) -> dict[str, Any]:
    """How far delivery lags: used by the health endpoint."""
    from sqlalchemy import func

    with database.session(write=False) as session:
        pending, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.delivered_at.is_(None))
        ).one()
    return {"pending": pending, "oldest_pending_at": oldest.isoformat() if oldest else None}

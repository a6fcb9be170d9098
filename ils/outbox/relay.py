"""Delivery of outbox rows to in-process handlers and webhooks, at least once, in id order per batch.

A batch goes through three steps, and only the first and the last touch the database:
1. **claim**: one short write transaction leases up to ``batch_size`` due rows to this relay
   (``claimed_by``/``claimed_until``);
2. **deliver**: the handlers run with no transaction open, so a slow search commit or a
   webhook that never answers holds no lock a desk's check-out would queue behind (on SQLite
   the write lock is the whole database's); a handler with ``handle_many`` takes the batch's
   rows in one call (the search index: one commit per batch, not one per check-out);
3. **mark**: a second short transaction records each row as delivered, or failed with its
   back-off, and gives back rows it never got to.

Several relays may run (``ils serve`` and ``ils outbox-relay`` in other processes): a row
under a running lease is nobody else's, so in the normal case each row is delivered once. A
relay that dies between claim and mark leaves its rows leased; once the lease runs out the
next relay takes them, and they are delivered again: at least once, which is why handlers must
be idempotent. A relay stops starting rows when half its lease is spent, so it marks what it
did before another relay could take the rows over.

A failing handler leaves the row pending with a growing back-off; after ``max_attempts`` the
row stays undelivered with its last error, for an operator to read. A handler whose receiver
cannot be reached at all (it raises ``ReceiverUnavailable``: a timeout, a refused connection, a
502/503/504) is not called again for ``unavailable_seconds``; the rows it would have had fail
at once with the same reason, so one dead webhook costs the other rows and topics one timeout
per pause, not one per row.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from ils.clock import Clock, get_clock
from ils.db import Database
from ils.outbox import repository
from ils.outbox.models import OutboxMessage
from ils.outbox.settings import OutboxSettings

log = logging.getLogger(__name__)

# How long a relay that has caught up waits before looking again. A copy checked out at a desk
# must show as off the shelf in the OPAC within about a second: this plus one search-index
# commit (~0.4 s). Every batch costs such a commit (~0.1 s of CPU however few rows it holds),
# so on a small SQLite server polling more often takes CPU from the desks: with 8 desks on 2
# busy cores, 0.2 s here gave a p95 of 1.55 s and 0.5 s one of 1.13 s (bench/relay_desks.py).
POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 3600
UNAVAILABLE_SECONDS = 30.0
ERROR_CHARS = 2000

Handler = Callable[[OutboxMessage], None]


class ReceiverUnavailable(Exception):
    """Raised by a handler whose receiver could not be reached or did not answer in time: not
    this message's fault, so the relay stops calling the handler for a while."""


class Subscriptions:
    """Topic → handlers. A handler for ``"*"`` receives every topic.

    A handler is called with one message. One that also has a ``handle_many(messages)`` method
    is called with that instead, once per batch with all the batch's messages of its topics in
    id order; it succeeds or fails for all of them together.
    """

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

    The receiver deduplicates with the ``id`` field: delivery is at least once. Connecting,
    sending and each wait for the answer are bounded by ``timeout`` (ILS_WEBHOOK_TIMEOUT_SECONDS),
    so a receiver that accepts and never answers costs the relay that long, not its lease.
    """

    def __init__(self, url: str, client: httpx.Client | None = None, *, timeout: float | None = None):
        self.url = url
        self.timeout = timeout if timeout is not None else OutboxSettings().webhook_timeout_seconds
        self.client = client or httpx.Client(timeout=self.timeout)

    def __call__(self, message: OutboxMessage) -> None:
        body = {
            "id": message.id,
            "topic": message.topic,
            "key": message.key,
            "payload": message.payload,
            "created_at": message.created_at.isoformat(),
        }
        try:
            response = self.client.post(self.url, json=body)
        except httpx.TransportError as exc:  # timed out, refused, reset: the receiver, not the message
            raise ReceiverUnavailable(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (502, 503, 504):
            raise ReceiverUnavailable(f"{self.url}: HTTP {response.status_code}")
        response.raise_for_status()

    def __repr__(self) -> str:
        return f"WebhookHandler({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WebhookHandler) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


def _takes_many(handler: Handler) -> bool:
    return callable(getattr(handler, "handle_many", None))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


def _backoff(attempts: int) -> timedelta:
    """Wait before the next attempt, given how many attempts the row will have had."""
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


@dataclass
class Batch:
    """Rows this relay has leased, in id order, and until when the lease runs."""

    messages: list[OutboxMessage]
    claimed_at: datetime
    until: datetime


@dataclass
class Outcome:
    """What delivering a batch did, for the marking transaction to record."""

    delivered: list[int] = field(default_factory=list)
    failed: list[repository.Failure] = field(default_factory=list)
    given_back: list[int] = field(default_factory=list)  # not finished in time: no attempt counted


def _relay_id() -> str:
    # Readable in the table (which machine and process holds a lease) and unique per Relay, as
    # tests run several in one process.
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Relay:
    def __init__(
        self,
        database: Database,
        subs: Subscriptions | None = None,
        *,
        clock: Clock | None = None,
        batch_size: int = 100,
        max_attempts: int = 20,
        lease_seconds: float | None = None,
        unavailable_seconds: float = UNAVAILABLE_SECONDS,
    ):
        self.database = database
        self.subs = subs or subscriptions
        self.clock = clock or get_clock()
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds if lease_seconds is not None
                               else OutboxSettings().outbox_lease_seconds)
        self.unavailable_for = timedelta(seconds=unavailable_seconds)
        self.relay_id = _relay_id()
        # handler -> (until when it is not called, why): receivers found unreachable.
        self._unavailable: dict[Handler, tuple[datetime, str]] = {}
        self._stop = threading.Event()

    # ---- the three steps -------------------------------------------------------------------

    def claim(self) -> Batch:
        """Step 1: lease a batch of due rows to this relay, in one short write transaction."""
        now = self.clock.now()
        until = now + self.lease
        with self.database.session(write=True) as session:
            messages = repository.claim(session, self.relay_id, now, until, self.batch_size, self.max_attempts)
        return Batch(messages, now, until)

    def deliver(self, batch: Batch) -> Outcome:
        """Step 2: hand the rows to their handlers, in id order, with no transaction open.

        A handler that takes many rows at once (``handle_many``) gets all of the batch's rows
        of its topics in one call, first: the search index commits once per batch instead of
        once per check-out. Then each row goes to its other handlers in turn. A row is
        delivered when every handler of its topic took it; its first failure ends its turn (the
        retry calls every handler again, which idempotent handlers allow).
        """
        # Past this point a row not yet finished could outlast the lease and be delivered by a
        # second relay at the same time; it is given back instead.
        start_by = batch.claimed_at + self.lease / 2
        errors: dict[int, str] = {}
        finished: set[int] = set()
        out_of_time = False
        groups: dict[Handler, list[OutboxMessage]] = {}
        for message in batch.messages:
            for handler in self.subs.handlers_for(message.topic):
                if _takes_many(handler):
                    groups.setdefault(handler, []).append(message)
        for handler, messages in groups.items():
            if self.clock.now() >= start_by:
                out_of_time = True
                break
            pending = [m for m in messages if m.id not in errors]
            error = self._call(handler, pending) if pending else None
            if error is not None:
                errors.update((m.id, error) for m in pending)
        for message in batch.messages:
            if message.id in errors:
                continue
            if out_of_time or self.clock.now() >= start_by:
                out_of_time = True
                break
            for handler in self.subs.handlers_for(message.topic):
                if _takes_many(handler):
                    continue
                error = self._call(handler, [message])
                if error is not None:
                    errors[message.id] = error
                    break
            else:
                finished.add(message.id)

        outcome = Outcome()
        retry_from = self.clock.now()
        for message in batch.messages:
            if message.id in finished:
                outcome.delivered.append(message.id)
            elif message.id in errors:
                outcome.failed.append(repository.Failure(message.id, errors[message.id],
                                                         retry_from + _backoff(message.attempts + 1)))
            else:
                outcome.given_back.append(message.id)
        if outcome.failed:
            first = outcome.failed[0]
            log.warning("outbox relay %s: %d of %d rows failed, first %s: %s", self.relay_id, len(outcome.failed),
                        len(batch.messages), first.id, first.error)
        if outcome.given_back:
            log.warning("outbox relay %s: lease half spent, giving back %d rows", self.relay_id,
                        len(outcome.given_back))
        return outcome

    def _call(self, handler: Handler, messages: list[OutboxMessage]) -> str | None:
        """Run one handler on one row (or, for ``handle_many``, on several); None when it took
        them, else why not."""
        now = self.clock.now()
        paused = self._unavailable.get(handler)
        if paused is not None:
            if now < paused[0]:
                return f"ReceiverUnavailable: not tried, {paused[1]}"
            del self._unavailable[handler]
        try:
            if _takes_many(handler):
                handler.handle_many(messages)  # type: ignore[attr-defined]
            else:
                handler(messages[0])
        except ReceiverUnavailable as exc:
            self._unavailable[handler] = (self.clock.now() + self.unavailable_for,
                                          f"unreachable since message {messages[0].id}: {exc}")
            return _error(exc)
        except Exception as exc:  # a handler's failure must not stop the others' rows
            return _error(exc)
        return None

    def mark(self, outcome: Outcome) -> None:
        """Step 3: record the batch's outcome in one short write transaction."""
        if not (outcome.delivered or outcome.failed or outcome.given_back):
            return
        with self.database.session(write=True) as session:
            repository.mark_delivered(session, outcome.delivered, self.clock.now())
            repository.mark_failed(session, self.relay_id, outcome.failed)
            repository.release(session, self.relay_id, outcome.given_back)

    # ---- running ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim, deliver and mark one batch of due messages; return how many were delivered.

        Should marking fail (the database restarting), the rows stay leased and are delivered
        again after the lease: at least once.
        """
        return self._cycle()[1]

    def _cycle(self) -> tuple[int, int]:
        """One batch: how many rows were claimed, and how many delivered."""
        batch = self.claim()
        if not batch.messages:
            return 0, 0
        outcome = self.deliver(batch)
        self.mark(outcome)
        return len(batch.messages), len(outcome.delivered)

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
                claimed, _ = self._cycle()
                # Only a full batch means a backlog worth going straight on with. Otherwise the
                # relay has caught up, and looping at once would cost a search-index commit
                # (~0.1 s of CPU whatever it holds) for every check-out or two, taking CPU
                # from the desks on a small server.
                if claimed < self.batch_size:
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

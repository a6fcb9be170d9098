"""Transactional outbox: side effects written in the same transaction, delivered after commit.

``emit(session, topic, key, payload, now)`` writes a row; the relay (``ils outbox-relay`` or
the thread inside ``ils serve``) hands each row to the handlers subscribed to its topic, at
least once. Handlers must be idempotent: a row can be delivered again after a crash between
a handler's success and the row being marked delivered.
"""

from ils.outbox.models import OutboxMessage
from ils.outbox.relay import Relay, Subscriptions, subscriptions
from ils.outbox.service import emit

__all__ = ["OutboxMessage", "Relay", "Subscriptions", "emit", "subscriptions"]

"""The transactional outbox: written with the change, delivered after commit, at least once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ils.clock import get_clock
from ils.outbox import Relay, Subscriptions, emit
from ils.outbox.models import OutboxMessage


def _count(db, **where) -> int:
    with db.session(write=False) as s:
        stmt = select(func.count()).select_from(OutboxMessage)
        if "delivered" in where:
            stmt = stmt.where(OutboxMessage.delivered_at.is_not(None) if where["delivered"] else OutboxMessage.delivered_at.is_(None))
        return s.scalar(stmt)


def test_message_is_lost_with_a_rolled_back_transaction(db):
    with pytest.raises(RuntimeError):
        with db.session() as s:
            emit(s, "record.changed", "record:1", {"record_id": 1}, get_clock().now())
            raise RuntimeError("use case failed after emitting")
    assert _count(db) == 0


def test_relay_delivers_committed_messages_once(db):
    seen: list[str] = []
    subs = Subscriptions()
    subs.subscribe("record.changed", lambda m: seen.append(m.key))
    with db.session() as s:
        for i in range(3):
            emit(s, "record.changed", f"record:{i}", {"record_id": i}, get_clock().now())
    relay = Relay(db, subs, clock=get_clock())
    assert relay.run_until_idle() == 3
    assert relay.run_until_idle() == 0
    assert seen == ["record:0", "record:1", "record:2"]
    assert _count(db, delivered=True) == 3


def test_failing_handler_is_retried_later_with_its_error_kept(db, clock):
    calls: list[int] = []
    subs = Subscriptions()

    def flaky(message):
        calls.append(message.id)
        if len(calls) == 1:
            raise ConnectionError("webhook receiver is down")

    subs.subscribe("*", flaky)
    with db.session() as s:
        emit(s, "record.changed", "record:7", {"record_id": 7}, clock.now())
    relay = Relay(db, subs, clock=clock)
    assert relay.run_once() == 0
    with db.session(write=False) as s:
        message = s.scalar(select(OutboxMessage))
        assert message.attempts == 1 and "webhook receiver is down" in message.last_error
    assert relay.run_once() == 0  # backing off: not due yet
    clock.advance(seconds=5)
    assert relay.run_once() == 1
    assert len(calls) == 2


def test_concurrent_relays_deliver_each_message_exactly_once(db):
    delivered: list[int] = []
    lock = threading.Lock()
    subs = Subscriptions()

    def record(message):
        with lock:
            delivered.append(message.id)

    subs.subscribe("*", record)
    with db.session() as s:
        for i in range(200):
            emit(s, "record.changed", f"record:{i}", {"record_id": i}, get_clock().now())
    relays = [Relay(db, subs, clock=get_clock(), batch_size=10) for _ in range(4)]
    threads = [threading.Thread(target=r.run_until_idle) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(delivered) == sorted(set(delivered))
    assert len(delivered) == 200
    assert _count(db, delivered=False) == 0


def test_webhook_handler_posts_event_json_to_a_real_http_server(db):
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from ils.outbox.relay import WebhookHandler

    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        subs = Subscriptions()
        subs.subscribe("*", WebhookHandler(f"http://127.0.0.1:{server.server_address[1]}/hook"))
        with db.session() as s:
            emit(s, "record.changed", "record:5", {"record_id": 5, "change": "created"}, get_clock().now())
        assert Relay(db, subs, clock=get_clock()).run_until_idle() == 1
    finally:
        server.shutdown()
    assert received[0]["topic"] == "record.changed"
    assert received[0]["payload"] == {"record_id": 5, "change": "created"}
    assert isinstance(received[0]["id"], int)

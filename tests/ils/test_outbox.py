"""The transactional outbox: written with the change, delivered after commit, at least once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from circulation.models import Loan
from ils.clock import get_clock
from ils.outbox import Relay, Subscriptions, emit
from ils.outbox.models import OutboxMessage
from ils.outbox.relay import Outcome, WebhookHandler
from ils.outbox.repository import Failure
from tests.support.concurrency import at_once
from tests.support.library import library
from tests.support.live_server import live_server


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


# ---- claim, deliver, mark: leases instead of a transaction held through delivery ------------------

REPOSITORY = Path(__file__).resolve().parents[2]
# Only so that nothing hangs for good if the code under test does; no test waits this long
# when it passes.
GIVE_UP_SECONDS = 60.0


class StuckReceiver:
    """A real HTTP server that accepts each webhook POST, reads it, and then answers nothing until
    ``release()``: a receiver that hangs. Counts the requests it has taken in."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                receiver.arrived.set()
                receiver.released.wait(GIVE_UP_SECONDS)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:  # the relay gave up and closed the connection
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StuckReceiver:
        self.thread.start()
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def _emit(db, topic: str, count: int, now) -> None:
    with db.session() as s:
        for i in range(count):
            emit(s, topic, f"{topic}:{i}", {"n": i}, now)


def _rows(db) -> list[OutboxMessage]:
    with db.session(write=False) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _write_lock_is_free(db) -> bool:
    """Could another writer start a transaction right now without waiting on anyone?"""
    if db.dialect == "sqlite":
        conn = sqlite3.connect(db.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # "database is locked"
            return False
        finally:
            conn.close()
    # PostgreSQL: no other session of this database sits in an open transaction (the relay's
    # would hold its row locks and its snapshot there).
    with db.write_engine.connect() as conn:
        open_elsewhere = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar_one()
    return open_elsewhere == 0


def test_handlers_run_with_no_transaction_open_and_the_rows_leased_to_the_relay(db, clock):
    seen: list[tuple[str | None, object, bool]] = []
    subs = Subscriptions()
    relay = Relay(db, subs, clock=clock, lease_seconds=60)

    def handler(message):
        free = _write_lock_is_free(db)
        with db.session(write=False) as s:
            row = s.get(OutboxMessage, message.id)
        seen.append((row.claimed_by, row.claimed_until, free))

    subs.subscribe("*", handler)
    _emit(db, "record.changed", 2, clock.now())
    assert relay.run_once() == 2
    # The claim was committed before delivery, and nothing was left open while the handler ran.
    assert seen == [(relay.relay_id, clock.now() + timedelta(seconds=60), True)] * 2
    assert [(m.claimed_by, m.claimed_until, m.attempts) for m in _rows(db)] == [(None, None, 1)] * 2


def test_rows_of_a_relay_that_died_after_claiming_are_delivered_by_the_next_once_its_lease_runs_out(db, clock):
    seen: list[str] = []
    subs = Subscriptions()
    subs.subscribe("*", lambda m: seen.append(m.key))
    _emit(db, "record.changed", 3, clock.now())
    dead = Relay(db, subs, clock=clock, lease_seconds=60)
    claimed = dead.claim()  # ... and the process is killed before it delivers or marks anything
    assert [m.key for m in claimed.messages] == ["record.changed:0", "record.changed:1", "record.changed:2"]

    successor = Relay(db, subs, clock=clock, lease_seconds=60)
    assert successor.run_once() == 0  # the lease still runs: not its rows
    clock.advance(seconds=59)
    assert successor.run_once() == 0
    clock.advance(seconds=1)
    assert successor.run_once() == 3
    assert seen == ["record.changed:0", "record.changed:1", "record.changed:2"]

    # The first relay was only stalled, not dead, and reports its rows failed: too late, the
    # rows are the successor's and stay delivered.
    dead.mark(Outcome(failed=[Failure(m.id, "ConnectionError: late", clock.now()) for m in claimed.messages]))
    assert [(m.delivered_at, m.attempts, m.last_error) for m in _rows(db)] == [(clock.now(), 1, None)] * 3


def test_rows_not_reached_before_half_the_lease_is_spent_are_given_back_for_another_relay(db, clock):
    seen: list[str] = []
    subs = Subscriptions()

    def slow(message):
        seen.append(message.key)
        clock.advance(seconds=20)  # a handler that takes 20 s

    subs.subscribe("*", slow)
    _emit(db, "record.changed", 3, clock.now())
    relay = Relay(db, subs, clock=clock, lease_seconds=60)
    assert relay.run_once() == 2  # started at 0 s and 20 s; at 40 s half the lease is gone
    assert seen == ["record.changed:0", "record.changed:1"]
    rows = _rows(db)
    assert rows[2].delivered_at is None and rows[2].claimed_by is None and rows[2].attempts == 0
    assert Relay(db, subs, clock=clock).run_once() == 1  # at once, not after the lease
    assert seen[-1] == "record.changed:2"


class BatchIndex:
    """A handler that takes a batch at once, as the search index does."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, message):
        raise AssertionError("a handler with handle_many is not called row by row")

    def handle_many(self, messages):
        self.calls.append([m.key for m in messages])
        if self.fail:
            raise OSError("index directory is locked")


def test_a_handler_that_takes_many_gets_the_whole_batch_of_its_topic_in_one_call_in_id_order(db, clock):
    index, seen = BatchIndex(), []
    subs = Subscriptions()
    subs.subscribe("records.changed", index)
    subs.subscribe("*", lambda m: seen.append(m.key))
    with db.session() as s:
        for key, topic in (("a", "records.changed"), ("b", "hold.ready"), ("c", "records.changed"),
                           ("d", "records.changed")):
            emit(s, topic, key, {}, clock.now())
    assert Relay(db, subs, clock=clock).run_once() == 4
    assert index.calls == [["a", "c", "d"]]
    assert seen == ["a", "b", "c", "d"]


def test_when_a_handler_that_takes_many_fails_all_its_rows_fail_and_the_other_topics_are_delivered(db, clock):
    index, seen = BatchIndex(fail=True), []
    subs = Subscriptions()
    subs.subscribe("records.changed", index)
    subs.subscribe("*", lambda m: seen.append(m.key))
    with db.session() as s:
        for key, topic in (("a", "records.changed"), ("b", "hold.ready"), ("c", "records.changed")):
            emit(s, topic, key, {}, clock.now())
    assert Relay(db, subs, clock=clock).run_once() == 1
    assert seen == ["b"]  # a failed row's turn ends at its first failure
    rows = {m.key: m for m in _rows(db)}
    assert rows["b"].delivered_at == clock.now()
    for key in ("a", "c"):
        assert rows[key].delivered_at is None and rows[key].attempts == 1
        assert rows[key].last_error == "OSError: index directory is locked"
        assert rows[key].available_at == clock.now() + timedelta(seconds=2)


def test_webhook_that_never_answers_times_out_and_its_row_backs_off(db, clock, monkeypatch):
    monkeypatch.setenv("ILS_WEBHOOK_TIMEOUT_SECONDS", "0.3")
    with StuckReceiver() as receiver:
        subs = Subscriptions()
        subs.subscribe("*", WebhookHandler(receiver.url))
        _emit(db, "record.changed", 1, clock.now())
        assert Relay(db, subs, clock=clock).run_once() == 0
        assert receiver.requests == 1 and not receiver.released.is_set()
    [row] = _rows(db)
    assert row.delivered_at is None and row.attempts == 1
    assert row.last_error.startswith("ReceiverUnavailable") and "ReadTimeout" in row.last_error
    assert row.available_at == clock.now() + timedelta(seconds=2)
    assert (row.claimed_by, row.claimed_until) == (None, None)


def test_unreachable_webhook_is_paused_so_other_rows_and_topics_are_not_held_behind_it(db, clock):
    indexed: list[str] = []
    with StuckReceiver() as receiver:
        subs = Subscriptions()
        subs.subscribe("records.changed", lambda m: indexed.append(m.key))  # as the search index does
        subs.subscribe("*", WebhookHandler(receiver.url, timeout=0.3))
        relay = Relay(db, subs, clock=clock, unavailable_seconds=30)
        _emit(db, "records.changed", 5, clock.now())
        assert relay.run_once() == 0
        # One timeout for the whole batch, not one per row; every row still reached the index.
        assert receiver.requests == 1
        assert indexed == [f"records.changed:{i}" for i in range(5)]
        errors = [m.last_error for m in _rows(db)]
        assert "ReadTimeout" in errors[0]
        assert all(e.startswith("ReceiverUnavailable: not tried") for e in errors[1:]), errors

        # Another topic's row, while the receiver is paused: not waited for either.
        _emit(db, "hold.ready", 1, clock.now())
        assert relay.run_once() == 0
        assert receiver.requests == 1
        clock.advance(seconds=30)  # the pause is over: the receiver is tried again, once per batch
        relay.run_once()
        assert receiver.requests == 2


def test_two_relays_in_two_processes_deliver_each_row_once(db, tmp_path):
    received: list[int] = []
    delivered_by: set[str] = set()
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            # Which relay holds the lease while delivering: the claim was committed before.
            with db.session(write=False) as s:
                owner = s.get(OutboxMessage, body["id"]).claimed_by
            with lock:
                received.append(body["id"])
                delivered_by.add(owner)
            time.sleep(0.01)  # a receiver that takes a moment, so the relays' batches overlap
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "ILS_DATABASE_URL": db.url, "ILS_SECRET_KEY": "relay-test-secret-key-0123456789abcdef",
           "ILS_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
           "ILS_WEBHOOK_URLS": f"http://127.0.0.1:{server.server_address[1]}/hook"}
    logs = [tmp_path / f"relay-{n}.log" for n in range(2)]
    processes = []
    try:
        for n, log in enumerate(logs):
            with log.open("ab") as sink:
                processes.append(subprocess.Popen(
                    [sys.executable, "-c", "from ils.cli import main; main()", "outbox-relay"],
                    env={**env, "ILS_DATA_DIR": str(tmp_path / f"data-{n}")}, cwd=REPOSITORY, stdout=sink,
                    stderr=sink, start_new_session=True))
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while not all("outbox relay running" in log.read_text(errors="replace") for log in logs):
            assert all(p.poll() is None for p in processes), [log.read_text(errors="replace") for log in logs]
            assert time.monotonic() < deadline, "the relays did not start"
            time.sleep(0.1)
        _emit(db, "test.ping", 300, get_clock().now())
        while _count(db, delivered=False):
            assert time.monotonic() < deadline, f"{_count(db, delivered=False)} rows still pending"
            time.sleep(0.1)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        server.shutdown()
        server.server_close()
    twice = [i for i, n in Counter(received).items() if n > 1]
    assert twice == [] and len(received) == 300
    assert len(delivered_by) == 2, delivered_by  # both took part


# ---- desks against the served app while its relay is stuck in a webhook ---------------------------

FAR = "2099-12-31"
DESKS = 6


@contextmanager
def _desk_clients(url: str, count: int) -> Iterator[list[httpx.Client]]:
    token = httpx.post(f"{url}/api/v1/auth/token", json={"username": "desk-all", "password": "password-123"})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # A check-out that queued behind the relay for the database lock would take the webhook's
    # whole timeout (120 s here) or end in "database is locked"; this only stops a hung test.
    limits = httpx.Limits(max_keepalive_connections=0)
    with ExitStack() as stack:
        yield [stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=GIVE_UP_SECONDS / 2,
                                                limits=limits)) for _ in range(count)]


def test_checkouts_at_several_desks_succeed_while_the_relay_waits_on_a_webhook_that_never_answers(client, db):
    lib = library(client, db)
    barcodes = [f"B{n}" for n in range(DESKS)]
    lib.title("红楼梦", {barcode: "DC-TD" for barcode in barcodes})  # written to the outbox for the relay
    cards = [f"DC{n:08d}" for n in range(1, DESKS + 1)]
    for card in cards:
        lib.reader(card, expires_on=FAR)

    with StuckReceiver() as receiver, live_server(db.url, relay=True, extra_env={
            "ILS_WEBHOOK_URLS": receiver.url, "ILS_WEBHOOK_TIMEOUT_SECONDS": "120"}) as url:
        assert receiver.arrived.wait(GIVE_UP_SECONDS), "the relay never called the webhook"
        with _desk_clients(url, DESKS) as desks:
            assert _write_lock_is_free(db)  # the relay waits with no transaction open
            lent = at_once(lambda n: desks[n].post("/api/v1/circulation/checkout", json={
                "card": cards[n], "barcode": barcodes[n], "unit": "DC-TD"}), DESKS)
            returned = at_once(lambda n: desks[n].post("/api/v1/circulation/checkin", json={
                "barcode": barcodes[n], "unit": "DC-TD"}), DESKS)
            # All of it answered while the relay was still inside its first webhook call.
            assert receiver.requests == 1 and not receiver.released.is_set()
        receiver.release()

    assert [r.status_code for r in lent] == [201] * DESKS, [r.text for r in lent]
    assert [r.status_code for r in returned] == [200] * DESKS, [r.text for r in returned]
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Loan).where(Loan.status == "returned")) == DESKS

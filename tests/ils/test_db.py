"""SQLite's write transactions: the writers of one process queue for the database's one write
lock in the order they asked, instead of polling it from SQLite's busy handler."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from ils.clock import get_clock
from ils.outbox import emit
from ils.outbox.models import OutboxMessage

# Only so that a broken queue fails the test instead of hanging it; nothing waits this long
# when the test passes.
GIVE_UP_SECONDS = 20.0


def _sqlite_only(db) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL writers lock rows, not the database")


def _waiting_to_begin(thread: threading.Thread) -> bool:
    """Is the thread inside the engine's begin hook, that is, queued for the write lock?"""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "_on_begin":
            return True
        frame = frame.f_back
    return False


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_sqlite_writers_get_the_write_lock_in_the_order_they_asked_for_it(db):
    _sqlite_only(db)
    holding, release = threading.Event(), threading.Event()
    order: list[int] = []

    def holder() -> None:
        with db.session() as s:
            emit(s, "test.write", "holder", {}, get_clock().now())
            s.flush()  # BEGIN IMMEDIATE: the write lock is ours until commit
            holding.set()
            release.wait(GIVE_UP_SECONDS)

    def writer(n: int) -> None:
        with db.session() as s:
            emit(s, "test.write", f"writer-{n}", {}, get_clock().now())
            s.flush()
            order.append(n)

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(GIVE_UP_SECONDS)
    writers = []
    for n in range(1, 5):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        # The next one asks only once this one is waiting in the queue.
        _wait_until(lambda: _waiting_to_begin(thread), f"writer {n} never queued for the write lock")
        writers.append(thread)
    release.set()
    for thread in [first, *writers]:
        thread.join(GIVE_UP_SECONDS)

    # SQLite's busy handler would wake whichever waiter's sleep ended first: often the newest.
    assert order == [1, 2, 3, 4]
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 5


def test_a_writer_whose_connection_broke_mid_transaction_does_not_keep_the_others_waiting(db):
    _sqlite_only(db)
    conn = db.write_engine.connect()
    conn.execute(OutboxMessage.__table__.insert().values(
        topic="test.write", key="broken", payload={}, created_at=get_clock().now(),
        available_at=get_clock().now(), attempts=0))  # BEGIN IMMEDIATE: the write lock is taken
    conn.invalidate()  # the connection is gone, and its transaction with it
    conn.close()

    done = threading.Event()

    def writer() -> None:
        with db.session() as s:
            emit(s, "test.write", "next", {}, get_clock().now())
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    # A queue place left taken would hold the next writer for the whole busy timeout (30 s).
    assert done.wait(GIVE_UP_SECONDS / 2), "the next writer is still waiting for the write lock"
    thread.join()
    with db.session(write=False) as s:
        assert s.scalars(select(OutboxMessage.key)).all() == ["next"]

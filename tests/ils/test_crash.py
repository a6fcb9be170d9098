"""`ils serve` killed with SIGKILL while desks lend and take back books, then started again.

The kernel's OOM killer picks the service, an operator kills it, a worker crashes: the process
dies between two instructions, requests half done, with no chance to roll back or answer. (The
machine and the database server stay up; a power cut is another matter.) What the desk was told
must still be true afterwards, and what it was not told must be whole or absent, never half.

Each round puts eight desks to work (check-outs and check-ins, each with an Idempotency-Key,
each desk on its own copies and readers so that every operation it sends should succeed), kills
the whole process group at a random moment, and before anything else touches the database asks:
- every answered operation is there, with the answer the desk got stored under its key;
- the circulation invariants hold (``ils circulation-check`` exits 0, and ``audit.check``
  names any problem);
then restarts the service and resends each operation that got no answer, with its key: one
that had committed before the kill gets its stored answer back and changes nothing, one that
had not is done now, exactly once. After the last round the loans in the database are exactly
the ones the answers named, open exactly where no check-in answered for them.

ILS_CRASH_ROUNDS and ILS_CRASH_SEED repeat a run or make it longer; the printed lines say how
many operations were in flight at each kill and how many of those had committed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from catalog.public import Item
from circulation import audit
from circulation.models import Loan, Patron
from ils.clock import SystemClock, set_clock
from ils.db import Database, set_database
from ils.idempotency import IdempotentRequest
from ils.migrate import upgrade
from tests.conftest import BACKENDS, drop_database_url, new_database_url
from tests.support.db import reset
from tests.support.library import library
from tests.support.live_server import REPOSITORY, CrashableServer

ROUNDS = int(os.environ.get("ILS_CRASH_ROUNDS", "3"))
DESKS = 8
TITLES, COPIES_PER_TITLE = 20, 10  # 200 copies
READERS_PER_DESK = 4
MAX_LOANS = 20  # above what one desk's four readers can borrow of its 25 copies: no refusals
HOMES = ("DC-TD", "DC-WL")
WORKERS = {"sqlite": 1, "postgresql": 2}
# The kill falls at a random moment once this many answers of the round have come back.
WARM_ANSWERS = 2 * DESKS
WARM_SECONDS = 30.0
KILL_AFTER_WARM = (0.0, 0.8)
CLI_SECONDS = 120
TIMEOUT = 30.0
FAR = "2099-12-31"
CHECKOUT = "/api/v1/circulation/checkout"
CHECKIN = "/api/v1/circulation/checkin"
QUIET_SECONDS = 10.0


@pytest.fixture(params=BACKENDS)
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own for this test, made with Alembic (the session's shared test
    database is left alone: a killed server leaves it in whatever state the crash made)."""
    url = new_database_url(request.param, tmp_path)
    database: Database | None = None
    try:
        upgrade(url)
        database = Database.from_url(url)
        # The per-process caches (units, rules, logins) must copy this database's rows only.
        reset(database)
        set_database(database)
        # The served process lives on the system clock; the seeding does too.
        set_clock(SystemClock())
        yield database
    finally:
        set_database(None)
        if database is not None:
            reset(database)
            database.dispose()
        drop_database_url(url)


# ---- the desks ----------------------------------------------------------------------------------


@dataclass
class Operation:
    kind: str  # checkout | checkin
    key: str
    body: dict[str, Any]
    round: int
    desk: int
    status: int | None = None  # None: no answer came (the server died first)
    answer: Any = None
    failure: str | None = None  # how the request ended without an answer
    reached_server: bool = False  # the connection was made before the server died
    committed_before_retry: bool | None = None  # for unanswered ones: was its key stored?

    @property
    def path(self) -> str:
        return CHECKOUT if self.kind == "checkout" else CHECKIN

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        first = f", first try: {self.failure}" if self.failure else ""
        return f"{self.kind} {self.body} key {self.key} (round {self.round}{first}) -> {self.status} {self.answer}"


@dataclass
class Desk:
    """One desk's copies and readers, and what it believes of them from the answers it got."""

    number: int
    copies: dict[str, str]  # barcode -> home unit (where it is lent and taken back)
    readers: list[str]
    on_loan: dict[str, str] = field(default_factory=dict)  # barcode -> card, per the answers
    operations: list[Operation] = field(default_factory=list)

    def next_operation(self, rng: random.Random, round_: int) -> Operation:
        counts = Counter(self.on_loan.values())
        borrowers = [card for card in self.readers if counts[card] < MAX_LOANS]
        shelf = [barcode for barcode in self.copies if barcode not in self.on_loan]
        key = uuid.uuid4().hex
        if self.on_loan and (not shelf or not borrowers or rng.random() < 0.5):
            barcode = rng.choice(sorted(self.on_loan))
            return Operation("checkin", key, {"barcode": barcode, "unit": self.copies[barcode]}, round_, self.number)
        barcode = rng.choice(shelf)
        return Operation("checkout", key, {"card": rng.choice(borrowers), "barcode": barcode,
                                           "unit": self.copies[barcode]}, round_, self.number)

    def learn(self, op: Operation) -> None:
        if not op.acknowledged:
            return
        if op.kind == "checkout":
            self.on_loan[op.body["barcode"]] = op.body["card"]
        else:
            self.on_loan.pop(op.body["barcode"], None)


def send(client: httpx.Client, op: Operation) -> None:
    """Send ``op`` with its key, recording the answer, or how it failed to get one."""
    try:
        response = client.post(op.path, json=op.body, headers={"Idempotency-Key": op.key})
    except httpx.TransportError as exc:
        op.failure = f"{type(exc).__name__}: {exc}"
        # Refused at connect: the request never left; anything else was sent (or being sent).
        op.reached_server = not isinstance(exc, httpx.ConnectError)
        return
    op.status = response.status_code
    op.answer = response.json() if response.headers.get("content-type", "").startswith("application/json") \
        else response.text


def work(client: httpx.Client, desk: Desk, rng: random.Random, round_: int, start: threading.Barrier) -> None:
    """Lend and take back until the server stops answering; the last operation is unanswered."""
    start.wait()
    while True:
        op = desk.next_operation(rng, round_)
        desk.operations.append(op)
        send(client, op)
        if op.status is None:
            return
        desk.learn(op)


# ---- what the database says ------------------------------------------------------------------------


def wait_until_no_server_connections(db: Database) -> None:
    """On PostgreSQL a backend of the killed server may still be finishing a COMMIT it had
    received; until every one has gone, "was this key stored" could change after it is asked.
    (A dead SQLite process writes nothing more.)"""
    if db.dialect != "postgresql":
        return
    # The test's own pooled connections would be counted too.
    db.dispose()
    deadline = time.monotonic() + QUIET_SECONDS
    with db.write_engine.connect() as conn:
        while True:
            left = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar_one()
            conn.rollback()
            if left == 0:
                return
            assert time.monotonic() < deadline, f"{left} connection(s) of the killed server still open"
            time.sleep(0.05)


def stored_answers(db: Database, keys: list[str]) -> dict[str, tuple[int, Any]]:
    with db.session(write=False) as s:
        return {row.key: (row.status_code, row.response)
                for row in s.scalars(select(IdempotentRequest).where(IdempotentRequest.key.in_(keys)))}


def circulation_check_cli(db: Database) -> subprocess.Popen[str]:
    """``ils circulation-check`` on the database, started (the caller waits for it)."""
    return subprocess.Popen([sys.executable, "-c", "from ils.cli import main; main()", "circulation-check"],
                            env={**os.environ, "ILS_DATABASE_URL": db.url}, cwd=REPOSITORY, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def audit_problems(db: Database) -> list[str]:
    with db.session(write=False) as s:
        return audit.check(s)


def loans_in_database(db: Database) -> dict[int, tuple[str, str, str]]:
    """loan id -> (barcode, card, status)."""
    with db.session(write=False) as s:
        rows = s.execute(select(Loan.id, Item.barcode, Patron.card_number, Loan.status)
                         .join(Item, Item.id == Loan.item_id).join(Patron, Patron.id == Loan.patron_id))
        return {loan_id: (barcode, card, status) for loan_id, barcode, card, status in rows}


def item_statuses(db: Database) -> dict[str, str]:
    with db.session(write=False) as s:
        return {barcode: status for barcode, status in s.execute(select(Item.barcode, Item.status))}


# ---- the test --------------------------------------------------------------------------------------


def seed(db: Database) -> list[Desk]:
    from fastapi.testclient import TestClient

    from ils.app import create_app

    desks = [Desk(n, {}, [f"DC{n:02d}{r:06d}" for r in range(READERS_PER_DESK)]) for n in range(DESKS)]
    with TestClient(create_app()) as client:
        lib = library(client, db, max_items=MAX_LOANS)
        for t in range(TITLES):
            copies = {f"K{t:02d}{c:02d}": HOMES[c % len(HOMES)] for c in range(COPIES_PER_TITLE)}
            lib.title(f"馆藏{t}", copies)
            for c, (barcode, home) in enumerate(copies.items()):
                desks[(t * COPIES_PER_TITLE + c) % DESKS].copies[barcode] = home
        for desk in desks:
            for card in desk.readers:
                lib.reader(card, expires_on=FAR)
    return desks


def desk_clients(base_url: str, count: int) -> list[httpx.Client]:
    token = httpx.post(f"{base_url}/api/v1/auth/token", json={"username": "desk-all", "password": "password-123"},
                       timeout=TIMEOUT)
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # No keep-alive: every request opens its connection, so one that fails did so because of
    # the kill, not because the server closed an idle connection as it was reused.
    limits = httpx.Limits(max_keepalive_connections=0)
    return [httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT, limits=limits) for _ in range(count)]


def load_then_kill(server: CrashableServer, clients: list[httpx.Client], desks: list[Desk], rng: random.Random,
                   round_: int) -> str:
    """Set every desk to work, kill the server at a random moment once answers flow, and wait
    for the desks to notice. Returns how the kill fell."""
    start = threading.Barrier(DESKS + 1)
    threads = [threading.Thread(target=work, args=(clients[n], desks[n], random.Random(rng.random()), round_, start),
                                daemon=True) for n in range(DESKS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.monotonic()

    def answered() -> int:
        return sum(1 for desk in desks for op in desk.operations if op.round == round_ and op.status is not None)

    # Answers flowing, not start-up: on a busy machine the first requests of a fresh process are slow.
    while answered() < WARM_ANSWERS and time.monotonic() - began < WARM_SECONDS:
        time.sleep(0.01)
    time.sleep(rng.uniform(*KILL_AFTER_WARM))
    seconds = time.monotonic() - began
    server.kill()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a desk is still waiting for the killed server"
    return f"killed after {seconds:.2f} s of load"


def test_acknowledged_circulation_survives_kill_9_and_unanswered_retries_happen_exactly_once(crash_db):
    db = crash_db
    seed_value = int(os.environ.get("ILS_CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed_value)
    desks = seed(db)
    reports: list[str] = []
    problems: list[str] = []

    def fail_if_any() -> None:
        assert not problems, f"seed {seed_value}\n" + "\n".join(reports + problems)

    with CrashableServer(db.url, workers=WORKERS[db.dialect]) as server:
        server.start()
        clients = desk_clients(server.base_url, DESKS)
        try:
            for round_ in range(1, ROUNDS + 1):
                how = load_then_kill(server, clients, desks, rng, round_)
                wait_until_no_server_connections(db)
                this_round = [op for desk in desks for op in desk.operations if op.round == round_]
                answered = [op for op in this_round if op.status is not None]
                unanswered = [op for op in this_round if op.status is None]
                stored = stored_answers(db, [op.key for op in this_round])

                # What the desks were told is in the database, under their keys.
                problems += [f"{op.describe()}: not a success" for op in answered if not op.acknowledged]
                acknowledged = [op for op in answered if op.acknowledged]
                problems += [f"{op.describe()}: acknowledged, but nothing is stored for its key"
                             for op in acknowledged if op.key not in stored]
                problems += [f"{op.describe()}: acknowledged, but its key holds {stored[op.key]}"
                             for op in acknowledged if op.key in stored and stored[op.key] != (op.status, op.answer)]
                for op in unanswered:
                    op.committed_before_retry = op.key in stored
                in_flight = [op for op in unanswered if op.reached_server]
                reports.append(
                    f"{db.dialect} round {round_}: {how}, {len(answered)} operations answered; {len(in_flight)} in "
                    f"flight at the kill ({sum(bool(op.committed_before_retry) for op in in_flight)} of them "
                    f"committed, their answer lost), {len(unanswered) - len(in_flight)} refused at connect")

                # Nothing half-written: the invariants hold on what the crash left. The command
                # reads while the service starts again (neither writes a loan).
                problems += [f"after kill {round_}: {p}" for p in audit_problems(db)]
                cli = circulation_check_cli(db)
                restarting = time.monotonic()
                server.start()
                reports[-1] += f"; up again in {time.monotonic() - restarting:.1f} s"
                out, err = cli.communicate(timeout=CLI_SECONDS)
                if cli.returncode != 0:
                    problems.append(f"after kill {round_}: ils circulation-check exited {cli.returncode}:\n{out}{err}")
                fail_if_any()

                loans_before = set(loans_in_database(db))
                for op in unanswered:
                    first = stored.get(op.key)
                    send(clients[0], op)
                    if first is not None and (op.status, op.answer) != first:
                        problems.append(f"{op.describe()}: committed before the kill with {first}, "
                                        "but the retry answered otherwise")
                    if not op.acknowledged:
                        problems.append(f"{op.describe()}: retried after the restart, not a success")
                    again = Operation(op.kind, op.key, op.body, op.round, op.desk)
                    send(clients[0], again)
                    if (again.status, again.answer) != (op.status, op.answer):
                        problems.append(f"{op.describe()}: resent once more, answered {again.status} {again.answer}")
                fail_if_any()
                for op in unanswered:
                    desks[op.desk].learn(op)
                # A retry of what had committed adds no loan; one of an uncommitted check-out adds its own.
                new_loans = set(loans_in_database(db)) - loans_before
                expected = {op.answer["id"] for op in unanswered if op.kind == "checkout"
                            and not op.committed_before_retry}
                if new_loans != expected:
                    problems.append(f"round {round_}: the retries made loans {sorted(new_loans)}, "
                                    f"expected {sorted(expected)}")
                fail_if_any()
        finally:
            for client in clients:
                client.close()

    print("\n" + "\n".join(reports))
    operations = [op for desk in desks for op in desk.operations]
    checkouts = [op for op in operations if op.kind == "checkout"]
    checkins = [op for op in operations if op.kind == "checkin"]
    loans = loans_in_database(db)
    lent = Counter(op.answer["id"] for op in checkouts)
    problems += [f"loan {loan_id} was the answer to {n} check-outs" for loan_id, n in lent.items() if n > 1]
    problems += [f"{op.describe()}: its loan is not in the database"
                 for op in checkouts if op.answer["id"] not in loans]
    problems += [f"{op.describe()}: the database has loan {op.answer['id']} as {loans[op.answer['id']]}"
                 for op in checkouts if op.answer["id"] in loans
                 and loans[op.answer["id"]][:2] != (op.body["barcode"], op.body["card"])]
    problems += [f"loan {loan_id} {row} was never an answer to a check-out"
                 for loan_id, row in loans.items() if loan_id not in lent]
    returned = {op.answer["loan"]["id"] for op in checkins if op.answer.get("loan")}
    problems += [f"{op.describe()}: answered without the loan it returned" for op in checkins
                 if not op.answer.get("loan")]
    problems += [f"loan {loan_id} was returned by an answer but is {loans[loan_id][2]}"
                 for loan_id in returned if loan_id in loans and loans[loan_id][2] != "returned"]
    problems += [f"loan {loan_id} {row} is returned but no check-in answered for it"
                 for loan_id, row in loans.items() if row[2] == "returned" and loan_id not in returned]
    statuses = item_statuses(db)
    problems += [f"copy {barcode} is {statuses[barcode]}, the desk was told "
                 f"{'lent to ' + desk.on_loan[barcode] if barcode in desk.on_loan else 'returned'}"
                 for desk in desks for barcode in desk.copies
                 if statuses[barcode] != ("on_loan" if barcode in desk.on_loan else "available")]
    problems += [f"at the end: {p}" for p in audit_problems(db)]
    assert checkouts and checkins, "\n".join(reports)
    fail_if_any()

"""Many desks at the same instant, against the running HTTP service.

Each test seeds a small network in-process, starts ``ils serve`` on the test database (two
worker processes on PostgreSQL, where row locks and unique indexes must hold the line; one on
SQLite, whose write transactions queue on the database lock), and releases its clients
together, each with its own connection. Afterwards the database itself is asked: the loans,
holds and events that exist, and ``circulation.audit.check``.

The served process runs on the system clock, so loans and holds the races start from are made
through it, and readers' cards expire far in the future.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import httpx
from sqlalchemy import select

from catalog.public import Item
from circulation import audit
from circulation.models import Hold, Loan
from ils.db import Database
from ils.events import Event
from tests.support.concurrency import at_once
from tests.support.library import Library, library
from tests.support.live_server import live_server

WORKERS = {"sqlite": 1, "postgresql": 2}
# Generous: on SQLite a request may queue behind every other writer for the database lock.
TIMEOUT = 60.0
FAR = "2099-12-31"
CHECKOUT = "/api/v1/circulation/checkout"
CHECKIN = "/api/v1/circulation/checkin"
RENEW = "/api/v1/circulation/renew"
HOLDS = "/api/v1/holds"
RECEIVE = "/api/v1/transits/receive"


@contextmanager
def desks(db: Database, count: int) -> Iterator[list[httpx.Client]]:
    """The live service and ``count`` clients logged in as the network's desk."""
    with live_server(db.url, workers=WORKERS[db.dialect]) as url:
        token = httpx.post(f"{url}/api/v1/auth/token", json={"username": "desk-all", "password": "password-123"})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        # No keep-alive: a connection left idle while the test sets up would be closed by the
        # server just as the race reuses it, and the client would see a reset, not an answer.
        limits = httpx.Limits(max_keepalive_connections=0)
        with ExitStack() as stack:
            yield [stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT, limits=limits))
                   for _ in range(count)]


def readers(lib: Library, cards: list[str]) -> None:
    for card in cards:
        lib.reader(card, expires_on=FAR)


def cards(count: int) -> list[str]:
    return [f"DC{n:08d}" for n in range(1, count + 1)]


def no_server_error(responses: list[httpx.Response]) -> None:
    failures = [f"{r.request.method} {r.request.url.path} {r.request.content!r} -> {r.status_code}: {r.text}"
                for r in responses if r.status_code >= 500]
    assert not failures, "\n".join(failures)


def codes(response: httpx.Response) -> set[str]:
    return {b["code"] for b in response.json().get("blocks", [])}


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), f"{response.request.url.path}: {response.status_code} {response.text}"
    return response.json()


def consistent(db: Database) -> None:
    with db.session(write=False) as s:
        assert audit.check(s) == []


def events(db: Database, *kinds: str) -> list[Event]:
    with db.session(write=False) as s:
        return list(s.scalars(select(Event).where(Event.kind.in_(kinds)).order_by(Event.id)))


def test_one_copy_lent_at_sixteen_desks_at_once_goes_to_exactly_one_reader(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    borrowers = cards(16)
    readers(lib, borrowers)

    with desks(db, 16) as clients:
        answers = at_once(lambda n: clients[n].post(CHECKOUT, json={"card": borrowers[n], "barcode": "B1",
                                                                     "unit": "DC-TD"}), 16)

    no_server_error(answers)
    lent = [a.json() for a in answers if a.status_code == 201]
    assert len(lent) == 1, [a.text for a in answers]
    refused = [a for a in answers if a.status_code != 201]
    assert all(a.status_code == 409 and "ITEM_ON_LOAN" in codes(a) for a in refused), [a.text for a in refused]
    with db.session(write=False) as s:
        active = s.execute(select(Loan.id, Loan.status).where(Loan.status != "returned")).all()
    assert [tuple(row) for row in active] == [(lent[0]["id"], "open")]
    consistent(db)


def test_one_reader_at_sixteen_desks_at_the_loan_limit_gets_exactly_the_limit(client, db):
    lib = library(client, db, max_items=3)
    copies = [f"B{n:02d}" for n in range(16)]
    lib.title("红楼梦", {barcode: "DC-TD" for barcode in copies})
    readers(lib, ["DC00000001"])

    with desks(db, 16) as clients:
        answers = at_once(lambda n: clients[n].post(CHECKOUT, json={"card": "DC00000001", "barcode": copies[n],
                                                                     "unit": "DC-TD"}), 16)

    no_server_error(answers)
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 13, [a.text for a in answers]
    refused = [a for a in answers if a.status_code == 409]
    assert all(codes(a) == {"PATRON_LOAN_LIMIT"} for a in refused), [a.text for a in refused]
    with db.session(write=False) as s:
        assert s.scalars(select(Loan.id).where(Loan.status == "open")).all() == sorted(
            a.json()["id"] for a in answers if a.status_code == 201)
    consistent(db)


def test_copies_returned_at_once_trap_the_one_waiting_hold_with_exactly_one_copy(client, db):
    lib = library(client, db)
    copies = [f"C{n}" for n in range(6)]
    record_id = lib.title("红楼梦", {barcode: "DC-TD" for barcode in copies})
    borrowers = cards(6)
    readers(lib, [*borrowers, "WL00000001"])

    with desks(db, 6) as clients:
        for card, barcode in zip(borrowers, copies):
            created(clients[0].post(CHECKOUT, json={"card": card, "barcode": barcode, "unit": "DC-TD"}))
        hold = created(clients[0].post(HOLDS, json={"card": "WL00000001", "record_id": record_id,
                                                    "pickup_unit": "DC-WL"}))
        answers = at_once(lambda n: clients[n].post(CHECKIN, json={"barcode": copies[n], "unit": "DC-WL"}), 6)

    no_server_error(answers)
    results = [created(a) for a in answers]
    trapped = [r for r in results if r["hold"] is not None]
    assert [(r["disposition"], r["destination_unit"], r["hold"]["hold_id"]) for r in trapped] == [
        ("hold_shelf", "DC-WL", hold["id"])], results
    # The others owe no reader anything here: they go home to their branch.
    assert all((r["disposition"], r["destination_unit"]) == ("transit", "DC-TD")
               for r in results if r["hold"] is None), results
    with db.session(write=False) as s:
        row = s.execute(select(Hold.status, Item.barcode).join(Item, Item.id == Hold.item_id)
                        .where(Hold.id == hold["id"])).one()
    assert tuple(row) == ("ready", trapped[0]["barcode"])
    assert len(events(db, "hold.ready")) == 1
    consistent(db)


def test_a_return_racing_a_hold_placement_either_traps_the_copy_or_leaves_the_hold_pointing_at_it(client, db):
    rounds, titles = 3, 8
    lib = library(client, db)
    record_ids = [lib.title(f"书{n}", {f"R{n:02d}": "DC-TD"}) for n in range(rounds * titles)]
    people = cards(rounds * titles)
    readers(lib, people)
    # Reader n borrows copy n and asks for title n + 1 (so never for a title they have).
    holder = {n: people[(n + 1) % len(people)] for n in range(len(people))}
    placed: dict[int, int] = {}

    with desks(db, 2 * titles) as clients:
        for n, card in enumerate(people):
            created(clients[0].post(CHECKOUT, json={"card": card, "barcode": f"R{n:02d}", "unit": "DC-TD"}))
        for r in range(rounds):
            batch = range(r * titles, (r + 1) * titles)

            def act(k: int, batch: range = batch) -> httpx.Response:
                n = batch[k % titles]
                if k < titles:
                    return clients[k].post(CHECKIN, json={"barcode": f"R{n:02d}", "unit": "DC-TD"})
                return clients[k].post(HOLDS, json={"card": holder[n], "record_id": record_ids[n],
                                                    "pickup_unit": "DC-TD"})

            answers = at_once(act, 2 * titles)
            no_server_error(answers)
            for k in range(titles, 2 * titles):
                placed[batch[k - titles]] = created(answers[k])["id"]

    with db.session(write=False) as s:
        states = {}
        for n, hold_id in placed.items():
            hold = s.get(Hold, hold_id)
            copy = s.scalars(select(Item).where(Item.barcode == f"R{n:02d}")).one()
            assert hold is not None
            states[copy.barcode] = (hold.status, hold.item_id == copy.id, hold.target_item_id == copy.id,
                                    copy.status)
    lost = {barcode: state for barcode, state in states.items()
            if state not in {("ready", True, False, "on_hold_shelf"), ("waiting", False, True, "available")}}
    assert not lost, f"(hold status, trapped this copy, targets this copy, copy status): {lost}"
    ready = Counter(e.subject for e in events(db, "hold.ready"))
    assert all(n == 1 for n in ready.values()), ready
    consistent(db)


def test_sixteen_retries_of_one_checkout_with_one_key_lend_once_and_all_get_the_same_answer(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    readers(lib, ["DC00000001"])
    key = {"Idempotency-Key": str(uuid.uuid4())}

    with desks(db, 16) as clients:
        answers = at_once(lambda n: clients[n].post(CHECKOUT, headers=key, json={
            "card": "DC00000001", "barcode": "B1", "unit": "DC-TD"}), 16)

    no_server_error(answers)
    assert [a.status_code for a in answers] == [201] * 16, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers), [a.text for a in answers]
    with db.session(write=False) as s:
        assert s.scalars(select(Loan.id)).all() == [answers[0].json()["id"]]
    assert [e.after["loan_id"] for e in events(db, "loan.checkout")] == [answers[0].json()["id"]]
    consistent(db)


# ---- a randomized mixed run -------------------------------------------------------------------

UNITS = ("DC-TD", "DC-WL", "DC")
OPERATIONS = ("checkout",) * 3 + ("checkin",) * 3 + ("renew", "hold", "hold", "cancel", "receive", "receive")


@dataclass
class Answer:
    operation: str
    method: str
    path: str
    body: Any
    status: int
    text: str
    replay: bool = False

    def json(self) -> Any:
        return json.loads(self.text)


class Network:
    """What the clients of the mixed run share: the pools, the holds acknowledged so far (to
    cancel) and where copies were last sent (to receive them there)."""

    def __init__(self, record_ids: list[int], barcodes: list[str], people: list[str]) -> None:
        self.record_ids, self.barcodes, self.people = record_ids, barcodes, people
        self.lock = threading.Lock()
        self.holds: list[int] = []
        self.heading: dict[str, str] = {}

    def request(self, rng: random.Random) -> tuple[str, str, str, Any]:
        """(operation, method, path, body) of a random desk action."""
        operation = rng.choice(OPERATIONS)
        barcode, unit = rng.choice(self.barcodes), rng.choice(UNITS)
        if operation == "checkout":
            return operation, "POST", CHECKOUT, {"card": rng.choice(self.people), "barcode": barcode, "unit": unit}
        if operation == "checkin":
            return operation, "POST", CHECKIN, {"barcode": barcode, "unit": unit}
        if operation == "renew":
            return operation, "POST", RENEW, {"barcode": barcode}
        if operation == "hold":
            return operation, "POST", HOLDS, {"card": rng.choice(self.people),
                                              "record_id": rng.choice(self.record_ids), "pickup_unit": unit}
        with self.lock:
            if operation == "cancel" and self.holds:
                return operation, "DELETE", f"{HOLDS}/{rng.choice(self.holds)}", None
            if self.heading:
                barcode = rng.choice(sorted(self.heading))
                unit = self.heading[barcode]
        return "receive", "POST", RECEIVE, {"barcode": barcode, "unit": unit}

    def learn(self, answer: Answer) -> None:
        if answer.status >= 300:
            return
        body = answer.json()
        move = {"checkin": body, "receive": body, "cancel": body.get("copy_move")}.get(answer.operation)
        with self.lock:
            if answer.operation == "hold":
                self.holds.append(body["id"])
            elif move is not None and move["disposition"] == "transit":
                self.heading[move["barcode"]] = move["destination_unit"]
            elif move is not None:
                self.heading.pop(move["barcode"], None)


def run_client(client: httpx.Client, network: Network, rng: random.Random, deadline: float) -> list[Answer]:
    """Random desk work until the deadline. Now and then a request is resent with its key, as
    a desk on a flaky line does; the resent one directly follows its first in the list."""
    answers: list[Answer] = []
    while time.monotonic() < deadline:
        operation, method, path, body = network.request(rng)
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        response = client.request(method, path, json=body, headers=headers)
        first = Answer(operation, method, path, body, response.status_code, response.text)
        answers.append(first)
        network.learn(first)
        if first.status < 500 and rng.random() < 0.1:
            again = client.request(method, path, json=body, headers=headers)
            answers.append(Answer(operation, method, path, body, again.status_code, again.text, replay=True))
    return answers


def test_thirty_two_desks_doing_random_work_leave_every_invariant_and_every_acknowledgement_intact(client, db):
    seconds = float(os.environ.get("ILS_CONCURRENCY_SECONDS", "4"))
    seed = int(os.environ.get("ILS_CONCURRENCY_SEED", str(random.randrange(1 << 30))))
    lib = library(client, db, max_items=3, renewals=2)
    barcodes: list[str] = []
    record_ids = []
    for t in range(4):
        copies = {f"M{t}{c}": UNITS[c] for c in range(3)}
        record_ids.append(lib.title(f"混合{t}", copies))
        barcodes += copies
    people = cards(10)
    readers(lib, people)
    network = Network(record_ids, barcodes, people)

    with desks(db, 32) as clients:
        deadline = time.monotonic() + seconds
        runs = at_once(lambda n: run_client(clients[n], network, random.Random(seed + n), deadline), 32)

    answers = [a for run in runs for a in run]
    context = f"seed {seed}, {len(answers)} requests: " + str(
        Counter((a.operation, a.status) for a in answers).most_common())
    # Every finding is gathered before failing: one run shows all that went wrong in it.
    problems = [f"{a.method} {a.path} {a.body} -> {a.status}: {a.text}"
                for a in answers if a.status not in (200, 201, 409)]
    replays = [(a, b) for run in runs for a, b in pairwise(run) if b.replay and b.status < 500]
    problems += [f"resent {b.method} {b.path} {b.body} -> {b.status} {b.text}, first answer {a.status} {a.text}"
                 for a, b in replays if (a.status, a.json()) != (b.status, b.json())]
    firsts = [a for a in answers if not a.replay and a.status in (200, 201)]
    loan_ids = [a.json()["id"] for a in firsts if a.operation == "checkout"]
    hold_ids = [a.json()["id"] for a in firsts if a.operation == "hold"]
    # Two check-outs acknowledged with one loan would mean one of them was never made.
    problems += [f"loan {loan_id} acknowledged to {n} check-outs" for loan_id, n in Counter(loan_ids).items() if n > 1]
    checkouts = Counter(e.after["loan_id"] for e in events(db, "loan.checkout"))
    problems += [f"acknowledged loan {loan_id} has {checkouts[loan_id]} loan.checkout events"
                 for loan_id in set(loan_ids) if checkouts[loan_id] != 1]
    placed = Counter(e.subject for e in events(db, "hold.placed"))
    problems += [f"acknowledged hold {hold_id} has {placed[f'hold:{hold_id}']} hold.placed events"
                 for hold_id in hold_ids if placed[f"hold:{hold_id}"] != 1]
    with db.session(write=False) as s:
        problems += audit.check(s)
    assert loan_ids and hold_ids, context
    assert not problems, context + "\n" + "\n".join(problems)

"""Circulation throughput and latency, over HTTP and in-process, beside pgbench's TPC-B.

    .venv/bin/python bench/circulation.py [--seconds 30] [--items 100000] [--patrons 20000]
        [--clients 32] [--workers 2] [--client-processes 1] [--database-url URL] [--keep]

Creates a fresh PostgreSQL database (ils_bench_<random> on postgresql+psycopg://postgres@127.0.0.1:5432
unless --database-url names one), migrates it and loads the demo network (37 units), its patron
categories, loan rules and a librarian per unit through the same code `ils demo` uses; then
bulk-inserts N copies on N/5 records spread over every lending unit, M patrons, and a tenth of the
copies already on loan. Then, on disjoint halves of the data:
  1. starts the real service (`ils serve --workers W --no-relay`) and drives C concurrent desks
     over HTTP, each logged in as the librarian of the unit it acts at;
  2. drives the same mix with C threads calling the use cases in-process (no HTTP), in W
     processes like the service's workers, because one process's GIL would cap it at one core;
  3. runs pgbench's built-in TPC-B script (tpcb-like, scale 10, C clients) on the same server.
The mix is check-out 40%, check-in 30% (a third of them at another unit of the system, 通还),
renew 10%, hold 10%, transit receive 10%. Each desk owns its own records and patrons and keeps
track of what it lent, so most operations succeed; a hold is placed on a title one of whose
copies is out, and the copy trapped for it at check-in is received and collected later.
Prints ops/s and p50/p95/p99 latency per operation, where the CPU went, the ratios to pgbench's
tps against the targets (HTTP ≥ 0.25 with p99 ≤ 50 ms, in-process ≥ 0.5, on 2 cores), and an
invariant check of the database. Exits non-zero on any server error, unexpected answer or
broken invariant.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this directory comes first on sys.path, and this file would shadow the
# `circulation` package it benchmarks.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-circulation-token-signing-key-not-for-production"
MIX = (("checkout", 40), ("checkin", 30), ("renew", 10), ("hold", 10), ("receive", 10))
OPERATIONS = [name for name, _ in MIX]
COPIES_PER_RECORD = 5
ON_LOAN_SHARE = 0.10
SEEDED_LOANS_PER_PATRON = 3
RETURN_ELSEWHERE = 1 / 3  # share of check-ins at another unit of the lending unit's system (通还)
COLLECT_SHARE = 0.5  # share of check-outs that collect a copy waiting on the hold shelf
# Copies and patrons per unit by level: a 总馆 holds far more than a village service point.
LEVEL_WEIGHT = {"main": 8, "branch": 3, "study_room": 2, "mobile": 2, "service_point": 1}
ITEM_TYPES = (("book", 85), ("children", 10), ("periodical", 5))
PATRON_CATEGORIES = (("adult", 70), ("child", 15), ("senior", 10), ("disabled", 5))
WARMUP_SECONDS = 3.0
CHUNK = 10_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅丹琳晨浩宇欣怡子涵梓萱"
TARGETS = {"http_ratio": 0.25, "http_p99_ms": 50.0, "inprocess_ratio": 0.5}


# ---- the data each desk owns --------------------------------------------------------------


@dataclass
class Copy:
    barcode: str
    record_id: int
    state: str  # shelf | loan | transit | hold_shelf
    unit: str  # shelf and hold shelf: where it is; loan: where it was lent; transit: where it goes
    card: str | None = None  # the borrower (loan) or the reader a hold trapped it for
    renewed: bool = False


@dataclass
class Slice:
    copies: list[Copy] = field(default_factory=list)
    patrons: list[tuple[str, str, str]] = field(default_factory=list)  # card, home unit, category


@dataclass
class Network:
    lending_units: list[str]
    system_of: dict[str, str]  # unit code -> code of its 总馆 (the county system it belongs to)


# ---- seeding --------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...], k: int) -> list[str]:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=k)


def _system_map(units: list[dict[str, Any]]) -> dict[str, str]:
    parent = {u["code"]: u.get("parent") for u in units}
    level = {u["code"]: u["level"] for u in units}
    systems: dict[str, str] = {}
    for code in parent:
        walk: str | None = code
        while walk is not None and level[walk] != "main":
            walk = parent[walk]
        if walk is not None:
            systems[code] = walk
    return systems


def seed(url: str, n_items: int, n_patrons: int, slots: int, rng: random.Random) -> tuple[list[Slice], Network, dict]:
    """The demo network, categories, rules and librarians through the service's own code, then
    records, copies, patrons and open loans in bulk. Returns what each of ``slots`` desks owns."""
    from sqlalchemy import insert, text

    from catalog.marc import call_number_sort_key, match_key
    from catalog.models import Item, Record
    from circulation.models import Loan, Patron
    from circulation.patrons import add_months, local_date, save_category
    from circulation.policy import Situation, resolve
    from circulation.rules import all_rules, save_rule
    from circulation.schemas import PatronCategoryWrite, RuleWrite
    from ils.auth.service import create_user
    from ils.db import Database, allocate_ids
    from ils.demo import marc_builder
    from ils.demo.setup import CATEGORIES, DEMO_PASSWORD, LIBRARIAN_LEVELS, RULES
    from ils.migrate import upgrade
    from ils.network import repository as units_repo
    from ils.network.service import load_network

    started = time.perf_counter()
    upgrade(url)
    database = Database.from_url(url)
    now = datetime.now(timezone.utc)
    document = marc_builder.load_network()
    with database.session() as session:
        load_network(session, document, now)
    with database.session() as session:
        units = units_repo.list_units(session)
        for unit in units:
            if unit.level in LIBRARIAN_LEVELS:
                create_user(session, f"lib-{unit.code.lower()}", DEMO_PASSWORD, "librarian", now,
                            unit_codes=[unit.code], display_name=f"{unit.name}馆员")
        for code, name, months in CATEGORIES:
            save_category(session, PatronCategoryWrite(code=code, name=name, valid_months=months))
        for rule in RULES:
            save_rule(session, RuleWrite(**rule), "bench", now)
        rules = all_rules(session)
        lending = [(u.id, u.code, u.level) for u in units if u.level in LIBRARIAN_LEVELS]
    unit_weights = [LEVEL_WEIGHT[level] for _, _, level in lending]
    network = Network([code for _, code, _ in lending], _system_map(document["units"]))

    works = marc_builder.load_works()
    pinyin = {w.title: marc_builder.pinyin(w.title) for w in works}
    n_records = max(1, n_items // COPIES_PER_RECORD)
    today = local_date(now)
    with database.session() as session:
        record_ids = allocate_ids(session, "record", n_records)
        item_ids = allocate_ids(session, "item", n_items)
        patron_ids = allocate_ids(session, "patron", n_patrons)

    records: list[dict[str, Any]] = []
    for n, rid in enumerate(record_ids):
        work = works[n % len(works)]
        edition = n // len(works)
        title = work.title if edition == 0 else f"{work.title}（第{edition + 1}版）"
        responsibility = "；".join(work.authors) or None
        year = 1980 + (n * 7) % 46
        call_number = f"{work.clc or 'I'}/{n % 997 + 1}"
        records.append({
            "id": rid, "flavour": "cnmarc", "version": 1, "change": "import", "title": title,
            "marc": {"leader": "00000nam0 2200000   450 ", "fields": [
                {"001": f"BENCH{rid:08d}"},
                {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": title}, *([{"f": responsibility}]
                                                                                 if responsibility else [])]}},
                {"210": {"ind1": " ", "ind2": " ", "subfields": [{"c": work.publisher}, {"d": str(year)}]}},
                {"690": {"ind1": " ", "ind2": " ", "subfields": [{"a": work.clc or "I"}]}},
            ]},
            "responsibility": responsibility, "authors": list(work.authors), "publisher": work.publisher or None,
            "year": year, "language": "chi", "subjects": list(work.subjects), "clc": work.clc or None,
            "call_number": call_number, "title_pinyin": pinyin[work.title], "price_fen": 2000 + n % 6000,
            "match_key": match_key(title, responsibility, None, year)[:700],
            "created_at": now, "created_by": "bench", "updated_at": now, "updated_by": "bench",
        })

    # Every title has a copy; the rest fall on titles at random, so some have one and some a dozen.
    owners = list(range(n_records)) + [rng.randrange(n_records) for _ in range(n_items - n_records)]
    item_units = rng.choices(lending, weights=unit_weights, k=n_items)
    item_types = _weighted(rng, ITEM_TYPES, n_items)
    items: list[dict[str, Any]] = []
    for n, (iid, rindex, (unit_id, _, _), kind) in enumerate(zip(item_ids, owners, item_units, item_types)):
        call_number = records[rindex]["call_number"]
        items.append({
            "id": iid, "barcode": f"B{n:09d}", "record_id": record_ids[rindex], "owning_unit_id": unit_id,
            "current_unit_id": unit_id, "call_number": call_number,
            "call_number_sort": call_number_sort_key(call_number)[:200], "item_type": kind,
            "price_fen": records[rindex]["price_fen"], "status": "available", "version": 1,
            "created_at": now, "updated_at": now,
        })

    patron_units = rng.choices(lending, weights=unit_weights, k=n_patrons)
    categories = _weighted(rng, PATRON_CATEGORIES, n_patrons)
    patrons: list[dict[str, Any]] = []
    for n, (pid, (unit_id, _, _), category) in enumerate(zip(patron_ids, patron_units, categories)):
        patrons.append({
            "id": pid, "card_number": f"P{n:08d}", "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
            "category_code": category, "unit_id": unit_id, "status": "active",
            "expires_on": add_months(today, 60), "deposit_fen": 0, "credit_exempt": False, "version": 1,
            "created_at": now, "created_by": "bench", "updated_at": now,
        })

    # Desk k owns the titles (with all their copies) and the patrons whose index is k modulo
    # slots, so no two desks ever act on the same copy or reader.
    slices = [Slice() for _ in range(slots)]
    for n, p in enumerate(patrons):
        slices[n % slots].patrons.append((p["card_number"], patron_units[n][1], p["category_code"]))
    patrons_of_slot = [list(range(s, n_patrons, slots)) for s in range(slots)]
    seeded: Counter[int] = Counter()
    loans: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        rindex, (unit_id, unit_code, unit_level) = owners[n], item_units[n]
        slot = rindex % slots
        copy = Copy(item["barcode"], item["record_id"], "shelf", unit_code)
        candidates = patrons_of_slot[slot]
        if candidates and rng.random() < ON_LOAN_SHARE:
            pindex = rng.choice(candidates)
            if seeded[pindex] < SEEDED_LOANS_PER_PATRON:
                seeded[pindex] += 1
                patron = patrons[pindex]
                rule = resolve(rules, Situation(patron["category_code"], item["item_type"], unit_level, unit_code))
                lent_at = now - timedelta(days=rng.uniform(0, 20))
                loans.append({
                    "item_id": item["id"], "patron_id": patron["id"], "unit_id": unit_id, "rule_id": rule.id,
                    "item_type": item["item_type"], "status": "open", "checked_out_at": lent_at,
                    "checked_out_by": "staff:bench", "due_on": local_date(lent_at) + timedelta(days=rule.loan_days),
                    "renewals": 0, "overrides": [],
                })
                item["status"] = "on_loan"
                copy.state, copy.card = "loan", patron["card_number"]
        slices[slot].copies.append(copy)

    with database.session() as session:
        for table, rows in ((Record, records), (Item, items), (Patron, patrons), (Loan, loans)):
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(table), rows[start:start + CHUNK])
    # The planner must see the tables' real sizes, and the first reads should not be the ones
    # that set hint bits on a hundred thousand fresh rows.
    with database.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    database.dispose()
    summary = {"units": len(units), "librarians": len(lending), "records": n_records, "items": n_items,
               "on_loan": len(loans), "patrons": n_patrons, "seconds": time.perf_counter() - started}
    return slices, network, summary


# ---- desks: the same operations over HTTP or in-process -------------------------------------


@dataclass
class Answer:
    outcome: str  # ok | refused (409, a business refusal) | error (another 4xx) | failed (5xx, no answer)
    code: str | None = None
    detail: str | None = None
    move: tuple[str, str, str | None] | None = None  # disposition, destination unit, card of a hold


class Desk(Protocol):
    def checkout(self, card: str, barcode: str, unit: str) -> Answer: ...
    def checkin(self, barcode: str, unit: str) -> Answer: ...
    def renew(self, barcode: str, unit: str) -> Answer: ...
    def hold(self, card: str, record_id: int, pickup_unit: str) -> Answer: ...
    def receive(self, barcode: str, unit: str) -> Answer: ...


def _refusal_code(code: str, blocks: list[dict[str, Any]]) -> str:
    return code + (": " + "+".join(sorted({b["code"] for b in blocks})) if blocks else "")


class HttpDesk:
    """One desk client with its own connection, acting as the librarian of the unit it is at."""

    def __init__(self, base_url: str, tokens: dict[str, str]):
        import httpx

        self.client = httpx.Client(base_url=base_url + "/api/v1", timeout=60)
        self.tokens = tokens
        self.transport_errors = (httpx.HTTPError,)

    def _post(self, path: str, body: dict[str, Any], unit: str) -> Answer:
        headers = {"Authorization": f"Bearer {self.tokens[unit]}", "Idempotency-Key": str(uuid.uuid4())}
        try:
            response = self.client.post(path, json=body, headers=headers)
        except self.transport_errors as exc:
            return Answer("failed", type(exc).__name__, str(exc))
        status = response.status_code
        if status >= 500:
            return Answer("failed", f"HTTP {status}", f"POST {path} {body} -> {response.text[:300]}")
        data = response.json()
        if status < 300:
            move = (data["disposition"], data["destination_unit"], (data.get("hold") or {}).get("card")) \
                if "disposition" in data else None
            return Answer("ok", move=move)
        code = _refusal_code(data.get("error", str(status)), data.get("blocks") or [])
        if status == 409:
            return Answer("refused", code)
        return Answer("error", f"HTTP {status} {code}", f"POST {path} {body} -> {data.get('detail')}")

    def checkout(self, card: str, barcode: str, unit: str) -> Answer:
        return self._post("/circulation/checkout", {"card": card, "barcode": barcode, "unit": unit}, unit)

    def checkin(self, barcode: str, unit: str) -> Answer:
        return self._post("/circulation/checkin", {"barcode": barcode, "unit": unit}, unit)

    def renew(self, barcode: str, unit: str) -> Answer:
        return self._post("/circulation/renew", {"barcode": barcode, "unit": unit}, unit)

    def hold(self, card: str, record_id: int, pickup_unit: str) -> Answer:
        return self._post("/holds", {"card": card, "record_id": record_id, "pickup_unit": pickup_unit}, pickup_unit)

    def receive(self, barcode: str, unit: str) -> Answer:
        return self._post("/transits/receive", {"barcode": barcode, "unit": unit}, unit)


class InProcessDesk:
    """The same operations as one transaction each through the use cases, no HTTP."""

    def __init__(self, database: Any, codes: dict[int, str]):
        from circulation import holds, loans
        from ils.auth.principal import ROLE_SCOPES, Principal
        from ils.errors import Conflict, DomainError

        self.database, self.codes, self.loans, self.holds = database, codes, loans, holds
        self.refusal, self.domain_error = Conflict, DomainError
        self.principal = Principal("staff", 1, "bench", "librarian", ROLE_SCOPES["librarian"], None)

    def _run(self, use_case: Any) -> Answer:
        """Run ``use_case(session, now)`` in its own transaction; it returns the copy's Move or None."""
        try:
            with self.database.session() as session:
                move = use_case(session, datetime.now(timezone.utc))
        except self.refusal as exc:
            return Answer("refused", _refusal_code(exc.code, exc.blocks))
        except self.domain_error as exc:
            return Answer("error", f"{exc.http_status} {exc.code}", exc.detail)
        except Exception as exc:  # what the service would answer with a 500
            return Answer("failed", type(exc).__name__, str(exc)[:300])
        if move is None:
            return Answer("ok")
        hold_card = move.detail.get("card") if "hold_id" in move.detail else None
        return Answer("ok", move=(move.disposition, self.codes[move.destination_id], hold_card))

    def checkout(self, card: str, barcode: str, unit: str) -> Answer:
        def use_case(session: Any, now: datetime) -> None:
            self.loans.checkout(session, self.loans.CheckoutRequest(card, barcode, unit), self.principal, now)

        return self._run(use_case)

    def checkin(self, barcode: str, unit: str) -> Answer:
        return self._run(lambda session, now: self.loans.checkin(session, barcode, unit, self.principal,
                                                                 now).move)

    def renew(self, barcode: str, unit: str) -> Answer:
        def use_case(session: Any, now: datetime) -> None:
            self.loans.renew(session, self.loans.RenewRequest(barcode, unit), self.principal, now)

        return self._run(use_case)

    def hold(self, card: str, record_id: int, pickup_unit: str) -> Answer:
        def use_case(session: Any, now: datetime) -> None:
            self.holds.place(session, self.holds.HoldRequest(card, pickup_unit, record_id=record_id),
                             self.principal, now)

        return self._run(use_case)

    def receive(self, barcode: str, unit: str) -> Answer:
        return self._run(lambda session, now: self.loans.receive_copy(session, barcode, unit, self.principal,
                                                                      now).move)


# ---- a desk's day: choosing operations that should succeed -----------------------------------


class Pool:
    """A set with O(1) add, remove and random choice."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, key: str) -> None:
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(key)

    def remove(self, key: str) -> None:
        i = self.index.pop(key)
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.index[last] = i

    def choice(self, rng: random.Random) -> str:
        return self.items[rng.randrange(len(self.items))]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # op -> ms, answered
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (op, outcome)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (op, refusal or error code)
    samples: list[str] = field(default_factory=list)  # details of errors and failures
    last_end: float = 0.0
    cpu_seconds: float = 0.0

    def merge(self, other: Tally) -> None:
        for op, values in other.latencies.items():
            self.latencies[op].extend(values)
        self.outcomes.update(other.outcomes)
        self.codes.update(other.codes)
        self.samples.extend(other.samples[: max(0, 20 - len(self.samples))])
        self.last_end = max(self.last_end, other.last_end)
        self.cpu_seconds += other.cpu_seconds


class Clerk:
    """One desk: picks operations from the mix on the copies and readers it owns, and follows
    each copy from the answers (on loan, on a shelf, travelling, on a hold shelf for a reader)."""

    def __init__(self, desk: Desk, data: Slice, network: Network, limits: dict[str, int], seed_value: int):
        self.desk, self.network, self.rng = desk, network, random.Random(seed_value)
        self.copies = {c.barcode: c for c in data.copies}
        self.pools = {state: Pool() for state in ("shelf", "loan", "transit", "hold_shelf")}
        self.patrons = data.patrons
        self.limit = {card: limits[category] for card, _, category in data.patrons}
        self.home = {card: unit for card, unit, _ in data.patrons}
        self.loans_of: Counter[str] = Counter()
        self.borrowing: Counter[tuple[str, int]] = Counter()  # (card, record) -> copies on loan
        self.holds: set[tuple[str, int]] = set()  # active holds: (card, record)
        self.held: Counter[int] = Counter()  # record -> active holds
        for copy in data.copies:
            self._enter(copy)
        self.tally = Tally()

    def _enter(self, copy: Copy) -> None:
        self.pools[copy.state].add(copy.barcode)
        if copy.state == "loan":
            assert copy.card is not None
            self.loans_of[copy.card] += 1
            self.borrowing[(copy.card, copy.record_id)] += 1

    def _leave(self, copy: Copy) -> None:
        self.pools[copy.state].remove(copy.barcode)
        if copy.state == "loan":
            assert copy.card is not None
            self.loans_of[copy.card] -= 1
            self.borrowing[(copy.card, copy.record_id)] -= 1

    def _move(self, copy: Copy, state: str, unit: str, card: str | None = None) -> None:
        self._leave(copy)
        copy.state, copy.unit, copy.card, copy.renewed = state, unit, card, False
        self._enter(copy)

    def _follow(self, copy: Copy, move: tuple[str, str, str | None]) -> None:
        disposition, destination, hold_card = move
        state = {"shelve": "shelf", "hold_shelf": "hold_shelf", "transit": "transit"}[disposition]
        self._move(copy, state, destination, hold_card)

    def _patron(self, record_id: int) -> str | None:
        """A reader who may borrow or hold this title: under the loan limit, not borrowing it and
        with no hold on it (that reader collects it from the hold shelf instead)."""
        for _ in range(20):
            card = self.patrons[self.rng.randrange(len(self.patrons))][0]
            if (self.loans_of[card] < self.limit[card] and (card, record_id) not in self.holds
                    and not self.borrowing[(card, record_id)]):
                return card
        return None

    # Each operation returns the desk's answer, or None when nothing fits it right now.

    def checkout(self) -> Answer | None:
        shelf, waiting = self.pools["shelf"], self.pools["hold_shelf"]
        if waiting and (self.rng.random() < COLLECT_SHARE or not shelf):
            copy = self.copies[waiting.choice(self.rng)]
            assert copy.card is not None
            if self.loans_of[copy.card] < self.limit[copy.card]:
                card = copy.card
                answer = self.desk.checkout(card, copy.barcode, copy.unit)
                if answer.outcome == "ok":
                    self.holds.discard((card, copy.record_id))
                    self.held[copy.record_id] -= 1
                    self._move(copy, "loan", copy.unit, card)
                return answer
        if not shelf:
            return None
        copy = self.copies[shelf.choice(self.rng)]
        card = self._patron(copy.record_id)
        if card is None:
            return None
        answer = self.desk.checkout(card, copy.barcode, copy.unit)
        if answer.outcome == "ok":
            self._move(copy, "loan", copy.unit, card)
        return answer

    def checkin(self) -> Answer | None:
        if not self.pools["loan"]:
            return None
        copy = self.copies[self.pools["loan"].choice(self.rng)]
        unit = copy.unit
        if self.rng.random() < RETURN_ELSEWHERE:
            system = self.network.system_of[copy.unit]
            unit = self.rng.choice([u for u in self.network.lending_units if self.network.system_of[u] == system])
        answer = self.desk.checkin(copy.barcode, unit)
        if answer.outcome == "ok" and answer.move is not None:
            self._follow(copy, answer.move)
        return answer

    def renew(self) -> Answer | None:
        # A title someone waits for cannot be renewed (RENEW_HOLD_WAITING); desks know not to try.
        for _ in range(20):
            if not self.pools["loan"]:
                return None
            copy = self.copies[self.pools["loan"].choice(self.rng)]
            if not copy.renewed and not self.held[copy.record_id]:
                answer = self.desk.renew(copy.barcode, copy.unit)
                if answer.outcome == "ok":
                    copy.renewed = True
                return answer
        return None

    def hold(self) -> Answer | None:
        # Readers ask for a title whose copy they saw is out, to collect at their own unit.
        if not self.pools["loan"]:
            return None
        record_id = self.copies[self.pools["loan"].choice(self.rng)].record_id
        card = self._patron(record_id)
        if card is None:
            return None
        answer = self.desk.hold(card, record_id, self.home[card])
        if answer.outcome == "ok":
            self.holds.add((card, record_id))
            self.held[record_id] += 1
        return answer

    def receive(self) -> Answer | None:
        if not self.pools["transit"]:
            return None
        copy = self.copies[self.pools["transit"].choice(self.rng)]
        answer = self.desk.receive(copy.barcode, copy.unit)
        if answer.outcome == "ok" and answer.move is not None:
            self._follow(copy, answer.move)
        return answer

    def run(self, measure_from: float, deadline: float) -> None:
        names, weights = zip(*MIX)
        tally = self.tally
        try:
            while (started := time.time()) < deadline:
                op = self.rng.choices(names, weights=weights)[0]
                t0 = time.perf_counter()
                answer = getattr(self, op)()
                if answer is None:  # nothing to check in, renew … yet: lend instead
                    op, t0 = "checkout", time.perf_counter()
                    answer = self.checkout()
                ms = (time.perf_counter() - t0) * 1000
                if answer is None or started < measure_from:
                    continue
                tally.last_end = time.time()
                tally.outcomes[(op, answer.outcome)] += 1
                if answer.outcome in ("ok", "refused"):
                    tally.latencies[op].append(ms)
                if answer.code:
                    tally.codes[(op, answer.code)] += 1
                if answer.outcome in ("error", "failed") and len(tally.samples) < 20:
                    tally.samples.append(f"{op}: {answer.code}: {answer.detail}")
        except Exception:  # the bench's own bookkeeping went wrong: say so, and fail the run
            tally.outcomes[("desk", "failed")] += 1
            tally.samples.append("desk crashed:\n" + traceback.format_exc())


def loan_limits() -> dict[str, int]:
    """The loan limit a desk keeps each category under: the strictest the demo rules set for it."""
    from ils.demo.setup import RULES

    return {category: min(r["max_items"] for r in RULES if r.get("patron_category", category) == category
                          and "item_type" not in r and "unit_code" not in r)
            for category, _ in PATRON_CATEGORIES}


def drive(kind: str, target: str, slices: list[Slice], network: Network, tokens: dict[str, str],
          seconds: float, seed_value: int, ready: Any, results: Any) -> None:
    """One load process: a thread per desk. ``target`` is the service's base URL (http) or the
    database URL (inprocess). The clock starts when every process is ready (``ready``, a barrier)."""
    database = None
    if kind == "http":
        desks: list[Desk] = [HttpDesk(target, tokens) for _ in slices]
    else:
        from sqlalchemy import select

        from ils.db import Database
        from ils.network.models import Unit

        database = Database.from_url(target)
        with database.session(write=False) as session:
            codes = dict(session.execute(select(Unit.id, Unit.code)).tuples().all())
        desks = [InProcessDesk(database, codes) for _ in slices]
    limits = loan_limits()
    clerks = [Clerk(desk, data, network, limits, seed_value + i) for i, (desk, data) in enumerate(zip(desks, slices))]
    ready.wait()
    measure_from = time.time() + WARMUP_SECONDS
    deadline = measure_from + seconds
    threads = [threading.Thread(target=c.run, args=(measure_from, deadline)) for c in clerks]
    for t in threads:
        t.start()
    time.sleep(max(0.0, measure_from - time.time()))
    cpu0 = time.process_time()
    time.sleep(max(0.0, deadline - time.time()))
    cpu = time.process_time() - cpu0
    for t in threads:
        t.join()
    if database is not None:
        database.dispose()
    total = Tally(cpu_seconds=cpu)
    for clerk in clerks:
        total.merge(clerk.tally)
    results.put(total)


# ---- CPU accounting from /proc ----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds) of a process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
    return name, int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK


def _processes() -> dict[int, tuple[str, int, float]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            found[int(entry)] = stat
    return found


def _serves(pid: int, database_name: str) -> bool:
    """A PostgreSQL backend names its database in its title ("postgres: 15/main: user db host …");
    other databases' backends on a shared server are not ours to count."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return f" {database_name} " in title


@dataclass
class CpuSnapshot:
    busy: float
    total: float
    processes: dict[int, tuple[str, int, float]]
    backends: set[int]  # PostgreSQL backends serving the bench database

    @classmethod
    def take(cls, database_name: str) -> CpuSnapshot:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        processes = _processes()
        backends = {pid for pid, (command, _, _) in processes.items()
                    if command == "postgres" and _serves(pid, database_name)}
        return cls((sum(fields[:8]) - idle) / TICK, sum(fields[:8]) / TICK, processes, backends)

    def used_by(self, later: CpuSnapshot, pids: set[int]) -> float:
        return sum(later.processes[p][2] - self.processes.get(p, ("", 0, 0.0))[2] for p in pids if p in later.processes)


def _descendants(processes: dict[int, tuple[str, int, float]], root: int) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = {pid for pid, (_, ppid, _) in processes.items() if ppid == parent} - found
        found |= children
        frontier.extend(children)
    return found


# ---- one phase: C desks over HTTP or in-process ------------------------------------------------


@dataclass
class Phase:
    name: str
    tally: Tally
    seconds: float
    cpu: dict[str, float]  # CPU seconds over the measured window, by who used them
    capacity: float  # CPU seconds the machine had over the window (cores × seconds)

    @property
    def answered(self) -> int:
        return sum(n for (_, outcome), n in self.tally.outcomes.items() if outcome in ("ok", "refused"))

    @property
    def ops_per_s(self) -> float:
        return self.answered / self.seconds

    def count(self, outcome: str) -> int:
        return sum(n for (_, o), n in self.tally.outcomes.items() if o == outcome)

    def percentile(self, p: float, op: str | None = None) -> float:
        values = sorted(v for name, vs in self.tally.latencies.items() if op in (None, name) for v in vs)
        return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def run_phase(name: str, kind: str, target: str, slices: list[Slice], network: Network, tokens: dict[str, str],
              processes: int, seconds: float, server_pid: int | None, database_name: str) -> Phase:
    context = get_context("spawn")
    ready, results = context.Barrier(processes + 1), context.Queue()
    workers = [context.Process(target=drive, args=(kind, target, slices[i::processes], network, tokens, seconds,
                                                   1000 * i, ready, results))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"the {name} load processes did not all start; see their tracebacks above") from None
    measure_from = time.time() + WARMUP_SECONDS
    time.sleep(max(0.0, measure_from - time.time()))
    before = CpuSnapshot.take(database_name)
    time.sleep(seconds)
    after = CpuSnapshot.take(database_name)
    tally = Tally()
    received = 0
    while received < len(workers):
        try:
            tally.merge(results.get(timeout=5))
            received += 1
        except queue.Empty:
            if any(w.exitcode not in (None, 0) for w in workers):
                raise RuntimeError(f"a {name} load process died; see its traceback above") from None
    for worker in workers:
        worker.join()
    busy = after.busy - before.busy
    if server_pid is not None:
        cpu = {"load generator": tally.cpu_seconds,
               "service": before.used_by(after, _descendants(after.processes, server_pid))}
    else:
        cpu = {"use cases and load generator": tally.cpu_seconds}
    cpu["postgres (bench database)"] = before.used_by(after, before.backends | after.backends)
    cpu["other processes"] = max(0.0, busy - sum(cpu.values()))
    return Phase(name, tally, max(1e-9, tally.last_end - measure_from), cpu, after.total - before.total)


def print_phase(phase: Phase, layout: str) -> None:
    tally = phase.tally
    print(f"\n{phase.name}: {layout}, {WARMUP_SECONDS:.0f} s warm-up then {phase.seconds:.1f} s measured")
    print(f"  {'operation':<10} {'answered':>9} {'refused':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for op in [*OPERATIONS, None]:
        rows: Counter[str] = Counter()
        for (name, outcome), n in tally.outcomes.items():
            if op in (None, name):
                rows[outcome] += n
        answered = rows.get("ok", 0) + rows.get("refused", 0)
        print(f"  {op or 'all':<10} {answered:>9,} {rows.get('refused', 0):>8,} "
              f"{rows.get('error', 0) + rows.get('failed', 0):>7,} {phase.percentile(50, op):>8.1f} "
              f"{phase.percentile(95, op):>8.1f} {phase.percentile(99, op):>8.1f}")
    print(f"  throughput {phase.ops_per_s:,.1f} ops/s answered ({phase.count('ok') / phase.seconds:,.1f} succeeded/s)")
    if tally.codes:
        print("  refusals and errors: " + "; ".join(f"{op} {code} ×{n}" for (op, code), n in tally.codes.most_common()))
    for sample in tally.samples:
        print(f"  ! {sample}")
    cores = os.cpu_count() or 1
    idle = max(0.0, phase.capacity - sum(phase.cpu.values()))
    print(f"  CPU over the measured window ({cores} cores = 100%): "
          + ", ".join(f"{k} {v / phase.capacity:.0%}" for k, v in [*phase.cpu.items(), ("idle", idle)]))
    # Per operation, the CPU cost does not depend on what else the machine is running.
    print("  CPU per answered operation: " + ", ".join(
        f"{k} {v * 1000 / max(1, phase.answered):.1f} ms" for k, v in phase.cpu.items() if k != "other processes"))
    generator = phase.cpu.get("load generator", 0.0) / phase.capacity
    if generator > 0.15:
        print(f"  note: the load generator itself used {generator:.0%} of the machine, taking CPU from what it measures")


# ---- the service, pgbench, invariants ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    env = {**os.environ, "ILS_DATABASE_URL": url, "ILS_SECRET_KEY": SECRET_KEY, "ILS_DATA_DIR": str(data_dir),
           "ILS_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "ils.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-relay"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the service exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise RuntimeError(f"the service did not answer /api/v1/health within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def log_in(base: str, units: list[str]) -> dict[str, str]:
    import httpx

    from ils.demo.setup import DEMO_PASSWORD

    tokens = {}
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as client:
        for unit in units:
            response = client.post("/auth/token", json={"username": f"lib-{unit.lower()}", "password": DEMO_PASSWORD})
            response.raise_for_status()
            tokens[unit] = response.json()["access_token"]
    return tokens


def pgbench(server_url: str, clients: int, seconds: int) -> float:
    """TPC-B (pgbench's built-in tpcb-like script, scale 10) on a scratch database of the same server."""
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    name = f"ils_pgbench_{uuid.uuid4().hex[:8]}"
    create, drop = _database_admin(server_url, name)
    create()
    connection = ["-h", server.host or "127.0.0.1", "-p", str(server.port or 5432), "-U", server.username or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": server.password} if server.password else {})}
    try:
        subprocess.run(["pgbench", "-i", "-s", "10", "-q", *connection, name], env=env, check=True,
                       capture_output=True, text=True)
        result = subprocess.run(["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), "-b", "tpcb-like",
                                 *connection, name], env=env, check=True, capture_output=True, text=True)
    finally:
        drop()
    match = re.search(r"^tps = ([\d.]+) \(without initial connection time\)", result.stdout, re.MULTILINE) \
        or re.search(r"^tps = ([\d.]+)", result.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


def _database_admin(server_url: str, name: str) -> tuple[Any, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def create() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return create, drop


INVARIANTS = {
    "copies with more than one loan not returned": """
        SELECT count(*) FROM (SELECT item_id FROM loan WHERE status <> 'returned'
                              GROUP BY item_id HAVING count(*) > 1) AS x""",
    "copies trapped by more than one hold (in_transit/ready)": """
        SELECT count(*) FROM (SELECT item_id FROM hold WHERE status IN ('in_transit', 'ready')
                              GROUP BY item_id HAVING count(*) > 1) AS x""",
    "copies with more than one open transit": """
        SELECT count(*) FROM (SELECT item_id FROM transit WHERE status = 'open'
                              GROUP BY item_id HAVING count(*) > 1) AS x""",
    "copies on_loan without exactly one open loan": """
        SELECT count(*) FROM item i WHERE i.status = 'on_loan'
           AND (SELECT count(*) FROM loan l WHERE l.item_id = i.id AND l.status = 'open') <> 1""",
    "open loans of copies not on_loan": """
        SELECT count(*) FROM loan l JOIN item i ON i.id = l.item_id WHERE l.status = 'open' AND i.status <> 'on_loan'""",
    "copies in_transit without an open transit": """
        SELECT count(*) FROM item i WHERE i.status = 'in_transit'
           AND NOT EXISTS (SELECT 1 FROM transit t WHERE t.item_id = i.id AND t.status = 'open')""",
    "open transits of copies not in_transit": """
        SELECT count(*) FROM transit t JOIN item i ON i.id = t.item_id WHERE t.status = 'open' AND i.status <> 'in_transit'""",
    "ready holds whose copy is not on_hold_shelf": """
        SELECT count(*) FROM hold h JOIN item i ON i.id = h.item_id WHERE h.status = 'ready' AND i.status <> 'on_hold_shelf'""",
}


def check_invariants(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Violations of each invariant, and how many rows the tables that carry them now hold."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in INVARIANTS.items()}
        sizes = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                 for t in ("loan", "hold", "transit", "event")}
    engine.dispose()
    return found, sizes


# ---- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="measured seconds of each run (and of pgbench)")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--patrons", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent desks (and pgbench clients)")
    parser.add_argument("--workers", type=int, default=2, help="service worker processes (and in-process processes)")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="processes the HTTP desks' threads are spread over")
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database to use "
                                               f"(default: a fresh ils_bench_<random> on {DEFAULT_SERVER})")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    if args.database_url:
        url, server_url, drop = args.database_url, args.database_url, None
    else:
        name = f"ils_bench_{uuid.uuid4().hex[:8]}"
        create, drop = _database_admin(DEFAULT_SERVER, name)
        create()
        url = make_url(DEFAULT_SERVER).set(database=name).render_as_string(hide_password=False)
        server_url = DEFAULT_SERVER
    database_name = make_url(url).database
    try:
        with tempfile.TemporaryDirectory(prefix="ils-bench-") as tmp:
            # The in-process desks read the settings (time zone, hold policy): point them at the
            # bench database and a scratch data directory, never at a real deployment's.
            os.environ.update({"ILS_DATABASE_URL": url, "ILS_DATA_DIR": tmp, "ILS_SECRET_KEY": SECRET_KEY})
            return run(args, url, server_url, str(database_name), Path(tmp))
    finally:
        if args.keep or drop is None:
            print(f"\nbench database kept: {url}")
        else:
            drop()


def run(args: argparse.Namespace, url: str, server_url: str, database_name: str, tmp: Path) -> int:
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f} before seeding "
          "(other processes' CPU lowers every figure below; see 'other processes')")
    slices, network, seeded = seed(url, args.items, args.patrons, 2 * args.clients, random.Random(20260101))
    print(f"database {database_name}: {seeded['units']} units, {seeded['librarians']} librarians, "
          f"{seeded['records']:,} records, {seeded['items']:,} copies ({seeded['on_loan']:,} on loan), "
          f"{seeded['patrons']:,} patrons; seeded in {seeded['seconds']:.0f} s")
    http_slices, inprocess_slices = slices[: args.clients], slices[args.clients :]

    log_path = tmp / "server.log"
    server, base = start_server(url, args.workers, tmp, log_path)
    try:
        tokens = log_in(base, network.lending_units)
        http = run_phase("HTTP", "http", base, http_slices, network, tokens, args.client_processes, args.seconds,
                         server.pid, database_name)
    finally:
        stop_server(server)
    print_phase(http, f"{args.workers} service workers; {args.clients} desks as threads of {args.client_processes} "
                      "process(es), httpx")
    if http.count("failed"):
        print("  service log (tail):\n" + "\n".join(
            "    " + line for line in log_path.read_text(errors="replace")[-6000:].splitlines()))

    inprocess = run_phase("in-process", "inprocess", url, inprocess_slices, network, {}, args.workers,
                          args.seconds, None, database_name)
    print_phase(inprocess, f"{args.clients} desks as threads of {args.workers} processes calling the use cases "
                           "(the threads of one process would share one core under the GIL)")

    tps = pgbench(server_url, args.clients, args.seconds)
    print(f"\npgbench tpcb-like, scale 10, {args.clients} clients, 2 threads, {args.seconds} s: {tps:,.1f} tps")

    http_ratio, inprocess_ratio, p99 = http.ops_per_s / tps, inprocess.ops_per_s / tps, http.percentile(99)
    print(f"\ntargets (set for a 2-core machine; this one has {cores}):")
    for label, value, target, met in (
        ("HTTP ops/s ÷ pgbench tps", f"{http_ratio:.3f}", f"≥ {TARGETS['http_ratio']}",
         http_ratio >= TARGETS["http_ratio"]),
        ("HTTP p99", f"{p99:.1f} ms", f"≤ {TARGETS['http_p99_ms']:.0f} ms", p99 <= TARGETS["http_p99_ms"]),
        ("in-process ops/s ÷ pgbench tps", f"{inprocess_ratio:.3f}", f"≥ {TARGETS['inprocess_ratio']}",
         inprocess_ratio >= TARGETS["inprocess_ratio"]),
    ):
        print(f"  {label:<32} {value:>10}   {target:<9} {'met' if met else 'MISSED'}")

    violations, sizes = check_invariants(url)
    print("\ninvariants (" + ", ".join(f"{n:,} {t} rows" for t, n in sizes.items()) + "):")
    for check, found in violations.items():
        print(f"  {check:<58} {found}{'   BROKEN' if found else ''}")
    unexpected = sum(p.count("error") + p.count("failed") for p in (http, inprocess))
    if unexpected:
        print(f"\n{unexpected} operations ended in a server error, no answer or an unexpected refusal")
    return 1 if unexpected or any(violations.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

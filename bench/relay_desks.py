"""Desks on SQLite while the outbox relay indexes what they change: latency with and without it.

    .venv/bin/python bench/relay_desks.py [--seconds 20] [--rounds 1] [--desks 8] [--copies 300]
        [--readers 120] [--phases no-relay,relay,stuck-webhook] [--think-ms 0] [--webhook-timeout 5] [--keep]

SQLite is the database a county starts with (`ils demo`, a plain `ils serve`), so this runs on
it alone. Seeds one SQLite file with the demo network (37 units), its categories, loan rules and
a librarian per unit through the code `ils demo` uses, then per desk (each at its own branch)
N titles with one copy each and M readers, and builds the search index of every title. Then,
for each phase, on a fresh copy of that file and index:
  no-relay       `ils serve --no-relay`: the desks alone;
  relay          `ils serve --relay`: the relay in the same process indexes every change (each
                 check-out and check-in writes a records.changed outbox row) into the embedded
                 search index, as a county's single server does;
  stuck-webhook  as relay, plus ILS_WEBHOOK_URLS pointing at a receiver in this script that
                 accepts every POST and never answers (ILS_WEBHOOK_TIMEOUT_SECONDS bounds each);
  relay-process  (not run unless named) `ils serve --no-relay` and `ils outbox-relay` beside it,
                 the relay in a process of its own.
Each desk is a thread with its own keep-alive HTTP connection, logged in as its branch's
librarian, alternating check-outs (a copy on its shelf to one of its readers) and check-ins
(a copy it lent) with no pause unless --think-ms. After a 3 s warm-up it measures --seconds.

Prints per phase p50/p95/p99 of check-out, check-in and both; operations per second; how far
the relay got (rows delivered, from commit to marked delivered p50/p95) and the CPU the
service used per operation, split between its Python threads (requests and the relay) and
tantivy's index writer and merge threads; with --rounds N the phases run N times interleaved
and the summary pools them. Then the target (p95 of the relay phases under 300 ms with 8
desks) and the command line. Exits non-zero on any server error or unanswered request.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this directory comes first on sys.path; the project's packages must win.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from bench.circulation import log_in  # noqa: E402  (the same demo librarians log in)
from tests.support.live_server import SECRET_KEY, free_port, spawn, stop, wait_until_up  # noqa: E402

WARMUP_SECONDS = 3.0
TARGET_P95_MS = 300.0
PHASES = ("no-relay", "relay", "stuck-webhook", "relay-process")
DEFAULT_PHASES = ("no-relay", "relay", "stuck-webhook")
FAR = 60  # months a reader's card is valid: never the reason for a refusal here
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"


# ---- seeding -------------------------------------------------------------------------------------


@dataclass
class DeskData:
    unit: str
    barcodes: list[str]
    cards: list[str]


def seed(path: Path, search_dir: Path, desks: int, copies: int, readers: int) -> tuple[list[DeskData], dict]:
    """The demo network, rules and librarians, then per desk ``copies`` titles of one copy each
    and ``readers`` readers at the desk's branch, and the search index of every title."""
    from sqlalchemy import insert

    from catalog.marc import call_number_sort_key, match_key
    from catalog.models import Item, Record
    from catalog.search.embedded import EmbeddedEngine
    from catalog.search.service import reindex
    from circulation.models import Patron
    from circulation.patrons import add_months, local_date, save_category
    from circulation.rules import save_rule
    from circulation.schemas import PatronCategoryWrite, RuleWrite
    from ils.auth.service import create_user
    from ils.db import Database, allocate_ids
    from ils.demo import marc_builder
    from ils.demo.setup import CATEGORIES, DEMO_PASSWORD, LIBRARIAN_LEVELS, RULES
    from ils.migrate import upgrade
    from ils.network import repository as units_repo
    from ils.network.service import load_network

    started = time.perf_counter()
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database.from_url(url)
    now = datetime.now(timezone.utc)
    with database.session() as session:
        load_network(session, marc_builder.load_network(), now)
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
    branches = [u for u in units if u.level == "branch"]
    if len(branches) < desks:
        raise SystemExit(f"the demo network has {len(branches)} branches; --desks {desks} needs one each")
    branches = branches[:desks]

    works = marc_builder.load_works()
    n_records = desks * copies
    with database.session() as session:
        record_ids = allocate_ids(session, "record", n_records)
        item_ids = allocate_ids(session, "item", n_records)
        patron_ids = allocate_ids(session, "patron", desks * readers)
    rng = random.Random(20261201)
    records, items, patrons, data = [], [], [], []
    for d, branch in enumerate(branches):
        desk = DeskData(branch.code, [], [])
        for k in range(copies):
            n = d * copies + k
            work = works[n % len(works)]
            title = work.title if n < len(works) else f"{work.title}（第{n // len(works) + 1}版）"
            responsibility = "；".join(work.authors) or None
            call_number = f"{work.clc or 'I'}/{n % 997 + 1}"
            year = 1980 + (n * 7) % 46
            records.append({
                "id": record_ids[n], "flavour": "cnmarc", "version": 1, "change": "import", "title": title,
                "marc": {"leader": "00000nam0 2200000   450 ", "fields": [
                    {"001": f"RELAY{record_ids[n]:08d}"},
                    {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": title}]}},
                ]},
                "responsibility": responsibility, "authors": list(work.authors), "publisher": work.publisher or None,
                "year": year, "language": "chi", "subjects": list(work.subjects), "clc": work.clc or None,
                "call_number": call_number, "title_pinyin": marc_builder.pinyin(title), "price_fen": 3000,
                "match_key": match_key(title, responsibility, None, year)[:700],
                "created_at": now, "created_by": "bench", "updated_at": now, "updated_by": "bench",
            })
            barcode = f"R{d:02d}{k:06d}"
            items.append({
                "id": item_ids[n], "barcode": barcode, "record_id": record_ids[n], "owning_unit_id": branch.id,
                "current_unit_id": branch.id, "call_number": call_number,
                "call_number_sort": call_number_sort_key(call_number)[:200], "item_type": "book",
                "price_fen": 3000, "status": "available", "version": 1, "created_at": now, "updated_at": now,
            })
            desk.barcodes.append(barcode)
        for k in range(readers):
            pid = patron_ids[d * readers + k]
            card = f"P{d:02d}{k:06d}"
            patrons.append({
                "id": pid, "card_number": card, "name": rng.choice(SURNAMES) + "读者", "category_code": "adult",
                "unit_id": branch.id, "status": "active", "expires_on": add_months(local_date(now), FAR),
                "deposit_fen": 0, "credit_exempt": False, "version": 1, "created_at": now, "created_by": "bench",
                "updated_at": now,
            })
            desk.cards.append(card)
        data.append(desk)
    with database.session() as session:
        for table, rows in ((Record, records), (Item, items), (Patron, patrons)):
            session.execute(insert(table), rows)
    indexed = reindex(database, EmbeddedEngine(search_dir))
    database.dispose()
    with sqlite3.connect(path) as conn:  # one self-contained file to copy for each phase
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data, {"units": len(units), "titles": n_records, "readers": len(patrons), "indexed": indexed,
                  "seconds": time.perf_counter() - started}


# ---- the service and a receiver that never answers -----------------------------------------------


def start_server(db_path: Path, data_dir: Path, relay: bool, env_extra: dict[str, str],
                 log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = spawn(f"sqlite:///{db_path}", port, str(data_dir), log_path, workers=1, relay=relay,
                   extra_env=env_extra)
    try:
        wait_until_up(server, base, log_path)
    except BaseException:
        stop(server)
        raise
    return server, base


def start_relay_process(db_path: Path, data_dir: Path, env_extra: dict[str, str], log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "ILS_DATABASE_URL": f"sqlite:///{db_path}", "ILS_DATA_DIR": str(data_dir),
           "ILS_SECRET_KEY": SECRET_KEY, "ILS_LOG_LEVEL": "WARNING", **env_extra}
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "ils.cli", "outbox-relay"], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


class StuckReceiver:
    """Accepts each webhook POST, reads it, and never answers (until the phase ends)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests += 1
                receiver.done.wait()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.done.set()
        self.server.shutdown()
        self.server.server_close()


def _ticks(stat_path: Path) -> int:
    """User + system CPU ticks from a /proc .../stat file (fields after the command name)."""
    fields = stat_path.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class CpuSampler(threading.Thread):
    """The service's CPU over the measured window, split by thread: Python threads (requests,
    the relay) keep the name "python"; tantivy's writer and merge threads have their own names
    and live only as long as one index commit, so they are counted as what the process used
    beyond the Python threads."""

    def __init__(self, pid: int, period: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.done = threading.Event()
        self.python_ticks = 0
        self.total_ticks = 0

    def _python_threads(self) -> dict[str, int]:
        seen = {}
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                if (task / "comm").read_text().strip() == "python":
                    seen[task.name] = _ticks(task / "stat")
            except OSError:  # the thread ended between listing and reading
                pass
        return seen

    def run(self) -> None:
        start = _ticks(Path(f"/proc/{self.pid}/stat"))
        last = self._python_threads()
        while not self.done.wait(self.period):
            now = self._python_threads()
            self.python_ticks += sum(t - last.get(tid, t) for tid, t in now.items())
            last = now
        self.total_ticks = _ticks(Path(f"/proc/{self.pid}/stat")) - start

    def stop(self) -> tuple[float, float]:
        """(total CPU seconds, CPU seconds in Python threads)."""
        self.done.set()
        self.join()
        hz = os.sysconf("SC_CLK_TCK")
        return self.total_ticks / hz, self.python_ticks / hz


# ---- the desks -----------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"checkout": [], "checkin": []})
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)


class Clerk(threading.Thread):
    def __init__(self, base: str, token: str, desk: DeskData, measure_from: float, stop_at: float,
                 think: float, seed_value: int):
        super().__init__(daemon=True)
        import httpx

        self.client = httpx.Client(base_url=base + "/api/v1", timeout=120,
                                   headers={"Authorization": f"Bearer {token}"})
        self.desk, self.measure_from, self.stop_at, self.think = desk, measure_from, stop_at, think
        self.rng = random.Random(seed_value)
        self.shelf = list(desk.barcodes)
        self.lent: dict[str, str] = {}  # barcode -> card
        self.loans_of: Counter[str] = Counter()
        self.tally = Tally()

    def _post(self, op: str, path: str, body: dict[str, Any]) -> bool:
        import httpx

        started = time.perf_counter()
        try:
            response = self.client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        except httpx.HTTPError as exc:
            self.tally.outcomes[(op, "failed")] += 1
            if len(self.tally.samples) < 5:
                self.tally.samples.append(f"{op}: {type(exc).__name__}: {exc}")
            return False
        elapsed = time.perf_counter() - started
        measured = started >= self.measure_from
        if response.status_code < 300:
            outcome = "ok"
        elif response.status_code == 409:
            outcome = "refused"
        else:
            outcome = "error" if response.status_code < 500 else "failed"
            if len(self.tally.samples) < 5:
                self.tally.samples.append(f"{op} {body}: HTTP {response.status_code} {response.text[:300]}")
        if measured:
            self.tally.outcomes[(op, outcome)] += 1
            if outcome in ("ok", "refused"):
                self.tally.latencies[op].append(elapsed * 1000)
        return outcome == "ok"

    def run(self) -> None:
        while time.perf_counter() < self.stop_at:
            if self.lent and (not self.shelf or self.rng.random() < 0.5):
                barcode = self.rng.choice(list(self.lent))
                if self._post("checkin", "/circulation/checkin", {"barcode": barcode, "unit": self.desk.unit}):
                    self.loans_of[self.lent.pop(barcode)] -= 1
                    self.shelf.append(barcode)
            else:
                barcode = self.shelf[self.rng.randrange(len(self.shelf))]
                card = self.rng.choice(self.desk.cards)
                if self.loans_of[card] >= 8:  # under the adult limit of 10: a refusal is not the point
                    continue
                if self._post("checkout", "/circulation/checkout",
                              {"card": card, "barcode": barcode, "unit": self.desk.unit}):
                    self.shelf.remove(barcode)
                    self.lent[barcode] = card
                    self.loans_of[card] += 1
            if self.think:
                time.sleep(self.think)
        self.client.close()


# ---- a phase -------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    tally: Tally
    seconds: float
    service_cpu: float
    python_cpu: float  # of which in the service's Python threads; the rest is tantivy's own threads
    relay: dict[str, Any]
    webhook_requests: int | None

    def percentile(self, q: float, op: str | None = None) -> float:
        values = sorted(v for name, vs in self.tally.latencies.items() if op in (None, name) for v in vs)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]

    def count(self, outcome: str, op: str | None = None) -> int:
        return sum(n for (name, o), n in self.tally.outcomes.items() if o == outcome and op in (None, name))


def relay_figures(db_path: Path, since: datetime) -> dict[str, Any]:
    """Rows written from ``since`` on, how many the relay delivered, and the lag from commit to
    marked delivered (created_at and delivered_at both come from the service's clock)."""
    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)

    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT created_at, delivered_at, last_error FROM outbox_message").fetchall()
    rows = [(parse(c), parse(d) if d else None, e) for c, d, e in rows if parse(c) >= since]
    written = [(c, d) for c, d, _ in rows]
    # A row whose last attempt failed only on the webhook: its other handlers (the search index,
    # called first with the whole batch) took it.
    webhook_only = sum(1 for _, d, e in rows if d is None and (e or "").startswith("ReceiverUnavailable"))
    lags = sorted((d - c).total_seconds() for c, d in written if d is not None)

    def pct(q: float) -> float:
        return lags[min(len(lags) - 1, int(round(q / 100 * (len(lags) - 1))))] if lags else float("nan")

    # Each batch is marked delivered at one instant.
    batches = len({d for _, d in written if d is not None})
    return {"written": len(written), "delivered": len(lags), "lag_p50": pct(50), "lag_p95": pct(95),
            "webhook_only": webhook_only, "batches": batches}


def run_phase(name: str, template: Path, template_index: Path, work: Path, data: list[DeskData],
              args: argparse.Namespace, run: int = 0) -> Phase:
    phase_dir = work / f"{name}-{run}"
    (phase_dir / "data").mkdir(parents=True)
    db_path = phase_dir / "ils.sqlite3"
    shutil.copyfile(template, db_path)
    shutil.copytree(template_index, phase_dir / "data" / "search")
    receiver = StuckReceiver() if name == "stuck-webhook" else None
    env = {"ILS_WEBHOOK_TIMEOUT_SECONDS": str(args.webhook_timeout)}
    if receiver:
        env["ILS_WEBHOOK_URLS"] = receiver.url
    log_path = phase_dir / "server.log"
    in_process = name in ("relay", "stuck-webhook")
    server, base = start_server(db_path, phase_dir / "data", in_process, env, log_path)
    relay_process = (start_relay_process(db_path, phase_dir / "data", env, phase_dir / "relay.log")
                     if name == "relay-process" else None)
    relay_cpu = 0.0
    try:
        tokens = log_in(base, [d.unit for d in data])
        started_at = datetime.now(timezone.utc)
        now = time.perf_counter()
        measure_from = now + WARMUP_SECONDS
        stop_at = measure_from + args.seconds
        clerks = [Clerk(base, tokens[d.unit], d, measure_from, stop_at, args.think_ms / 1000, n)
                  for n, d in enumerate(data)]
        for clerk in clerks:
            clerk.start()
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        sampler = CpuSampler(server.pid)
        sampler.start()
        relay_before = _ticks(Path(f"/proc/{relay_process.pid}/stat")) if relay_process else 0
        for clerk in clerks:
            clerk.join()
        cpu_used, cpu_python = sampler.stop()
        if relay_process:
            relay_cpu = (_ticks(Path(f"/proc/{relay_process.pid}/stat")) - relay_before) / os.sysconf("SC_CLK_TCK")
        measured = max(1e-9, time.perf_counter() - measure_from)
        # The relay's backlog gets a moment to drain before the service stops.
        time.sleep(2.0)
    finally:
        stop(server)
        if relay_process:
            stop(relay_process)
        if receiver:
            receiver.close()
    tally = Tally()
    for clerk in clerks:
        for op, values in clerk.tally.latencies.items():
            tally.latencies[op].extend(values)
        tally.outcomes.update(clerk.tally.outcomes)
        tally.samples.extend(clerk.tally.samples)
    if tally.samples or any(o in ("failed", "error") for _, o in tally.outcomes):
        print("  service log (tail):\n" + "\n".join("    " + line for line in
                                                   log_path.read_text(errors="replace")[-4000:].splitlines()))
    relay = relay_figures(db_path, started_at - timedelta(seconds=1))
    relay["process_cpu"] = relay_cpu
    return Phase(name, tally, measured, cpu_used, cpu_python, relay, receiver.requests if receiver else None)


def combine(runs: list[Phase]) -> Phase:
    """The rounds of one phase as if they were one run."""
    tally = Tally()
    for run in runs:
        for op, values in run.tally.latencies.items():
            tally.latencies[op].extend(values)
        tally.outcomes.update(run.tally.outcomes)
    return Phase(runs[0].name, tally, sum(r.seconds for r in runs), sum(r.service_cpu for r in runs),
                 sum(r.python_cpu for r in runs), {"process_cpu": sum(r.relay.get("process_cpu", 0.0) for r in runs)},
                 None)


def print_phase(phase: Phase) -> None:
    print(f"\n{phase.name}: {WARMUP_SECONDS:.0f} s warm-up then {phase.seconds:.1f} s measured")
    print(f"  {'operation':<9} {'answered':>9} {'refused':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for op in ("checkout", "checkin", None):
        answered = phase.count("ok", op) + phase.count("refused", op)
        errors = phase.count("error", op) + phase.count("failed", op)
        print(f"  {op or 'both':<9} {answered:>9,} {phase.count('refused', op):>8,} {errors:>7,} "
              f"{phase.percentile(50, op):>8.1f} {phase.percentile(95, op):>8.1f} {phase.percentile(99, op):>8.1f}")
    answered = phase.count("ok") + phase.count("refused")
    per_op = 1000 / max(1, answered)
    native = max(0.0, phase.service_cpu - phase.python_cpu)
    print(f"  {answered / phase.seconds:,.1f} operations/s; service CPU {phase.service_cpu:.1f} s "
          f"({phase.service_cpu / phase.seconds:.0%} of one core), {phase.service_cpu * per_op:.1f} ms per operation: "
          f"{phase.python_cpu * per_op:.1f} in Python threads (requests, relay), "
          f"{native * per_op:.1f} in tantivy's index writer and merge threads")
    r = phase.relay
    if phase.name == "no-relay":
        print(f"  outbox rows written: {r['written']:,} (no relay: none delivered)")
    elif r["delivered"]:
        print(f"  outbox rows written: {r['written']:,}, delivered by the relay: {r['delivered']:,} in {r['batches']:,} "
              f"batches; from commit to marked delivered p50 {r['lag_p50']:.2f} s, p95 {r['lag_p95']:.2f} s")
    else:
        print(f"  outbox rows written: {r['written']:,}, none marked delivered")
    if r.get("process_cpu"):
        print(f"  the relay's own process used {r['process_cpu']:.1f} s of CPU "
              f"({r['process_cpu'] * 1000 / max(1, answered):.1f} ms per operation)")
    if phase.webhook_requests is not None:
        print(f"  webhook requests the never-answering receiver took in: {phase.webhook_requests}; rows indexed "
              f"and waiting (with back-off) only on the webhook: {r['webhook_only']:,}")
    for sample in phase.tally.samples[:5]:
        print(f"  ! {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds of each phase")
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--copies", type=int, default=300, help="titles (one copy each) per desk")
    parser.add_argument("--readers", type=int, default=120, help="readers per desk")
    parser.add_argument("--phases", default=",".join(DEFAULT_PHASES),
                        help=f"comma-separated, of {', '.join(PHASES)}")
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause of each desk between operations")
    parser.add_argument("--webhook-timeout", type=float, default=5.0, help="ILS_WEBHOOK_TIMEOUT_SECONDS")
    parser.add_argument("--rounds", type=int, default=1, help="run the phases this many times, interleaved")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (databases, logs)")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    command = " ".join([".venv/bin/python", "bench/relay_desks.py", *sys.argv[1:]])
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f} before seeding "
          "(other processes' CPU slows every figure below)")
    work = Path(tempfile.mkdtemp(prefix="ils-relay-bench-"))
    try:
        template, index = work / "template.sqlite3", work / "template-search"
        data, seeded = seed(template, index, args.desks, args.copies, args.readers)
        print(f"SQLite: {seeded['units']} units, {seeded['titles']:,} titles (one copy each) and "
              f"{seeded['readers']:,} readers over {args.desks} branches, {seeded['indexed']:,} indexed; "
              f"seeded in {seeded['seconds']:.0f} s")
        results: dict[str, list[Phase]] = {name: [] for name in phases}
        # Rounds interleave the phases, so that a colleague's job starting halfway through
        # does not land on one phase alone.
        for run in range(args.rounds):
            for name in phases:
                phase = run_phase(name, template, index, work, data, args, run)
                if args.rounds > 1:
                    print(f"\n[round {run + 1} of {args.rounds}, load average {os.getloadavg()[0]:.1f}]", end="")
                print_phase(phase)
                results[name].append(phase)
    finally:
        if args.keep:
            print(f"\nworking directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {cores} cores")
    print(f"target: p95 under {TARGET_P95_MS:.0f} ms with {args.desks} desks and the relay on"
          + (f" (all {args.rounds} rounds pooled)" if args.rounds > 1 else ""))
    print(f"  {'phase':<14} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'ops/s':>7} {'CPU/op ms':>10}")
    for name, runs in results.items():
        pooled = combine(runs)
        p95 = pooled.percentile(95)
        verdict = "(reference)" if name == "no-relay" else ("met" if p95 < TARGET_P95_MS else "MISSED")
        answered = pooled.count("ok") + pooled.count("refused")
        cpu = pooled.service_cpu + pooled.relay["process_cpu"]  # the service's, and a relay process's
        print(f"  {name:<14} {pooled.percentile(50):>8.1f} {p95:>8.1f} {pooled.percentile(99):>8.1f} "
              f"{answered / pooled.seconds:>7.1f} {cpu * 1000 / max(1, answered):>10.1f}   {verdict}")
    print(f"\ncommand: {command}")
    failed = sum(p.count("failed") + p.count("error") for runs in results.values() for p in runs)
    if failed:
        print(f"{failed} operations ended in a server error or no answer")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""SIP2 under load: many self-check machines lending and taking back at once, on PostgreSQL.

    .venv/bin/python bench/sip2_load.py [--seconds 30] [--machines 50] [--items 20000] [--patrons 5000]
        [--threads 16] [--database-url URL] [--keep]

Creates a fresh PostgreSQL database (ils_bench_<random> on postgresql+psycopg://postgres@127.0.0.1:5432
unless --database-url names one) and seeds it with bench/circulation.py's ``seed``: the demo
network (37 units), its categories and loan rules, N copies, M readers, a tenth of the copies on
loan. Each machine gets a SIP2 account at one of the lending units (half of them speak GB18030,
a third use error detection) and its own copies and readers, so what it lends nobody else
lends. Then the real server (`ils sip2 serve`, its own process) takes all the machines at once
for the measured seconds, after a 3 s warm-up. A machine's day is readers' visits: a borrowing
visit is patron information (63), one or two check-outs (11) and end session (35); a returning
visit is a check-in (09) at the machine's unit (通还: a copy from another unit goes into transit
home, and may be lent again before it leaves).

Prints messages/s, transactions/s (check-outs and check-ins, each one database transaction) and
p50/p95/p99 latency per message, where the CPU went, and the circulation invariants of the
database afterwards. Exits non-zero if any message failed (no answer, a 96, a system fault) or an
invariant is broken.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this directory comes first on sys.path, and bench/circulation.py would shadow
# the `circulation` package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MACHINE_PASSWORD = "bench-machine-password"
WARMUP_SECONDS = 3.0
MAX_OUT_PER_MACHINE = 40  # copies a machine's readers hold before it only takes back for a while
MAX_LOANS_PER_READER = 4  # below every demo rule's limit, so a refusal means something is wrong
NAMES = {"11": "checkout", "09": "checkin", "63": "patron info", "35": "end session", "93": "login"}


def _bench_circulation() -> Any:
    """bench/circulation.py under another name: its seeding is what this bench seeds with."""
    spec = importlib.util.spec_from_file_location("bench_circulation", HERE / "circulation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_circulation"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


# ---- one machine -----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, ok | refused | failed)
    refusals: Counter[str] = field(default_factory=Counter)  # screen messages of refusals
    failures: list[str] = field(default_factory=list)
    first: float = float("inf")
    last: float = 0.0

    def merge(self, other: Tally) -> None:
        for code, values in other.latencies.items():
            self.latencies[code].extend(values)
        self.outcomes.update(other.outcomes)
        self.refusals.update(other.refusals)
        self.failures.extend(other.failures[:5])
        self.first, self.last = min(self.first, other.first), max(self.last, other.last)


def _outcome(message: Any) -> str:
    if message.code == "96" or "系统故障" in message.get("AF"):
        return "failed"
    ok = {"12": message.fixed.get("ok") == "1", "10": message.fixed.get("ok") == "1",
          "64": message.get("BL") == "Y", "36": message.fixed.get("end_session") == "Y"}.get(message.code, True)
    return "ok" if ok else "refused"


@dataclass
class Machine:
    n: int
    login: str
    unit: str
    shelf: list[str]  # copies this machine may lend (on a shelf, or in transit after a return here)
    lent: list[tuple[str, str]]  # (barcode, card) lent and not yet back
    readers: list[str]
    held: Counter[str] = field(default_factory=Counter)

    def run(self, port: int, measure_from: float, until: float, tally: Tally, rng: random.Random) -> None:
        from circulation.sip2.client import Sip2Client

        with Sip2Client("127.0.0.1", port, encoding="gb18030" if self.n % 2 else "utf-8",
                        error_detection=self.n % 3 == 0, timeout=60) as client:
            if client.login(self.login, MACHINE_PASSWORD).fixed["ok"] != "1":
                raise RuntimeError(f"{self.login} could not log in")
            while time.time() < until:
                if self.lent and (len(self.lent) >= MAX_OUT_PER_MACHINE or not self.shelf or rng.random() < 0.5):
                    self._return(client, measure_from, tally, rng)
                else:
                    self._borrow(client, measure_from, tally, rng)

    def _ask(self, tally: Tally, measure_from: float, code: str, call: Any) -> Any:
        started = time.time()
        try:
            answer = call()
        except Exception as exc:  # no answer at all
            tally.outcomes[(code, "failed")] += 1
            tally.failures.append(f"{code}: {type(exc).__name__}: {exc}")
            raise
        ended = time.time()
        outcome = _outcome(answer)
        if started >= measure_from:
            tally.latencies[code].append((ended - started) * 1000)
            tally.outcomes[(code, outcome)] += 1
            tally.first, tally.last = min(tally.first, started), max(tally.last, ended)
            if outcome == "refused":
                tally.refusals[f"{NAMES.get(code, code)}: {answer.get('AF')[:60]}"] += 1
            elif outcome == "failed":
                tally.failures.append(f"{code}: {answer.code} {answer.get('AF')}")
        return answer

    def _borrow(self, client: Any, measure_from: float, tally: Tally, rng: random.Random) -> None:
        readers = [r for r in self.readers if self.held[r] < MAX_LOANS_PER_READER]
        card = rng.choice(readers)
        self._ask(tally, measure_from, "63", lambda: client.patron_information(card))
        for _ in range(min(rng.choice((1, 1, 2)), len(self.shelf))):
            barcode = self.shelf.pop(rng.randrange(len(self.shelf)))
            answer = self._ask(tally, measure_from, "11", lambda: client.checkout(card, barcode))
            if answer.fixed.get("ok") == "1":
                self.lent.append((barcode, card))
                self.held[card] += 1
            else:
                self.shelf.append(barcode)
        self._ask(tally, measure_from, "35", lambda: client.end_session(card))

    def _return(self, client: Any, measure_from: float, tally: Tally, rng: random.Random) -> None:
        barcode, card = self.lent.pop(rng.randrange(len(self.lent)))
        answer = self._ask(tally, measure_from, "09", lambda: client.checkin(barcode))
        if answer.fixed.get("ok") == "1":
            self.shelf.append(barcode)
            self.held[card] -= 1
        else:
            self.lent.append((barcode, card))


# ---- setup --------------------------------------------------------------------------------------


def create_accounts(url: str, machines: int, units: list[str]) -> list[tuple[str, str]]:
    from circulation.sip2.accounts import create_account
    from circulation.sip2.schemas import Sip2AccountCreate
    from ils.db import Database

    database = Database.from_url(url)
    made = []
    now = datetime.now(timezone.utc)
    with database.session() as session:
        for n in range(machines):
            login, unit = f"sc-{n:03d}", units[n % len(units)]
            create_account(session, Sip2AccountCreate(login=login, password=MACHINE_PASSWORD, unit=unit,
                                                      encoding="gb18030" if n % 2 else "utf-8",
                                                      error_detection=n % 3 == 0), "bench", now)
            made.append((login, unit))
    database.dispose()
    return made


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, data_dir: Path, log_path: Path, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "ILS_DATABASE_URL": url, "ILS_DATA_DIR": str(data_dir), "ILS_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-c", "from ils.cli import main; main()", "sip2", "serve", "--host", "127.0.0.1",
               "--port", str(port), *(["--threads", str(threads)] if threads else [])]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the SIP2 server exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the SIP2 server did not listen within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ---- the run ------------------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(tally: Tally, seconds: float, machines: int) -> None:
    print(f"\n{machines} machines, {WARMUP_SECONDS:.0f} s warm-up, then {seconds:.1f} s measured")
    print(f"  {'message':<16} {'answered':>9} {'refused':>8} {'failed':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    codes = sorted(tally.latencies, key=lambda c: list(NAMES).index(c) if c in NAMES else 99)
    for code in [*codes, None]:
        values = tally.latencies[code] if code else [v for vs in tally.latencies.values() for v in vs]
        count: Counter[str] = Counter()
        for (c, outcome), n in tally.outcomes.items():
            if code in (None, c):
                count[outcome] += n
        label = f"{NAMES.get(code, code)} ({code})" if code else "all"
        print(f"  {label:<16} {count['ok'] + count['refused']:>9,} {count['refused']:>8,} {count['failed']:>7,} "
              f"{_percentile(values, 50):>8.1f} {_percentile(values, 95):>8.1f} {_percentile(values, 99):>8.1f}")
    messages = sum(len(v) for v in tally.latencies.values())
    transactions = len(tally.latencies["11"]) + len(tally.latencies["09"])
    print(f"  throughput: {messages / seconds:,.1f} messages/s, {transactions / seconds:,.1f} transactions/s "
          "(check-outs and check-ins)")
    if tally.refusals:
        print("  refusals: " + "; ".join(f"{text} ×{n}" for text, n in tally.refusals.most_common(5)))
    for failure in tally.failures[:10]:
        print(f"  ! {failure}")


def run(args: argparse.Namespace, url: str, tmp: Path) -> int:
    bench = _bench_circulation()
    rng = random.Random(20261123)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before seeding")
    slices, network, seeded = bench.seed(url, args.items, args.patrons, args.machines, rng)
    print(f"seeded {seeded['units']} units, {seeded['items']:,} copies ({seeded['on_loan']:,} on loan), "
          f"{seeded['patrons']:,} readers in {seeded['seconds']:.0f} s")
    accounts = create_accounts(url, args.machines, network.lending_units)
    machines = []
    for n, ((login, unit), part) in enumerate(zip(accounts, slices)):
        shelf = [c.barcode for c in part.copies if c.state == "shelf"]
        lent = [(c.barcode, c.card) for c in part.copies if c.state == "loan" and c.card]
        machine = Machine(n, login, unit, shelf, lent, [card for card, _, _ in part.patrons])
        for _, card in lent:
            machine.held[card] += 1
        machines.append(machine)

    log_path = tmp / "sip2.log"
    server, port = start_server(url, tmp, log_path, args.threads)
    cpu_before = _cpu(server.pid)
    try:
        measure_from = time.time() + WARMUP_SECONDS
        until = measure_from + args.seconds
        tallies = [Tally() for _ in machines]
        errors: list[BaseException] = []

        def drive(n: int) -> None:
            try:
                machines[n].run(port, measure_from, until, tallies[n], random.Random(n))
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=drive, args=(n,)) for n in range(len(machines))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu_used = _cpu(server.pid) - cpu_before
    finally:
        stop_server(server)
    tally = Tally()
    for part in tallies:
        tally.merge(part)
    seconds = max(1e-9, tally.last - measure_from)
    report(tally, seconds, len(machines))
    print(f"  SIP2 server process CPU: {cpu_used:.1f} s over the run "
          f"({cpu_used * 1000 / max(1, sum(len(v) for v in tally.latencies.values())):.2f} ms per measured message, "
          "warm-up included)")
    for error in errors[:5]:
        print(f"  ! a machine stopped: {type(error).__name__}: {error}")
    violations, sizes = bench.check_invariants(url)
    print("invariants (" + ", ".join(f"{n:,} {t} rows" for t, n in sizes.items()) + "):")
    for check, found in violations.items():
        print(f"  {check:<58} {found}{'   BROKEN' if found else ''}")
    failed = sum(n for (_, outcome), n in tally.outcomes.items() if outcome == "failed") + len(errors)
    if failed:
        print("server log (tail):\n" + log_path.read_text(errors="replace")[-4000:])
    return 1 if failed or any(violations.values()) else 0


def _cpu(pid: int) -> float:
    """User + system seconds of a process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="measured seconds")
    parser.add_argument("--machines", type=int, default=50, help="self-check machines connected at once")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--patrons", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=0,
                        help="the server's database threads (default: circulation.sip2.server.THREADS)")
    parser.add_argument("--database-url", help="an existing, empty PostgreSQL database to use "
                                               f"(default: a fresh ils_bench_<random> on {DEFAULT_SERVER})")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    bench = _bench_circulation()

    from sqlalchemy.engine import make_url

    if args.database_url:
        url, drop = args.database_url, None
    else:
        name = f"ils_bench_{uuid.uuid4().hex[:8]}"
        create, drop = bench._database_admin(DEFAULT_SERVER, name)
        create()
        url = make_url(DEFAULT_SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="ils-sip2-bench-") as tmp:
            os.environ.update({"ILS_DATABASE_URL": url, "ILS_DATA_DIR": tmp})
            return run(args, url, Path(tmp))
    finally:
        if args.keep or drop is None:
            print(f"\nbench database kept: {url}")
        else:
            drop()


if __name__ == "__main__":
    sys.exit(main())

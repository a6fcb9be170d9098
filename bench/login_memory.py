"""Peak memory of `ils serve` while many bogus logins arrive at once, with and without the bound
on concurrent argon2 checks (ILS_LOGIN_MAX_HASHING).

Each argon2 check holds 64 MiB while it runs; the issue saw 16 parallel bogus logins take a
server from 554 MB to 1.45 GB. This starts a real server on a fresh SQLite database for each
bound, sends rounds of CLIENTS simultaneous logins with wrong passwords for distinct unknown
usernames (so the per-account lock does not stop them first) from distinct forwarded addresses
(so the per-address lock does not either), and reads the server's peak resident memory (VmHWM)
from /proc.

    .venv/bin/python bench/login_memory.py                    # bounds 16 (no real bound: the thread pool) and 4
    .venv/bin/python bench/login_memory.py --bounds 16 4 2 --clients 16 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ils.migrate import upgrade  # noqa: E402
from tests.support.live_server import free_port, spawn, stop, wait_until_up  # noqa: E402


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _round(base: str, clients: int, offset: int) -> Counter[int]:
    barrier = threading.Barrier(clients)
    codes: Counter[int] = Counter()
    lock = threading.Lock()

    def one(n: int) -> None:
        barrier.wait()
        # 198.18.0.0/15, the range set aside for benchmarks: only ever a header value here.
        address = f"198.{18 + (offset + n) // 65536 % 2}.{(offset + n) // 256 % 256}.{(offset + n) % 256}"
        response = httpx.post(f"{base}/api/v1/auth/token", timeout=120, headers={"X-Forwarded-For": address},
                              json={"username": f"bogus-{offset + n}", "password": "not-a-password"})
        with lock:
            codes[response.status_code] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def measure(bound: int, clients: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ils-login-mem-") as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        stderr = Path(folder) / "stderr.log"
        env = {"ILS_LOGIN_MAX_HASHING": str(bound), "ILS_LOGIN_HASHING_WAIT_SECONDS": "30"}
        process = spawn(url, port, folder, stderr, workers=1, relay=False, extra_env=env)
        try:
            wait_until_up(process, base, stderr)
            # One login first, so the baseline includes everything a first request loads.
            httpx.post(f"{base}/api/v1/auth/token", json={"username": "warm-up", "password": "x" * 10})
            before = _kib(process.pid, "VmHWM")
            codes: Counter[int] = Counter()
            started = time.monotonic()
            for r in range(rounds):
                codes += _round(base, clients, r * clients)
            elapsed = time.monotonic() - started
            peak = _kib(process.pid, "VmHWM")
            now = _kib(process.pid, "VmRSS")
        finally:
            stop(process)
    return {"bound": bound, "baseline_mb": before / 1024, "peak_mb": peak / 1024, "rss_after_mb": now / 1024,
            "answers": dict(codes), "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bounds", type=int, nargs="+", default=[16, 4])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ILS_LOG_LEVEL", "WARNING")
    print(f"{args.clients} simultaneous bogus logins x {args.rounds} rounds, one `ils serve` process each")
    print(f"{'bound':>5} {'baseline MB':>12} {'peak MB':>8} {'peak - baseline':>16} {'RSS after':>10} "
          f"{'seconds':>8}  answers")
    for bound in args.bounds:
        m = measure(bound, args.clients, args.rounds)
        print(f"{m['bound']:>5} {m['baseline_mb']:>12.0f} {m['peak_mb']:>8.0f} "
              f"{m['peak_mb'] - m['baseline_mb']:>16.0f} {m['rss_after_mb']:>10.0f} {m['seconds']:>8.1f}  "
              f"{m['answers']}")


if __name__ == "__main__":
    main()

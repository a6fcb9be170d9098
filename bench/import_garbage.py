"""Peak memory of the server while it is sent a 200 MB garbage MARC upload.

    .venv/bin/python bench/import_garbage.py [--mb 200] [--database-url URL] [--source DIR]

Starts `ils serve` (one process, on a fresh SQLite database unless --database-url names an
empty migrated-or-not PostgreSQL database) with ILS_MAX_UPLOAD_MB set above the file, and sends
it three uploads, each file streamed from disk by the client:
  1. random bytes (stopped early as IMPORT_NOT_MARC: the first 100 "records" decide);
  2. 20 real-looking records, then random bytes (passes the first judgement, so the whole file
     is read and every rejection counted; only the first ILS_IMPORT_MAX_ISSUES are kept);
  3. the same random file again with ILS_MAX_UPLOAD_MB at its default, to a second server
     (refused with 413 before the body is read).
For each it prints the answer's status, size and time, the server's resident memory before
the upload and its peak during it (VmHWM from /proc, reset before each upload through
/proc/PID/clear_refs). --source runs the server from another
checkout (e.g. an older commit unpacked with `git archive`) to compare.

Measured on the 2-core development machine, 200 MiB, SQLite: before the caps (commit fe41d37)
each garbage upload answered 200 with a 168 MB report of 814,454 rejections after 2-3 minutes,
the server peaking at 1.1-1.2 GiB; now random bytes answer 422 IMPORT_NOT_MARC (274 bytes) in
a few seconds, 20 records then garbage answer 200 with 1,000 rejections kept of 814,454
(20 KB), both within 2-4 MiB of the server's resident memory before the upload, and over the
default limit the answer is 413 at once with no growth at all.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
USER, PASSWORD = "bench-cataloguer", "bench-password-123"


def write_garbage(path: Path, mb: int, head: bytes = b"", seed: int = 2026) -> None:
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(head)
        for _ in range(mb):
            out.write(rng.randbytes(MIB))


def good_records(n: int, first: int = 0) -> bytes:
    """Small CNMARC records (our own content), as UTF-8 ISO 2709."""
    import pymarc
    from pymarc import Field, Indicators, Subfield

    out = []
    for k in range(first, first + n):
        record = pymarc.Record(leader="00000nam0 2200000   450 ", force_utf8=True)
        record.add_field(Field(tag="001", data=f"BG{k}"))
        record.add_field(Field(tag="200", indicators=Indicators("1", " "),
                               subfields=[Subfield("a", f"基准书{k}"), Subfield("f", "佚名著")]))
        out.append(record.as_marc())
    return b"".join(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


PREPARE = """
import sys
from ils.auth.service import create_user
from ils.clock import get_clock
from ils.db import Database
from ils.migrate import upgrade

upgrade(sys.argv[1])
database = Database.from_url(sys.argv[1])
with database.session() as session:
    create_user(session, sys.argv[2], sys.argv[3], "cataloguer", get_clock().now())
"""


def prepare_database(url: str, source: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", PREPARE, url, USER, PASSWORD], cwd=source, env=env, check=True)


@contextmanager
def server(url: str, source: Path, data_dir: Path, env: dict[str, str], limit_mb: int | None) -> Iterator[tuple[str, int]]:
    import httpx

    port = free_port()
    env = {**env, "ILS_DATABASE_URL": url, "ILS_DATA_DIR": str(data_dir), "ILS_LOG_LEVEL": "WARNING",
           "ILS_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789"}
    env.pop("ILS_MAX_UPLOAD_MB", None)
    if limit_mb is not None:
        env["ILS_MAX_UPLOAD_MB"] = str(limit_mb)
    command = [sys.executable, "-c", "from ils.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--no-relay"]
    process = subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("ils serve exited before answering")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ils serve did not start")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def upload(base: str, pid: int, path: Path) -> dict[str, object]:
    import httpx

    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": USER, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    before = rss_kib(pid, "VmRSS")
    start_peak = rss_kib(pid, "VmHWM")
    # Reset the process's peak to what it holds now, so the peak read after is this upload's
    # (Linux: "5" to clear_refs); where that is not allowed the peak includes the start-up.
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        start_peak = rss_kib(pid, "VmHWM")
    except OSError:
        pass
    started = time.monotonic()
    try:
        with path.open("rb") as f:
            response = httpx.post(f"{base}/api/v1/records/import", headers=headers,
                                  files={"file": (path.name, f, "application/marc")}, timeout=1800)
        status, size, body = response.status_code, len(response.content), response.json()
    except httpx.HTTPError as exc:  # a server that answers 413 early may close while the client still sends
        status, size, body = f"{type(exc).__name__}", 0, {}
    seconds = time.monotonic() - started
    return {"status": status, "answer_bytes": size, "seconds": seconds, "rss_before_mib": before / 1024,
            "peak_before_mib": start_peak / 1024, "peak_mib": rss_kib(pid, "VmHWM") / 1024, "error": body.get("error"),
            "read": body.get("read"), "rejected": body.get("rejected"), "imported": body.get("imported"),
            "errors_kept": body.get("errors_kept")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the garbage in MiB")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout the server runs from")
    args = parser.parse_args()
    source = args.source.resolve()
    env = {**os.environ, "PYTHONPATH": str(source)}
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}   (server code from {source})")
    with tempfile.TemporaryDirectory(prefix="ils-garbage-") as tmp:
        work = Path(tmp)
        url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
        prepare_database(url, source, env)
        noise, tail = work / "noise.mrc", work / "marc-then-noise.mrc"
        write_garbage(noise, args.mb)
        write_garbage(tail, args.mb, head=good_records(20))
        limit = args.mb + 16
        runs = []
        warm = work / "records.mrc"
        warm.write_bytes(good_records(20, first=1000))
        with server(url, source, work / "var", env, limit) as (base, pid):
            # First a file of real records, so the one-off load of the pinyin dictionaries by
            # the first record catalogued is not counted against the garbage.
            runs.append(("20 records (warm-up: the first records load the pinyin dictionaries)", upload(base, pid, warm)))
            runs.append((f"random bytes, {args.mb} MiB (limit {limit} MiB)", upload(base, pid, noise)))
            runs.append((f"20 records then random bytes (limit {limit} MiB)", upload(base, pid, tail)))
        with server(url, source, work / "var", env, None) as (base, pid):
            runs.append((f"random bytes, {args.mb} MiB (default limit)", upload(base, pid, noise)))
    for name, r in runs:
        print(f"{name}:\n  answer {r['status']} {r.get('error') or ''} {r['answer_bytes']:,} bytes in "
              f"{r['seconds']:.1f} s; read {r['read']}, imported {r['imported']}, rejected {r['rejected']}, "
              f"kept {r['errors_kept']}\n  server RSS before {r['rss_before_mib']:.0f} MiB "
              f"(peak so far {r['peak_before_mib']:.0f} MiB), peak during the upload {r['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()

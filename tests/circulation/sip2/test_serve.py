"""The SIP2 server as deployed: inside `ils serve` when ILS_SIP2_PORT is set, or alone with
`ils sip2 serve`, each a real process on a real port (on the system clock)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from circulation.sip2.client import Sip2Client
from tests.circulation.sip2.conftest import MACHINE_PASSWORD, SelfCheck
from tests.support.live_server import free_port, live_server

STARTUP_SECONDS = 30
REPOSITORY = Path(__file__).resolve().parents[3]


def _sip2_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def _process(arguments: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-c", "from ils.cli import main; main()", *arguments],
                                   env={**os.environ, **env}, cwd=REPOSITORY, stdout=sink, stderr=sink,
                                   start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(ready, process: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"not up within {STARTUP_SECONDS} s:\n{log.read_text(errors='replace')[-3000:]}")


def _seed(selfcheck: SelfCheck) -> None:
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001", name="方鸿渐", expires_on="2099-12-31")
    selfcheck.account("sc-td-1", encoding="gb18030")


def _machine_works(port: int) -> None:
    with Sip2Client("127.0.0.1", port, encoding="gb18030") as machine:
        assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        assert machine.sc_status().get("AM") == "铜都街道分馆"
        assert machine.patron_status("DC00000001").get("AE") == "方**"  # no reader password: masked
        lent = machine.checkout("DC00000001", "B1")
        assert lent.fixed["ok"] == "1" and lent.get("AJ") == "围城"


def test_ils_serve_with_ils_sip2_port_answers_sip2_beside_the_web_service(selfcheck: SelfCheck, db):
    _seed(selfcheck)
    sip2_port = free_port()
    with live_server(db.url, extra_env={"ILS_SIP2_PORT": str(sip2_port), "ILS_SIP2_HOST": "127.0.0.1"}) as base:
        # `ils serve` binds the SIP2 port before it starts the web workers: both answer now.
        assert _sip2_up(sip2_port)
        _machine_works(sip2_port)
        assert httpx.get(f"{base}/api/v1/health").json()["status"] == "ok"


def test_ils_sip2_serve_runs_the_sip2_server_alone(selfcheck: SelfCheck, db, tmp_path):
    _seed(selfcheck)
    port = free_port()
    env = {"ILS_DATABASE_URL": db.url, "ILS_DATA_DIR": str(tmp_path), "ILS_LOG_LEVEL": "WARNING"}
    log = tmp_path / "sip2.log"
    with _process(["sip2", "serve", "--host", "127.0.0.1", "--port", str(port)], env, log) as process:
        _wait(lambda: _sip2_up(port), process, log)
        _machine_works(port)

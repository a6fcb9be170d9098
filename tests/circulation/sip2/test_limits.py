"""What one address, or many, can hold of the server: connections that never log in are closed,
and the connection over a limit is refused at once while every other machine goes on working.

Loopback answers on all of 127/8 on Linux, so 127.0.0.2, .3 … stand for machines at different
addresses (127.0.0.1 is the host itself, where a TLS proxy would bring every machine from).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from circulation.sip2.client import Sip2Client, Sip2Error
from circulation.sip2.server import RunningServer, Sip2Server
from tests.circulation.sip2.conftest import MACHINE_PASSWORD, SelfCheck

# Long enough for the test to do its steps on a busy 2-core machine, short enough to wait out.
CLOSED_WITHIN = 10.0


@contextmanager
def _server(**limits: Any) -> Iterator[RunningServer]:
    running = Sip2Server("127.0.0.1", 0, **limits).start_in_thread()
    try:
        yield running
    finally:
        running.stop()


def _idle(running: RunningServer, source: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", running.port), timeout=CLOSED_WITHIN, source_address=(source, 0))


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + CLOSED_WITHIN
    while not condition():
        assert time.monotonic() < deadline, "the server did not get there in time"
        time.sleep(0.01)


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed it; a socket the server keeps open times out here."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_connections_over_the_limit_per_address_are_refused_and_a_machine_elsewhere_is_served(
        selfcheck: SelfCheck, caplog):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    caplog.set_level(logging.WARNING, logger="ils.sip2")
    with _server(max_per_address=3) as running:
        held = [Sip2Client("127.0.0.1", running.port, source="127.0.0.2") for _ in range(3)]
        _until(lambda: running.server.connections == 3)

        extra = _idle(running, "127.0.0.2")
        assert _closed_by_server(extra)
        assert "refused" in caplog.text and "127.0.0.2" in caplog.text and "limit per address" in caplog.text

        with Sip2Client("127.0.0.1", running.port, source="127.0.0.3") as elsewhere:
            assert elsewhere.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
            assert elsewhere.checkout("DC00000001", "B1").fixed["ok"] == "1"
        # The three held connections were not touched: one of them is a machine that logs in now.
        assert held[0].login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        assert held[0].checkin("B1").fixed["ok"] == "1"

        held[1].close()  # a place is free again for that address
        _until(lambda: running.server.connections == 2)
        with Sip2Client("127.0.0.1", running.port, source="127.0.0.2") as again:
            assert again.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        for machine in held:
            machine.close()
        extra.close()


def test_the_host_itself_is_not_limited_per_address_but_the_server_limit_holds_for_everyone(selfcheck: SelfCheck):
    selfcheck.account("sc-td-1")
    with _server(max_per_address=2, max_connections=5) as running:
        local = [_idle(running, "127.0.0.1") for _ in range(4)]  # behind a local TLS proxy: every machine
        remote = _idle(running, "127.0.0.2")
        _until(lambda: running.server.connections == 5)

        over = _idle(running, "127.0.0.3")
        assert _closed_by_server(over)
        local[0].close()
        _until(lambda: running.server.connections == 4)
        with Sip2Client("127.0.0.1", running.port, source="127.0.0.3") as machine:
            assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        for sock in (*local, remote, over):
            sock.close()


def test_a_connection_that_does_not_log_in_in_time_is_closed_whatever_it_sends_and_a_machine_stays(
        selfcheck: SelfCheck):
    selfcheck.account("sc-td-1")
    login_seconds = 1.5
    with _server(login_seconds=login_seconds) as running:
        machine = Sip2Client("127.0.0.1", running.port, source="127.0.0.4")
        assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        failed = Sip2Client("127.0.0.1", running.port, source="127.0.0.5", timeout=CLOSED_WITHIN)
        assert failed.login("sc-td-1", "wrong-password").fixed["ok"] == "0"  # no time bought by trying
        started = time.monotonic()  # a password check can take a while on a busy machine: count from here
        silent = _idle(running, "127.0.0.2")
        chatty = Sip2Client("127.0.0.1", running.port, source="127.0.0.3", timeout=CLOSED_WITHIN)

        answered = 0
        with pytest.raises((Sip2Error, OSError)):  # status messages answered until the time is up
            while time.monotonic() - started < CLOSED_WITHIN:
                assert chatty.sc_status().fixed["online_status"] == "N"
                answered += 1
                time.sleep(0.05)
        assert answered >= 1 and login_seconds - 0.05 <= time.monotonic() - started < CLOSED_WITHIN
        assert _closed_by_server(silent) and _closed_by_server(failed.sock)
        assert time.monotonic() - started < CLOSED_WITHIN

        # The machine that logged in keeps its connection past the time allowed for logging in.
        assert machine.sc_status().fixed["online_status"] == "Y"
        for client in (machine, chatty, failed):
            client.close()
        silent.close()


def test_a_logged_in_machine_is_kept_by_its_status_messages_and_closed_when_silent(selfcheck: SelfCheck):
    selfcheck.account("sc-td-1")
    with _server(idle_seconds=0.6, login_seconds=30) as running:
        with Sip2Client("127.0.0.1", running.port, source="127.0.0.2") as machine:
            assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
            started = time.monotonic()
            while time.monotonic() - started < 1.5:  # the heartbeat a machine sends between readers
                assert machine.sc_status().fixed["online_status"] == "Y"
                time.sleep(0.2)
            assert _closed_by_server(machine.sock)
            assert time.monotonic() - started < 1.5 + CLOSED_WITHIN


def test_a_machine_whose_account_is_disabled_must_log_in_again_in_time(selfcheck: SelfCheck, monkeypatch):
    from circulation.sip2 import service

    lib = selfcheck.lib
    selfcheck.account("sc-td-1")
    monkeypatch.setattr(service, "ACCOUNT_RECHECK_SECONDS", 0.0)
    with _server(login_seconds=0.5) as running:
        with Sip2Client("127.0.0.1", running.port, source="127.0.0.2") as machine:
            assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
            time.sleep(0.7)  # longer than the time to log in: a logged-in machine is not held to it
            assert machine.sc_status().fixed["online_status"] == "Y"
            assert lib.client.patch("/api/v1/sip2/accounts/sc-td-1", headers=lib.admin,
                                    json={"active": False}).status_code == 200
            assert machine.sc_status().fixed["online_status"] == "N"
            started = time.monotonic()
            assert _closed_by_server(machine.sock)
            assert 0.45 <= time.monotonic() - started < CLOSED_WITHIN


_LIMITS = """
import resource
import sys
from circulation.sip2.server import Sip2Server
soft, hard = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
running = Sip2Server("127.0.0.1", 0, max_connections=1000, max_per_address=0).start_in_thread()
print(running.server.max_connections, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
running.stop()
"""


@pytest.mark.parametrize("soft,hard,expected", [(300, 4096, "1000 1200"), (400, 400, "200 400")],
                         ids=["soft-limit-raised", "hard-limit-holds-fewer"])
def test_the_server_limit_is_one_the_process_can_hold_open(soft, hard, expected):
    """Past its limit on open files a process cannot accept at all: every machine would wait,
    not only the one over the limit."""
    done = subprocess.run([sys.executable, "-c", _LIMITS, str(soft), str(hard)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == expected

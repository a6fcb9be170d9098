"""A lending network with self-check machines, and the SIP2 server serving it on a free port.

The server runs in this process, on the test database and the tests' fixed clock, so due
dates are known; the machines talk to it over real TCP sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from circulation.sip2.client import Sip2Client
from circulation.sip2.server import RunningServer, Sip2Server
from ils.db import Database
from tests.support.library import Library, library

MACHINE_PASSWORD = "machine-pass-1"
READER_PASSWORD = "reader-pass-1"


@dataclass
class SelfCheck:
    """The library, its SIP2 server, and how to reach it as a machine."""

    lib: Library
    server: RunningServer

    def account(self, login: str, unit: str = "DC-TD", **settings: Any) -> dict[str, Any]:
        response = self.lib.client.post("/api/v1/sip2/accounts", headers=self.lib.admin, json={
            "login": login, "password": MACHINE_PASSWORD, "unit": unit, **settings})
        assert response.status_code == 201, response.text
        return response.json()

    def machine(self, *, encoding: str = "utf-8", error_detection: bool = False) -> Sip2Client:
        return Sip2Client("127.0.0.1", self.server.port, encoding=encoding, error_detection=error_detection)

    def logged_in(self, login: str, **kw: Any) -> Sip2Client:
        machine = self.machine(**kw)
        assert machine.login(login, MACHINE_PASSWORD).fixed["ok"] == "1"
        return machine


@pytest.fixture
def sip2_server(db: Database) -> Iterator[RunningServer]:
    running = Sip2Server("127.0.0.1", 0).start_in_thread()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def selfcheck(client: Any, db: Database, sip2_server: RunningServer) -> SelfCheck:
    return SelfCheck(library(client, db), sip2_server)

"""schemathesis over the whole OpenAPI description, against a live `ils serve` on PostgreSQL.

The server holds the scope tests' world (tests.support.world: readers, copies on loan, holds on
the shelf, crates, plans, rules, keys at three units), and the run is told its ids, cards,
barcodes and codes: half the time a parameter takes one of them, so requests reach past 404
into the use cases. It runs once as the network's admin (everything is allowed:
the use cases themselves are fuzzed) and once as the librarian of DC-TD (the gate's refusals).
Logging out and changing a password get a throwaway account's token, so they cannot end the
run's own login.

Every answer must be no 5xx, a status the description declares for the operation, of the
declared content type, with a body that matches the declared schema. Each run is bounded by
time (schemathesis repeats its phases until the time is spent): ILS_FUZZ_SECONDS for the admin
run (default 120), half of it for the librarian's. Without PostgreSQL the test skips, and fails
when CI is set (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import drop_database_url, new_database_url
from tests.support.factories import make_user
from tests.support.live_server import live_server
from tests.support.world import PASSWORD, STOPS, TAG, World, build_world_at

SECONDS = int(os.environ.get("ILS_FUZZ_SECONDS", "120"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# The CLI of the test extra, beside this Python.
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass
class Served:
    url: str
    world: World
    config_dir: Path
    tokens: dict[str, str]


def _token(url: str, username: str, password: str = PASSWORD) -> str:
    answer = httpx.post(f"{url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _dictionaries(world: World) -> dict[str, list[Any]]:
    units = ["CITY", "DC", "DC-TD", "DC-WL", "DC-TD-01", "XD"]
    copies = [world.copy(u, n) for u in TAG for n in ("A1", "A2", "A3", "A6", "H1", "S1", "X1", "X2", "C1", "C2")]
    return {
        "records": sorted(world.records.values()),
        "holds": sorted([*world.holds.values(), *world.ready.values()]),
        "blocks": sorted(world.blocks.values()),
        "plans": sorted(world.plans.values()),
        "keys": [world.ids["api_key"]],
        "imports": [world.ids["import"]],
        "cards": [card for u in TAG for card in (world.reader(u), world.other_reader(u))],
        "barcodes": copies,
        "units": units,
        "routes": sorted({route for route, _ in STOPS.values()}),
        "crates": [f"{kind}{tag}" for tag in TAG.values() for kind in ("K", "KL", "KR")],
        "machines": [f"sc-{tag.lower()}" for tag in TAG.values()],
        "categories": ["adult"],
    }


# Which dictionary each parameter draws from, half the time (the other half is generated). The
# one loan rule and return policy are left to chance: deleted early, they would leave every
# check-out of the run refused with POLICY_NOT_FOUND.
PARAMETERS = {
    "path.record_id": "records", "body.record_id": "records",
    "path.hold_id": "holds", "path.block_id": "blocks", "path.plan_id": "plans",
    "path.key_id": "keys", "path.batch_id": "imports",
    "path.card": "cards", "path.proxy_card": "cards", "query.card": "cards", "body.card": "cards",
    "body.proxy_card": "cards", "body.proxy_card_number": "cards",
    "path.barcode": "barcodes", "query.barcode": "barcodes", "body.barcode": "barcodes",
    "query.unit": "units", "body.unit": "units", "query.pickup_unit": "units", "body.pickup_unit": "units",
    "query.from": "units", "query.to": "units", "query.system": "units", "body.current_unit": "units",
    "body.system_code": "units", "path.route": "routes", "query.route": "routes", "body.route": "routes",
    "path.login": "machines",
}
# ``{code}`` names a different thing on each path.
CODES = {
    "^/api/v1/units/": "units", "^/api/v1/routes/": "routes", "^/api/v1/crates/": "crates",
    "^/api/v1/patron-categories/": "categories",
}


def _toml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string, number or array is TOML too


def _config(path: Path, world: World, token: str, throwaway: str) -> Path:
    lines = [f"headers = {{ Authorization = {_toml_value('Bearer ' + token)} }}", ""]
    lines.append("[dictionaries]")
    for name, values in _dictionaries(world).items():
        lines.append(f"{name} = {{ values = {_toml_value(values)} }}")
    lines += ["", "[parameters]"]
    for parameter, dictionary in PARAMETERS.items():
        lines.append(f'"{parameter}" = {{ dictionary = "{dictionary}", probability = 0.5 }}')
    for regex, dictionary in CODES.items():
        lines += ["", "[[operations]]", f"include-path-regex = {_toml_value(regex)}",
                  f'parameters = {{ "path.code" = {{ dictionary = "{dictionary}", probability = 0.5 }} }}']
    # Ending a login or changing a password is fuzzed with an account of its own.
    lines += ["", "[[operations]]", 'include-path-regex = "^/api/v1/auth/(logout|password)$"',
              f"headers = {{ Authorization = {_toml_value('Bearer ' + throwaway)} }}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The world on a fresh PostgreSQL database, served by `ils serve`."""
    url = new_database_url("postgresql", tmp_path_factory.mktemp("fuzz-db"))
    try:
        def throwaways(database: Any) -> None:
            for name in ("throwaway-admin", "throwaway-td"):
                make_user(database, name, "librarian", ("DC-TD",))

        world = build_world_at(url, tmp_path_factory.mktemp("fuzz-var"), throwaways)
        with live_server(url) as base:
            # Every login before any fuzzing: the wrong passwords the fuzzer sends to /auth/token
            # may have this address refused logins (429) for a while.
            tokens = {name: _token(base, name) for name in ("admin", "lib-td", "throwaway-admin", "throwaway-td")}
            yield Served(base, world, tmp_path_factory.mktemp("fuzz-run"), tokens)
    finally:
        drop_database_url(url)


@dataclass
class Run:
    returncode: int
    output: str
    requests: int
    seconds: float


def _requests(report: Path) -> int:
    """The requests sent, counted from schemathesis' event stream (one interaction each)."""
    count = 0
    if not report.exists():
        return count
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if finished:
            count += len(finished.get("recorder", {}).get("interactions", {}))
    return count


def _fuzz(served: Served, who: str, seconds: int) -> Run:
    token = served.tokens[who]
    throwaway = served.tokens["throwaway-admin" if who == "admin" else "throwaway-td"]
    work = served.config_dir / who
    work.mkdir()
    config = _config(work / "schemathesis.toml", served.world, token, throwaway)
    report = work / "events.ndjson"  # every request and answer; read back to count them
    # One worker: hypothesis describes a filter by parsing its lambda with ``ast``, and CPython 3.11
    # fails that from two threads at once (SystemError: AST constructor recursion depth mismatch).
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "--no-color", "run", f"{served.url}/openapi.json",
        "--checks", ",".join(CHECKS), "--max-time", str(seconds), "--workers", "1",
        "--continue-on-failure", "--request-timeout", "30", "--generation-database", "none",
        "--suppress-health-check", "all", "--report", "ndjson", "--report-ndjson-path", str(report),
    ]
    started = time.monotonic()
    # In its own directory: schemathesis keeps nothing in the repository.
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=seconds * 3 + 300)
    elapsed = time.monotonic() - started
    run = Run(done.returncode, done.stdout + done.stderr, _requests(report), elapsed)
    print(f"schemathesis as {who}: {run.requests} requests in {run.seconds:.0f} s")
    return run


def _passed(run: Run) -> bool:
    if run.returncode != 0:
        print(run.output[-20000:])
    return run.returncode == 0


def test_fuzzing_as_the_admin_finds_no_server_error_and_no_answer_off_the_description(served: Served) -> None:
    run = _fuzz(served, "admin", SECONDS)
    assert run.requests > 0, run.output[-5000:]
    assert _passed(run), "schemathesis found answers that break the description (printed above)"


def test_fuzzing_as_a_branch_librarian_finds_no_server_error_and_no_answer_off_the_description(
        served: Served) -> None:
    run = _fuzz(served, "lib-td", max(SECONDS // 2, 10))
    assert run.requests > 0, run.output[-5000:]
    assert _passed(run), "schemathesis found answers that break the description (printed above)"

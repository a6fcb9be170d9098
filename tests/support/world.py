"""A network with something of everything at three units, one for each reach a librarian of
DC-TD can have: DC-TD (own), DC-WL (the rest of their system) and XD (another system under the
same 中心馆). Built through the real use cases, as the system itself (not through any route),
so the scope tests start from the same state whoever they then act as."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ils.clock import get_clock
from ils.db import Database
from tests.conftest import BACKENDS, T0, TEST_SECRET_KEY, drop_database_url, new_database_url, pg_admin_url
from tests.support.factories import login, make_network, make_user

PASSWORD = "password-123"
READER_PASSWORD = "reader-pass-1"
# The unit standing for each reach, seen from the librarian of DC-TD.
REL_UNIT = {"own": "DC-TD", "system": "DC-WL", "other": "XD"}
TAG = {"DC-TD": "TD", "DC-WL": "WL", "XD": "XD"}
# Accounts of every kind: name → (role, units). "reader" is the reader of DC-TD.
STAFF = {
    "admin": ("admin", ()),
    "cataloguer": ("cataloguer", ()),
    "manager": ("manager", ()),
    "lib-td": ("librarian", ("DC-TD",)),
    "lib-dc": ("librarian", ("DC",)),
}
ROLES = (*STAFF, "reader")
ROUTES = {"R1": ["DC", "DC-TD", "DC-WL", "DC"], "R2": ["DC", "XD", "DC"]}
# Where each unit is a stop: (route, position).
STOPS = {"DC-TD": ("R1", 1), "DC-WL": ("R1", 2), "XD": ("R2", 1)}


@dataclass
class World:
    db: Database
    records: dict[str, int] = field(default_factory=dict)
    holds: dict[str, int] = field(default_factory=dict)  # unit → a waiting hold of its reader, collected there
    ready: dict[str, int] = field(default_factory=dict)  # unit → a hold on its hold shelf
    blocks: dict[str, int] = field(default_factory=dict)  # unit → a block on its reader
    plans: dict[str, int] = field(default_factory=dict)  # unit → a draft plan sending one of its copies to it
    activities: dict[str, int] = field(default_factory=dict)  # unit → an activity held there, organised by it
    ids: dict[str, int] = field(default_factory=dict)  # rule, policy, api_key, import
    tokens: dict[str, str] = field(default_factory=dict)

    def reader(self, unit: str) -> str:
        return f"R{TAG[unit]}00001"

    def other_reader(self, unit: str) -> str:
        return f"Q{TAG[unit]}00001"

    def copy(self, unit: str, name: str) -> str:
        return f"{TAG[unit]}-{name}"

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build(client: Any, db: Database) -> World:
    from datetime import date

    from activities import service as activity_service
    from activities.schemas import ActivityCreate
    from catalog.importer import ImportOptions, import_marc
    from catalog.items import create_item
    from catalog.records import create_record
    from catalog.schemas import ItemCreate
    from circulation import holds, loans, patrons, rules
    from circulation.schemas import PatronCategoryWrite, PatronCreate, RuleWrite
    from circulation.sip2.accounts import create_account
    from circulation.sip2.schemas import Sip2AccountCreate
    from ils.auth.principal import job
    from ils.auth.service import create_api_key
    from logistics import crates, distribution, policies, routes
    from logistics.schemas import DistributionCreate, ReturnPolicyWrite, RouteWrite
    from tests.support.marc import cnmarc, iso2709, to_dict

    world = World(db)
    now = get_clock().now()
    system = job("test")
    make_network(db)
    for name, (role, units) in STAFF.items():
        make_user(db, name, role, units)
    with db.session() as s:
        patrons.save_category(s, PatronCategoryWrite(code="adult", name="成人读者"))
        world.ids["rule"] = rules.save_rule(s, RuleWrite(loan_days=30, max_items=10, renewals=3, hold_shelf_days=3),
                                            "test", now).id
        world.ids["policy"] = policies.save_policy(s, ReturnPolicyWrite(system_code="XD", policy="home"), "test",
                                                   now).id
        for code, stops in ROUTES.items():
            routes.save_route(s, code, RouteWrite(name=code, weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                                  stops=[{"unit": u} for u in stops]), now)
        world.ids["api_key"] = create_api_key(s, "网关", ["records:read"], now)[0].id

        def title(name: str, copies: dict[str, str]) -> int:
            record = create_record(s, "cnmarc", to_dict(cnmarc(name, control=f"W{len(world.records)}")), "test", now)
            for barcode, owner in copies.items():
                create_item(s, ItemCreate(record_id=record.id, barcode=barcode, unit=owner, item_type="book",
                                          price_fen=3000, status="available"), now, system)
            world.records[name] = record.id
            return record.id

        for unit, tag in TAG.items():
            for card in (world.reader(unit), world.other_reader(unit)):
                patrons.register(s, PatronCreate(card_number=card, name=f"读者{card}", category="adult", unit=unit,
                                                 phone="13800001234", address="云南省昆明市东川区铜都街道一号",
                                                 password=READER_PASSWORD if card == world.reader(unit) else None),
                                 system, now)
            title(f"A{tag}", {world.copy(unit, f"A{n}"): unit for n in range(1, 7)}
                  | {world.copy(unit, n): unit for n in ("X1", "X2")}
                  | {world.copy(unit, n): "DC" for n in ("C1", "C2")})
            title(f"H{tag}", {world.copy(unit, "H1"): unit})
            title(f"S{tag}", {world.copy(unit, "S1"): unit})
            reader, lend = world.reader(unit), loans.CheckoutRequest
            for barcode in (world.copy(unit, "A1"), world.copy(unit, "A2")):
                loans.checkout(s, lend(reader, barcode, unit), system, now)
            loans.checkout(s, lend(world.other_reader(unit), world.copy(unit, "H1"), unit), system, now)
            world.holds[unit] = holds.place(s, holds.HoldRequest(reader, unit, record_id=world.records[f"H{tag}"]),
                                            system, now).id
            world.ready[unit] = holds.place(s, holds.HoldRequest(reader, unit, record_id=world.records[f"S{tag}"]),
                                            system, now).id
            loans.checkin(s, world.copy(unit, "S1"), unit, system, now)  # trapped: onto the hold shelf
            for barcode in (world.copy(unit, "X1"), world.copy(unit, "X2")):
                loans.checkin(s, barcode, "DC", system, now)  # returned at the 总馆: on its way home
            crates.pack(s, f"KR{tag}", world.copy(unit, "X2"), "DC", system, now)
            crates.close(s, f"KR{tag}", system, now)  # a crate on its way to the unit
            for barcode in (world.copy(unit, "C1"), world.copy(unit, "C2")):
                loans.checkin(s, barcode, unit, system, now)  # the 总馆's copies returned here: back they go
            crates.pack(s, f"K{tag}", world.copy(unit, "C1"), unit, system, now)  # a crate being packed here
            crates.pack(s, f"KL{tag}", world.copy(unit, "C2"), unit, system, now)
            crates.close(s, f"KL{tag}", system, now)  # a crate closed here, to load
            world.blocks[unit] = patrons.block(s, world.other_reader(unit), "证件挂失", system, now).id
            patrons.add_proxy(s, reader, world.other_reader(unit), system, now)
            world.plans[unit] = distribution.create_plan(s, DistributionCreate(
                name=f"配送{tag}", method="quota", barcodes=[world.copy(unit, "A6")], units=[unit],
                quotas={unit: 1}), system, now).id
            create_account(s, Sip2AccountCreate(login=f"sc-{tag.lower()}", password="machine-pass-1", unit=unit),
                           "test", now)
            world.activities[unit] = activity_service.create(s, ActivityCreate(
                type="lecture", title=f"讲座{tag}", unit=unit, held_on=date(2026, 11, 20), attendance=20), system, now).id
    batch = import_marc(db, iso2709([cnmarc("导入的书", control="I1")]), ImportOptions(filename="w.iso", actor="test"))
    world.ids["import"] = batch.batch_id
    for name in STAFF:
        world.tokens[name] = login(client, name, PASSWORD)["Authorization"].removeprefix("Bearer ")
    reply = client.post("/api/v1/auth/token", json={"card_number": world.reader("DC-TD"), "password": READER_PASSWORD})
    assert reply.status_code == 200, reply.text
    world.tokens["reader"] = reply.json()["access_token"]
    return world


# ---- one world per backend, copied for each route ----------------------------------------------

def _clear_caches() -> None:
    from tests.support.db import reset_caches

    reset_caches()


def build_world_at(url: str, var_dir: Any, then: Callable[[Any], None] | None = None) -> World:
    """Migrate the empty database at `url` and build the world in it through the app; `then`
    gets the database for whatever a test adds before it is let go."""
    from fastapi.testclient import TestClient

    from ils.app import create_app
    from ils.clock import FixedClock, SystemClock, set_clock
    from ils.config import get_settings
    from ils.db import Database, set_database
    from ils.migrate import upgrade

    upgrade(url)
    database = Database.from_url(url)
    set_database(database)
    set_clock(FixedClock(T0))
    # Runs before any test's settings: the same key signs the tokens the tests use.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ILS_SECRET_KEY", TEST_SECRET_KEY)
        env.setenv("ILS_DATA_DIR", str(var_dir))
        get_settings.cache_clear()
        try:
            with TestClient(create_app()) as client:
                world = build(client, database)
            if then is not None:
                then(database)
        finally:
            database.dispose()
            set_database(None)
            set_clock(SystemClock())
            _clear_caches()
    get_settings.cache_clear()
    return world


@pytest.fixture(scope="module", params=BACKENDS)
def world_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The world, built once per backend (argon2 makes its logins slow) and copied for each route."""
    url = new_database_url(request.param, tmp_path_factory.mktemp("world"))
    world = build_world_at(url, tmp_path_factory.mktemp("world-var"))
    yield url, world
    drop_database_url(url)


@pytest.fixture
def world_copy(world_template: tuple[str, World], tmp_path: Any) -> Iterator[tuple[Any, Any, World]]:
    """A fresh copy of the world's database, installed as the app's, with a client."""
    import shutil
    import uuid

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ils.app import create_app
    from ils.clock import FixedClock, SystemClock, set_clock
    from ils.db import Database, set_database

    url, world = world_template
    if url.startswith("sqlite"):
        target = tmp_path / "copy.sqlite3"
        shutil.copy(url.removeprefix("sqlite:///"), target)
        clone = f"sqlite:///{target}"
    else:
        name = f"ils_copy_{uuid.uuid4().hex[:12]}"
        admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
        admin.dispose()
        clone = make_url(url).set(database=name).render_as_string(hide_password=False)
    database = Database.from_url(clone)
    set_database(database)
    set_clock(FixedClock(T0))
    _clear_caches()
    try:
        with TestClient(create_app()) as client:
            yield database, client, replace(world, db=database, tokens=dict(world.tokens))
    finally:
        database.dispose()
        set_database(None)
        set_clock(SystemClock())
        _clear_caches()
        if not clone.startswith("sqlite"):
            drop_database_url(clone)

"""Test databases: every database test runs on SQLite and on PostgreSQL.

Each backend gets one database per test session, built with ``alembic upgrade head`` (never
create_all). Tests commit for real, as the app does; after each test every table is emptied.
PostgreSQL is found through ILS_TEST_POSTGRES_URL or at 127.0.0.1:5432; when CI is set and it
cannot be reached the PostgreSQL tests fail instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ils.clock import FixedClock, SystemClock, set_clock
from ils.db import Database, set_database
from ils.migrate import upgrade
from tests.support.db import reset

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
TEST_SECRET_KEY = "test-secret-key-with-enough-length-1234567890"


def pg_admin_url() -> str:
    return os.environ.get("ILS_TEST_POSTGRES_URL") or DEFAULT_PG


def _pg_reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not usable here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def new_database_url(backend: str, tmp_dir: Path) -> str:
    """Create an empty database of the backend and return its URL (schema not yet made)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'ils-{uuid.uuid4().hex[:8]}.sqlite3'}"
    admin = pg_admin_url()
    problem = _pg_reachable(admin)
    if problem:
        message = f"PostgreSQL not reachable at {make_url(admin).render_as_string(hide_password=True)}: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: the PostgreSQL tests must run)")
        pytest.skip(message)
    name = f"ils_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database_url(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    name = make_url(url).database
    engine = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    made: dict[str, Database] = {}
    yield made
    for database in made.values():
        database.dispose()
        drop_database_url(database.url)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, _migrated: dict[str, Database],
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated, empty database of each backend, installed as the app's database."""
    backend = request.param
    if backend not in _migrated:
        url = new_database_url(backend, tmp_path_factory.mktemp("db"))
        upgrade(url)
        _migrated[backend] = Database.from_url(url)
    database = _migrated[backend]
    set_database(database)
    clock = FixedClock(T0)
    set_clock(clock)
    try:
        yield database
    finally:
        set_database(None)
        set_clock(SystemClock())
        reset(database)


@pytest.fixture
def clock(db: Database) -> FixedClock:
    from ils.clock import get_clock

    c = get_clock()
    assert isinstance(c, FixedClock)
    return c


@pytest.fixture
def client(db: Database):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from ils.app import create_app

    with TestClient(create_app()) as c:
        yield c


# The production argon2 cost (64 MiB, ~0.1 s a hash or check) is there to slow an attacker; in
# the test process every account made and every login paid it, some 0.2 s a test. Hashes here are
# still argon2, verified as such, at the lowest cost; a hash carries its own parameters, so a
# served app started by a test checks them the same way. Tests that time the checks (the login
# limits) are marked real_argon2 and keep the production hasher.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_argon2") is None:
        from ils.auth import security

        monkeypatch.setattr(security, "_hasher", _CHEAP_HASHER)


@pytest.fixture(autouse=True)
def _settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep tests away from ./var and any real ILS_* settings of the machine."""
    from ils.config import get_settings

    monkeypatch.setenv("ILS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ILS_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("ILS_DATABASE_URL", raising=False)
    monkeypatch.delenv("ILS_WEBHOOK_URLS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

"""Engine, declarative base and the session scope (one request = one transaction).

SQLite and PostgreSQL are both first-class. The dialect-specific bits live here:
- SQLite runs in WAL mode with foreign keys on; a *write* transaction starts with
  ``BEGIN IMMEDIATE`` so two writers queue on the database lock up front instead of
  failing later when a deferred transaction tries to upgrade its lock. The writers of one
  process queue in the order they came (a lock taken just before BEGIN IMMEDIATE, given
  back at commit or rollback), not in SQLite's busy handler.
- PostgreSQL uses READ COMMITTED and row locks (``FOR UPDATE``) in the repositories.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use the clock")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset; we only ever store UTC
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _json_dumps(value: Any) -> str:
    # orjson: MARC records are stored as JSON and an import serialises thousands a second;
    # the standard library's encoder was the largest single cost of an import.
    return orjson.dumps(value).decode("utf-8")


JSON_OPTIONS: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


SQLITE_BUSY_SECONDS = 30
_WRITE_LOCK_HELD = "ils_write_lock_held"


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
                           **JSON_OPTIONS)
    # The writers of this process queue for SQLite's one write lock here, each woken in turn as
    # the one before commits. Left to SQLite's busy handler they would poll it with sleeps of up
    # to 100 ms, and one that had waited longest could be overtaken again and again: with eight
    # desks the check-outs' p95 was twenty times their median.
    write_lock = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        # FULL: each commit is on disk before the desk is told "借出". NORMAL survives a killed
        # process but may lose the last commits on a power cut, and a county's one server sits on
        # a township's mains; bench/relay_desks.py measured no difference at 8 desks.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not immediate:
            conn.exec_driver_sql("BEGIN")
            return
        # Bounded like SQLite's own wait: past it, BEGIN IMMEDIATE waits (and fails) as it would
        # have without this queue, rather than a stuck writer hanging every other one for good.
        held = write_lock.acquire(timeout=SQLITE_BUSY_SECONDS)
        conn.info[_WRITE_LOCK_HELD] = held
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        # An invalidated connection would try to reconnect just to be asked for its info; its
        # place is given back when the pool takes it in ("checkin" below).
        if not conn.invalidated and conn.info.pop(_WRITE_LOCK_HELD, False):
            write_lock.release()

    # Both fire just before the COMMIT or ROLLBACK itself: the next writer's BEGIN IMMEDIATE may
    # find the lock still taken for that instant, and SQLite's busy handler retries after 1 ms.
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)

    # A connection invalidated or handed back to the pool mid-transaction ends it without either
    # event; whatever happened, it comes back through here.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop(_WRITE_LOCK_HELD, False):
            write_lock.release()

    return engine


@dataclass
class Database:
    """The write and read engines of one database (the same engine outside SQLite)."""

    url: str
    write_engine: Engine
    read_engine: Engine

    @classmethod
    def from_url(cls, url: str, **engine_kw: Any) -> "Database":
        if is_sqlite(url):
            if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
                from pathlib import Path

                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            return cls(url, _sqlite_engine(url, immediate=True), _sqlite_engine(url, immediate=False))
        # One connection per request thread (ils.app.REQUEST_THREADS) and a few for the relay
        # and the login lookups, kept open rather than made and closed under load. No ping
        # before each use (a round trip per transaction): after a database restart the pool
        # is invalidated on the first disconnect error, and connections are renewed hourly.
        engine = create_engine(url, pool_size=20, max_overflow=10, pool_recycle=3600, **JSON_OPTIONS, **engine_kw)
        return cls(url, engine, engine)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def sessionmaker(self, *, write: bool) -> sessionmaker[Session]:
        return sessionmaker(bind=self.write_engine if write else self.read_engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception."""
        session = self.sessionmaker(write=write)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    global _database
    if _database is None:
        from ils.config import get_settings

        _database = Database.from_url(get_settings().sqlalchemy_url)
    return _database


def set_database(database: Database | None) -> None:
    global _database
    _database = database


def lock_keys(session: Session, namespace: str, keys: Iterable[str]) -> None:
    """Serialise transactions that work on the same natural keys (e.g. an ISBN, a title key)
    until they commit: a transaction-scoped advisory lock per key on PostgreSQL, taken in hash
    order so two transactions with overlapping keys cannot deadlock. SQLite needs nothing:
    its write transactions (BEGIN IMMEDIATE) are serialised already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    values = sorted({f"{namespace}:{k}" for k in keys})
    if not values:
        return
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(h) FROM "
            "(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(CAST(:keys AS text[])) AS k) AS s "
            "ORDER BY h"
        ),
        {"keys": values},
    )


def allocate_ids(session: Session, table: str, count: int) -> list[int]:
    """Reserve ``count`` primary keys for a bulk insert, so rows can be inserted with plain
    executemany instead of one INSERT ... RETURNING per row (which SQLite needs to keep the
    order of returned ids). PostgreSQL draws them from the table's sequence; SQLite continues
    from MAX(id), safe because the caller's write transaction (BEGIN IMMEDIATE) holds the
    database's only write lock."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table, "n": count},
        )
        return [r[0] for r in rows]
    start = session.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')).scalar_one()
    return list(range(start + 1, start + count + 1))


def refresh_statistics(database: Database, tables: Iterable[str]) -> None:
    """Let PostgreSQL's planner see how big tables have grown during a bulk load.

    A table filled by a large import still looks empty to the planner until autovacuum gets
    round to it, so key lookups turn into sequential scans and each batch gets slower than the
    last. SQLite plans with the indexes regardless and needs nothing.
    """
    if database.dialect != "postgresql":
        return
    with database.write_engine.connect() as conn:
        conn.execute(text("ANALYZE " + ", ".join(f'"{t}"' for t in tables)))
        conn.commit()

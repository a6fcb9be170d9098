"""Emptying a test database between tests (the schema stays, made by Alembic once)."""

from __future__ import annotations

from sqlalchemy import text

import migrations.models  # noqa: F401  (every table must be known to be emptied)
from circulation.rules import forget_rules
from ils.auth.service import forget_principals
from ils.db import Base, Database
from ils.network.snapshot import invalidate
from logistics.routes import forget_timetable
from logistics.transits import forget_policies


def reset_caches() -> None:
    """The per-process caches of units, rules and logins must not outlive the rows they copy."""
    forget_principals()
    invalidate()
    forget_rules()
    forget_timetable()
    forget_policies()


def reset(database: Database) -> None:
    reset_caches()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.write_engine.begin() as conn:
        if database.dialect == "postgresql":
            # A test fills a few tables of the sixty: DELETE empties those in the order of their
            # foreign keys at a fraction of TRUNCATE's cost (which makes new files for every table
            # and index, ~140 ms a test), and only the sequences a test drew from start over.
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            used = conn.execute(text("SELECT schemaname || '.' || sequencename FROM pg_sequences "
                                     "WHERE last_value IS NOT NULL")).scalars().all()
            if used:
                conn.execute(text("SELECT setval(s::regclass, 1, false) FROM unnest(CAST(:used AS text[])) s"),
                             {"used": list(used)})
            return
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
            conn.execute(text("DELETE FROM sqlite_sequence"))

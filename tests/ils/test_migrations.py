"""The schema comes from Alembic alone, and the migrations match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import migrations.models  # noqa: F401  (register every table)
from ils.db import Base


def test_migrated_database_matches_the_models(db):
    with db.write_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_every_model_table_exists_after_migrating(db):
    tables = set(inspect(db.write_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables

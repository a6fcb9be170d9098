"""Run Alembic from code (the CLI, the demo and the tests all use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    import migrations

    # The migrations ship as a package, so this works from a source checkout and from an
    # installed wheel alike (alembic.ini at the repository root is for the alembic CLI).
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    cfg.attributes["url"] = url
    cfg.attributes["skip_logging"] = True
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from ils.db import Database

    # Creates the SQLite file's directory if needed.
    Database.from_url(url).dispose()
    command.upgrade(alembic_config(url), revision)

"""Helpers for the tests of the entered figures: the activity types the migration seeds (tests
empty every table after each test, so they are put back from the migration's own list), and gate
counter files."""

from __future__ import annotations

import importlib
from typing import Any


def seed_activity_types(db: Any) -> None:
    from activities.models import ActivityType

    seeded = importlib.import_module("migrations.versions.0012_entries").ACTIVITY_TYPES
    with db.session() as s:
        for code, zh, en, position in seeded:
            if s.get(ActivityType, code) is None:
                s.add(ActivityType(code=code, name_zh=zh, name_en=en, position=position, active=True))


def gate_file(*lines: str, header: str = "unit,date,hour,in,out", encoding: str = "utf-8") -> dict[str, Any]:
    """A multipart ``files`` value holding a gate counter CSV."""
    text = "\n".join((header, *lines)) + "\n"
    return {"file": ("gate.csv", text.encode(encoding), "text/csv")}

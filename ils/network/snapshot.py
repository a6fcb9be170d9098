"""The network's units and closed days, read once and shared by the requests of a process.

Units change a few times a year and every circulation request needs several of them (the
desk's unit for its calendar, the pickup unit, the item's units for travel costs), so reading
them each time was a third of a check-out's queries. Changes made in this process are seen at
once (the network service calls ``invalidate``); those made in another process (a second
worker, the CLI) within ``SNAPSHOT_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ils.errors import NotFound
from ils.network.models import Unit, UnitClosedDate

SNAPSHOT_SECONDS = 10.0


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    system_id: int | None
    hours: dict[str, list[str]]
    closed: frozenset[date]


@dataclass(frozen=True)
class NetworkSnapshot:
    units: dict[int, UnitInfo]
    by_code: dict[str, UnitInfo]

    def unit(self, unit_id: int) -> UnitInfo:
        return self.units[unit_id]


_lock = threading.Lock()
_cache: dict[str, tuple[float, NetworkSnapshot]] = {}


def _load(session: Session) -> NetworkSnapshot:
    closed: dict[int, set[date]] = {}
    for unit_id, day in session.execute(select(UnitClosedDate.unit_id, UnitClosedDate.day)):
        closed.setdefault(unit_id, set()).add(day)
    units = {
        u.id: UnitInfo(u.id, u.code, u.name, u.level, u.parent_id, u.system_id, dict(u.hours or {}),
                       frozenset(closed.get(u.id, ())))
        for u in session.scalars(select(Unit))
    }
    return NetworkSnapshot(units, {u.code: u for u in units.values()})


def _key(session: Session) -> str:
    bind: Any = session.get_bind()
    return str(bind.url)


def network(session: Session, *, fresh: bool = False) -> NetworkSnapshot:
    key = _key(session)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now and not fresh:
        return hit[1]
    snapshot = _load(session)
    with _lock:
        _cache[key] = (now + SNAPSHOT_SECONDS, snapshot)
    return snapshot


def unit_by_code(session: Session, code: str) -> UnitInfo:
    """A unit by code; a code not in the snapshot is looked up again before it is refused
    (the unit may have been created by another process a moment ago)."""
    unit = network(session).by_code.get(code)
    if unit is None:
        unit = network(session, fresh=True).by_code.get(code)
    if unit is None:
        raise NotFound("UNIT_NOT_FOUND", f"no unit {code!r}")
    return unit


def invalidate() -> None:
    with _lock:
        _cache.clear()

"""The network's units and closed days, read once and shared by the requests of a process
(see ``ils.cache``): the desk's unit for its calendar, the pickup unit, the item's units for
travel costs. The network service calls ``invalidate`` when it changes a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ils.cache import SharedCache
from ils.errors import NotFound
from ils.network.models import Unit, UnitClosedDate


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


# eq=False: compared and hashed by identity, so caches can be kept per snapshot (weakly).
@dataclass(frozen=True, eq=False)
class NetworkSnapshot:
    units: dict[int, UnitInfo]
    by_code: dict[str, UnitInfo]

    def unit(self, unit_id: int) -> UnitInfo:
        return self.units[unit_id]


_cache: SharedCache[NetworkSnapshot] = SharedCache()


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


def network(session: Session, *, fresh: bool = False) -> NetworkSnapshot:
    return _cache.get(session, _load, fresh=fresh)


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
    _cache.clear()

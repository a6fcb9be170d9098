"""Travel cost between units, derived from the network tree until the van timetable exists.

0: the same unit; 1: the same branch area (a 分馆 and the points under it, or the 总馆 and the
study rooms and mobile library it runs); 2: another area of the same system, via the 总馆 hub;
3: another system of the network (through the 中心馆). Hold targeting compares these numbers
only, so the timetable-based cost can replace them without touching circulation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ils.network.snapshot import NetworkSnapshot, network

SAME_UNIT, SAME_AREA, SAME_SYSTEM, OTHER_SYSTEM = 0, 1, 2, 3
AREA_LEVELS = frozenset({"branch", "main", "center"})


@dataclass(frozen=True)
class Place:
    id: int
    parent_id: int | None
    level: str
    system_id: int | None


class CostModel:
    """Costs over one snapshot of the network's units."""

    def __init__(self, places: Iterable[Place]):
        self.places = {p.id: p for p in places}
        self._area = {p.id: self._find_area(p.id) for p in self.places.values()}

    def _find_area(self, unit_id: int) -> int:
        place = self.places[unit_id]
        while place.level not in AREA_LEVELS and place.parent_id is not None:
            place = self.places[place.parent_id]
        return place.id

    def area(self, unit_id: int) -> int:
        return self._area[unit_id]

    def system(self, unit_id: int) -> int | None:
        return self.places[unit_id].system_id

    def cost(self, from_id: int, to_id: int) -> int:
        if from_id == to_id:
            return SAME_UNIT
        if self._area[from_id] == self._area[to_id]:
            return SAME_AREA
        system = self.places[from_id].system_id
        if system is not None and system == self.places[to_id].system_id:
            return SAME_SYSTEM
        return OTHER_SYSTEM


_latest: tuple[NetworkSnapshot, CostModel] | None = None


def load_costs(session: Session) -> CostModel:
    """The cost model of the current network snapshot (built once per snapshot)."""
    global _latest
    snapshot = network(session)
    latest = _latest
    if latest is not None and latest[0] is snapshot:
        return latest[1]
    model = CostModel(Place(u.id, u.parent_id, u.level, u.system_id) for u in snapshot.units.values())
    _latest = (snapshot, model)
    return model

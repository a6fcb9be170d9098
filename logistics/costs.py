"""Travel cost between units, in days: what hold targeting compares to pick the copy that
reaches a pickup unit soonest.

Where the van timetable serves both units, the cost is the number of days until the promised
arrival of a copy sent today (``logistics.timetable``). Elsewhere (no routes yet, a unit no van
calls at) it is estimated from the network tree: the same unit 0, the same branch area (a 分馆 and
the points under it, or the 总馆 and the study rooms and mobile library it runs) 2, another area
of the same system via the 总馆 hub 4, another system of the network through the 中心馆 7.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ils.network.snapshot import NetworkSnapshot, network
from logistics.routes import timetable
from logistics.timetable import Timetable

SAME_UNIT, SAME_AREA, SAME_SYSTEM, OTHER_SYSTEM = 0, 2, 4, 7
AREA_LEVELS = frozenset({"branch", "main", "center"})


@dataclass(frozen=True)
class Place:
    id: int
    parent_id: int | None
    level: str
    system_id: int | None


class CostModel:
    """Costs over one snapshot of the network's units and, when given, its timetable."""

    def __init__(self, places: Iterable[Place], timetable: Timetable | None = None):
        self.places = {p.id: p for p in places}
        self._area = {p.id: self._find_area(p.id) for p in self.places.values()}
        self.timetable = timetable

    def _find_area(self, unit_id: int) -> int:
        place = self.places[unit_id]
        while place.level not in AREA_LEVELS and place.parent_id is not None:
            place = self.places[place.parent_id]
        return place.id

    def area(self, unit_id: int) -> int:
        return self._area[unit_id]

    def system(self, unit_id: int) -> int | None:
        return self.places[unit_id].system_id

    def tree_cost(self, from_id: int, to_id: int) -> int:
        if from_id == to_id:
            return SAME_UNIT
        if self._area[from_id] == self._area[to_id]:
            return SAME_AREA
        system = self.places[from_id].system_id
        if system is not None and system == self.places[to_id].system_id:
            return SAME_SYSTEM
        return OTHER_SYSTEM

    def cost(self, from_id: int, to_id: int, today: date | None = None) -> int:
        if from_id == to_id:
            return SAME_UNIT
        table = self.timetable
        if today is not None and table is not None and table.serves(from_id) and table.serves(to_id):
            path = table.path(from_id, to_id, today)
            if path is not None:
                return (path.promised_on - today).days
        return self.tree_cost(from_id, to_id)


_latest: tuple[NetworkSnapshot, Timetable, CostModel] | None = None


def load_costs(session: Session) -> CostModel:
    """The cost model of the current network snapshot and timetable (built once for each)."""
    global _latest
    snapshot, table = network(session), timetable(session)
    latest = _latest
    if latest is not None and latest[0] is snapshot and latest[1] is table:
        return latest[2]
    model = CostModel((Place(u.id, u.parent_id, u.level, u.system_id) for u in snapshot.units.values()), table)
    _latest = (snapshot, table, model)
    return model

"""The asset report (资产统计年报): each owning unit's stock over a year, in copies and in money.

For every unit of the tree (and the roll-up of each unit with the units below it): the holdings
and their value at the start of the year, the copies added, the copies disposed of (withdrawn:
weeded or damaged, and written off after a loss: withdrawn from lost or missing), and the
holdings at the end. Start + added − disposed = end for every row; the report says so, and the
test checks it, because an asset table that does not balance is the first thing an auditor asks
about. Values are list prices (fen); copies without a price are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.config import get_settings
from ils.errors import InvalidInput
from ils.network.snapshot import network, unit_by_code
from reports import repository as repo
from reports.service import Period, subtree

LOST = ("lost", "missing")  # a copy withdrawn from these was written off after a loss


@dataclass
class Stock:
    copies: int = 0
    value_fen: int = 0
    unpriced: int = 0

    def add(self, other: repo.Stock | Stock) -> None:
        self.copies += other.copies
        self.value_fen += other.value_fen
        self.unpriced += other.unpriced


@dataclass
class AssetRow:
    code: str
    name: str
    level: str
    depth: int
    scope: str  # "own" or "total" (with every unit below it)
    start: Stock = field(default_factory=Stock)
    added: Stock = field(default_factory=Stock)
    weeded: Stock = field(default_factory=Stock)
    lost: Stock = field(default_factory=Stock)
    end: Stock = field(default_factory=Stock)

    @property
    def balanced(self) -> bool:
        out = self.weeded.copies + self.lost.copies
        out_value = self.weeded.value_fen + self.lost.value_fen
        return (self.start.copies + self.added.copies - out == self.end.copies
                and self.start.value_fen + self.added.value_fen - out_value == self.end.value_fen)


@dataclass
class AssetReport:
    unit: str
    name: str
    year: int
    rows: list[AssetRow]


def assets(session: Session, principal: Principal, unit_code: str, year: int) -> AssetReport:
    if not 1900 <= year <= 2200:
        raise InvalidInput("YEAR_INVALID", f"year {year} is out of range")
    root = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=root.id)
    units = subtree(network(session), root)
    ids = [u.id for u in units]
    tz = get_settings().tz
    window = Period(date(year, 1, 1), date(year, 12, 31), str(year)).window(tz)
    opening = datetime.combine(date(year, 1, 1), time(0), tz)
    start, end = repo.holdings(session, opening, ids), repo.holdings(session, window.end, ids)
    added, out = repo.added(session, window, ids), repo.withdrawn(session, window, ids)
    own: dict[int, AssetRow] = {}
    depth = {root.id: 0}
    for unit in units:
        if unit.id != root.id and unit.parent_id in depth:
            depth[unit.id] = depth[unit.parent_id] + 1
        row = AssetRow(unit.code, unit.name, unit.level, depth.get(unit.id, 0), "own")
        for mine, found in ((row.start, start), (row.added, added), (row.end, end)):
            if unit.id in found:
                mine.add(found[unit.id])
        for (unit_id, why), stock in out.items():
            if unit_id == unit.id:
                (row.lost if why in LOST else row.weeded).add(stock)
        own[unit.id] = row
    children: dict[int, list[int]] = {}
    for unit in units[1:]:
        children.setdefault(unit.parent_id, []).append(unit.id)  # type: ignore[arg-type]
    below: dict[int, list[int]] = {}
    for unit in reversed(units):
        below[unit.id] = [unit.id] + [d for c in children.get(unit.id, []) for d in below[c]]
    rows: list[AssetRow] = []
    for unit in units:
        members = below[unit.id]
        if len(members) > 1:
            total = AssetRow(unit.code, unit.name, unit.level, depth.get(unit.id, 0), "total")
            for member in members:
                for part in ("start", "added", "weeded", "lost", "end"):
                    getattr(total, part).add(getattr(own[member], part))
            rows.append(total)
        rows.append(own[unit.id])
    return AssetReport(root.code, root.name, year, rows)

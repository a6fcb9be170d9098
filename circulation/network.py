"""What circulation needs to know of the network and the rules for one use case.

Units come from the network snapshot and rules from a cache like it (``rules.cached_rules``):
both change rarely and every request needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from circulation.patrons import local_date
from circulation.policy import Rule, Situation, resolve
from circulation.rules import cached_rules
from ils.network.calendar import after_open_days, due_date
from ils.network.snapshot import NetworkSnapshot, UnitInfo, network, unit_by_code


@dataclass
class Context:
    """Rules and units as this request sees them, and today's date in the network's zone."""

    session: Session
    now: datetime
    today: date
    rules: list[Rule]
    rules_by_id: dict[int, Rule]
    network: NetworkSnapshot

    @classmethod
    def load(cls, session: Session, now: datetime) -> "Context":
        rules = cached_rules(session)
        return cls(session, now, local_date(now), rules, {r.id: r for r in rules}, network(session))

    def unit(self, unit_id: int) -> UnitInfo:
        unit = self.network.units.get(unit_id)
        if unit is None:  # created by another process since the snapshot was taken
            self.network = network(self.session, fresh=True)
            unit = self.network.units[unit_id]
        return unit

    def unit_by_code(self, code: str) -> UnitInfo:
        return unit_by_code(self.session, code)

    def code(self, unit_id: int) -> str:
        return self.unit(unit_id).code

    def rule(self, category: str, item_type: str, unit: UnitInfo) -> Rule:
        return resolve(self.rules, Situation(category, item_type, unit.level, unit.code))

    def due_on(self, unit: UnitInfo, loan_days: int) -> date:
        return due_date(unit.hours, unit.closed, self.today, loan_days)

    def shelf_until(self, unit: UnitInfo, shelf_days: int) -> date:
        return after_open_days(unit.hours, unit.closed, self.today, shelf_days)

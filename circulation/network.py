"""What circulation needs to know of the network and the rules for one use case, read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from circulation.models import CirculationRule
from circulation.patrons import local_date
from circulation.policy import Situation, resolve
from circulation.rules import all_rules
from ils.network import repository as units_repo
from ils.network.calendar import after_open_days, due_date
from ils.network.models import Unit
from ils.network.service import get_unit


@dataclass
class Context:
    """Rules and units as this transaction sees them, and today's date in the network's zone."""

    session: Session
    now: datetime
    today: date
    rules: list[CirculationRule]
    rules_by_id: dict[int, CirculationRule]
    _units: dict[int, Unit] | None = None

    @classmethod
    def load(cls, session: Session, now: datetime) -> "Context":
        rules = all_rules(session)
        return cls(session, now, local_date(now), rules, {r.id: r for r in rules})

    def unit(self, unit_id: int) -> Unit:
        if self._units is None:
            self._units = {u.id: u for u in units_repo.list_units(self.session)}
        return self._units[unit_id]

    def unit_by_code(self, code: str) -> Unit:
        unit = get_unit(self.session, code)
        if self._units is not None:
            self._units.setdefault(unit.id, unit)
        return unit

    def code(self, unit_id: int) -> str:
        return self.unit(unit_id).code

    def rule(self, category: str, item_type: str, unit: Unit) -> CirculationRule:
        return resolve(self.rules, Situation(category, item_type, unit.level, unit.code))

    def _closed(self, unit: Unit) -> set[date]:
        return set(units_repo.closed_dates(self.session, [unit.id]).get(unit.id, []))

    def due_on(self, unit: Unit, loan_days: int) -> date:
        return due_date(unit.hours, self._closed(unit), self.today, loan_days)

    def shelf_until(self, unit: Unit, shelf_days: int) -> date:
        return after_open_days(unit.hours, self._closed(unit), self.today, shelf_days)

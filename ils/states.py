"""Explicit state machines: a transition table and one guard per kind of row.

Loans, holds, transits (and items, in the catalogue) change state only through ``move``, so a
transition nobody designed (a fulfilled hold becoming ready again, a received transit being
cancelled) is refused with a stable code instead of silently corrupting a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ils.errors import Conflict


@dataclass(frozen=True)
class StateMachine:
    name: str  # loan, hold, transit: the code is f"{NAME}_TRANSITION_INVALID"
    transitions: Mapping[str, frozenset[str]]

    @property
    def code(self) -> str:
        return f"{self.name.upper()}_TRANSITION_INVALID"

    def allows(self, current: str, new: str) -> bool:
        return new in self.transitions.get(current, frozenset())

    def move(self, row: Any, new: str) -> str:
        """Set ``row.status`` to ``new`` if the table allows it; returns the old status."""
        current = row.status
        if not self.allows(current, new):
            allowed = ", ".join(sorted(self.transitions.get(current, ()))) or "none (final)"
            raise Conflict(self.code, f"a {self.name} that is {current} cannot become {new} (allowed: {allowed})",
                           extra={"status": current})
        row.status = new
        return current

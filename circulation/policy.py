"""Which loan rule applies, decided by a pure function over the rule rows.

A rule matches when each of its key parts is ``*`` or equal to the situation's. Of the rules
that match, the most specific wins, compared in this order: a rule for the very unit, then one
for the unit's level (分馆, 服务点 …), then one for the patron category, then one for the item
type. So a 服务点 may lend children's books longer than the network default, and a rule written
for one unit beats every general one. ``explain`` says which rules matched and why one won.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from circulation.models import ANY, CirculationRule
from ils.errors import DomainError

R = TypeVar("R", CirculationRule, "Rule")
KEY_PARTS = ("unit_code", "unit_level", "patron_category", "item_type")


@dataclass(frozen=True)
class Rule:
    """A loan rule as plain values, safe to share between requests (an ORM row is not)."""

    id: int
    patron_category: str
    item_type: str
    unit_level: str
    unit_code: str
    loan_days: int
    max_items: int
    max_items_of_type: int | None
    renewals: int
    renew_days_before_due: int | None
    hold_blocks_renewal: bool
    holds_allowed: bool
    hold_shelf_days: int
    fine_per_day_fen: int
    fine_limit_fen: int | None
    lost_fee_percent: int

    @classmethod
    def of(cls, row: CirculationRule) -> "Rule":
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Situation:
    patron_category: str
    item_type: str
    unit_level: str
    unit_code: str


def _matches(rule: CirculationRule | Rule, situation: Situation) -> bool:
    return all(getattr(rule, part) in (ANY, getattr(situation, part)) for part in KEY_PARTS)


def specificity(rule: CirculationRule | Rule) -> tuple[bool, ...]:
    return tuple(getattr(rule, part) != ANY for part in KEY_PARTS)


def key_of(rule: CirculationRule | Rule) -> str:
    return " × ".join(f"{part}={getattr(rule, part)}" for part in ("patron_category", "item_type", "unit_level", "unit_code"))


def resolve(rules: Sequence[R], situation: Situation) -> R:
    matching = [r for r in rules if _matches(r, situation)]
    if not matching:
        raise DomainError("POLICY_NOT_FOUND", f"no loan rule covers {situation}; add a default rule (all *)",
                          http_status=409)
    return max(matching, key=specificity)


def explain(rules: Sequence[CirculationRule], situation: Situation) -> dict[str, object]:
    matching = sorted((r for r in rules if _matches(r, situation)), key=specificity, reverse=True)
    chosen = resolve(rules, situation)
    named = [p for p, specific in zip(KEY_PARTS, specificity(chosen)) if specific]
    return {
        "rule": chosen,
        "reason": (f"most specific matching rule ({', '.join(named)} given)" if named
                   else "only the default rule (all *) matches"),
        "candidates": [key_of(r) for r in matching],
    }

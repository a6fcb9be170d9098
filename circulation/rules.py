"""Use cases for loan rules: write, delete, and explain which applies. They never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.public import ITEM_TYPES, get_item
from circulation import patrons
from circulation.models import ANY, CirculationRule, PatronCategory
from circulation.policy import Rule, Situation, explain
from circulation.schemas import RuleExplanation, RuleRead, RuleWrite
from ils.cache import SharedCache
from ils.errors import InvalidInput, NotFound
from ils.network.models import LEVELS
from ils.network.service import get_unit


def all_rules(session: Session) -> list[CirculationRule]:
    return list(session.scalars(select(CirculationRule).order_by(CirculationRule.id)))


# The rules as plain values, shared by the requests of a process (see ``ils.cache``).
_rules: SharedCache[list[Rule]] = SharedCache()


def cached_rules(session: Session) -> list[Rule]:
    return _rules.get(session, lambda s: [Rule.of(r) for r in all_rules(s)])


def forget_rules() -> None:
    _rules.clear()


def _check_key(session: Session, data: RuleWrite) -> None:
    if data.patron_category != ANY and session.get(PatronCategory, data.patron_category) is None:
        raise InvalidInput("PATRON_CATEGORY_UNKNOWN", f"no patron category {data.patron_category!r}")
    if data.item_type not in (ANY, *ITEM_TYPES):
        raise InvalidInput("ITEM_TYPE_INVALID", f"item type must be * or one of {', '.join(ITEM_TYPES)}")
    if data.unit_level not in (ANY, *LEVELS):
        raise InvalidInput("UNIT_LEVEL_INVALID", f"unit level must be * or one of {', '.join(LEVELS)}")
    if data.unit_code != ANY:
        get_unit(session, data.unit_code)


def save_rule(session: Session, data: RuleWrite, actor: str, now: datetime) -> CirculationRule:
    """Create the rule for this key, or replace the values of the one that has it."""
    _check_key(session, data)
    rule = session.scalars(select(CirculationRule).where(
        CirculationRule.patron_category == data.patron_category, CirculationRule.item_type == data.item_type,
        CirculationRule.unit_level == data.unit_level, CirculationRule.unit_code == data.unit_code,
    )).one_or_none()
    if rule is None:
        rule = CirculationRule()
        session.add(rule)
    for field, value in data.model_dump().items():
        setattr(rule, field, value)
    rule.updated_at, rule.updated_by = now, actor
    session.flush()
    forget_rules()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    rule = session.get(CirculationRule, rule_id)
    if rule is None:
        raise NotFound("POLICY_RULE_NOT_FOUND", f"no rule {rule_id}")
    session.delete(rule)
    forget_rules()


def explain_for(
    session: Session, *, unit: str, patron_category: str | None = None, item_type: str | None = None,
    card: str | None = None, barcode: str | None = None,
) -> RuleExplanation:
    """Which rule applies at ``unit`` to a patron category (or the patron with ``card``) and an
    item type (or the item with ``barcode``), and why."""
    where = get_unit(session, unit)
    category = patrons.get_patron(session, card).category_code if card else patron_category
    kind = get_item(session, barcode).item_type if barcode else item_type
    if not category or not kind:
        raise InvalidInput("VALIDATION_FAILED", "give patron_category or card, and item_type or barcode")
    situation = Situation(category, kind, where.level, where.code)
    result = explain(all_rules(session), situation)
    return RuleExplanation(
        situation={"patron_category": category, "item_type": kind, "unit_level": where.level, "unit_code": where.code},
        rule=RuleRead.model_validate(result["rule"], from_attributes=True),
        reason=str(result["reason"]), candidates=list(result["candidates"]),  # type: ignore[arg-type]
    )



"""Distribution (统一配送) and rotation: allocate copies to units by a plan, then send them.

A plan allocates each copy to one target unit, by the population each unit serves, by the
demand seen there (loans in the last year), or by fixed quotas. Copies of one title are spread
over different units before any unit gets a second one. Executing the plan makes each target
the copy's owning unit (distribution; a rotation keeps the owner) and sends it with a transit
whose reason keeps its purpose: on arrival it stays, it does not bounce back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.public import Item, lock_item_id, move_item
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict, InvalidInput, NotFound
from ils.events import Event, record_event
from ils.network.models import Unit
from ils.network.snapshot import network, unit_by_code
from logistics.models import DistributionLine, DistributionPlan
from logistics.schemas import DistributionCreate, DistributionRead
from logistics.transits import send

SENDABLE = frozenset({"available", "processing"})


def allocate(copies: Sequence[tuple[int, int]], weights: Mapping[int, float],
             quotas: Mapping[int, int] | None = None) -> dict[int, int]:
    """{item id: unit id} for (item id, record id) pairs.

    Each copy goes to the unit furthest below its share (its weight, or its quota), where a unit
    that already has a copy of the title counts as if it had twice its share: titles spread over
    units, yet a large branch still gets a second copy of a title before a small one gets its
    first. Ties go to the lower unit id, so a plan is reproducible."""
    given: Counter[int] = Counter()
    titles: dict[int, set[int]] = {}
    result: dict[int, int] = {}
    share = dict(quotas) if quotas is not None else dict(weights)
    for item_id, record_id in copies:
        candidates = [u for u in sorted(share) if quotas is None or given[u] < quotas[u]]
        if not candidates:
            break
        holding = titles.get(record_id, set())
        unit = min(candidates, key=lambda u: ((given[u] + 1) / share[u] * (2 if u in holding else 1), u))
        result[item_id] = unit
        given[unit] += 1
        titles.setdefault(record_id, set()).add(unit)
    return result


def _weights(session: Session, data: DistributionCreate, unit_ids: list[int], now: datetime) -> dict[int, float]:
    if data.method == "population":
        units = network(session).units
        missing = [units[u].code for u in unit_ids if not _population(session, u)]
        if missing:
            raise InvalidInput("DISTRIBUTION_INVALID", f"no population recorded for {', '.join(missing)}")
        return {u: float(_population(session, u)) for u in unit_ids}
    # demand: check-outs at each unit over the last year (from the event log, which is what
    # statistics read), plus one so a new branch still gets books
    units = network(session).units
    since = now - timedelta(days=365)
    counts = dict(session.execute(
        select(Event.unit_code, func.count()).where(Event.kind == "loan.checkout", Event.occurred_at >= since)
        .group_by(Event.unit_code)).all())
    return {u: float(counts.get(units[u].code, 0)) + 1.0 for u in unit_ids}


def _population(session: Session, unit_id: int) -> int:
    return int(session.scalar(select(Unit.population).where(Unit.id == unit_id)) or 0)


def _check_scope(session: Session, principal: Principal, owners: Sequence[int], targets: Sequence[int]) -> None:
    """Only staff responsible for the copies' owners and the target units (the 总馆's cataloguers,
    an admin) redistribute stock: a branch could otherwise take another's books, or another system's."""
    for owner in sorted(set(owners)):
        gate.check(session, principal, "distribution.write", owner=owner)
    for target in sorted(set(targets)):
        gate.check(session, principal, "distribution.write", target=target)


def create_plan(session: Session, data: DistributionCreate, principal: Principal, now: datetime) -> DistributionPlan:
    actor = principal.label
    gate.permit(principal, "distribution.write")
    unit_ids = [unit_by_code(session, code).id for code in data.units]
    if not unit_ids or len(set(unit_ids)) != len(unit_ids):
        raise InvalidInput("DISTRIBUTION_INVALID", "name each target unit once")
    items = list(session.scalars(select(Item).where(Item.barcode.in_(data.barcodes)).order_by(Item.record_id, Item.id)))
    unknown = set(data.barcodes) - {i.barcode for i in items}
    if unknown:
        raise NotFound("ITEM_NOT_FOUND", f"no item with barcode {', '.join(sorted(unknown))}")
    _check_scope(session, principal, [i.owning_unit_id for i in items], unit_ids)
    busy = [i.barcode for i in items if i.status not in SENDABLE]
    if busy:
        raise Conflict("DISTRIBUTION_INVALID", f"copies not on hand to send: {', '.join(busy)}")
    quotas = None
    if data.method == "quota":
        quotas = {unit_by_code(session, code).id: n for code, n in (data.quotas or {}).items()}
        if set(quotas) != set(unit_ids) or min(quotas.values(), default=0) < 1:
            raise InvalidInput("DISTRIBUTION_INVALID", "give a quota of at least 1 for each target unit")
        weights: dict[int, float] = {}
    else:
        weights = _weights(session, data, unit_ids, now)
    allocation = allocate([(i.id, i.record_id) for i in items], weights, quotas)
    plan = DistributionPlan(name=data.name, method=data.method, reason=data.reason, status="draft", created_at=now,
                            created_by=actor)
    session.add(plan)
    session.flush()
    session.add_all(DistributionLine(plan_id=plan.id, item_id=item_id, unit_id=unit_id)
                    for item_id, unit_id in allocation.items())
    session.flush()
    return plan


def get_plan(session: Session, plan_id: int) -> DistributionPlan:
    plan = session.get(DistributionPlan, plan_id, with_for_update=True)
    if plan is None:
        raise NotFound("DISTRIBUTION_NOT_FOUND", f"no distribution plan {plan_id}")
    return plan


def execute(session: Session, plan_id: int, principal: Principal, now: datetime) -> DistributionPlan:
    """Send every copy of the plan; a copy already at its target just changes owner. Whoever
    executes must be responsible for every copy and target now (a plan can be drafted by one
    colleague and executed by another)."""
    actor = principal.label
    gate.permit(principal, "distribution.write")
    plan = get_plan(session, plan_id)
    if plan.status != "draft":
        raise Conflict("DISTRIBUTION_EXECUTED", f"plan {plan_id} was executed at {plan.executed_at}")
    units = network(session).units
    lines = list(session.scalars(select(DistributionLine).where(DistributionLine.plan_id == plan.id)
                                 .order_by(DistributionLine.item_id)))
    locked = {line.item_id: lock_item_id(session, line.item_id) for line in lines}
    _check_scope(session, principal, [i.owning_unit_id for i in locked.values()], [line.unit_id for line in lines])
    for line in lines:
        item = locked[line.item_id]
        if item.status not in SENDABLE:
            raise Conflict("DISTRIBUTION_INVALID", f"copy {item.barcode} is {item.status} now; redo the plan")
        owner = line.unit_id if plan.reason == "distribution" else None
        if item.current_unit_id == line.unit_id:
            move_item(session, item, now, status="available", owning_unit_id=owner)
        else:
            move_item(session, item, now, owning_unit_id=owner)
            line.transit_id = send(session, item, item.current_unit_id, line.unit_id, plan.reason, actor, now,
                                   reference=f"plan:{plan.id}").id
        record_event(session, f"{plan.reason}.sent", f"item:{item.barcode}", actor=actor, now=now,
                     unit_code=units[item.current_unit_id].code,
                     after={"plan_id": plan.id, "to": units[line.unit_id].code})
    plan.status, plan.executed_at = "executed", now
    session.flush()
    return plan


def read_plan(session: Session, plan: DistributionPlan) -> DistributionRead:
    units = network(session).units
    rows = session.execute(select(Item.barcode, DistributionLine.unit_id)
                           .join(Item, Item.id == DistributionLine.item_id)
                           .where(DistributionLine.plan_id == plan.id).order_by(Item.barcode)).all()
    per_unit = Counter(units[u].code for _, u in rows)
    return DistributionRead(id=plan.id, name=plan.name, method=plan.method, reason=plan.reason,  # type: ignore[arg-type]
                            status=plan.status, created_at=plan.created_at, executed_at=plan.executed_at,  # type: ignore[arg-type]
                            allocation={barcode: units[u].code for barcode, u in rows}, per_unit=dict(per_unit))


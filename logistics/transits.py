"""Use cases of transits and return routing. They never commit.

A copy's journey: ``send`` opens a transit (the copy becomes in_transit at the unit it leaves),
``receive`` closes it at the destination (the copy becomes available there, and whoever
listens to arrivals — circulation, for holds — decides what happens next), ``cancel_open``
closes it when the copy is lent or rerouted on the way. The database allows one open transit
per copy, so a race can never leave two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog.public import Item, move_item, on_status_edit
from ils.cache import SharedCache
from ils.config import get_settings
from ils.errors import Conflict
from ils.events import record_event
from ils.network.snapshot import network
from logistics import repository as repo
from logistics.costs import CostModel, load_costs
from logistics.models import ANY, TRANSIT_STATES, PolicyInfo, Transit
from logistics.placement import Facts, stays
from logistics.routes import timetable

# How far back check-outs count as demand for the adaptive return policy.
DEMAND_WINDOW = timedelta(days=180)


@dataclass
class Move:
    """What the desk does with a copy in hand: ``shelve`` it here, put it on the ``hold_shelf``
    here, or send it in ``transit`` to ``destination_id``."""

    disposition: str
    destination_id: int
    transit: Transit | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Called when a transit is received at its destination; the first handler that returns a Move
# decides the copy's next step (circulation: a waiting hold becomes ready). Lower layers never
# import upward, so the upper layer registers here.
ArrivalHandler = Callable[[Session, Item, Transit, str, datetime], "Move | None"]
_arrival_handlers: list[ArrivalHandler] = []


def on_arrival(handler: ArrivalHandler) -> None:
    if handler not in _arrival_handlers:
        _arrival_handlers.append(handler)


# Called when a journey ends short of its destination (lost on the road, arrived damaged), before
# the transit closes: circulation puts a hold the copy travelled for back in the queue.
AbandonHandler = Callable[[Session, Item, Transit, str, datetime], None]
_abandon_handlers: list[AbandonHandler] = []


def on_abandoned(handler: AbandonHandler) -> None:
    if handler not in _abandon_handlers:
        _abandon_handlers.append(handler)


def _travelling(session: Session, item: Item) -> str | None:
    """A staff status edit must not strand a copy's open transit (the catalogue asks)."""
    return "transit" if repo.open_transit(session, item.id) is not None else None


on_status_edit(_travelling)


def abandon(session: Session, item: Item, status: str, at_unit_id: int | None, actor: str, now: datetime) -> Transit:
    """End the copy's journey short of its destination: it is ``missing`` (lost on the road) or
    ``damaged`` (arrived unfit to lend, at ``at_unit_id``)."""
    transit = repo.open_transit(session, item.id) if item.status == "in_transit" else None
    if transit is None:
        raise Conflict("TRANSIT_NOT_FOUND", f"copy {item.barcode} has no open transit", extra={"status": item.status})
    for handler in _abandon_handlers:
        handler(session, item, transit, actor, now)
    where = at_unit_id or transit.from_unit_id
    _close(session, item, transit, where, "cancelled", actor, now)
    move_item(session, item, now, status=status, current_unit_id=where)
    record_event(session, f"transit.{status}", f"item:{item.barcode}", actor=actor, now=now,
                 unit_code=_code(session, where), before={"status": "in_transit"},
                 after={"status": status, "transit_id": transit.id})
    return transit


def _code(session: Session, unit_id: int) -> str:
    return network(session).unit(unit_id).code


def _transit_event(session: Session, kind: str, item: Item, transit: Transit, actor: str, now: datetime,
                   unit_id: int, before: dict[str, Any] | None = None) -> None:
    record_event(session, kind, f"item:{item.barcode}", actor=actor, now=now, unit_code=_code(session, unit_id),
                 before=before, after={
                     "transit_id": transit.id, "from": _code(session, transit.from_unit_id),
                     "to": _code(session, transit.to_unit_id), "reason": transit.reason, "status": transit.status,
                     "reference": transit.reference,
                 })


def close_open(session: Session, item: Item, at_unit_id: int, status: str, actor: str, now: datetime) -> Transit | None:
    """Close the copy's open transit, if any, as ``received`` or ``cancelled``."""
    if item.status != "in_transit":  # only a travelling copy has an open transit (the audit checks it)
        return None
    transit = repo.open_transit(session, item.id)
    if transit is not None:
        _close(session, item, transit, at_unit_id, status, actor, now)
    return transit


def _close(session: Session, item: Item, transit: Transit, at_unit_id: int, status: str, actor: str,
           now: datetime) -> None:
    TRANSIT_STATES.move(transit, status)
    transit.closed_at, transit.closed_by, transit.closed_unit_id = now, actor, at_unit_id
    session.flush()
    _transit_event(session, f"transit.{status}", item, transit, actor, now, at_unit_id, before={"status": "open"})


def send(session: Session, item: Item, from_unit_id: int, to_unit_id: int, reason: str, actor: str, now: datetime,
         reference: str | None = None) -> Transit:
    """Open a transit; a copy already travelling has its old journey cancelled here first (it
    is being rerouted, e.g. caught for a hold on its way home)."""
    if from_unit_id == to_unit_id:
        raise Conflict("TRANSIT_SAME_UNIT", "the copy is already at that unit")
    close_open(session, item, from_unit_id, "cancelled", actor, now)
    move_item(session, item, now, status="in_transit", current_unit_id=from_unit_id)
    transit = Transit(item_id=item.id, from_unit_id=from_unit_id, to_unit_id=to_unit_id, reason=reason,
                      reference=reference, status="open", created_at=now, created_by=actor)
    path = timetable(session).path(from_unit_id, to_unit_id, now.astimezone(get_settings().tz).date())
    if path is not None:
        transit.promised_on = path.promised_on
        transit.path = [{"route": h.route_code, "day": h.day.isoformat(), "from": _code(session, h.from_unit_id),
                         "to": _code(session, h.to_unit_id)} for h in path.hops]
    session.add(transit)
    session.flush()
    _transit_event(session, "transit.sent", item, transit, actor, now, from_unit_id)
    return transit


def receive(session: Session, item: Item, at_unit_id: int, actor: str, now: datetime,
            transit: Transit | None = None) -> Move:
    """The copy is scanned in at ``at_unit_id``. At its destination the transit closes and the
    copy is handed to the arrival handlers, then to the return policy; anywhere else it is
    passing through (a hub) and keeps going. ``transit`` is the open transit if the caller has
    read it already."""
    transit = transit or repo.open_transit(session, item.id)
    if transit is None:
        raise Conflict("TRANSIT_NOT_FOUND", f"copy {item.barcode} has no open transit", extra={"status": item.status})
    if transit.to_unit_id != at_unit_id:
        move_item(session, item, now, current_unit_id=at_unit_id)
        return Move("transit", transit.to_unit_id, transit)
    _close(session, item, transit, at_unit_id, "received", actor, now)
    move_item(session, item, now, status="available", current_unit_id=at_unit_id)
    for handler in _arrival_handlers:
        move = handler(session, item, transit, actor, now)
        if move is not None:
            return move
    if transit.reason in ("transfer", "distribution"):
        # A purposeful move keeps its purpose: the copy stays, it does not bounce back home.
        return Move("shelve", at_unit_id)
    return route_return(session, item, at_unit_id, actor, now)


# Return policies change a few times a year and every return away from home reads them.
_policies: SharedCache[list[PolicyInfo]] = SharedCache()


def forget_policies() -> None:
    _policies.clear()


def policy_for(policies: list[PolicyInfo], system_code: str | None, item_type: str) -> PolicyInfo | None:
    matching = [p for p in policies if p.system_code in (ANY, system_code) and p.item_type in (ANY, item_type)]
    if not matching:
        return None
    return max(matching, key=lambda p: (p.system_code != ANY, p.item_type != ANY))


def home_or_here(session: Session, item: Item, at_unit_id: int, now: datetime,
                 costs: CostModel | None = None) -> tuple[int, str]:
    """Where a copy with no hold to fill belongs, by its owning system's return policy, and why."""
    if at_unit_id == item.owning_unit_id:
        return at_unit_id, "home"
    costs = costs or load_costs(session)
    owning_system = costs.system(item.owning_unit_id)
    system_code = _code(session, owning_system) if owning_system else None
    policy = policy_for(_policies.get(session, repo.policy_infos), system_code, item.item_type)
    if policy is None or policy.policy == "home":
        return item.owning_unit_id, "home"
    may_float = costs.system(at_unit_id) == owning_system
    if may_float and policy.float_group:
        group = repo.float_group_units(session, policy.float_group)
        may_float = at_unit_id in group and item.owning_unit_id in group
    if not may_float:
        return item.owning_unit_id, "home"
    facts = Facts(policy.policy, may_float, load_here=repo.copies_at(session, at_unit_id, item.item_type),
                  limit_here=repo.float_limit(session, at_unit_id, item.item_type))
    if policy.policy == "adaptive":
        here, home = _code(session, at_unit_id), _code(session, item.owning_unit_id)
        demand = repo.checkouts_of_title(session, item.record_id, [here, home], now - DEMAND_WINDOW)
        today = now.astimezone(get_settings().tz).date()
        facts = replace(facts, demand_here=demand.get(here, 0), demand_home=demand.get(home, 0),
                        trip_days=costs.cost(at_unit_id, item.owning_unit_id, today),
                        home_share=repo.home_share(session, item.owning_unit_id, item.item_type))
    return (at_unit_id, policy.policy) if stays(facts) else (item.owning_unit_id, "home")


def route_return(session: Session, item: Item, at_unit_id: int, actor: str, now: datetime) -> Move:
    """No hold wants the copy: shelve it here or send it where the return policy says."""
    destination, reason = home_or_here(session, item, at_unit_id, now)
    if destination == at_unit_id:
        close_open(session, item, at_unit_id, "cancelled", actor, now)  # it stays: no journey left
        move_item(session, item, now, status="available", current_unit_id=at_unit_id)
        return Move("shelve", at_unit_id, detail={"reason": reason})
    transit = send(session, item, at_unit_id, destination, reason, actor, now)
    return Move("transit", destination, transit, detail={"reason": reason})

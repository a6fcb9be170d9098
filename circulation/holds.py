"""Holds: place, cancel, suspend, change pickup; trap a copy for the first reader in the queue;
make a hold ready when its copy arrives; expire the hold shelf. They never commit.

Holds are served first come, first served (optionally the readers collecting near the copy
first, ILS_HOLD_LOCAL_PRIORITY). A copy in hand at a desk is *trapped* for the first eligible
hold: on the hold shelf if the reader collects here, otherwise it travels to the pickup unit.
Before any copy is in hand the engine *targets* the available copy that reaches the pickup
unit at the lowest travel cost, so the desk holding it finds it on its pull list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.public import (
    Item,
    get_item,
    items_of_record,
    lock_item_id,
    move_item,
    on_status_edit,
    on_status_edited,
    record_title,
)
from circulation import repository as repo
from circulation.blocks import NO_OVERRIDE, Block, Override, settle
from circulation.models import ACTIVE_HOLD, HOLD_STATES, TRAPPED_HOLD, Hold, Patron
from circulation.network import Context
from circulation.patrons import get_patron
from circulation.standing import patron_blocks
from ils.auth import gate
from ils.auth.principal import Principal, job
from ils.config import get_settings
from ils.db import lock_keys
from ils.errors import Conflict, InvalidInput, NotFound
from ils.events import Facts, record_event
from ils.outbox import emit
from logistics.public import (
    CostModel,
    Move,
    Transit,
    close_open,
    load_costs,
    on_abandoned,
    on_arrival,
    route_return,
    send,
)

READY_TOPIC = "holds.ready"
# Copies that can never fill a hold.
NOT_HOLDABLE = frozenset({"withdrawn", "lost", "missing", "damaged"})


def hold_detail(session: Session, ctx: Context, hold: Hold, patron: Patron | None = None) -> dict[str, Any]:
    card, name = ((patron.card_number, patron.name) if patron is not None
                  else repo.patron_card_map(session, [hold.patron_id])[hold.patron_id])
    return {"hold_id": hold.id, "card": card, "name": name, "pickup_unit": ctx.code(hold.pickup_unit_id),
            "shelf_expires_on": hold.shelf_expires_on.isoformat() if hold.shelf_expires_on else None}


def _event(session: Session, kind: str, hold: Hold, ctx: Context, actor: str, unit_id: int | None,
           before: dict[str, Any] | None, *, patron: Patron | None = None, **after: Any) -> None:
    # The reader's unit is known where the reader is at hand (placing, filling): the events
    # statistics count (holds placed and filled by the reader's home unit).
    facts = Facts(patron_id=hold.patron_id, home_unit_code=ctx.code(patron.unit_id) if patron is not None else None,
                  patron_category=patron.category_code if patron is not None else None)
    record_event(session, kind, f"hold:{hold.id}", actor=actor, now=ctx.now,
                 unit_code=ctx.code(unit_id) if unit_id else None, before=before,
                 after={"status": hold.status, **after}, facts=facts)


# ---- trapping a copy in hand -------------------------------------------------------------


def make_ready(session: Session, ctx: Context, hold: Hold, item: Item, actor: str) -> Move:
    """The copy is at the pickup unit: onto the hold shelf, and the reader is told (outbox)."""
    pickup = ctx.unit(hold.pickup_unit_id)
    patron = session.get(Patron, hold.patron_id)
    assert patron is not None
    rule = ctx.rule(patron.category_code, item.item_type, pickup)
    before = HOLD_STATES.move(hold, "ready")
    hold.ready_at = ctx.now
    # Caught on its way elsewhere (home, another hold's unit): that journey ends here.
    close_open(session, item, pickup.id, "cancelled", actor, ctx.now)
    hold.shelf_expires_on = ctx.shelf_until(pickup, rule.hold_shelf_days)
    move_item(session, item, ctx.now, status="on_hold_shelf", current_unit_id=pickup.id)
    session.flush()
    _event(session, "hold.ready", hold, ctx, actor, pickup.id, {"status": before}, barcode=item.barcode,
           shelf_expires_on=hold.shelf_expires_on.isoformat())
    emit(session, READY_TOPIC, f"hold:{hold.id}", {
        "hold_id": hold.id, "card": patron.card_number, "name": patron.name, "phone": patron.phone,
        "email": patron.email, "title": record_title(session, hold.record_id), "barcode": item.barcode,
        "pickup_unit": pickup.code, "pickup_name": pickup.name, "shelf_expires_on": hold.shelf_expires_on.isoformat(),
    }, ctx.now)
    return Move("hold_shelf", pickup.id, detail=hold_detail(session, ctx, hold, patron))


def send_to_pickup(session: Session, ctx: Context, hold: Hold, item: Item, from_unit_id: int, actor: str) -> Move:
    """The hold's copy travels from ``from_unit_id`` to the pickup unit: trapped elsewhere, sent on
    to a changed pickup unit, or taken back to a hold shelf it strayed from."""
    HOLD_STATES.move(hold, "in_transit")
    hold.ready_at, hold.shelf_expires_on = None, None
    transit = send(session, item, from_unit_id, hold.pickup_unit_id, "hold", actor, ctx.now,
                   reference=f"hold:{hold.id}")
    return Move("transit", hold.pickup_unit_id, transit, detail=hold_detail(session, ctx, hold))


def _trap(session: Session, ctx: Context, hold: Hold, item: Item, at_unit_id: int, actor: str) -> Move:
    hold.item_id, hold.trapped_at, hold.target_item_id = item.id, ctx.now, None
    if hold.pickup_unit_id == at_unit_id:
        move = make_ready(session, ctx, hold, item, actor)
    else:
        move = send_to_pickup(session, ctx, hold, item, at_unit_id, actor)
        assert move.transit is not None
        _event(session, "hold.trapped", hold, ctx, actor, at_unit_id, {"status": "waiting"}, barcode=item.barcode,
               transit_id=move.transit.id)
    # Later readers pointed at this copy would wait on a pull list that no longer shows it.
    session.flush()
    retarget(session, ctx, item)
    return move


def trap(session: Session, ctx: Context, item: Item, at_unit_id: int, actor: str,
         costs: CostModel | None = None) -> Move | None:
    """Trap the copy (locked by the caller) for the first eligible waiting hold, if any."""
    # A hold being placed on this title right now must either be seen here or see this copy
    # on the shelf: both sides take the title's lock (see ``place``).
    lock_keys(session, "record", [str(item.record_id)])
    candidates = repo.queue_for_copy(session, item.record_id, item.id, ctx.today)
    if not candidates:
        return None
    if get_settings().hold_local_priority:
        costs = costs or load_costs(session)
        here = costs.area(at_unit_id)
        candidates.sort(key=lambda c: costs.area(c.pickup_unit_id) != here)  # stable: FCFS within each group
    for hold_id, pickup_id, category, status in candidates:
        if status != "active" or not ctx.rule(category, item.item_type, ctx.unit(pickup_id)).holds_allowed:
            continue
        # Another desk may be filling this hold with another copy right now: pass it by.
        hold = repo.get_hold(session, hold_id, lock=True, skip_locked=True)
        if hold is None or hold.status != "waiting":
            continue
        return _trap(session, ctx, hold, item, at_unit_id, actor)
    return None


def route_copy(session: Session, ctx: Context, item: Item, at_unit_id: int, actor: str) -> Move:
    """A copy in hand with no reader: fill a hold with it, else follow the return policy."""
    move = trap(session, ctx, item, at_unit_id, actor)
    if move is not None:
        return move
    return route_return(session, item, at_unit_id, actor, ctx.now)


def _on_arrival(session: Session, item: Item, transit: Transit, actor: str, now: datetime) -> Move | None:
    """Logistics received a transit: the hold it was for becomes ready (or travels on to a
    changed pickup unit); any other arriving copy may fill a waiting hold here."""
    ctx = Context.load(session, now)
    if transit.reference and transit.reference.startswith("hold:"):
        hold = repo.get_hold(session, int(transit.reference.removeprefix("hold:")), lock=True)
        if hold is not None and hold.status == "in_transit" and hold.item_id == item.id:
            if hold.pickup_unit_id == transit.to_unit_id:
                return make_ready(session, ctx, hold, item, actor)
            return send_to_pickup(session, ctx, hold, item, transit.to_unit_id, actor)
    return trap(session, ctx, item, transit.to_unit_id, actor)


on_arrival(_on_arrival)


def _on_abandoned(session: Session, item: Item, transit: Transit, actor: str, now: datetime) -> None:
    """The copy a hold waited for will not arrive (lost on the road, damaged): the hold waits again."""
    hold = repo.trapped_hold(session, item.id)
    if hold is not None:
        release(session, Context.load(session, now), hold, item, actor, transit.to_unit_id)


on_abandoned(_on_abandoned)


# ---- targeting before a copy is in hand ---------------------------------------------------


def _fair(hold_id: int, unit_id: int) -> int:
    """Spreads ties: equally near copies are pulled from different branches for different holds."""
    # A real hash, not CRC32: consecutive hold ids must not order the units the same way.
    return int.from_bytes(hashlib.blake2b(f"{hold_id}:{unit_id}".encode(), digest_size=8).digest(), "big")


def target(session: Session, ctx: Context, hold: Hold, patron: Patron, costs: CostModel | None = None) -> Item | None:
    """Suggest the available copy that reaches the pickup unit soonest: one no earlier hold is
    already pointed at (that one will be trapped for the earlier reader), at the lowest travel
    cost, with ties spread fairly over units."""
    if hold.status != "waiting":
        return None
    copies = [i for i in items_of_record(session, hold.record_id)
              if i.status == "available" and (not hold.item_level or i.id == hold.item_id)]
    pickup = ctx.unit(hold.pickup_unit_id)
    copies = [i for i in copies if ctx.rule(patron.category_code, i.item_type, pickup).holds_allowed]
    if not copies:
        hold.target_item_id = None
        return None
    costs = costs or load_costs(session)
    wanted = repo.target_counts(session, hold.record_id, exclude_hold_id=hold.id)
    best = min(copies, key=lambda i: (wanted.get(i.id, 0), costs.cost(i.current_unit_id, pickup.id, ctx.today),
                                      _fair(hold.id, i.current_unit_id), i.id))
    hold.target_item_id = best.id
    return best


def retarget(session: Session, ctx: Context, item: Item) -> None:
    """The copy some holds were pointed at is gone (lent, trapped): point them elsewhere."""
    for hold_id in repo.holds_targeting(session, item.id):
        hold = repo.get_hold(session, hold_id, lock=True, skip_locked=True)
        if hold is None or hold.status != "waiting":
            continue
        patron = session.get(Patron, hold.patron_id)
        assert patron is not None
        hold.target_item_id = None
        target(session, ctx, hold, patron)


# ---- staff status edits (the catalogue asks and tells; it cannot import circulation) -------

_LOAN_TIES = {"open": "loan", "lost": "lost", "claimed_returned": "claimed_returned"}


def _tied_to_reader(session: Session, item: Item) -> str | None:
    """What a staff status edit of the copy would leave behind: a loan still on a reader's
    record, or a hold the copy is trapped for."""
    loan = repo.active_loan(session, item.id)
    if loan is not None:
        return _LOAN_TIES[loan.status]
    hold = repo.trapped_hold(session, item.id)
    if hold is not None:
        return "hold" if hold.status == "ready" else "transit"
    return None


def _status_edited(session: Session, item: Item, before: str, now: datetime) -> None:
    """Staff took the copy off the shelf (missing, damaged, withdrawn …) or put it back. Holds
    pointed at a copy no longer on the shelf look elsewhere, or no desk would ever pull a copy
    for them; holds that found no copy to point at may point at the one that is back."""
    ctx = Context.load(session, now)
    if item.status != "available":
        retarget(session, ctx, item)
        return
    for hold_id, *_ in repo.queue_for_copy(session, item.record_id, item.id, ctx.today):
        hold = repo.get_hold(session, hold_id, lock=True, skip_locked=True)
        if hold is None or hold.status != "waiting" or hold.target_item_id is not None:
            continue
        patron = session.get(Patron, hold.patron_id)
        assert patron is not None
        target(session, ctx, hold, patron)


on_status_edit(_tied_to_reader)
on_status_edited(_status_edited)


# ---- placing and changing holds -----------------------------------------------------------


@dataclass
class HoldRequest:
    card: str
    pickup_unit: str
    record_id: int | None = None
    barcode: str | None = None
    suspended_until: date | None = None
    override: Override = NO_OVERRIDE


def _blocks_for_hold(session: Session, ctx: Context, patron: Patron, record_id: int, copies: list[Item],
                     pickup_id: int) -> list[Block]:
    pickup = ctx.unit(pickup_id)
    usable = [i for i in copies if i.status not in NOT_HOLDABLE]
    if not usable:
        return [Block("HOLD_NO_COPIES", "该书目没有可预约的馆藏")]
    blocks: list[Block] = []
    allowed = [i for i in usable if ctx.rule(patron.category_code, i.item_type, pickup).holds_allowed]
    if not allowed:
        blocks.append(Block("HOLD_NOT_ALLOWED", "该读者类型不能预约这些馆藏"))
    rule = ctx.rule(patron.category_code, (allowed or usable)[0].item_type, pickup)
    blocks += patron_blocks(session, patron, rule, repo.open_loans(session, patron.id), ctx.rules_by_id, ctx.today)
    if repo.active_hold_of(session, patron.id, record_id) is not None:
        blocks.append(Block("HOLD_ALREADY_PLACED", "该读者已预约此书"))
    if repo.has_record_on_loan(session, patron.id, record_id):
        blocks.append(Block("HOLD_ALREADY_ON_LOAN", "该读者正借阅此书的一册"))
    return blocks


def place(session: Session, request: HoldRequest, principal: Principal, now: datetime) -> Hold:
    if (request.record_id is None) == (request.barcode is None):
        raise InvalidInput("HOLD_TARGET_MISSING", "give record_id (any copy) or barcode (this copy)")
    ctx = Context.load(session, now)
    pickup = ctx.unit_by_code(request.pickup_unit)
    gate.check(session, principal, "hold.place", card=request.card, pickup=pickup.id)
    patron = get_patron(session, request.card, lock=True)
    item = get_item(session, request.barcode) if request.barcode else None
    record_id = item.record_id if item is not None else request.record_id
    assert record_id is not None
    record_title(session, record_id)  # the title must exist
    lock_keys(session, "record", [str(record_id)])  # see ``trap``
    copies = [item] if item is not None else list(items_of_record(session, record_id))
    blocks = _blocks_for_hold(session, ctx, patron, record_id, copies, pickup.id)
    overrides = settle(blocks, request.override, principal, "hold")
    hold = Hold(patron_id=patron.id, record_id=record_id, item_level=item is not None,
                item_id=item.id if item is not None else None, pickup_unit_id=pickup.id, status="waiting",
                placed_at=now, placed_by=principal.label, suspended_until=request.suspended_until)
    session.add(hold)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same reader placed it at another desk a moment ago
        placed = Block("HOLD_ALREADY_PLACED", "已预约此书")
        raise Conflict("HOLD_BLOCKED", placed.detail, blocks=[placed.to_dict()]) from exc
    target(session, ctx, hold, patron)
    _event(session, "hold.placed", hold, ctx, principal.label, pickup.id, None, patron=patron,
           card=patron.card_number, record_id=record_id, barcode=item.barcode if item is not None else None,
           overrides=overrides)
    return hold


def _load_for_change(session: Session, hold_id: int, principal: Principal,
                     new_pickup_id: int | None = None) -> tuple[Hold, Item | None]:
    """The hold, locked after its trapped copy (the lock order is item, patron, hold)."""
    peek = repo.get_hold(session, hold_id)
    if peek is None:
        raise NotFound("HOLD_NOT_FOUND", f"no hold {hold_id}")
    card = repo.patron_card_map(session, [peek.patron_id])[peek.patron_id][0]
    gate.check(session, principal, "hold.change", card=card, pickup=peek.pickup_unit_id,
               home=repo.patron_home_unit(session, peek.patron_id), new_pickup=new_pickup_id)
    item = lock_item_id(session, peek.item_id) if peek.status in TRAPPED_HOLD and peek.item_id else None
    hold = repo.get_hold(session, hold_id, lock=True)
    assert hold is not None
    if hold.status not in ACTIVE_HOLD:
        raise Conflict("HOLD_NOT_ACTIVE", f"hold {hold_id} is {hold.status}", extra={"status": hold.status})
    if hold.status in TRAPPED_HOLD and (item is None or hold.item_id != item.id):
        raise Conflict("HOLD_NOT_ACTIVE", "the hold changed meanwhile; try again")
    return hold, item


def _close(session: Session, ctx: Context, hold: Hold, status: str, actor: str, reason: str | None) -> str:
    before = HOLD_STATES.move(hold, status)
    hold.closed_at, hold.closed_by, hold.close_reason = ctx.now, actor, reason
    hold.target_item_id = None
    session.flush()
    return before


def cancel(session: Session, hold_id: int, principal: Principal, now: datetime,
           reason: str | None = None) -> tuple[Hold, Move | None]:
    """Cancel a hold. A copy waiting on the hold shelf goes to the next reader or is sent on
    (the answer says where); a copy on its way finds out when it arrives."""
    ctx = Context.load(session, now)
    hold, item = _load_for_change(session, hold_id, principal)
    before = _close(session, ctx, hold, "cancelled", principal.label, reason)
    _event(session, "hold.cancelled", hold, ctx, principal.label, hold.pickup_unit_id, {"status": before},
           reason=reason)
    move = None
    if before == "ready" and item is not None:
        move = route_copy(session, ctx, item, hold.pickup_unit_id, principal.label)
    return hold, move


_UNSET: Any = object()


def change(session: Session, hold_id: int, principal: Principal, now: datetime, *, pickup_unit: str | None = None,
           suspended_until: date | None = _UNSET) -> tuple[Hold, Move | None]:
    """Suspend or resume a waiting hold, or move its pickup unit (a copy already on a hold shelf
    travels to the new one)."""
    ctx = Context.load(session, now)
    new_pickup = ctx.unit_by_code(pickup_unit) if pickup_unit is not None else None
    hold, item = _load_for_change(session, hold_id, principal, new_pickup.id if new_pickup is not None else None)
    patron = session.get(Patron, hold.patron_id)
    assert patron is not None
    move: Move | None = None
    if suspended_until is not _UNSET and suspended_until != hold.suspended_until:
        if hold.status != "waiting":
            raise Conflict("HOLD_ALREADY_TRAPPED", "a copy is already on its way or on the shelf for this hold")
        _event(session, "hold.suspended" if suspended_until else "hold.resumed", hold, ctx, principal.label, None,
               {"suspended_until": hold.suspended_until.isoformat() if hold.suspended_until else None},
               suspended_until=suspended_until.isoformat() if suspended_until else None)
        hold.suspended_until = suspended_until
    if new_pickup is not None:
        new = new_pickup
        if new.id != hold.pickup_unit_id:
            old = hold.pickup_unit_id
            hold.pickup_unit_id = new.id
            _event(session, "hold.pickup_changed", hold, ctx, principal.label, new.id,
                   {"pickup_unit": ctx.code(old)}, pickup_unit=new.code)
            if hold.status == "ready" and item is not None:
                move = send_to_pickup(session, ctx, hold, item, old, principal.label)
            elif hold.status == "waiting":
                target(session, ctx, hold, patron)
    session.flush()
    return hold, move


def expire_shelf(session: Session, now: datetime, principal: Principal | None = None,
                 units: Collection[int] | None = None) -> list[tuple[Hold, Move]]:
    """Holds not collected in time expire; each copy goes to the next reader or is sent on.
    Only the hold shelves of ``units`` when given, and never beyond the units the principal
    serves (a branch expires its own shelf, ``ils daily`` every shelf)."""
    principal = principal or job()
    for unit_id in units or ():
        gate.check(session, principal, "hold.shelf", unit=unit_id)
    gate.permit(principal, "hold.shelf")
    own = gate.own_unit_ids(session, principal)
    scope = set(units) if units is not None else None
    if own is not None:
        scope = own if scope is None else scope & own
    actor = principal.label
    ctx = Context.load(session, now)
    done: list[tuple[Hold, Move]] = []
    for hold_id, item_id in repo.expired_shelf_holds(session, ctx.today, pickup_unit_ids=scope):
        item = lock_item_id(session, item_id)
        hold = repo.get_hold(session, hold_id, lock=True)
        if hold is None or hold.status != "ready" or hold.item_id != item.id:
            continue
        before = _close(session, ctx, hold, "expired", actor, "not collected in time")
        _event(session, "hold.expired", hold, ctx, actor, hold.pickup_unit_id, {"status": before},
               barcode=item.barcode)
        done.append((hold, route_copy(session, ctx, item, hold.pickup_unit_id, actor)))
    return done


def fulfil_or_release(session: Session, ctx: Context, item: Item, patron: Patron, actor: str,
                      unit_id: int, trapped: Hold | None) -> Hold | None:
    """The copy is being lent: the hold it was ``trapped`` for (read under the copy's lock) is
    fulfilled if it is the borrower's, otherwise (an overridden block) it goes back to waiting
    for another copy."""
    if trapped is None:
        return None
    hold = repo.get_hold(session, trapped.id, lock=True)
    assert hold is not None
    if hold.patron_id == patron.id:
        before = _close(session, ctx, hold, "fulfilled", actor, None)
        _event(session, "hold.fulfilled", hold, ctx, actor, unit_id, {"status": before}, barcode=item.barcode,
               patron=patron)
        return hold
    release(session, ctx, hold, item, actor, unit_id)
    return None


def release(session: Session, ctx: Context, hold: Hold, item: Item, actor: str, unit_id: int) -> None:
    """The hold's copy went to someone else or was lost on the way: the hold waits again, first
    in its queue as before, and is pointed at another copy."""
    hold = repo.get_hold(session, hold.id, lock=True) or hold
    before = HOLD_STATES.move(hold, "waiting")
    hold.trapped_at, hold.ready_at, hold.shelf_expires_on = None, None, None
    if not hold.item_level:
        hold.item_id = None
    session.flush()
    _event(session, "hold.released", hold, ctx, actor, unit_id, {"status": before, "barcode": item.barcode})
    owner = session.get(Patron, hold.patron_id)
    assert owner is not None
    target(session, ctx, hold, owner)


def fulfil_on_checkout(session: Session, ctx: Context, record_id: int, patron: Patron, actor: str,
                       unit_id: int, item: Item) -> Hold | None:
    """A waiting hold of the borrower's on this title is fulfilled by lending any copy of it."""
    hold = repo.active_hold_of(session, patron.id, record_id)
    if hold is None or hold.status != "waiting" or (hold.item_level and hold.item_id != item.id):
        return None
    hold = repo.get_hold(session, hold.id, lock=True)
    assert hold is not None
    hold.item_id = item.id
    before = _close(session, ctx, hold, "fulfilled", actor, None)
    _event(session, "hold.fulfilled", hold, ctx, actor, unit_id, {"status": before}, barcode=item.barcode,
           patron=patron)
    return hold


def is_wanted(session: Session, ctx: Context, item: Item) -> bool:
    return repo.waiting_holds_count(session, item.record_id, item.id, ctx.today) > 0


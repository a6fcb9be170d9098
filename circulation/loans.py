"""Check-out, check-in, renew, lost and claims-returned: each one transaction, never committed
here. Every rule that says no is gathered into the answer; a preview returns the same decision
and writes nothing.

Locks are taken in one order everywhere (item, then patron, then hold), so two desks lending
the same copy queue on the item and the second is refused, and one reader at two desks at the
loan limit queues on the patron and the limit holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalog.public import Item, get_item, lock_item, move_item
from circulation import fines, holds
from circulation import repository as repo
from circulation.blocks import NO_OVERRIDE, Block, Override, settle
from circulation.models import LOAN_STATES, Fine, Hold, Loan, Patron
from circulation.network import Context
from circulation.patrons import get_patron
from circulation.policy import Rule
from circulation.standing import patron_blocks
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict
from ils.events import NO_FACTS, Facts, record_event
from ils.network.snapshot import UnitInfo, unit_by_code
from logistics.public import Move, abandon, close_open, open_transit, receive

NOT_LOANABLE = frozenset({"processing", "damaged", "lost", "missing"})


@dataclass
class CheckoutRequest:
    card: str
    barcode: str
    unit: str
    proxy_card: str | None = None
    override: Override = NO_OVERRIDE


@dataclass
class CheckoutDecision:
    patron: Patron
    item: Item
    unit: UnitInfo
    rule: Rule
    due_on: date
    blocks: list[Block]
    loan: Loan | None = None
    hold: Hold | None = None
    overrides: list[dict[str, str]] = field(default_factory=list)
    current_loan: Loan | None = None  # the copy's loan not yet returned, if any
    trapped: Hold | None = None  # the hold the copy is trapped for, if any

    @property
    def allowed(self) -> bool:
        return not self.blocks


def _current_loan(session: Session, item: Item) -> Loan | None:
    """The copy's loan not yet returned. Only a copy on loan, lost or missing (claimed returned)
    can have one, so the query is skipped for every other copy (most check-outs)."""
    return repo.active_loan(session, item.id) if item.status in ("on_loan", "lost", "missing") else None


def _item_blocks(item: Item, patron: Patron, current: Loan | None, trapped: Hold | None) -> list[Block]:
    blocks: list[Block] = []
    if current is not None and current.status == "open":
        if current.patron_id == patron.id:
            blocks.append(Block("ITEM_ALREADY_ON_LOAN_TO_PATRON", "读者已借此册，请续借"))
        else:
            blocks.append(Block("ITEM_ON_LOAN", "此册已借出给其他读者，请先还回"))
    if item.status == "withdrawn":
        blocks.append(Block("ITEM_WITHDRAWN", "此册已剔除"))
    elif item.status in NOT_LOANABLE:
        blocks.append(Block("ITEM_NOT_LOANABLE", f"此册状态为 {item.status}"))
    if trapped is not None and trapped.patron_id != patron.id:
        blocks.append(Block("ITEM_ON_HOLD_FOR_OTHER", "此册已为其他读者预约保留"))
    return blocks


def _decide(session: Session, ctx: Context, request: CheckoutRequest, *, lock: bool) -> CheckoutDecision:
    unit = ctx.unit_by_code(request.unit)
    item = lock_item(session, request.barcode) if lock else get_item(session, request.barcode)
    patron = get_patron(session, request.card, lock=lock)
    rule = ctx.rule(patron.category_code, item.item_type, unit)
    loans = repo.open_loans(session, patron.id)
    current = _current_loan(session, item)
    blocks = patron_blocks(session, patron, rule, loans, ctx.rules_by_id, ctx.today)
    if request.proxy_card:
        proxy = get_patron(session, request.proxy_card)
        if proxy.id != patron.id and repo.proxy_link(session, patron.id, proxy.id) is None:
            blocks.append(Block("PATRON_NOT_PROXY", f"{proxy.card_number} 不是该读者的代借人"))
    if rule.max_items_of_type == 0 or rule.max_items == 0:
        blocks.append(Block("ITEM_NOT_FOR_LOAN", "此类文献不外借给该类读者"))
    else:
        if len(loans) >= rule.max_items:
            blocks.append(Block("PATRON_LOAN_LIMIT", f"已借 {len(loans)} 册，达到上限 {rule.max_items} 册"))
        of_type = sum(1 for loan in loans if loan.item_type == item.item_type)
        if rule.max_items_of_type is not None and of_type >= rule.max_items_of_type:
            blocks.append(Block("PATRON_ITEM_TYPE_LIMIT",
                                f"已借此类 {of_type} 册，达到上限 {rule.max_items_of_type} 册"))
    trapped = repo.trapped_hold(session, item.id) if item.status in ("in_transit", "on_hold_shelf") else None
    blocks += _item_blocks(item, patron, current, trapped)
    return CheckoutDecision(patron, item, unit, rule, ctx.due_on(unit, rule.loan_days), blocks,
                            current_loan=current, trapped=trapped)


def preview_checkout(session: Session, request: CheckoutRequest, principal: Principal,
                     now: datetime) -> CheckoutDecision:
    """What a check-out would do, with every block; nothing is locked or written."""
    ctx = Context.load(session, now)
    gate.check(session, principal, "loan.checkout", desk=ctx.unit_by_code(request.unit).id)
    return _decide(session, ctx, request, lock=False)


def _close_loan(session: Session, ctx: Context, loan: Loan, unit_id: int, actor: str) -> str:
    before = LOAN_STATES.move(loan, "returned")
    loan.returned_at, loan.returned_unit_id, loan.returned_by = ctx.now, unit_id, actor
    return before


def loan_facts(ctx: Context, loan: Loan) -> Facts:
    """What the events of a loan carry for the statistics (ils.events.Event)."""
    return Facts(owner_unit_code=ctx.code(loan.owner_unit_id) if loan.owner_unit_id is not None else None,
                 home_unit_code=ctx.code(loan.home_unit_id) if loan.home_unit_id is not None else None,
                 item_type=loan.item_type, patron_category=loan.patron_category, patron_id=loan.patron_id,
                 loan_id=loan.id)


def checkout(session: Session, request: CheckoutRequest, principal: Principal, now: datetime) -> CheckoutDecision:
    ctx = Context.load(session, now)
    gate.check(session, principal, "loan.checkout", desk=ctx.unit_by_code(request.unit).id)
    decision = _decide(session, ctx, request, lock=True)
    decision.overrides = settle(decision.blocks, request.override, principal, "checkout")
    item, patron, unit = decision.item, decision.patron, decision.unit
    before = {"status": item.status, "unit": ctx.code(item.current_unit_id)}
    lingering = decision.current_loan
    if lingering is not None:  # a lost or claimed-returned copy turned up and is lent again
        was = _close_loan(session, ctx, lingering, unit.id, principal.label)
        fines.waive_lost(session, lingering)
        session.flush()
        record_event(session, "loan.checkin", f"item:{item.barcode}", actor=principal.label, now=now,
                     unit_code=unit.code, before={"loan_status": was}, after={
                         "status": item.status, "loan_id": lingering.id, "found": True, "disposition": "checkout"},
                     facts=loan_facts(ctx, lingering))
    close_open(session, item, unit.id, "cancelled", principal.label, now)  # lent on its way: no hanging transit
    decision.hold = holds.fulfil_or_release(session, ctx, item, patron, principal.label, unit.id, decision.trapped)
    if decision.hold is None:
        decision.hold = holds.fulfil_on_checkout(session, ctx, item.record_id, patron, principal.label, unit.id, item)
    if item.status not in ("available", "on_hold_shelf", "in_transit", "on_loan"):
        move_item(session, item, now, status="available")  # an overridden lost/missing/damaged copy is here
    loan = Loan(item_id=item.id, patron_id=patron.id, unit_id=unit.id, rule_id=decision.rule.id,
                item_type=item.item_type, status="open", checked_out_at=now, checked_out_by=principal.label,
                due_on=decision.due_on, renewals=0, overrides=decision.overrides, owner_unit_id=item.owning_unit_id,
                home_unit_id=patron.unit_id, patron_category=patron.category_code)
    session.add(loan)
    move_item(session, item, now, status="on_loan", current_unit_id=unit.id)
    session.flush()
    holds.retarget(session, ctx, item)
    record_event(session, "loan.checkout", f"item:{item.barcode}", actor=principal.label, now=now,
                 unit_code=unit.code, before=before, after={
                     "status": "on_loan", "loan_id": loan.id, "card": patron.card_number,
                     "due_on": loan.due_on.isoformat(), "rule_id": decision.rule.id, "overrides": decision.overrides,
                     "proxy_card": request.proxy_card,
                     "hold_id": decision.hold.id if decision.hold is not None else None,
                 }, facts=loan_facts(ctx, loan))
    decision.loan = loan
    return decision


# ---- check-in -----------------------------------------------------------------------------


@dataclass
class CheckinOutcome:
    item: Item
    unit: UnitInfo
    move: Move
    loan: Loan | None = None
    fine: Fine | None = None
    found: bool = False


def checkin(session: Session, barcode: str, unit_code: str, principal: Principal, now: datetime) -> CheckinOutcome:
    """The copy is in hand at ``unit_code``: close its loan, then say where it goes (this shelf,
    the hold shelf for a named reader, or a transit to a named unit)."""
    ctx = Context.load(session, now)
    unit = ctx.unit_by_code(unit_code)
    gate.check(session, principal, "loan.checkin", desk=unit.id)
    actor = principal.label
    item = lock_item(session, barcode)
    if item.status == "withdrawn":
        raise Conflict("ITEM_WITHDRAWN", f"copy {barcode} is withdrawn")
    if item.status == "damaged":
        raise Conflict("ITEM_DAMAGED", f"copy {barcode} is marked damaged; mark it available first")
    before = {"status": item.status, "unit": ctx.code(item.current_unit_id)}
    outcome = CheckinOutcome(item, unit, Move("shelve", unit.id))
    loan = _current_loan(session, item)
    if loan is not None:
        was = _close_loan(session, ctx, loan, unit.id, actor)
        if was == "lost":
            fines.waive_lost(session, loan)
        if was == "open":
            rule = ctx.rules_by_id.get(loan.rule_id) if loan.rule_id is not None else None
            outcome.fine = fines.charge_overdue(session, loan, rule, ctx.today, now)
        outcome.loan, outcome.found = loan, was != "open"
        session.flush()
    elif item.status in ("lost", "missing"):
        outcome.found = True
    outcome.move = _route_in_hand(session, ctx, item, unit, actor)
    after: dict[str, Any] = {
        "status": item.status, "unit": ctx.code(item.current_unit_id), "disposition": outcome.move.disposition,
        "destination": ctx.code(outcome.move.destination_id),
        "loan_id": loan.id if loan is not None else None,
        "transit_id": outcome.move.transit.id if outcome.move.transit is not None else None,
        "hold_id": outcome.move.detail.get("hold_id"), "found": outcome.found,
        "fine_fen": outcome.fine.amount_fen if outcome.fine is not None else 0,
    }
    record_event(session, "loan.checkin", f"item:{item.barcode}", actor=actor, now=now, unit_code=unit.code,
                 before=before, after=after, facts=loan_facts(ctx, loan) if loan is not None else NO_FACTS)
    return outcome


def _route_in_hand(session: Session, ctx: Context, item: Item, unit: UnitInfo, actor: str) -> Move:
    if item.status == "in_transit":
        transit = open_transit(session, item.id)
        if transit is not None and (transit.to_unit_id == unit.id or transit.reason == "hold"):
            # At its destination (received, even if early), or a hold's copy passing through.
            return receive(session, item, unit.id, actor, ctx.now, transit)
    elif item.status == "on_hold_shelf":
        hold = repo.trapped_hold(session, item.id)
        if hold is not None and hold.status == "ready":
            if hold.pickup_unit_id == unit.id:
                return Move("hold_shelf", unit.id, detail=holds.hold_detail(session, ctx, hold))
            return holds.send_to_pickup(session, ctx, hold, item, unit.id, actor)  # it strayed: back it goes
    if item.status not in ("on_loan", "in_transit", "on_hold_shelf"):
        move_item(session, item, ctx.now, status="available", current_unit_id=unit.id)  # found, or moved by hand
    return holds.route_copy(session, ctx, item, unit.id, actor)


# ---- renew --------------------------------------------------------------------------------


@dataclass
class RenewRequest:
    barcode: str
    unit: str | None = None  # where it is renewed; the lending unit when not given (OPAC, phone)
    override: Override = NO_OVERRIDE


def earliest_renewal(rule: Rule, loan: Loan) -> date | None:
    """The first day the rule lets the loan be renewed (None: any day)."""
    if rule.renew_days_before_due is None:
        return None
    return loan.due_on - timedelta(days=rule.renew_days_before_due)


def renew_limits(rule: Rule, loan: Loan, today: date) -> list[Block]:
    """What the loan and its rule alone say against renewing it today: its renewals are used up,
    or it is too early. A renewal the day after check-out would spend a renewal and gain a day
    at most (the new due day is never before the old one), so a rule may allow renewals only in
    the last days before the due day."""
    blocks: list[Block] = []
    if loan.renewals >= rule.renewals:
        blocks.append(Block("RENEW_LIMIT_REACHED", f"已续借 {loan.renewals} 次，达到上限 {rule.renewals} 次"))
    earliest = earliest_renewal(rule, loan)
    if earliest is not None and today < earliest:
        blocks.append(Block("RENEW_TOO_EARLY", f"{earliest.isoformat()} 起才能续借（到期前 {rule.renew_days_before_due} "
                                               f"天内可续借）", on=earliest))
    return blocks


def renewal_outlook(session: Session, patron: Patron, loans: Iterable[Loan], now: datetime) -> dict[int, list[Block]]:
    """For each open loan of ``patron``: what stops a renewal today that the loan itself decides
    (``renew_limits``), so a page offers 续借 only where it can work and says why elsewhere.
    The reader's standing and waiting holds are told when a renewal is tried."""
    ctx = Context.load(session, now)
    return {loan.id: renew_limits(ctx.rule(patron.category_code, loan.item_type, ctx.unit(loan.unit_id)), loan,
                                  ctx.today)
            for loan in loans if loan.status == "open"}


def renew(session: Session, request: RenewRequest, principal: Principal,
          now: datetime) -> tuple[Loan, list[dict[str, str]]]:
    ctx = Context.load(session, now)
    item = lock_item(session, request.barcode)
    loan = _current_loan(session, item)
    if loan is None or loan.status != "open":
        raise Conflict("RENEW_BLOCKED", "此册未借出", blocks=[Block("LOAN_NOT_FOUND", "此册未借出").to_dict()])
    patron = repo.lock_patron_by_id(session, loan.patron_id)
    if principal.kind == "patron" and principal.name != patron.card_number:
        raise Conflict("RENEW_BLOCKED", "只能续借本人的借阅",
                       blocks=[Block("RENEW_NOT_OWN_LOAN", "只能续借本人的借阅").to_dict()])
    unit = ctx.unit_by_code(request.unit) if request.unit else ctx.unit(loan.unit_id)
    gate.check(session, principal, "loan.renew", desk=unit.id if request.unit else None, lending=loan.unit_id,
               home=patron.unit_id)
    rule = ctx.rule(patron.category_code, item.item_type, ctx.unit(loan.unit_id))
    blocks = patron_blocks(session, patron, rule, repo.open_loans(session, patron.id), ctx.rules_by_id, ctx.today,
                           skip_loan_id=loan.id)
    blocks += renew_limits(rule, loan, ctx.today)
    if rule.hold_blocks_renewal and holds.is_wanted(session, ctx, item):
        blocks.append(Block("RENEW_HOLD_WAITING", "有其他读者在预约此书"))
    overrides = settle(blocks, request.override, principal, "renew")
    before = {"due_on": loan.due_on.isoformat(), "renewals": loan.renewals}
    loan.due_on = max(loan.due_on, ctx.due_on(ctx.unit(loan.unit_id), rule.loan_days))
    loan.renewals += 1
    loan.overrides = [*loan.overrides, *overrides]
    session.flush()
    record_event(session, "loan.renew", f"item:{item.barcode}", actor=principal.label, now=now, unit_code=unit.code,
                 before=before, after={"due_on": loan.due_on.isoformat(), "renewals": loan.renewals,
                                       "loan_id": loan.id, "card": patron.card_number, "overrides": overrides},
                 facts=loan_facts(ctx, loan))
    return loan, overrides


# ---- lost and claims returned -------------------------------------------------------------


def _mark(session: Session, barcode: str, loan_status: str, item_status: str, kind: str, principal: Principal,
          now: datetime, unit_code: str | None) -> tuple[Loan, Fine | None]:
    ctx = Context.load(session, now)
    desk = ctx.unit_by_code(unit_code).id if unit_code else None
    item = lock_item(session, barcode)
    loan = _current_loan(session, item)
    if loan is None:
        raise Conflict("LOAN_NOT_FOUND", f"copy {barcode} is not on loan")
    home = repo.patron_home_unit(session, loan.patron_id)
    gate.check(session, principal, "loan.lost", desk=desk, lending=loan.unit_id, home=home)
    actor = principal.label
    if loan.status == loan_status:
        return loan, None
    before = {"loan_status": loan.status, "status": item.status}
    LOAN_STATES.move(loan, loan_status)
    move_item(session, item, now, status=item_status)
    fine = None
    if loan_status == "lost":
        rule = ctx.rules_by_id.get(loan.rule_id) if loan.rule_id is not None else None
        fine = fines.charge_lost(session, loan, rule, item.price_fen, now)
    session.flush()
    card = repo.patron_card_map(session, [loan.patron_id])[loan.patron_id][0]
    record_event(session, kind, f"item:{barcode}", actor=actor, now=now,
                 unit_code=unit_code or ctx.code(loan.unit_id), before=before,
                 after={"loan_status": loan.status, "status": item.status, "loan_id": loan.id, "card": card,
                        "fine_fen": fine.amount_fen if fine is not None else 0}, facts=loan_facts(ctx, loan))
    return loan, fine


def mark_lost(session: Session, barcode: str, principal: Principal, now: datetime,
              unit_code: str | None = None) -> tuple[Loan, Fine | None]:
    """The reader reports the copy lost: the loan stays on their record, the copy is charged
    at the rule's share of its price, and the charge is waived if the copy turns up."""
    return _mark(session, barcode, "lost", "lost", "loan.lost", principal, now, unit_code)


def mark_claims_returned(session: Session, barcode: str, principal: Principal, now: datetime,
                         unit_code: str | None = None) -> tuple[Loan, Fine | None]:
    """The reader says they returned it and the library cannot find it: the loan no longer
    counts against them or runs overdue, and the copy is missing until found."""
    return _mark(session, barcode, "claimed_returned", "missing", "loan.claims_returned", principal, now, unit_code)


def receive_copy(session: Session, barcode: str, unit_code: str, principal: Principal,
                 now: datetime) -> CheckinOutcome:
    """Scan in a copy that arrives by transit (the transit must be open)."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "transit.receive", unit=unit.id)
    item = lock_item(session, barcode)
    return CheckinOutcome(item, unit, receive(session, item, unit.id, principal.label, now))


def mark_missing_in_transit(session: Session, barcode: str, principal: Principal, now: datetime) -> Item:
    """A copy long past its promised day is given up for lost on the road: the transit ends,
    the copy is missing until someone scans it, and a hold it was travelling for waits for
    another copy again (logistics tells circulation through ``on_abandoned``). Staff of the
    unit it left or was going to may do this."""
    item = lock_item(session, barcode)
    transit = open_transit(session, item.id)
    if transit is not None:
        gate.check(session, principal, "transit.write", **{"from": transit.from_unit_id, "to": transit.to_unit_id})
    else:
        gate.permit(principal, "transit.write")
    abandon(session, item, "missing", None, principal.label, now)
    return item

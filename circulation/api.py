"""Routes for patrons (readers) and their categories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response

from catalog.public import Item, record_title
from circulation import fines, holds, loans, patrons, rules, views
from circulation import repository as repo
from circulation.blocks import Override
from circulation.holds import HoldRequest, check_own
from circulation.loans import CheckoutRequest, RenewRequest
from circulation.models import Hold
from circulation.patrons import local_date
from circulation.schemas import (
    BarcodeBody,
    BlockCreate,
    BlockOut,
    BlockRead,
    CheckinBody,
    CheckinResult,
    CheckoutBody,
    CheckoutPreview,
    ExpiryResult,
    FineRead,
    FinesRead,
    HoldChangeResult,
    HoldCreate,
    HoldRead,
    HoldUpdate,
    LoanRead,
    LostResult,
    MoveRead,
    OverrideFields,
    PatronCategoryRead,
    PatronCategoryWrite,
    PatronCreate,
    PatronRead,
    PatronUpdate,
    PaymentBody,
    ProxyCreate,
    RenewBody,
    RuleExplanation,
    RuleRead,
    RuleWrite,
)
from circulation.standing import accruing_fen
from ils.auth.principal import Principal
from ils.errors import InvalidInput, NotFound
from ils.http import (
    Authenticated,
    IdempotencyKey,
    Now,
    ReadSession,
    WriteSession,
    once,
    require,
)
from ils.network.service import get_unit
from logistics.public import Move

router = APIRouter(prefix="/api/v1", tags=["patrons"])
PatronReader = Annotated[Principal, Depends(require("patrons:read"))]
PatronWriter = Annotated[Principal, Depends(require("patrons:write"))]
Admin = Annotated[Principal, Depends(require("users:admin"))]
PolicyWriter = Annotated[Principal, Depends(require("policies:write"))]


@router.get("/patron-categories", response_model=list[PatronCategoryRead])
def list_categories(session: ReadSession, _: PatronReader) -> list[PatronCategoryRead]:
    """Patron categories (adult, child, senior …): data the library edits, keys of the loan rules."""
    return [PatronCategoryRead.model_validate(c, from_attributes=True) for c in repo.categories(session)]


@router.put("/patron-categories/{code}", response_model=PatronCategoryRead)
def save_category(code: str, body: PatronCategoryWrite, session: WriteSession, _: Admin) -> PatronCategoryRead:
    """Create or change a category (admins only)."""
    if body.code != code:
        raise InvalidInput("VALIDATION_FAILED", "the code in the path and the body differ")
    return PatronCategoryRead.model_validate(patrons.save_category(session, body), from_attributes=True)


@router.post("/patrons", response_model=PatronRead, status_code=201)
def register(body: PatronCreate, session: WriteSession, now: Now, principal: PatronWriter) -> PatronRead:
    """Issue a card. A unit librarian issues cards for the units they serve; the card then
    works at every unit of the network."""
    principal.require_unit(body.unit)
    patron = patrons.register(session, body, principal.label, now)
    return patrons.read(session, patron, now, full_id_card=True)


@router.get("/patrons/{card}", response_model=PatronRead)
def get_patron(card: str, session: ReadSession, now: Now, principal: PatronReader) -> PatronRead:
    """A patron by card number or by ID card number. The ID card number is masked unless the
    caller may edit patrons."""
    return patrons.read(session, patrons.get_patron(session, card), now,
                        full_id_card="patrons:write" in principal.scopes)


@router.patch("/patrons/{card}", response_model=PatronRead)
def update_patron(card: str, body: PatronUpdate, session: WriteSession, now: Now, _: PatronWriter) -> PatronRead:
    """Change a patron: name, category, status, expiry, deposit, contact. Only the fields sent change."""
    return patrons.read(session, patrons.update(session, card, body, now), now, full_id_card=True)


@router.post("/patrons/{card}/blocks", response_model=BlockRead, status_code=201)
def block(card: str, body: BlockCreate, session: WriteSession, now: Now, principal: PatronWriter) -> BlockRead:
    """Block a patron by hand, with the reason (a lost card, an unsettled claim …)."""
    return BlockRead.model_validate(patrons.block(session, card, body.reason, principal.label, now), from_attributes=True)


@router.delete("/patrons/{card}/blocks/{block_id}", response_model=BlockRead)
def lift_block(card: str, block_id: int, session: WriteSession, now: Now, principal: PatronWriter) -> BlockRead:
    """Lift a block; it stays on record with who lifted it and when."""
    return BlockRead.model_validate(patrons.lift_block(session, card, block_id, principal.label, now),
                                    from_attributes=True)


@router.post("/patrons/{card}/proxies", status_code=204)
def add_proxy(card: str, body: ProxyCreate, session: WriteSession, now: Now, principal: PatronWriter) -> Response:
    """Let another patron borrow and collect holds for this one."""
    patrons.add_proxy(session, card, body.proxy_card_number, principal.label, now)
    return Response(status_code=204)


@router.delete("/patrons/{card}/proxies/{proxy_card}", status_code=204)
def remove_proxy(card: str, proxy_card: str, session: WriteSession, _: PatronWriter) -> Response:
    """Withdraw a proxy's right to act for this patron."""
    patrons.remove_proxy(session, card, proxy_card)
    return Response(status_code=204)


@router.get("/circulation-rules", response_model=list[RuleRead])
def list_rules(session: ReadSession, _: PatronReader) -> list[RuleRead]:
    """Every loan rule of the network."""
    return [RuleRead.model_validate(r, from_attributes=True) for r in rules.all_rules(session)]


@router.put("/circulation-rules", response_model=RuleRead)
def save_rule(body: RuleWrite, session: WriteSession, now: Now, principal: PolicyWriter) -> RuleRead:
    """Create the rule for this key (category × item type × unit level × unit), or change it."""
    return RuleRead.model_validate(rules.save_rule(session, body, principal.label, now), from_attributes=True)


@router.delete("/circulation-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, session: WriteSession, _: PolicyWriter) -> Response:
    """Remove a rule; the next most specific one applies from now on."""
    rules.delete_rule(session, rule_id)
    return Response(status_code=204)


@router.get("/circulation-rules/explain", response_model=RuleExplanation)
def explain_rule(
    session: ReadSession,
    _: PatronReader,
    unit: str,
    patron_category: str | None = None,
    item_type: str | None = None,
    card: str | None = None,
    barcode: str | None = None,
) -> RuleExplanation:
    """Which loan rule applies at a unit to a patron (or category) and an item (or item type),
    and why: the matching rules, most specific first."""
    return rules.explain_for(session, unit=unit, patron_category=patron_category, item_type=item_type,
                             card=card, barcode=barcode)


# ---- circulation: the desk, self-check machines and the OPAC ----------------------------------

desk = APIRouter(prefix="/api/v1", tags=["circulation"])
Lender = Annotated[Principal, Depends(require("circulation:write"))]
Receiver = Annotated[Principal, Depends(require("transits:write"))]


def _override(body: OverrideFields) -> Override:
    return Override(frozenset(body.override), body.override_reason)


def _may_see(principal: Principal, card: str) -> None:
    """Staff who may look patrons up see anyone; a reader sees their own card."""
    if principal.kind == "patron":
        check_own(principal, card)
    else:
        principal.require("patrons:read")


def _may_act(principal: Principal, card: str | None) -> None:
    if principal.kind == "patron":
        check_own(principal, card or "")
    else:
        principal.require("circulation:write")


@desk.post("/circulation/checkout", response_model=LoanRead, status_code=201,
           responses={409: {"description": "CHECKOUT_BLOCKED with every block"},
                      403: {"description": "OVERRIDE_NOT_PERMITTED or UNIT_OUT_OF_SCOPE"}})
def checkout(body: CheckoutBody, session: WriteSession, now: Now, principal: Lender,
             idempotency_key: IdempotencyKey = None) -> Response:
    """Lend a copy. Every block is gathered and returned at once; staff with
    circulation:override may name overridable codes in ``override`` with a reason."""
    principal.require_unit(body.unit)

    def run() -> tuple[int, LoanRead]:
        request = CheckoutRequest(body.card, body.barcode, body.unit, body.proxy_card, _override(body))
        decision = loans.checkout(session, request, principal, now)
        assert decision.loan is not None
        hold_id = decision.hold.id if decision.hold is not None else None
        return 201, views.loan_read(session, decision.loan, local_date(now), hold_id, decision.patron.card_number)

    return once(session, principal, idempotency_key, "/circulation/checkout", body.model_dump(), now, run)


@desk.post("/circulation/checkout/preview", response_model=CheckoutPreview)
def checkout_preview(body: CheckoutBody, session: ReadSession, now: Now, principal: Lender,
                     idempotency_key: IdempotencyKey = None) -> CheckoutPreview:
    """The decision a check-out would get (blocks, due date, rule); nothing is written."""
    principal.require_unit(body.unit)
    decision = loans.preview_checkout(session, CheckoutRequest(body.card, body.barcode, body.unit, body.proxy_card),
                                      now)
    return CheckoutPreview(
        allowed=decision.allowed, blocks=[BlockOut(**b.to_dict()) for b in decision.blocks], due_on=decision.due_on,
        rule_id=decision.rule.id, card=decision.patron.card_number, patron_name=decision.patron.name,
        barcode=decision.item.barcode, title=record_title(session, decision.item.record_id),
    )


def _checkin_result(session: WriteSession, outcome: loans.CheckinOutcome, now: datetime) -> CheckinResult:
    move = views.move_read(session, outcome.item, outcome.move)
    return CheckinResult(
        **move.model_dump(), found=outcome.found,
        loan=views.loan_read(session, outcome.loan, local_date(now)) if outcome.loan is not None else None,
        fine_fen=outcome.fine.amount_fen if outcome.fine is not None else 0,
    )


@desk.post("/circulation/checkin", response_model=CheckinResult)
def checkin(body: CheckinBody, session: WriteSession, now: Now, principal: Lender,
            idempotency_key: IdempotencyKey = None) -> Response:
    """Take a copy back at any unit (通还) and say where it goes: ``shelve`` here, the
    ``hold_shelf`` here for a named reader, or ``transit`` to a named unit."""
    principal.require_unit(body.unit)

    def run() -> tuple[int, CheckinResult]:
        outcome = loans.checkin(session, body.barcode, body.unit, principal.label, now)
        return 200, _checkin_result(session, outcome, now)

    return once(session, principal, idempotency_key, "/circulation/checkin", body.model_dump(), now, run)


@desk.post("/circulation/renew", response_model=LoanRead,
           responses={409: {"description": "RENEW_BLOCKED with every block"}})
def renew(body: RenewBody, session: WriteSession, now: Now, principal: Authenticated,
          idempotency_key: IdempotencyKey = None) -> Response:
    """Renew a loan: staff for anyone, a reader (logged in) their own loans."""
    if principal.kind != "patron":
        principal.require("circulation:write")
        if body.unit:
            principal.require_unit(body.unit)

    def run() -> tuple[int, LoanRead]:
        loan, _ = loans.renew(session, RenewRequest(body.barcode, body.unit, _override(body)), principal, now)
        return 200, views.loan_read(session, loan, local_date(now))

    return once(session, principal, idempotency_key, "/circulation/renew", body.model_dump(), now, run)


@desk.post("/circulation/lost", response_model=LostResult)
def lost(body: BarcodeBody, session: WriteSession, now: Now, principal: Lender,
         idempotency_key: IdempotencyKey = None) -> Response:
    """The reader reports the copy lost (charged at the rule's share of its price)."""

    def run() -> tuple[int, LostResult]:
        loan, fine = loans.mark_lost(session, body.barcode, principal.label, now, body.unit)
        return 200, LostResult(loan=views.loan_read(session, loan, local_date(now)),
                               fine_fen=fine.amount_fen if fine is not None else 0)

    return once(session, principal, idempotency_key, "/circulation/lost", body.model_dump(), now, run)


@desk.post("/circulation/claims-returned", response_model=LostResult)
def claims_returned(body: BarcodeBody, session: WriteSession, now: Now, principal: Lender,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """The reader says it was returned: the loan stops counting and the copy is missing until found."""

    def run() -> tuple[int, LostResult]:
        loan, _ = loans.mark_claims_returned(session, body.barcode, principal.label, now, body.unit)
        return 200, LostResult(loan=views.loan_read(session, loan, local_date(now)), fine_fen=0)

    return once(session, principal, idempotency_key, "/circulation/claims-returned", body.model_dump(), now, run)


@desk.post("/transits/receive", response_model=CheckinResult, tags=["transits"])
def receive_transit(body: CheckinBody, session: WriteSession, now: Now, principal: Receiver,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Scan a copy in from a transit at its destination: a hold it was sent for becomes ready
    (and the reader is notified); at any other unit it is passing through and keeps going."""
    principal.require_unit(body.unit)

    def run() -> tuple[int, CheckinResult]:
        outcome = loans.receive_copy(session, body.barcode, body.unit, principal.label, now)
        return 200, _checkin_result(session, outcome, now)

    return once(session, principal, idempotency_key, "/transits/receive", body.model_dump(), now, run)


@desk.post("/transits/missing", response_model=MoveRead, tags=["transits"])
def transit_missing(body: BarcodeBody, session: WriteSession, now: Now, principal: Receiver,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Give up a copy lost on the road (see the ``lost`` transit list): the transit ends, the copy
    is missing until scanned again, and a hold it travelled for waits for another copy."""

    def run() -> tuple[int, MoveRead]:
        item = loans.mark_missing_in_transit(session, body.barcode, principal.label, now)
        return 200, views.move_read(session, item, Move("shelve", item.current_unit_id, detail={}))

    return once(session, principal, idempotency_key, "/transits/missing", body.model_dump(), now, run)


@desk.post("/holds", response_model=HoldRead, status_code=201,
           responses={409: {"description": "HOLD_BLOCKED with every block"}})
def place_hold(body: HoldCreate, session: WriteSession, now: Now, principal: Authenticated,
               idempotency_key: IdempotencyKey = None) -> Response:
    """Place a hold on a title (record_id, any copy) or one copy (barcode), to collect at
    ``pickup_unit``. Staff for anyone; a reader for themselves."""
    _may_act(principal, body.card)

    def run() -> tuple[int, HoldRead]:
        request = HoldRequest(body.card, body.pickup_unit, body.record_id, body.barcode, body.suspended_until,
                              _override(body))
        return 201, views.hold_read(session, holds.place(session, request, principal, now))

    return once(session, principal, idempotency_key, "/holds", body.model_dump(), now, run)


@desk.get("/holds/{hold_id}", response_model=HoldRead)
def get_hold(hold_id: int, session: ReadSession, principal: Authenticated) -> HoldRead:
    hold = repo.get_hold(session, hold_id)
    if hold is None:
        raise NotFound("HOLD_NOT_FOUND", f"no hold {hold_id}")
    read = views.hold_read(session, hold)
    _may_see(principal, read.card)
    return read


def _change_result(session: WriteSession, hold: Hold, move: Move | None) -> HoldChangeResult:
    copy_move = None
    if move is not None:
        item = session.get(Item, hold.item_id) if hold.item_id else None
        if item is not None:
            copy_move = views.move_read(session, item, move)
    return HoldChangeResult(hold=views.hold_read(session, hold), copy_move=copy_move)


@desk.delete("/holds/{hold_id}", response_model=HoldChangeResult)
def cancel_hold(hold_id: int, session: WriteSession, now: Now, principal: Authenticated,
                reason: str | None = None, idempotency_key: IdempotencyKey = None) -> Response:
    """Cancel a hold (staff, or the reader their own). A copy on the hold shelf goes to the next
    reader or is sent on; ``copy_move`` says which."""
    if principal.kind != "patron":
        principal.require("circulation:write")

    def run() -> tuple[int, HoldChangeResult]:
        hold, move = holds.cancel(session, hold_id, principal, now, reason)
        return 200, _change_result(session, hold, move)

    return once(session, principal, idempotency_key, f"DELETE /holds/{hold_id}", {"reason": reason}, now, run)


@desk.patch("/holds/{hold_id}", response_model=HoldChangeResult)
def change_hold(hold_id: int, body: HoldUpdate, session: WriteSession, now: Now,
                principal: Authenticated) -> HoldChangeResult:
    """Suspend (``suspended_until``: a day) or resume (null) a waiting hold, or change where it
    is collected; a copy already on the hold shelf then travels to the new unit."""
    if principal.kind != "patron":
        principal.require("circulation:write")
    sent = body.model_dump(exclude_unset=True)
    hold, move = holds.change(session, hold_id, principal, now, pickup_unit=sent.get("pickup_unit"),
                              **({"suspended_until": sent["suspended_until"]} if "suspended_until" in sent else {}))
    return _change_result(session, hold, move)


@desk.post("/holds/expire", response_model=ExpiryResult)
def expire_holds(session: WriteSession, now: Now, principal: Lender,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """Expire holds not collected in time (also run daily by `ils holds expire`); each copy goes
    to the next reader or is sent on."""

    def run() -> tuple[int, ExpiryResult]:
        done = holds.expire_shelf(session, now, principal.label)
        moves = [views.move_read(session, session.get(Item, h.item_id), m) for h, m in done]  # type: ignore[arg-type]
        return 200, ExpiryResult(expired=len(done), moves=moves)

    return once(session, principal, idempotency_key, "/holds/expire", {}, now, run)


@desk.get("/holds", response_model=list[HoldRead])
def list_holds(session: ReadSession, _: PatronReader, pickup_unit: str,
               status: Literal["waiting", "in_transit", "ready"] = "ready") -> list[HoldRead]:
    """Holds to collect at a unit: ``ready`` is the hold shelf, ``in_transit`` what is coming."""
    unit = get_unit(session, pickup_unit)
    return [views.hold_read(session, h) for h in repo.holds_at(session, unit.id, status)]


@desk.get("/holds-pull-list", response_model=list[HoldRead])
def pull_list(session: ReadSession, _: PatronReader, unit: str) -> list[HoldRead]:
    """Copies on this unit's shelves that waiting holds point at: pull them and check them in."""
    where = get_unit(session, unit)
    return [views.hold_read(session, h) for h in repo.pull_list(session, where.id)]


@desk.get("/patrons/{card}/loans", response_model=list[LoanRead])
def patron_loans(card: str, session: ReadSession, now: Now, principal: Authenticated,
                 history: bool = False) -> list[LoanRead]:
    """The patron's loans (with history=true, returned ones too, newest first)."""
    _may_see(principal, card)
    patron = patrons.get_patron(session, card)
    today = local_date(now)
    return [views.loan_read(session, loan, today) for loan in repo.patron_loans(session, patron.id, active=not history)]


@desk.get("/patrons/{card}/holds", response_model=list[HoldRead])
def patron_holds(card: str, session: ReadSession, principal: Authenticated, history: bool = False) -> list[HoldRead]:
    """The patron's holds with their place in the queue."""
    _may_see(principal, card)
    patron = patrons.get_patron(session, card)
    return [views.hold_read(session, h) for h in repo.patron_holds(session, patron.id, active=not history)]


@desk.get("/patrons/{card}/fines", response_model=FinesRead)
def patron_fines(card: str, session: ReadSession, now: Now, principal: Authenticated) -> FinesRead:
    _may_see(principal, card)
    patron = patrons.get_patron(session, card)
    rules_by_id = {r.id: r for r in rules.all_rules(session)}
    return FinesRead(
        owed_fen=repo.owed_fen(session, patron.id),
        accruing_fen=accruing_fen(repo.open_loans(session, patron.id), rules_by_id, local_date(now)),
        fines=[FineRead.model_validate(f, from_attributes=True) for f in repo.fines_of(session, patron.id)],
    )


@desk.post("/patrons/{card}/payments", response_model=FinesRead)
def pay(card: str, body: PaymentBody, session: WriteSession, now: Now, principal: Lender,
        idempotency_key: IdempotencyKey = None) -> Response:
    """Take a payment; the oldest fines are settled first."""
    principal.require_unit(body.unit)

    def run() -> tuple[int, FinesRead]:
        patron = patrons.get_patron(session, card, lock=True)
        unit = get_unit(session, body.unit)
        fines.pay(session, patron, body.amount_fen, body.method, unit.id, unit.code, principal.label, now)
        return 200, FinesRead(owed_fen=repo.owed_fen(session, patron.id), accruing_fen=0,
                              fines=[FineRead.model_validate(f, from_attributes=True)
                                     for f in repo.fines_of(session, patron.id)])

    return once(session, principal, idempotency_key, f"/patrons/{card}/payments", body.model_dump(), now, run)


@desk.get("/policies/explain", response_model=RuleExplanation)
def explain_policy(session: ReadSession, _: PatronReader, card: str, barcode: str, unit: str) -> RuleExplanation:
    """Which loan rule applies when this patron borrows this copy at this unit, and why."""
    return rules.explain_for(session, unit=unit, card=card, barcode=barcode)

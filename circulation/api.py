"""Routes for patrons (readers) and their categories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from catalog.public import Item, record_title
from circulation import fines, holds, loans, patrons, rules, views
from circulation import repository as repo
from circulation.blocks import Override
from circulation.holds import HoldRequest
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
    PatronLookup,
    PatronRead,
    PatronSearch,
    PatronSearchResult,
    PatronUpdate,
    PaymentBody,
    ProxyCreate,
    RenewBody,
    RuleExplanation,
    RuleRead,
    RuleWrite,
)
from circulation.standing import accruing_fen
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import InvalidInput, NotFound
from ils.http import (
    IdempotencyKey,
    Now,
    ReadSession,
    WriteSession,
    allows,
    once,
)
from ils.network.service import get_unit
from ils.validation import Id
from logistics.public import Move

router = APIRouter(prefix="/api/v1", tags=["patrons"])
PatronReader = Annotated[Principal, allows("patron.read")]
Registrar = Annotated[Principal, allows("patron.register")]
PatronWriter = Annotated[Principal, allows("patron.write")]
Blocker = Annotated[Principal, allows("patron.block")]
RuleReader = Annotated[Principal, allows("rule.read")]
PolicyWriter = Annotated[Principal, allows("policy.write")]


@router.get("/patron-categories", response_model=list[PatronCategoryRead])
def list_categories(session: ReadSession, _: RuleReader) -> list[PatronCategoryRead]:
    """Patron categories (adult, child, senior …): data the library edits, keys of the loan rules."""
    return [PatronCategoryRead.model_validate(c, from_attributes=True) for c in repo.categories(session)]


@router.put("/patron-categories/{code}", response_model=PatronCategoryRead)
def save_category(code: str, body: PatronCategoryWrite, session: WriteSession,
                  _: PolicyWriter) -> PatronCategoryRead:
    """Create or change a category (those who set the loan rules)."""
    if body.code != code:
        raise InvalidInput("VALIDATION_FAILED", "the code in the path and the body differ")
    return PatronCategoryRead.model_validate(patrons.save_category(session, body), from_attributes=True)


@router.post("/patrons", response_model=PatronRead, status_code=201)
def register(body: PatronCreate, session: WriteSession, now: Now, principal: Registrar) -> PatronRead:
    """Issue a card. A unit librarian issues cards for the units they serve; the card then
    works at every unit of the network."""
    patron = patrons.register(session, body, principal, now)
    return patrons.read(session, patron, now, principal)


@router.get("/patrons/{card}", response_model=PatronRead)
def get_patron(card: str, session: ReadSession, now: Now, principal: PatronReader) -> PatronRead:
    """A patron by card number (an ID card number works too, but keep it out of URLs: use
    ``POST /patrons/lookup``). The ID card number, phone, email and address are masked except
    to staff of the reader's own unit who may change readers."""
    patron = patrons.get_patron(session, card)
    gate.check(session, principal, "patron.read", card=patron.card_number)
    return patrons.read(session, patron, now, principal)


@router.post("/patrons/lookup", response_model=PatronRead)
def lookup_patron(body: PatronLookup, session: ReadSession, now: Now, principal: PatronReader) -> PatronRead:
    """A patron by card number or ID card number sent in the body, so that an ID card number
    never appears in a URL, a proxy's log or the browser's history."""
    patron = patrons.get_patron(session, body.card)
    gate.check(session, principal, "patron.read", card=patron.card_number)
    return patrons.read(session, patron, now, principal)


@router.post("/patrons/search", response_model=PatronSearchResult)
def search_patrons(body: PatronSearch, session: ReadSession, principal: PatronReader) -> PatronSearchResult:
    """Readers by card number, 身份证号, phone or the start of their name, sent in the body (none
    of them belongs in a URL). Several readers may share a name: each match has the masked ID
    card number and phone and the unit that issued the card, to tell them apart. At most 50 are
    listed (`more` says whether others match). Staff only: readers look up their own card."""
    found, more = patrons.find(session, body.q, principal)
    return PatronSearchResult(matches=[patrons.match_read(session, p) for p in found], more=more)


@router.patch("/patrons/{card}", response_model=PatronRead)
def update_patron(card: str, body: PatronUpdate, session: WriteSession, now: Now,
                  principal: PatronWriter) -> PatronRead:
    """Change a patron of a unit one serves: name, category, status, expiry, deposit, contact.
    Only the fields sent change."""
    return patrons.read(session, patrons.update(session, card, body, principal, now), now, principal)


@router.post("/patrons/{card}/blocks", response_model=BlockRead, status_code=201)
def block(card: str, body: BlockCreate, session: WriteSession, now: Now, principal: Blocker) -> BlockRead:
    """Block a patron by hand, with the reason (a lost card, an unsettled claim …)."""
    return BlockRead.model_validate(patrons.block(session, card, body.reason, principal, now), from_attributes=True)


@router.delete("/patrons/{card}/blocks/{block_id}", response_model=BlockRead)
def lift_block(card: str, block_id: Id, session: WriteSession, now: Now, principal: PatronWriter) -> BlockRead:
    """Lift a block; it stays on record with who lifted it and when."""
    return BlockRead.model_validate(patrons.lift_block(session, card, block_id, principal, now),
                                    from_attributes=True)


@router.post("/patrons/{card}/proxies", status_code=204)
def add_proxy(card: str, body: ProxyCreate, session: WriteSession, now: Now, principal: PatronWriter) -> Response:
    """Let another patron borrow and collect holds for this one."""
    patrons.add_proxy(session, card, body.proxy_card_number, principal, now)
    return Response(status_code=204)


@router.delete("/patrons/{card}/proxies/{proxy_card}", status_code=204)
def remove_proxy(card: str, proxy_card: str, session: WriteSession, principal: PatronWriter) -> Response:
    """Withdraw a proxy's right to act for this patron."""
    patrons.remove_proxy(session, card, proxy_card, principal)
    return Response(status_code=204)


@router.get("/circulation-rules", response_model=list[RuleRead])
def list_rules(session: ReadSession, _: RuleReader) -> list[RuleRead]:
    """Every loan rule of the network."""
    return [RuleRead.model_validate(r, from_attributes=True) for r in rules.all_rules(session)]


@router.put("/circulation-rules", response_model=RuleRead)
def save_rule(body: RuleWrite, session: WriteSession, now: Now, principal: PolicyWriter) -> RuleRead:
    """Create the rule for this key (category × item type × unit level × unit), or change it."""
    return RuleRead.model_validate(rules.save_rule(session, body, principal.label, now), from_attributes=True)


@router.delete("/circulation-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: Id, session: WriteSession, _: PolicyWriter) -> Response:
    """Remove a rule; the next most specific one applies from now on."""
    rules.delete_rule(session, rule_id)
    return Response(status_code=204)


@router.get("/circulation-rules/explain", response_model=RuleExplanation)
def explain_rule(
    session: ReadSession,
    _: RuleReader,
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
Lender = Annotated[Principal, allows("loan.checkout")]
Returns = Annotated[Principal, allows("loan.checkin")]
Renewer = Annotated[Principal, allows("loan.renew")]
LossRecorder = Annotated[Principal, allows("loan.lost")]
Cashier = Annotated[Principal, allows("payment.take")]
Receiver = Annotated[Principal, allows("transit.receive")]
TransitWriter = Annotated[Principal, allows("transit.write")]
HoldPlacer = Annotated[Principal, allows("hold.place")]
HoldChanger = Annotated[Principal, allows("hold.change")]
ShelfKeeper = Annotated[Principal, allows("hold.shelf")]
HoldLister = Annotated[Principal, allows("hold.list")]


def _override(body: OverrideFields) -> Override:
    return Override(frozenset(body.override), body.override_reason)


@desk.post("/circulation/checkout", response_model=LoanRead, status_code=201,
           responses={409: {"description": "CHECKOUT_BLOCKED with every block"},
                      403: {"description": "OVERRIDE_NOT_PERMITTED or UNIT_OUT_OF_SCOPE"}})
def checkout(body: CheckoutBody, session: WriteSession, now: Now, principal: Lender,
             idempotency_key: IdempotencyKey = None) -> Response:
    """Lend a copy at a desk one serves, to any reader of the network (通借通还). Every block is
    gathered and returned at once; staff with circulation:override may name overridable codes in
    ``override`` with a reason."""

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
    decision = loans.preview_checkout(session, CheckoutRequest(body.card, body.barcode, body.unit, body.proxy_card),
                                      principal, now)
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
def checkin(body: CheckinBody, session: WriteSession, now: Now, principal: Returns,
            idempotency_key: IdempotencyKey = None) -> Response:
    """Take any copy back at a desk one serves (通还) and say where it goes: ``shelve`` here, the
    ``hold_shelf`` here for a named reader, or ``transit`` to a named unit."""

    def run() -> tuple[int, CheckinResult]:
        outcome = loans.checkin(session, body.barcode, body.unit, principal, now)
        return 200, _checkin_result(session, outcome, now)

    return once(session, principal, idempotency_key, "/circulation/checkin", body.model_dump(), now, run)


@desk.post("/circulation/renew", response_model=LoanRead,
           responses={409: {"description": "RENEW_BLOCKED with every block"}})
def renew(body: RenewBody, session: WriteSession, now: Now, principal: Renewer,
          idempotency_key: IdempotencyKey = None) -> Response:
    """Renew a loan: staff a loan made at their units or of a reader of their units, a reader
    (logged in) their own loans."""

    def run() -> tuple[int, LoanRead]:
        loan, _ = loans.renew(session, RenewRequest(body.barcode, body.unit, _override(body)), principal, now)
        return 200, views.loan_read(session, loan, local_date(now))

    return once(session, principal, idempotency_key, "/circulation/renew", body.model_dump(), now, run)


@desk.post("/circulation/lost", response_model=LostResult)
def lost(body: BarcodeBody, session: WriteSession, now: Now, principal: LossRecorder,
         idempotency_key: IdempotencyKey = None) -> Response:
    """The reader reports the copy lost (charged at the rule's share of its price); staff of the
    unit that lent it or of the reader's unit record it."""

    def run() -> tuple[int, LostResult]:
        loan, fine = loans.mark_lost(session, body.barcode, principal, now, body.unit)
        return 200, LostResult(loan=views.loan_read(session, loan, local_date(now)),
                               fine_fen=fine.amount_fen if fine is not None else 0)

    return once(session, principal, idempotency_key, "/circulation/lost", body.model_dump(), now, run)


@desk.post("/circulation/claims-returned", response_model=LostResult)
def claims_returned(body: BarcodeBody, session: WriteSession, now: Now, principal: LossRecorder,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """The reader says it was returned: the loan stops counting and the copy is missing until found."""

    def run() -> tuple[int, LostResult]:
        loan, _ = loans.mark_claims_returned(session, body.barcode, principal, now, body.unit)
        return 200, LostResult(loan=views.loan_read(session, loan, local_date(now)), fine_fen=0)

    return once(session, principal, idempotency_key, "/circulation/claims-returned", body.model_dump(), now, run)


@desk.post("/transits/receive", response_model=CheckinResult, tags=["transits"])
def receive_transit(body: CheckinBody, session: WriteSession, now: Now, principal: Receiver,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Scan a copy in from a transit at its destination: a hold it was sent for becomes ready
    (and the reader is notified); at any other unit it is passing through and keeps going."""

    def run() -> tuple[int, CheckinResult]:
        outcome = loans.receive_copy(session, body.barcode, body.unit, principal, now)
        return 200, _checkin_result(session, outcome, now)

    return once(session, principal, idempotency_key, "/transits/receive", body.model_dump(), now, run)


@desk.post("/transits/missing", response_model=MoveRead, tags=["transits"])
def transit_missing(body: BarcodeBody, session: WriteSession, now: Now, principal: TransitWriter,
                    idempotency_key: IdempotencyKey = None) -> Response:
    """Give up a copy lost on the road (see the ``lost`` transit list): the transit ends, the copy
    is missing until scanned again, and a hold it travelled for waits for another copy."""

    def run() -> tuple[int, MoveRead]:
        item = loans.mark_missing_in_transit(session, body.barcode, principal, now)
        return 200, views.move_read(session, item, Move("shelve", item.current_unit_id, detail={}))

    return once(session, principal, idempotency_key, "/transits/missing", body.model_dump(), now, run)


@desk.post("/holds", response_model=HoldRead, status_code=201,
           responses={409: {"description": "HOLD_BLOCKED with every block"}})
def place_hold(body: HoldCreate, session: WriteSession, now: Now, principal: HoldPlacer,
               idempotency_key: IdempotencyKey = None) -> Response:
    """Place a hold on a title (record_id, any copy) or one copy (barcode), to collect at
    ``pickup_unit``. Staff for any reader, to collect in their own system; a reader for
    themselves, anywhere."""

    def run() -> tuple[int, HoldRead]:
        request = HoldRequest(body.card, body.pickup_unit, body.record_id, body.barcode, body.suspended_until,
                              _override(body))
        return 201, views.hold_read(session, holds.place(session, request, principal, now))

    return once(session, principal, idempotency_key, "/holds", body.model_dump(), now, run)


@desk.get("/holds/{hold_id}", response_model=HoldRead)
def get_hold(hold_id: Id, session: ReadSession, principal: PatronReader) -> HoldRead:
    """A hold with its place in the queue (a reader: their own)."""
    hold = repo.get_hold(session, hold_id)
    if hold is None:
        raise NotFound("HOLD_NOT_FOUND", f"no hold {hold_id}")
    read = views.hold_read(session, hold)
    gate.check(session, principal, "patron.read", card=read.card)
    return read


def _change_result(session: WriteSession, hold: Hold, move: Move | None) -> HoldChangeResult:
    copy_move = None
    if move is not None:
        item = session.get(Item, hold.item_id) if hold.item_id else None
        if item is not None:
            copy_move = views.move_read(session, item, move)
    return HoldChangeResult(hold=views.hold_read(session, hold), copy_move=copy_move)


@desk.delete("/holds/{hold_id}", response_model=HoldChangeResult)
def cancel_hold(hold_id: Id, session: WriteSession, now: Now, principal: HoldChanger,
                reason: str | None = None, idempotency_key: IdempotencyKey = None) -> Response:
    """Cancel a hold (staff of its pickup unit or of the reader's unit, or the reader their own).
    A copy on the hold shelf goes to the next reader or is sent on; ``copy_move`` says which."""

    def run() -> tuple[int, HoldChangeResult]:
        hold, move = holds.cancel(session, hold_id, principal, now, reason)
        return 200, _change_result(session, hold, move)

    return once(session, principal, idempotency_key, f"DELETE /holds/{hold_id}", {"reason": reason}, now, run)


@desk.patch("/holds/{hold_id}", response_model=HoldChangeResult)
def change_hold(hold_id: Id, body: HoldUpdate, session: WriteSession, now: Now,
                principal: HoldChanger) -> HoldChangeResult:
    """Suspend (``suspended_until``: a day) or resume (null) a waiting hold, or change where it
    is collected; a copy already on the hold shelf then travels to the new unit."""
    sent = body.model_dump(exclude_unset=True)
    hold, move = holds.change(session, hold_id, principal, now, pickup_unit=sent.get("pickup_unit"),
                              **({"suspended_until": sent["suspended_until"]} if "suspended_until" in sent else {}))
    return _change_result(session, hold, move)


@desk.post("/holds/expire", response_model=ExpiryResult)
def expire_holds(session: WriteSession, now: Now, principal: ShelfKeeper,
                 unit: Annotated[list[str] | None, Query(description="Only these units' hold shelves")] = None,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """Expire holds not collected in time on the hold shelves of the units one serves (or of
    ``unit``; ``ils daily`` does every shelf); each copy goes to the next reader or is sent on."""
    unit_ids = [get_unit(session, code).id for code in unit] if unit else None

    def run() -> tuple[int, ExpiryResult]:
        done = holds.expire_shelf(session, now, principal, unit_ids)
        moves = [views.move_read(session, session.get(Item, h.item_id), m) for h, m in done]  # type: ignore[arg-type]
        return 200, ExpiryResult(expired=len(done), moves=moves)

    return once(session, principal, idempotency_key, "/holds/expire", {"unit": unit}, now, run)


@desk.get("/holds", response_model=list[HoldRead])
def list_holds(session: ReadSession, principal: HoldLister, pickup_unit: str,
               status: Literal["waiting", "in_transit", "ready"] = "ready") -> list[HoldRead]:
    """Holds to collect at a unit one serves: ``ready`` is the hold shelf, ``in_transit`` what is coming."""
    unit = get_unit(session, pickup_unit)
    gate.check(session, principal, "hold.list", unit=unit.id)
    return [views.hold_read(session, h) for h in repo.holds_at(session, unit.id, status)]


@desk.get("/holds-pull-list", response_model=list[HoldRead])
def pull_list(session: ReadSession, principal: HoldLister, unit: str) -> list[HoldRead]:
    """Copies on the shelves of a unit one serves that waiting holds point at: pull them and
    check them in."""
    where = get_unit(session, unit)
    gate.check(session, principal, "hold.list", unit=where.id)
    return [views.hold_read(session, h) for h in repo.pull_list(session, where.id)]


@desk.get("/patrons/{card}/loans", response_model=list[LoanRead])
def patron_loans(card: str, session: ReadSession, now: Now, principal: PatronReader,
                 history: bool = False) -> list[LoanRead]:
    """The patron's loans (with history=true, returned ones too, newest first)."""
    patron = patrons.get_patron(session, card)
    gate.check(session, principal, "patron.read", card=patron.card_number)
    today = local_date(now)
    return [views.loan_read(session, loan, today) for loan in repo.patron_loans(session, patron.id, active=not history)]


@desk.get("/patrons/{card}/holds", response_model=list[HoldRead])
def patron_holds(card: str, session: ReadSession, principal: PatronReader, history: bool = False) -> list[HoldRead]:
    """The patron's holds with their place in the queue."""
    patron = patrons.get_patron(session, card)
    gate.check(session, principal, "patron.read", card=patron.card_number)
    return [views.hold_read(session, h) for h in repo.patron_holds(session, patron.id, active=not history)]


@desk.get("/patrons/{card}/fines", response_model=FinesRead)
def patron_fines(card: str, session: ReadSession, now: Now, principal: PatronReader) -> FinesRead:
    """What the patron owes, what is accruing on overdue loans, and each fine."""
    patron = patrons.get_patron(session, card)
    gate.check(session, principal, "patron.read", card=patron.card_number)
    rules_by_id = {r.id: r for r in rules.all_rules(session)}
    return FinesRead(
        owed_fen=repo.owed_fen(session, patron.id),
        accruing_fen=accruing_fen(repo.open_loans(session, patron.id), rules_by_id, local_date(now)),
        fines=[FineRead.model_validate(f, from_attributes=True) for f in repo.fines_of(session, patron.id)],
    )


@desk.post("/patrons/{card}/payments", response_model=FinesRead)
def pay(card: str, body: PaymentBody, session: WriteSession, now: Now, principal: Cashier,
        idempotency_key: IdempotencyKey = None) -> Response:
    """Take a payment at a desk one serves from a reader of one's system; the oldest fines are
    settled first."""

    def run() -> tuple[int, FinesRead]:
        patron = patrons.get_patron(session, card, lock=True)
        unit = get_unit(session, body.unit)
        fines.pay(session, patron, body.amount_fen, body.method, unit.id, unit.code, principal, now)
        return 200, FinesRead(owed_fen=repo.owed_fen(session, patron.id), accruing_fen=0,
                              fines=[FineRead.model_validate(f, from_attributes=True)
                                     for f in repo.fines_of(session, patron.id)])

    return once(session, principal, idempotency_key, f"/patrons/{card}/payments", body.model_dump(), now, run)


@desk.get("/policies/explain", response_model=RuleExplanation)
def explain_policy(session: ReadSession, _: RuleReader, card: str, barcode: str, unit: str) -> RuleExplanation:
    """Which loan rule applies when this patron borrows this copy at this unit, and why."""
    return rules.explain_for(session, unit=unit, card=card, barcode=barcode)

"""Routes for patrons (readers) and their categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from circulation import patrons, rules
from circulation import repository as repo
from circulation.schemas import (
    BlockCreate,
    BlockRead,
    PatronCategoryRead,
    PatronCategoryWrite,
    PatronCreate,
    PatronRead,
    PatronUpdate,
    ProxyCreate,
    RuleExplanation,
    RuleRead,
    RuleWrite,
)
from ils.auth.principal import Principal
from ils.errors import InvalidInput
from ils.http import Now, ReadSession, WriteSession, require

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

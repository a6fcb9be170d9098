"""Use cases for patrons (readers): register, change, block, proxies. They never commit."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circulation import repository as repo
from circulation.idcard import mask, mask_address, mask_email, mask_phone, normalise_id_card
from circulation.models import Patron, PatronBlock, PatronCategory, PatronProxy
from circulation.schemas import (
    BlockRead,
    PatronCategoryWrite,
    PatronCreate,
    PatronMatch,
    PatronRead,
    PatronUpdate,
)
from ils.auth import gate
from ils.auth.principal import Principal
from ils.auth.service import create_patron_account
from ils.config import get_settings
from ils.errors import Conflict, Forbidden, InvalidInput, NotFound
from ils.network import repository as units_repo
from ils.network.service import get_unit


def local_date(now: datetime) -> date:
    """The calendar day in the network's timezone (a card issued at 23:30 UTC is tomorrow in 昆明)."""
    return now.astimezone(get_settings().tz).date()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def save_category(session: Session, data: PatronCategoryWrite) -> PatronCategory:
    """Create a category or change its name, description and validity."""
    category = session.get(PatronCategory, data.code)
    if category is None:
        category = PatronCategory(code=data.code)
        session.add(category)
    category.name, category.description, category.valid_months = data.name, data.description, data.valid_months
    session.flush()
    return category


def _category(session: Session, code: str) -> PatronCategory:
    category = session.get(PatronCategory, code)
    if category is None:
        known = ", ".join(c.code for c in repo.categories(session)) or "none yet"
        raise InvalidInput("PATRON_CATEGORY_UNKNOWN", f"no patron category {code!r} (known: {known})")
    return category


def _id_card(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    normal = normalise_id_card(value)
    if normal is None:
        raise InvalidInput("PATRON_ID_CARD_INVALID", "the ID card number is not 18 characters with a valid check")
    return normal


def get_patron(session: Session, card_or_id_card: str, *, lock: bool = False) -> Patron:
    """By card number, or by ID card number (readers often bring that instead); ``lock`` holds
    the row until the transaction ends (loan limits are checked under it)."""
    patron = repo.patron_by_card(session, card_or_id_card, lock=lock)
    if patron is None and len(card_or_id_card) == 18:
        normal = normalise_id_card(card_or_id_card)
        patron = repo.patron_by_id_card(session, normal, lock=lock) if normal else None
    if patron is None:
        raise NotFound("PATRON_NOT_FOUND", f"no patron with card or ID card {card_or_id_card!r}")
    return patron


SEARCH_LIMIT = 50


def find(session: Session, text: str, principal: Principal, limit: int = SEARCH_LIMIT) -> tuple[list[Patron], bool]:
    """The readers a librarian means by ``text``: the one with that card number or 身份证号;
    otherwise those whose name starts with it or whose phone it is, at most ``limit`` (and
    whether more match). Readers may not search: they are only ever shown their own card."""
    gate.permit(principal, "patron.read")
    if principal.kind == "patron":
        raise Forbidden("PERMISSION_DENIED", "readers may not search for readers", extra={"operation": "patron.read"})
    text = text.strip()
    if not text:
        raise InvalidInput("VALIDATION_FAILED", "say whom to look for")
    exact = repo.patron_by_card(session, text)
    normal = normalise_id_card(text) if exact is None else None
    if normal is not None:
        exact = repo.patron_by_id_card(session, normal)
    if exact is not None:
        return [exact], False
    digits = "".join(c for c in text if c not in " -")
    phone = digits if digits.isdigit() else None
    found = list(repo.find_patrons(session, text, phone, limit + 1))
    return found[:limit], len(found) > limit


def match_read(session: Session, patron: Patron) -> PatronMatch:
    """A reader in a list of matches: masked for everyone, as the list is only for choosing."""
    return PatronMatch(
        card_number=patron.card_number, name=patron.name, id_card_number=mask(patron.id_card_number),
        phone=mask_phone(patron.phone), unit=units_repo.code_map(session)[patron.unit_id],
        category=patron.category_code, status=patron.status,  # type: ignore[arg-type]
        expires_on=patron.expires_on,
    )


def register(session: Session, data: PatronCreate, principal: Principal, now: datetime) -> Patron:
    """Issue a card at ``data.unit`` (a unit the principal serves); the card then works at every
    unit of the network."""
    unit = get_unit(session, data.unit)
    gate.check(session, principal, "patron.register", home=unit.id)
    actor = principal.label
    category = _category(session, data.category)
    id_card = _id_card(data.id_card_number)
    if repo.patron_by_card(session, data.card_number):
        raise Conflict("PATRON_CARD_TAKEN", f"card {data.card_number} is already issued")
    if id_card and repo.patron_by_id_card(session, id_card):
        raise Conflict("PATRON_ID_CARD_TAKEN", "a patron with this ID card number already exists")
    patron = Patron(
        card_number=data.card_number, id_card_number=id_card, name=data.name, category_code=category.code,
        unit_id=unit.id, status="active",
        expires_on=data.expires_on or add_months(local_date(now), category.valid_months),
        deposit_fen=data.deposit_fen, credit_exempt=data.credit_exempt, phone=data.phone, email=data.email,
        address=data.address, version=1, created_at=now, created_by=actor, updated_at=now,
    )
    session.add(patron)
    try:
        session.flush()
    except IntegrityError as exc:  # the same card or ID card registered at another desk just now
        raise Conflict("PATRON_CARD_TAKEN", "the card or ID card number was registered meanwhile") from exc
    if data.password:
        create_patron_account(session, data.card_number, data.name, data.password, now, unit.code)
    return patron


def _own(session: Session, principal: Principal, card: str, *, lock: bool = False,
         operation: str = "patron.write") -> Patron:
    """The reader, if the principal may change them (a reader of a unit they serve)."""
    patron = get_patron(session, card, lock=lock)
    gate.check(session, principal, operation, home=patron.unit_id)
    return patron


def update(session: Session, card: str, data: PatronUpdate, principal: Principal, now: datetime) -> Patron:
    patron = _own(session, principal, card, lock=True)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        patron.category_code = _category(session, changes.pop("category")).code
    if "id_card_number" in changes:
        id_card = _id_card(changes.pop("id_card_number"))
        other = repo.patron_by_id_card(session, id_card) if id_card else None
        if other is not None and other.id != patron.id:
            raise Conflict("PATRON_ID_CARD_TAKEN", "another patron has this ID card number")
        patron.id_card_number = id_card
    for field, value in changes.items():
        if value is None and field in ("name", "status", "expires_on", "deposit_fen", "credit_exempt"):
            raise InvalidInput("VALIDATION_FAILED", f"{field} cannot be emptied")
        setattr(patron, field, value)
    patron.version += 1
    patron.updated_at = now
    session.flush()
    return patron


def block(session: Session, card: str, reason: str, principal: Principal, now: datetime) -> PatronBlock:
    patron = _own(session, principal, card, operation="patron.block")
    entry = PatronBlock(patron_id=patron.id, reason=reason, created_at=now, created_by=principal.label)
    session.add(entry)
    session.flush()
    return entry


def lift_block(session: Session, card: str, block_id: int, principal: Principal, now: datetime) -> PatronBlock:
    patron = _own(session, principal, card)
    entry = session.get(PatronBlock, block_id)
    if entry is None or entry.patron_id != patron.id:
        raise NotFound("PATRON_BLOCK_NOT_FOUND", f"patron {card} has no block {block_id}")
    if entry.lifted_at is None:
        entry.lifted_at, entry.lifted_by = now, principal.label
    return entry


def add_proxy(session: Session, card: str, proxy_card: str, principal: Principal, now: datetime) -> None:
    """Let ``proxy_card`` (a reader of anywhere) borrow and collect for ``card`` (one's own reader)."""
    patron, proxy = _own(session, principal, card), get_patron(session, proxy_card)
    actor = principal.label
    if patron.id == proxy.id:
        raise InvalidInput("PATRON_PROXY_SELF", "a patron cannot be their own proxy")
    if repo.proxy_link(session, patron.id, proxy.id) is None:
        session.add(PatronProxy(patron_id=patron.id, proxy_id=proxy.id, created_at=now, created_by=actor))
        session.flush()


def remove_proxy(session: Session, card: str, proxy_card: str, principal: Principal) -> None:
    patron, proxy = _own(session, principal, card), get_patron(session, proxy_card)
    link = repo.proxy_link(session, patron.id, proxy.id)
    if link is None:
        raise NotFound("PATRON_PROXY_NOT_FOUND", f"{proxy_card} is not a proxy of {card}")
    session.delete(link)


def read(session: Session, patron: Patron, now: datetime, principal: Principal) -> PatronRead:
    """A reader as ``principal`` may see them: the ID card number, phone, email and address in
    full only to staff who register and change the readers of the reader's own unit; masked to
    everyone else (a desk lending to a visitor from another branch, the reader's own OPAC page)."""
    full = gate.sees_in_full(session, principal, patron.unit_id)
    return PatronRead(
        card_number=patron.card_number,
        id_card_number=patron.id_card_number if full else mask(patron.id_card_number),
        name=patron.name, category=patron.category_code,
        unit=units_repo.code_map(session)[patron.unit_id], status=patron.status,  # type: ignore[arg-type]
        expires_on=patron.expires_on, expired=patron.expires_on < local_date(now),
        deposit_fen=patron.deposit_fen, credit_exempt=patron.credit_exempt,
        phone=patron.phone if full else mask_phone(patron.phone),
        email=patron.email if full else mask_email(patron.email),
        address=patron.address if full else mask_address(patron.address),
        blocks=[BlockRead.model_validate(b, from_attributes=True) for b in repo.active_blocks(session, patron.id)],
        proxies=repo.proxies_of(session, patron.id), proxy_for=repo.proxy_for(session, patron.id),
        version=patron.version,
    )

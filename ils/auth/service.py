"""Account use cases: log in, resolve credentials, create users and API keys. Never commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ils.auth import security
from ils.auth.models import ApiKey, PatronAccount, StaffUser, StaffUserUnit
from ils.auth.principal import ROLE_SCOPES, ROLES, SCOPES, Principal
from ils.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from ils.network import repository as units_repo
from ils.network.service import get_unit


def _user_units(session: Session, user_id: int) -> list[str]:
    rows = session.execute(
        select(StaffUserUnit.unit_id).where(StaffUserUnit.user_id == user_id)
    ).scalars().all()
    codes = units_repo.code_map(session)
    return sorted(codes[r] for r in rows if r in codes)


def assigned_units(session: Session, user_id: int) -> list[str]:
    """The units a staff account was given (not the units below them)."""
    return _user_units(session, user_id)


def staff_principal(session: Session, user: StaffUser) -> Principal:
    unit_codes: frozenset[str] | None = None
    assigned = session.execute(select(StaffUserUnit.unit_id).where(StaffUserUnit.user_id == user.id)).scalars().all()
    if user.role != "admin" and (assigned or user.role == "librarian"):
        # An account tied to units serves them and everything below them (a 分馆's librarian
        # also looks after its village points; one of the 总馆 serves its whole system).
        # Cataloguers and managers may be tied to units too (a city with several systems);
        # admins never are.
        codes = units_repo.code_map(session)
        scope: set[str] = set()
        for uid in assigned:
            scope |= {codes[u] for u in units_repo.descendants(session, uid)}
        unit_codes = frozenset(scope)
    return Principal("staff", user.id, user.username, user.role, ROLE_SCOPES[user.role], unit_codes)


def login_staff(session: Session, username: str, password: str) -> StaffUser:
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    ok = security.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        raise Unauthenticated("AUTH_INVALID", "wrong username or password")
    return user


def login_patron(session: Session, card_number: str, password: str) -> PatronAccount:
    account = session.scalars(
        select(PatronAccount).where(PatronAccount.card_number == card_number)
    ).one_or_none()
    ok = security.verify_password(account.password_hash if account else None, password)
    if not ok or account is None or not account.active:
        raise Unauthenticated("AUTH_INVALID", "wrong card number or password")
    return account


def principal_from_claims(session: Session, claims: dict) -> Principal:
    kind, subject = claims.get("kind"), str(claims.get("sub", ""))
    if kind == "staff":
        user = session.scalars(select(StaffUser).where(StaffUser.username == subject)).one_or_none()
        if user is None or not user.active:
            raise Unauthenticated("AUTH_INVALID", "the account no longer exists or is disabled")
        return staff_principal(session, user)
    if kind == "patron":
        account = session.scalars(
            select(PatronAccount).where(PatronAccount.card_number == subject)
        ).one_or_none()
        if account is None or not account.active:
            raise Unauthenticated("AUTH_INVALID", "the card no longer exists or is disabled")
        return Principal("patron", account.id, account.card_number, None, frozenset(), frozenset())
    raise Unauthenticated("AUTH_INVALID", "unknown token kind")


# Who a token or key names, remembered for a few seconds: every request needs it, and reading
# the account, its units and the unit tree was a fifth of a check-out's queries. A revoked key
# is forgotten at once in this process and within PRINCIPAL_SECONDS in the others.
PRINCIPAL_SECONDS = 30.0
_principals: dict[tuple[str, ...], tuple[float, Principal]] = {}


def cached_principal(key: tuple[str, ...], load: Callable[[], Principal]) -> Principal:
    hit = _principals.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    principal = load()
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[key] = (now + PRINCIPAL_SECONDS, principal)
    return principal


def forget_principals() -> None:
    _principals.clear()


def principal_from_api_key(session: Session, key: str) -> Principal:
    parts = security.split_api_key(key)
    if parts is None:
        raise Unauthenticated("AUTH_INVALID", "malformed API key")
    prefix, secret = parts
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if row is None or row.revoked_at is not None or not security.api_secret_matches(secret, row.secret_hash):
        raise Unauthenticated("AUTH_INVALID", "unknown or revoked API key")
    units = frozenset(row.unit_codes) if row.unit_codes else None
    return Principal("api_key", row.id, row.name, None, frozenset(row.scopes), units)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    now: datetime,
    *,
    unit_codes: Sequence[str] = (),
    display_name: str | None = None,
) -> StaffUser:
    if role not in ROLES:
        raise InvalidInput("ROLE_INVALID", f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise InvalidInput("PASSWORD_TOO_SHORT", "a password needs at least 8 characters")
    if role == "librarian" and not unit_codes:
        raise InvalidInput("UNIT_REQUIRED", "a librarian serves at least one unit (--unit CODE)")
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none():
        raise Conflict("USERNAME_TAKEN", f"username {username!r} is taken")
    units = [get_unit(session, code) for code in unit_codes]
    user = StaffUser(
        username=username, display_name=display_name, password_hash=security.hash_password(password),
        role=role, active=True, created_at=now,
    )
    session.add(user)
    session.flush()
    session.add_all(StaffUserUnit(user_id=user.id, unit_id=u.id) for u in units)
    session.flush()
    return user


def list_users(session: Session) -> list[tuple[StaffUser, list[str]]]:
    users = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return [(u, _user_units(session, u.id)) for u in users]


def create_patron_account(
    session: Session, card_number: str, name: str, password: str, now: datetime, unit_code: str | None = None
) -> PatronAccount:
    if session.scalars(select(PatronAccount).where(PatronAccount.card_number == card_number)).one_or_none():
        raise Conflict("CARD_NUMBER_TAKEN", f"card {card_number!r} is taken")
    unit = get_unit(session, unit_code) if unit_code else None
    account = PatronAccount(
        card_number=card_number, name=name, password_hash=security.hash_password(password),
        unit_id=unit.id if unit else None, active=True, created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def create_api_key(
    session: Session, name: str, scopes: Sequence[str], now: datetime, *,
    created_by: int | None = None, unit_codes: Sequence[str] = (),
) -> tuple[ApiKey, str]:
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise InvalidInput("SCOPE_INVALID", f"unknown or no scopes: {sorted(unknown)}; known: {sorted(SCOPES)}")
    for code in unit_codes:
        get_unit(session, code)
    full, prefix, secret_hash = security.new_api_key()
    row = ApiKey(
        name=name, prefix=prefix, secret_hash=secret_hash, scopes=sorted(set(scopes)),
        unit_codes=list(unit_codes), created_by=created_by, created_at=now,
    )
    session.add(row)
    session.flush()
    return row, full


def revoke_api_key(session: Session, key_id: int, now: datetime) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("API_KEY_NOT_FOUND", f"no API key {key_id}")
    row.revoked_at = row.revoked_at or now
    forget_principals()
    return row

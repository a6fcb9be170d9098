"""Account use cases: log in, resolve credentials, sessions and passwords, create users and API
keys. Never commit."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ils.auth import limits, security
from ils.auth import repository as repo
from ils.auth.models import ApiKey, AuthSession, PatronAccount, StaffUser, StaffUserUnit
from ils.auth.principal import ROLE_SCOPES, ROLES, SCOPES, Principal
from ils.config import get_settings
from ils.db import Database
from ils.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
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


def login_staff(session: Session, username: str, password: str, *, address: str | None = None) -> StaffUser:
    """The account, if the password is right; under the limits of ``ils.auth.limits`` for the
    username and the client's ``address``. ``session`` must not hold SQLite's write lock
    unless a refusal is answered from it without rolling it back (see ``limits._write``)."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()

    def verify() -> bool:
        right = security.verify_password(user.password_hash if user else None, password)
        return right and user is not None and user.active

    if not limits.check_password(session, limits.account_key("staff", username), limits.address_source(address),
                                 verify):
        raise Unauthenticated("AUTH_INVALID", "wrong username or password")
    assert user is not None
    return user


def login_patron(session: Session, card_number: str, password: str, *, address: str | None = None,
                 machine: str | None = None) -> PatronAccount:
    """The reader's account, if the password is right; counted against the card and the client's
    ``address``, or the self-check ``machine`` (its SIP2 login) that sent the password."""
    account = session.scalars(
        select(PatronAccount).where(PatronAccount.card_number == card_number)
    ).one_or_none()

    def verify() -> bool:
        right = security.verify_password(account.password_hash if account else None, password)
        return right and account is not None and account.active

    source = limits.machine_source(machine) if machine else limits.address_source(address)
    if not limits.check_password(session, limits.account_key("card", card_number), source, verify):
        raise Unauthenticated("AUTH_INVALID", "wrong card number or password")
    assert account is not None
    return account


# ---- sessions -----------------------------------------------------------------------------------

def start_session(session: Session, kind: str, subject: str, account_id: int, now: datetime, *,
                  address: str | None = None) -> tuple[str, datetime]:
    """A login: a session row and the signed token that names it, with its expiry."""
    settings = get_settings()
    expires = now + timedelta(minutes=settings.token_minutes)
    row = AuthSession(id=secrets.token_urlsafe(24), kind=kind, account_id=account_id, created_at=now,
                      expires_at=expires, address=address[:64] if address else None)
    repo.add_session(session, row)
    token = security.issue_token(settings.resolved_secret_key(), subject=subject, kind=kind, now=now,
                                 minutes=settings.token_minutes, sid=row.id)
    return token, expires


def end_session(session: Session, claims: dict, now: datetime) -> None:
    """Logout: the token's session ends; the token is refused from now on, at once in this
    process and within SESSION_SECONDS in the others."""
    session_id = claims.get("sid")
    if isinstance(session_id, str):
        repo.revoke_session(session, session_id, now)
        _closed(session_id)


def end_account_sessions(session: Session, kind: str, account_id: int, now: datetime) -> int:
    """Every session of one account ends (a new password); how many were open."""
    ended = repo.revoke_account_sessions(session, kind, account_id, now)
    for session_id in ended:
        _closed(session_id)
    return len(ended)


def forget_old_logins(session: Session, now: datetime) -> tuple[int, int]:
    """Housekeeping (``ils daily``): sessions whose token expired a day ago (a token without its
    session is refused all the same), and wrong-password counts whose window and lock are over."""
    return repo.purge_sessions(session, now - timedelta(days=1)), limits.purge(session, now)


# ---- passwords ----------------------------------------------------------------------------------

MIN_PASSWORD = 8


def verify_own_password(session: Session, principal: Principal, password: str, *, address: str | None = None) -> None:
    """The logged-in account's current password, checked like a login (and counted like one: a
    stolen session must not become a way to guess the password)."""
    try:
        if principal.kind == "staff":
            login_staff(session, principal.name, password, address=address)
        elif principal.kind == "patron":
            login_patron(session, principal.name, password, address=address)
        else:
            raise Forbidden("PERMISSION_DENIED", "only staff and readers log in with a password")
    except Unauthenticated:
        raise Forbidden("PASSWORD_WRONG", "the current password is wrong") from None


def set_own_password(session: Session, principal: Principal, current: str, new: str, now: datetime) -> int:
    """A new password for the logged-in account; every session of it ends, this one too. The
    current password must have been checked (``verify_own_password``). How many sessions ended."""
    if new == current:
        raise InvalidInput("PASSWORD_UNCHANGED", "the new password is the same as the current one")
    model = StaffUser if principal.kind == "staff" else PatronAccount
    account = session.get(model, principal.id)
    if account is None:
        raise Unauthenticated("AUTH_INVALID", "the account no longer exists")
    return _set_password(session, account, principal.kind, new, now)


def reset_staff_password(session: Session, username: str, new: str, now: datetime) -> int:
    """An administrator's reset (``ils user set-password``): the new password, every session of
    the account ended and its lock lifted. How many sessions ended."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"no staff account {username!r}")
    ended = _set_password(session, user, "staff", new, now)
    limits.unlock(session, [limits.account_key("staff", username)])
    return ended


def _set_password(session: Session, account: StaffUser | PatronAccount, kind: str, new: str, now: datetime) -> int:
    if len(new) < MIN_PASSWORD:
        raise InvalidInput("PASSWORD_TOO_SHORT", f"a password needs at least {MIN_PASSWORD} characters")
    account.password_hash = security.hash_password(new)
    session.flush()
    return end_account_sessions(session, kind, account.id, now)


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
# Whether a token's session is still open, remembered for less: one primary-key read per token
# every SESSION_SECONDS, and a logout in another process is seen within that. A session ended
# in this process is known at once (and for good).
SESSION_SECONDS = 5.0
_sessions: dict[str, tuple[float, repo.SessionState | None]] = {}


def token_principal(database: Database, claims: dict) -> Principal:
    """Who a verified token names, if its session is still open."""
    session_id, kind, subject = claims.get("sid"), str(claims.get("kind")), str(claims.get("sub", ""))
    if not isinstance(session_id, str) or not session_id:
        raise Unauthenticated("AUTH_INVALID", "the token names no session; log in again")
    hit = _sessions.get(session_id)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        state = hit[1]
    else:
        with database.session(write=False) as session:
            state = repo.session_state(session, session_id)
        if len(_sessions) > 50_000:
            _sessions.clear()
        _sessions[session_id] = (now + SESSION_SECONDS, state)
    if state is None or not state.open or state.kind != kind:
        raise Unauthenticated("AUTH_INVALID", "the session has ended (logged out, or the password changed); "
                                              "log in again")

    def load() -> Principal:
        with database.session(write=False) as session:
            return principal_from_claims(session, claims)

    principal = cached_principal((database.url, kind, subject), load)
    if principal.id != state.account_id:  # the session belongs to another account of that name
        raise Unauthenticated("AUTH_INVALID", "the session is not this account's; log in again")
    return principal


def _closed(session_id: str) -> None:
    _sessions[session_id] = (math.inf, None)


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
    _sessions.clear()


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

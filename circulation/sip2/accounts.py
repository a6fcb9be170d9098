"""SIP2 accounts: create, list, change, remove, and log a machine in. They never commit.

A machine logs in with its CN/CO and from then on acts as ``Principal("sip2", …)`` named after
its login, at its one unit, with the scopes of a self-check machine: lend and return
(circulation:write) and look readers up (patrons:read), never override a block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circulation.sip2.models import ENCODINGS, Sip2Account
from circulation.sip2.schemas import LOGIN_PATTERN, Sip2AccountCreate, Sip2AccountRead, Sip2AccountUpdate
from ils.auth import limits
from ils.auth.principal import Principal
from ils.auth.security import hash_password, verify_password
from ils.errors import Conflict, InvalidInput, NotFound
from ils.network import repository as units_repo
from ils.network.service import get_unit

MACHINE_SCOPES = frozenset({"circulation:write", "patrons:read"})
# Printable ASCII: the login message is read before the machine's encoding is known, so a
# password outside ASCII could decode differently from how it was typed at the machine.
_PASSWORD = re.compile(r"[\x20-\x7e]{8,64}")


@dataclass(frozen=True)
class Machine:
    """What a connection knows of the account it logged in with."""

    account_id: int
    login: str
    unit_code: str
    unit_name: str
    encoding: str
    error_detection: bool
    institution_id: str
    location: str | None

    @property
    def principal(self) -> Principal:
        return Principal("sip2", self.account_id, self.login, None, MACHINE_SCOPES, frozenset({self.unit_code}))


def _check_password(password: str) -> None:
    if not _PASSWORD.fullmatch(password) or "|" in password:
        raise InvalidInput("SIP2_PASSWORD_INVALID", "8-64 printable ASCII characters, no |")


def _check_encoding(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise InvalidInput("SIP2_ENCODING_INVALID", f"encoding must be one of {', '.join(ENCODINGS)}")


def _check_labels(institution_id: str | None, location: str | None) -> None:
    if institution_id is not None and (len(institution_id) > 64 or "|" in institution_id):
        raise InvalidInput("VALIDATION_FAILED", "institution_id: at most 64 characters, no |")
    if location is not None and len(location) > 100:
        raise InvalidInput("VALIDATION_FAILED", "location: at most 100 characters")


def _by_login(session: Session, login: str) -> Sip2Account | None:
    return session.scalars(select(Sip2Account).where(Sip2Account.login == login)).one_or_none()


def get_account(session: Session, login: str) -> Sip2Account:
    account = _by_login(session, login)
    if account is None:
        raise NotFound("SIP2_ACCOUNT_NOT_FOUND", f"no SIP2 account {login!r}")
    return account


def create_account(session: Session, data: Sip2AccountCreate, actor: str, now: datetime) -> Sip2Account:
    if not re.fullmatch(LOGIN_PATTERN, data.login):
        raise InvalidInput("SIP2_LOGIN_INVALID", "2-64 letters, digits or . _ - @")
    _check_password(data.password)
    _check_encoding(data.encoding)
    _check_labels(data.institution_id, data.location)
    unit = get_unit(session, data.unit)
    if _by_login(session, data.login) is not None:
        raise Conflict("SIP2_LOGIN_TAKEN", f"SIP2 login {data.login!r} is taken")
    account = Sip2Account(
        login=data.login, password_hash=hash_password(data.password), unit_id=unit.id, encoding=data.encoding,
        error_detection=data.error_detection, active=True, institution_id=data.institution_id,
        location=data.location, created_at=now, created_by=actor, updated_at=now,
    )
    session.add(account)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same login created elsewhere a moment ago
        raise Conflict("SIP2_LOGIN_TAKEN", f"SIP2 login {data.login!r} is taken") from exc
    return account


def list_accounts(session: Session) -> Sequence[Sip2Account]:
    return session.scalars(select(Sip2Account).order_by(Sip2Account.login)).all()


def update_account(session: Session, login: str, data: Sip2AccountUpdate, now: datetime) -> Sip2Account:
    account = get_account(session, login)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("password") is not None:
        _check_password(changes["password"])
        account.password_hash = hash_password(changes.pop("password"))
    if changes.get("unit") is not None:
        account.unit_id = get_unit(session, changes.pop("unit")).id
    if changes.get("encoding") is not None:
        _check_encoding(changes["encoding"])
    for name in ("encoding", "error_detection", "active"):
        if changes.get(name) is not None:
            setattr(account, name, changes[name])
    _check_labels(changes.get("institution_id"), changes.get("location"))
    for name in ("institution_id", "location"):  # these two may be emptied
        if name in changes:
            setattr(account, name, changes[name] or None)
    account.updated_at = now
    session.flush()
    return account


def remove_account(session: Session, login: str) -> None:
    """Delete the account; a machine still connected with it is refused from its next message on."""
    session.delete(get_account(session, login))
    session.flush()


def read(session: Session, account: Sip2Account) -> Sip2AccountRead:
    code = units_repo.code_map(session)[account.unit_id]
    return Sip2AccountRead(
        login=account.login, unit=code, encoding=account.encoding,  # type: ignore[arg-type]
        error_detection=account.error_detection, active=account.active,
        institution_id=account.institution_id or code, location=account.location, created_at=account.created_at,
        created_by=account.created_by, updated_at=account.updated_at,
    )


def machine(session: Session, account: Sip2Account) -> Machine:
    unit = units_repo.get_by_id(session, account.unit_id)
    assert unit is not None  # a foreign key
    return Machine(account.id, account.login, unit.code, unit.name, account.encoding, account.error_detection,
                   account.institution_id or unit.code, account.location)


def authenticate(session: Session, login: str, password: str, *, address: str | None = None) -> Machine | None:
    """The machine behind a login message, or None if the login, password or account is not good.
    Under the login limits of every other login (``ils.auth.limits``), for the login and the
    connection's ``address``: a refusal for a lock or a busy server raises ``Throttled``."""
    account = _by_login(session, login)

    def verify() -> bool:
        right = verify_password(account.password_hash if account is not None else None, password)
        return right and account is not None and account.active

    if not limits.check_password(session, limits.account_key("sip2", login), limits.address_source(address), verify):
        return None
    assert account is not None
    return machine(session, account)


def still_active(session: Session, account_id: int) -> Machine | None:
    """The account as it is now (unit, encoding … may have changed), or None if it was disabled
    or removed since the machine logged in."""
    account = session.get(Sip2Account, account_id)
    if account is None or not account.active:
        return None
    return machine(session, account)

"""Routes for logging in, the caller's identity, staff accounts and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from ils.auth import service
from ils.auth.models import ApiKey
from ils.auth.principal import Principal
from ils.auth.schemas import (
    ApiKeyCreate,
    ApiKeyRead,
    PasswordChange,
    PasswordChanged,
    PrincipalRead,
    TokenRead,
    TokenRequest,
    UserCreate,
    UserRead,
)
from ils.errors import InvalidInput
from ils.http import BearerClaims, ClientAddress, Now, ReadSession, Self, WriteSession, allows
from ils.validation import Id

router = APIRouter(prefix="/api/v1", tags=["auth"])
Admin = Annotated[Principal, allows("user.admin")]
Login = Annotated[None, allows("auth.login")]


# The password is checked on a read session and the login written on a write session that has
# not begun yet: a wrong password is counted in a transaction of its own, which must not wait on
# (or be rolled back with) the request's.
@router.post("/auth/token", response_model=TokenRead, responses={
    429: {"description": "AUTH_LOCKED or AUTH_RATE_LIMITED, with Retry-After"},
    503: {"description": "AUTH_BUSY, with Retry-After"},
})
def login(body: TokenRequest, session: ReadSession, write: WriteSession, now: Now, address: ClientAddress,
          _: Login) -> TokenRead:
    """Exchange a staff username (or a reader card number) and password for a bearer token.
    Wrong passwords are limited per account and per client address (429 with Retry-After)."""
    if bool(body.username) == bool(body.card_number):
        raise InvalidInput("VALIDATION_FAILED", "send either username or card_number")
    if body.username:
        user = service.login_staff(session, body.username, body.password, address=address)
        principal = service.staff_principal(session, user)
        subject, kind, account_id = user.username, "staff", user.id
    else:
        account = service.login_patron(session, body.card_number or "", body.password, address=address)
        subject, kind, principal, account_id = account.card_number, "patron", None, account.id
    token, expires = service.start_session(write, kind, subject, account_id, now, address=address)
    return TokenRead(
        access_token=token,
        expires_at=expires,
        kind=kind,  # type: ignore[arg-type]
        role=principal.role if principal else None,
        units=sorted(principal.unit_codes) if principal and principal.unit_codes is not None else None,
    )


@router.post("/auth/logout", status_code=204)
def logout(session: WriteSession, now: Now, claims: BearerClaims, _: Self) -> None:
    """End the login of the bearer token sent: the token is refused from now on (401)."""
    if claims is not None:  # an API key has no session to end
        service.end_session(session, claims, now)


@router.post("/auth/password", response_model=PasswordChanged, responses={
    403: {"description": "PASSWORD_WRONG: the current password is wrong"},
    429: {"description": "AUTH_LOCKED or AUTH_RATE_LIMITED, with Retry-After"},
})
def change_password(body: PasswordChange, session: ReadSession, write: WriteSession, now: Now,
                    address: ClientAddress, principal: Self) -> PasswordChanged:
    """Change the logged-in staff member's or reader's own password, sending the current one.
    Every login of the account ends, this one included: log in again with the new password."""
    service.verify_own_password(session, principal, body.current_password, address=address)
    ended = service.set_own_password(write, principal, body.current_password, body.new_password, now)
    return PasswordChanged(sessions_ended=ended)


@router.get("/auth/me", response_model=PrincipalRead)
def me(principal: Self) -> PrincipalRead:
    """Who the credentials belong to and what they allow."""
    return PrincipalRead(
        kind=principal.kind, name=principal.name, role=principal.role, scopes=sorted(principal.scopes),
        units=sorted(principal.unit_codes) if principal.unit_codes is not None else None,
    )


@router.get("/users", response_model=list[UserRead])
def list_users(session: ReadSession, _: Admin) -> list[UserRead]:
    """Staff accounts with their roles and units (admins only)."""
    return [
        UserRead(username=u.username, display_name=u.display_name, role=u.role, units=units, active=u.active)
        for u, units in service.list_users(session)
    ]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, session: WriteSession, now: Now, _: Admin) -> UserRead:
    """Create a staff account (admins only)."""
    user = service.create_user(
        session, body.username, body.password, body.role, now, unit_codes=body.units,
        display_name=body.display_name,
    )
    return UserRead(username=user.username, display_name=user.display_name, role=user.role,
                    units=sorted(body.units), active=True)


def _key_read(row: ApiKey, full: str | None = None) -> ApiKeyRead:
    return ApiKeyRead(id=row.id, name=row.name, prefix=row.prefix, scopes=row.scopes, units=row.unit_codes,
                      created_at=row.created_at, revoked_at=row.revoked_at, key=full)


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(session: ReadSession, _: Admin) -> list[ApiKeyRead]:
    """API keys of integrating systems (the secrets are never shown again)."""
    return [_key_read(k) for k in session.scalars(select(ApiKey).order_by(ApiKey.id))]


@router.post("/api-keys", response_model=ApiKeyRead, status_code=201)
def create_api_key(body: ApiKeyCreate, session: WriteSession, now: Now, admin: Admin) -> ApiKeyRead:
    """Create a key for an integrating system; the response holds the key, shown only this once."""
    row, full = service.create_api_key(
        session, body.name, body.scopes, now, created_by=admin.id if admin.kind == "staff" else None,
        unit_codes=body.units,
    )
    return _key_read(row, full)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(key_id: Id, session: WriteSession, now: Now, _: Admin) -> ApiKeyRead:
    """Revoke a key; requests with it fail from now on."""
    return _key_read(service.revoke_api_key(session, key_id, now))

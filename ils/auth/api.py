"""Routes for logging in, the caller's identity, staff accounts and API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from ils.auth import service
from ils.auth.models import ApiKey
from ils.auth.principal import Principal
from ils.auth.schemas import (
    ApiKeyCreate,
    ApiKeyRead,
    PrincipalRead,
    TokenRead,
    TokenRequest,
    UserCreate,
    UserRead,
)
from ils.auth.security import issue_token
from ils.config import get_settings
from ils.errors import InvalidInput
from ils.http import Now, ReadSession, Self, WriteSession, allows

router = APIRouter(prefix="/api/v1", tags=["auth"])
Admin = Annotated[Principal, allows("user.admin")]
Login = Annotated[None, allows("auth.login")]


@router.post("/auth/token", response_model=TokenRead)
def login(body: TokenRequest, session: ReadSession, now: Now, _: Login) -> TokenRead:
    """Exchange a staff username (or a reader card number) and password for a bearer token."""
    settings = get_settings()
    if bool(body.username) == bool(body.card_number):
        raise InvalidInput("VALIDATION_FAILED", "send either username or card_number")
    if body.username:
        user = service.login_staff(session, body.username, body.password)
        principal = service.staff_principal(session, user)
        subject, kind = user.username, "staff"
    else:
        account = service.login_patron(session, body.card_number or "", body.password)
        subject, kind, principal = account.card_number, "patron", None
    token = issue_token(
        settings.resolved_secret_key(), subject=subject, kind=kind, now=now, minutes=settings.token_minutes
    )
    return TokenRead(
        access_token=token,
        expires_at=now + timedelta(minutes=settings.token_minutes),
        kind=kind,  # type: ignore[arg-type]
        role=principal.role if principal else None,
        units=sorted(principal.unit_codes) if principal and principal.unit_codes is not None else None,
    )


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
def revoke_api_key(key_id: int, session: WriteSession, now: Now, _: Admin) -> ApiKeyRead:
    """Revoke a key; requests with it fail from now on."""
    return _key_read(service.revoke_api_key(session, key_id, now))

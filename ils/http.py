"""FastAPI dependencies shared by every package's api.py: sessions, time and the caller."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.auth.security import read_token
from ils.auth.service import (
    cached_principal,
    principal_from_api_key,
    token_principal,
)
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import Database, get_database
from ils.errors import Unauthenticated
from ils.idempotency import fingerprint, run_once

# The cheap dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in
# the thread pool, and a hop there per dependency per request was a measurable share of a
# check-out's CPU. Only what touches the database (the session, the endpoint) runs in a thread.


async def database() -> Database:
    return get_database()


def write_session(db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    """The request's one transaction: committed after the endpoint returns, rolled back if it raises."""
    with db.session(write=True) as session:
        yield session


def read_session(db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    with db.session(write=False) as session:
        yield session


async def now() -> datetime:
    return get_clock().now()


# scope="function": the transaction ends (commits, or rolls back) before the answer is sent.
# With FastAPI's default the commit ran after the client already had its 201, so a commit that
# failed was reported as a success, and a client's next request could miss its own write.
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
Now = Annotated[datetime, Depends(now)]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Key of an integrating system")


async def optional_principal(
    db: Annotated[Database, Depends(database)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal | None:
    if bearer is None and not api_key:
        return None

    if api_key:
        def load() -> Principal:
            with db.session(write=False) as session:
                return principal_from_api_key(session, api_key)

        return cached_principal((db.url, "key", hashlib.sha256(api_key.encode()).hexdigest()), load)
    assert bearer is not None
    # The signature and expiry are checked on every request; the session and the account are
    # looked up through short caches.
    claims = read_token(get_settings().resolved_secret_key(), bearer.credentials, get_clock().now())
    return token_principal(db, claims)


async def bearer_claims(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any] | None:
    """The claims of the bearer token sent (already accepted by ``authenticated``), for logout."""
    if bearer is None:
        return None
    return read_token(get_settings().resolved_secret_key(), bearer.credentials, get_clock().now())


async def client_address(request: Request) -> str | None:
    """The client's address: the proxy's X-Forwarded-For when `ils serve` trusts the proxy
    (uvicorn's --forwarded-allow-ips), else the peer of the connection."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(client_address)]
BearerClaims = Annotated[dict[str, Any] | None, Depends(bearer_claims)]


async def authenticated(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthenticated("AUTH_REQUIRED", "log in (Authorization: Bearer ...) or send X-API-Key")
    return principal


def allows(name: str) -> Any:
    """A route's declaration of what it does: ``Annotated[Principal, allows("loan.checkout")]`` is
    the caller, logged in and holding the operation's permission (see ``ils.auth.gate``). The
    units the operation touches are checked by the use case once its rows are loaded."""
    op = gate.operation(name)
    if not op.login:
        # Public: credentials are not even read, so a stale token sent along changes nothing.
        async def public() -> None:
            return None

        gate.mark(public, name)
        return Depends(public)

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        gate.permit(principal, name)
        return principal

    gate.mark(dependency, name)
    return Depends(dependency)


Authenticated = Annotated[Principal, Depends(authenticated)]
# What the public catalogue shows: records, units, search, SRU, the health check.
Public = Annotated[None, allows("public.read")]
# Any logged-in account about itself.
Self = Annotated[Principal, allows("auth.self")]


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Any unique string per operation; a retry with the same key "
                                                "returns the first answer and changes nothing."),
]


def once(session: Session, principal: Principal, key: str | None, path: str, body: Any, now: datetime,
         run: Callable[[], tuple[int, Any]]) -> Response:
    """Answer a POST through its Idempotency-Key (when sent): run it once, replay after that."""
    # Keys belong to one account (two machines may well both count 1, 2, 3 …); by id, since
    # two API keys may share a name.
    owner = f"{principal.kind}:{principal.id}"
    status, content = run_once(session, owner, key, fingerprint("POST", path, body), now, lambda: _encoded(run()))
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _encoded(result: tuple[int, Any]) -> tuple[int, Any]:
    status, body = result
    # pydantic's own JSON mode: several times cheaper than FastAPI's generic encoder.
    return status, body.model_dump(mode="json") if isinstance(body, BaseModel) else jsonable_encoder(body)

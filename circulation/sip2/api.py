"""Routes for the SIP2 accounts of the self-check machines (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from circulation.sip2 import accounts
from circulation.sip2.schemas import Sip2AccountCreate, Sip2AccountRead, Sip2AccountUpdate
from ils.auth.principal import Principal
from ils.http import Now, ReadSession, WriteSession, allows

router = APIRouter(prefix="/api/v1/sip2", tags=["sip2"])
Admin = Annotated[Principal, allows("user.admin")]


@router.get("/accounts", response_model=list[Sip2AccountRead])
def list_accounts(session: ReadSession, _: Admin) -> list[Sip2AccountRead]:
    """Every self-check machine's SIP2 account, with the unit it acts for."""
    return [accounts.read(session, a) for a in accounts.list_accounts(session)]


@router.post("/accounts", response_model=Sip2AccountRead, status_code=201,
             responses={409: {"description": "SIP2_LOGIN_TAKEN"}, 404: {"description": "UNIT_NOT_FOUND"}})
def create_account(body: Sip2AccountCreate, session: WriteSession, now: Now, principal: Admin) -> Sip2AccountRead:
    """Create the account a machine logs in with (CN/CO of the login message). It acts only at
    ``unit``, lends and returns but never overrides a block; ``encoding`` is what its firmware
    speaks (utf-8, or gb18030 for older machines)."""
    return accounts.read(session, accounts.create_account(session, body, principal.label, now))


@router.patch("/accounts/{login}", response_model=Sip2AccountRead,
              responses={404: {"description": "SIP2_ACCOUNT_NOT_FOUND"}})
def update_account(login: str, body: Sip2AccountUpdate, session: WriteSession, now: Now,
                   _: Admin) -> Sip2AccountRead:
    """Change a machine's password, unit, encoding, error detection or labels, or disable it
    (``active: false``): a connected machine is refused from its next message after 30 s."""
    return accounts.read(session, accounts.update_account(session, login, body, now))


@router.delete("/accounts/{login}", status_code=204, responses={404: {"description": "SIP2_ACCOUNT_NOT_FOUND"}})
def delete_account(login: str, session: WriteSession, _: Admin) -> Response:
    """Delete a machine's account; what it did stays in the event log under ``sip2:<login>``."""
    accounts.remove_account(session, login)
    return Response(status_code=204)

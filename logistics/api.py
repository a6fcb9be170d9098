"""Routes of logistics: transits to send and to receive, return policies, float groups."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from catalog.public import Item, get_item, get_record
from ils.auth.principal import Principal
from ils.http import Now, ReadSession, WriteSession, require
from ils.network import repository as units_repo
from ils.network.service import get_unit
from logistics import policies
from logistics import repository as repo
from logistics.models import Transit
from logistics.schemas import (
    FloatGroupRead,
    FloatGroupWrite,
    ReturnPolicyRead,
    ReturnPolicyWrite,
    TransitRead,
)

router = APIRouter(prefix="/api/v1", tags=["transits"])
Reader = Annotated[Principal, Depends(require("records:read"))]
PolicyWriter = Annotated[Principal, Depends(require("policies:write"))]


def _read(session: ReadSession, transit: Transit, codes: dict[int, str]) -> TransitRead:
    item = session.get(Item, transit.item_id)
    assert item is not None
    return TransitRead(
        id=transit.id, barcode=item.barcode, title=get_record(session, item.record_id).title,
        call_number=item.call_number, from_unit=codes[transit.from_unit_id], to_unit=codes[transit.to_unit_id],
        reason=transit.reason, reference=transit.reference, status=transit.status,  # type: ignore[arg-type]
        created_at=transit.created_at, created_by=transit.created_by, closed_at=transit.closed_at,
        closed_unit=codes.get(transit.closed_unit_id) if transit.closed_unit_id else None,
    )


@router.get("/transits", response_model=list[TransitRead])
def list_transits(
    session: ReadSession,
    _: Reader,
    from_unit: Annotated[str | None, Query(alias="from", description="Unit the copies leave")] = None,
    to_unit: Annotated[str | None, Query(alias="to", description="Unit the copies go to")] = None,
    status: Literal["open", "received", "cancelled"] | None = "open",
    barcode: str | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[TransitRead]:
    """Transits, oldest first: ``from`` = what a unit has to send, ``to`` = what it expects."""
    item_id = None
    if barcode is not None:
        item_id = get_item(session, barcode).id
    rows = repo.transits(
        session, from_unit_id=get_unit(session, from_unit).id if from_unit else None,
        to_unit_id=get_unit(session, to_unit).id if to_unit else None, status=status, item_id=item_id, limit=limit,
    )
    codes = units_repo.code_map(session)
    return [_read(session, t, codes) for t in rows]


@router.get("/return-policies", response_model=list[ReturnPolicyRead])
def list_policies(session: ReadSession, _: Reader) -> list[ReturnPolicyRead]:
    """Where returned copies with no hold to fill go; with no policy every copy goes home."""
    return [ReturnPolicyRead.model_validate(p, from_attributes=True) for p in repo.return_policies(session)]


@router.put("/return-policies", response_model=ReturnPolicyRead)
def save_policy(body: ReturnPolicyWrite, session: WriteSession, now: Now, principal: PolicyWriter) -> ReturnPolicyRead:
    """Set the policy for a system × item type (``*`` for any)."""
    return ReturnPolicyRead.model_validate(policies.save_policy(session, body, principal.label, now),
                                           from_attributes=True)


@router.delete("/return-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: int, session: WriteSession, _: PolicyWriter) -> Response:
    policies.delete_policy(session, policy_id)
    return Response(status_code=204)


@router.get("/float-groups", response_model=list[FloatGroupRead])
def list_float_groups(session: ReadSession, _: Reader) -> list[FloatGroupRead]:
    return policies.float_groups(session)


@router.put("/float-groups/{code}", response_model=FloatGroupRead)
def save_float_group(code: str, body: FloatGroupWrite, session: WriteSession, _: PolicyWriter) -> FloatGroupRead:
    """Create a float group or replace its name and units."""
    return policies.save_float_group(session, code, body)

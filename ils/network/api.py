"""Routes for the units of the network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ils.auth.principal import Principal
from ils.http import Now, Public, ReadSession, WriteSession, allows
from ils.network import repository as repo
from ils.network import service
from ils.network.schemas import Level, UnitCreate, UnitRead, UnitUpdate

router = APIRouter(prefix="/api/v1/units", tags=["units"])
UnitsAdmin = Annotated[Principal, allows("unit.write")]


@router.get("", response_model=list[UnitRead])
def list_units(
    session: ReadSession,
    _: Public,
    level: Annotated[Level | None, Query(description="Only units of this level")] = None,
    system: Annotated[str | None, Query(description="Only units of the system headed by this 总馆 code")] = None,
) -> list[UnitRead]:
    """Every unit of the network with its opening hours (public: readers need them)."""
    system_id = service.get_unit(session, system).id if system else None
    return service.read_units(session, repo.list_units(session, level=level, system_id=system_id))


@router.get("/{code}", response_model=UnitRead)
def get_unit(code: str, session: ReadSession, _: Public) -> UnitRead:
    """One unit. 404 UNIT_NOT_FOUND if the code is unknown."""
    return service.read_units(session, [service.get_unit(session, code)])[0]


@router.post("", response_model=UnitRead, status_code=201)
def create_unit(body: UnitCreate, session: WriteSession, now: Now, _: UnitsAdmin) -> UnitRead:
    """Add a unit (admins only)."""
    unit = service.create_unit(session, body, now)
    return service.read_units(session, [unit])[0]


@router.patch("/{code}", response_model=UnitRead)
def update_unit(code: str, body: UnitUpdate, session: WriteSession, now: Now, _: UnitsAdmin) -> UnitRead:
    """Change a unit's name, parent, hours, closed dates or stops (admins only)."""
    unit = service.update_unit(session, code, body, now)
    return service.read_units(session, [unit])[0]

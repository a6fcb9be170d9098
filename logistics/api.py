"""Routes of logistics: transits to send and to receive, return policies, float groups."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from catalog.public import get_item
from ils.auth.principal import Principal
from ils.config import get_settings
from ils.auth import gate
from ils.http import IdempotencyKey, Now, ReadSession, WriteSession, allows, once
from ils.network.snapshot import network, unit_by_code
from ils.validation import Count, Id
from logistics import crates, distribution, monitoring, policies, routes, views
from logistics import repository as repo
from logistics.models import CrateTrip, Route
from logistics.schemas import (
    CrateRead,
    CrateReceiveBody,
    DistributionCreate,
    DistributionRead,
    FloatGroupRead,
    FloatGroupWrite,
    FloatLimitWrite,
    LoadBody,
    LocationRead,
    PackBody,
    PathHop,
    PathRead,
    Reconciliation,
    ReturnPolicyRead,
    ReturnPolicyWrite,
    RouteRead,
    RouteWrite,
    RunRead,
    StopReport,
    TransitFigures,
    TransitRead,
)

router = APIRouter(prefix="/api/v1", tags=["transits"])
Reader = Annotated[Principal, allows("logistics.read")]
TransitReader = Annotated[Principal, allows("transit.read")]
StatsReader = Annotated[Principal, allows("stats.read")]
PolicyWriter = Annotated[Principal, allows("policy.write")]
CrateWriter = Annotated[Principal, allows("transit.write")]
CrateReceiver = Annotated[Principal, allows("transit.receive")]
ItemReader = Annotated[Principal, allows("record.read")]


@router.get("/transits", response_model=list[TransitRead])
def list_transits(
    session: ReadSession,
    now: Now,
    principal: TransitReader,
    from_unit: Annotated[str | None, Query(alias="from", description="Unit the copies leave")] = None,
    to_unit: Annotated[str | None, Query(alias="to", description="Unit the copies go to")] = None,
    status: views.TransitView | None = "open",
    unit: Annotated[str | None, Query(description="With to_send, expected, late or lost: the unit concerned")] = None,
    lost_after_days: Annotated[int, Query(ge=1, le=365)] = 14,
    barcode: str | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[TransitRead]:
    """Transits, oldest first. ``status`` is a transit's own state (open, received, cancelled) or a
    desk's view of the open ones: ``to_send`` (copies at ``unit`` not yet packed in a crate),
    ``expected`` (coming to ``unit``), ``expected_today`` (promised there today), ``late`` (past
    their promised day), ``lost`` (more than
    ``lost_after_days`` past it: look for them, or mark them missing). An account tied to units
    names one of them as ``from``, ``to`` or ``unit``."""
    ids = {role: unit_by_code(session, code).id if code else None
           for role, code in (("from", from_unit), ("to", to_unit), ("unit", unit))}
    gate.check(session, principal, "transit.read", **ids)
    return views.transit_list(session, now, status=status, from_unit=from_unit, to_unit=to_unit, unit=unit,
                              lost_after_days=lost_after_days, barcode=barcode, limit=limit)


@router.get("/transits/figures", response_model=TransitFigures)
def transit_figures(session: ReadSession, now: Now, principal: StatsReader,
                    days: Annotated[int, Query(ge=1, le=366)] = 30, unit: str | None = None) -> TransitFigures:
    """The network's logistics over the last ``days`` (or one unit's, with ``unit``; an account
    tied to units names one of them): transits per day, days on the road (p50/p95) and the share
    of hold deliveries that arrived by their promised day."""
    unit_id = unit_by_code(session, unit).id if unit else None
    gate.check(session, principal, "stats.read", unit=unit_id)
    if unit_id is None:
        gate.whole_network(session, principal, "stats.read")
    return monitoring.figures(session, now, days, unit_id)


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
def delete_policy(policy_id: Id, session: WriteSession, _: PolicyWriter) -> Response:
    policies.delete_policy(session, policy_id)
    return Response(status_code=204)


@router.get("/float-limits", response_model=list[FloatLimitWrite])
def list_float_limits(session: ReadSession, _: Reader) -> list[FloatLimitWrite]:
    return policies.float_limits(session)


@router.put("/float-limits", response_model=FloatLimitWrite)
def save_float_limit(body: FloatLimitWrite, session: WriteSession, _: PolicyWriter) -> FloatLimitWrite:
    """Set how many copies of a type a unit keeps before floating copies returned there go home."""
    policies.save_float_limit(session, body)
    return body


@router.get("/float-groups", response_model=list[FloatGroupRead])
def list_float_groups(session: ReadSession, _: Reader) -> list[FloatGroupRead]:
    return policies.float_groups(session)


@router.put("/float-groups/{code}", response_model=FloatGroupRead)
def save_float_group(code: str, body: FloatGroupWrite, session: WriteSession, _: PolicyWriter) -> FloatGroupRead:
    """Create a float group or replace its name and units."""
    return policies.save_float_group(session, code, body)


RouteWriter = Annotated[Principal, allows("unit.write")]


@router.get("/routes", response_model=list[RouteRead], tags=["routes"])
def list_routes(session: ReadSession, _: Reader) -> list[RouteRead]:
    """The van routes: stops in order, weekdays, and days they run besides or do not run."""
    return routes.list_routes(session)


@router.put("/routes/{code}", response_model=RouteRead, tags=["routes"])
def save_route(code: str, body: RouteWrite, session: WriteSession, now: Now, _: RouteWriter) -> RouteRead:
    """Create a route or replace it whole. Transits sent from now on are planned over it."""
    return routes.read_route(session, routes.save_route(session, code, body, now))


@router.delete("/routes/{code}", status_code=204, tags=["routes"])
def delete_route(code: str, session: WriteSession, _: RouteWriter) -> Response:
    """Remove a route that never ran; one with runs or crates on record is kept for the record
    and can only be switched off (PUT with ``active: false``)."""
    routes.delete_route(session, code)
    return Response(status_code=204)


@router.get("/routes/{code}", response_model=RouteRead, tags=["routes"])
def get_route(code: str, session: ReadSession, _: Reader) -> RouteRead:
    return routes.read_route(session, routes.get_route(session, code))


@router.get("/runs", response_model=list[RunRead], tags=["routes"])
def run_sheets(session: ReadSession, _: Reader, date: date, route: str | None = None) -> list[RunRead]:
    """The run sheets of a day: each route that runs, its stops in order, and at each stop the
    copies to hand to the van (collect) and to take off it (drop)."""
    return routes.run_sheets(session, date, route)


@router.post("/runs/{route}/{day}/stops/{position}", response_model=list[RunRead], tags=["routes"])
def report_stop(route: str, day: date, position: Count, body: StopReport, session: WriteSession, now: Now,
                principal: CrateWriter) -> list[RunRead]:
    """The driver reports arriving at or leaving a stop (position in the route, from 0); the
    run sheet keeps the actual times."""
    routes.report_stop(session, route, day, position, body.event, principal, now)
    return routes.run_sheets(session, day, route)


@router.get("/paths", response_model=PathRead, tags=["routes"])
def plan_path(session: ReadSession, now: Now, _: Reader, from_unit: Annotated[str, Query(alias="from")],
              to_unit: Annotated[str, Query(alias="to")], sent_on: date | None = None) -> PathRead:
    """The path a copy sent between two units would take, and the day it is promised."""
    start, end = unit_by_code(session, from_unit), unit_by_code(session, to_unit)
    day = sent_on or now.astimezone(get_settings().tz).date()
    path = routes.timetable(session).path(start.id, end.id, day)
    units = network(session).units
    hops = [PathHop(route=h.route_code, day=h.day, from_unit=units[h.from_unit_id].code,
                    to_unit=units[h.to_unit_id].code) for h in (path.hops if path else ())]
    return PathRead(from_unit=start.code, to_unit=end.code, sent_on=day,
                    promised_on=path.promised_on if path else None, hops=hops)



def _crate_read(session: WriteSession, trip: CrateTrip) -> CrateRead:
    units = network(session).units
    route = session.get(Route, trip.route_id) if trip.route_id else None
    return CrateRead(code=trip.crate_code, trip_id=trip.id, status=trip.status,  # type: ignore[arg-type]
                     from_unit=units[trip.from_unit_id].code, to_unit=units[trip.to_unit_id].code,
                     route=route.code if route else None, day=trip.run_day, manifest=crates.manifest(session, trip))


@router.post("/crates/{code}/pack", response_model=CrateRead, tags=["crates"])
def pack_crate(code: str, body: PackBody, session: WriteSession, now: Now, principal: CrateWriter,
               idempotency_key: IdempotencyKey = None) -> Response:
    """Scan a copy in transit into a crate for its next hop (a new crate code registers the crate)."""

    def run() -> tuple[int, CrateRead]:
        return 200, _crate_read(session, crates.pack(session, code, body.barcode, body.unit, principal, now))

    return once(session, principal, idempotency_key, f"/crates/{code}/pack", body.model_dump(), now, run)


@router.post("/crates/{code}/close", response_model=CrateRead, tags=["crates"])
def close_crate(code: str, session: WriteSession, now: Now, principal: CrateWriter,
                idempotency_key: IdempotencyKey = None) -> Response:
    """Close the crate; the answer is its manifest, to print and put in the crate."""

    def run() -> tuple[int, CrateRead]:
        return 200, _crate_read(session, crates.close(session, code, principal, now))

    return once(session, principal, idempotency_key, f"/crates/{code}/close", {}, now, run)


@router.post("/crates/{code}/load", response_model=CrateRead, tags=["crates"])
def load_crate(code: str, body: LoadBody, session: WriteSession, now: Now, principal: CrateWriter,
               idempotency_key: IdempotencyKey = None) -> Response:
    """The driver loads the closed crate onto the day's run of a route."""

    def run() -> tuple[int, CrateRead]:
        return 200, _crate_read(session, crates.load(session, code, body.route, body.day, principal, now))

    return once(session, principal, idempotency_key, f"/crates/{code}/load", body.model_dump(mode="json"), now, run)


@router.post("/crates/{code}/receive", response_model=Reconciliation, tags=["crates"])
def receive_crate(code: str, body: CrateReceiveBody, session: WriteSession, now: Now, principal: CrateReceiver,
                  idempotency_key: IdempotencyKey = None) -> Response:
    """Open the crate at its destination: copies at the end of their journey are received (a hold
    waiting for one becomes ready), copies passing through wait to be packed for the next leg;
    the answer reconciles the crate against its manifest."""

    def run() -> tuple[int, Reconciliation]:
        result = crates.receive_crate(session, code, body.unit, body.barcodes, principal, now, body.damaged)
        units = network(session).units
        instructions = {b: m.disposition if m.disposition != "transit" else f"transit:{units[m.destination_id].code}"
                        for b, m in result.moves.items()}
        return 200, Reconciliation(crate=_crate_read(session, result.trip), received=result.received,
                                   missing=result.missing, extra=result.extra, damaged=result.damaged,
                                   instructions=instructions)

    return once(session, principal, idempotency_key, f"/crates/{code}/receive", body.model_dump(), now, run)


@router.get("/locations/{barcode}", response_model=LocationRead, tags=["crates"])
def locate(barcode: str, session: ReadSession, _: ItemReader) -> LocationRead:
    """Where a copy is: at a unit, in a crate at a unit, or in a crate on a run."""
    return LocationRead(**crates.location(session, get_item(session, barcode)))


Distributor = Annotated[Principal, allows("distribution.write")]


@router.post("/distribution/plans", response_model=DistributionRead, status_code=201, tags=["distribution"])
def create_plan(body: DistributionCreate, session: WriteSession, now: Now, principal: Distributor,
                idempotency_key: IdempotencyKey = None) -> Response:
    """Allocate copies (new stock at the 总馆, or a collection to rotate) to units; nothing moves
    until the plan is executed."""

    def run() -> tuple[int, DistributionRead]:
        return 201, distribution.read_plan(session, distribution.create_plan(session, body, principal, now))

    return once(session, principal, idempotency_key, "/distribution/plans", body.model_dump(), now, run)


@router.get("/distribution/plans/{plan_id}", response_model=DistributionRead, tags=["distribution"])
def get_plan(plan_id: Id, session: ReadSession, _: ItemReader) -> DistributionRead:
    return distribution.read_plan(session, distribution.get_plan(session, plan_id))


@router.post("/distribution/plans/{plan_id}/execute", response_model=DistributionRead, tags=["distribution"])
def execute_plan(plan_id: Id, session: WriteSession, now: Now, principal: Distributor,
                 idempotency_key: IdempotencyKey = None) -> Response:
    """Send every copy of the plan to its unit (a transit with the plan's purpose)."""

    def run() -> tuple[int, DistributionRead]:
        return 200, distribution.read_plan(session, distribution.execute(session, plan_id, principal, now))

    return once(session, principal, idempotency_key, f"/distribution/plans/{plan_id}/execute", {}, now, run)

"""Use cases of routes and runs: write a route, read the timetable, print a run sheet. They
never commit.

The timetable is shared by the requests of a process (see ``ils.cache``): every transit and
every hold targeting asks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.public import Item
from ils.cache import SharedCache
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict, InvalidInput, NotFound
from ils.events import record_event
from ils.network.snapshot import network, unit_by_code
from logistics.models import CrateTrip, Route, RouteDay, RouteStop, Run, RunStop, Transit
from logistics.schemas import RouteDayWrite, RouteRead, RouteStopWrite, RouteWrite, RunRead, RunStopRead
from logistics.timetable import RouteInfo, Timetable

_timetable: SharedCache[Timetable] = SharedCache()


def timetable(session: Session) -> Timetable:
    return _timetable.get(session, _load_timetable)


def _load_timetable(session: Session) -> Timetable:
    stops: dict[int, list[int]] = {}
    for route_id, unit_id in session.execute(select(RouteStop.route_id, RouteStop.unit_id)
                                             .where(RouteStop.unit_id.is_not(None))
                                             .order_by(RouteStop.route_id, RouteStop.position)):
        stops.setdefault(route_id, []).append(unit_id)
    extra: dict[int, set[date]] = {}
    skip: dict[int, set[date]] = {}
    for route_id, day, runs in session.execute(select(RouteDay.route_id, RouteDay.day, RouteDay.runs)):
        (extra if runs else skip).setdefault(route_id, set()).add(day)
    routes = [
        RouteInfo(r.id, r.code, _path_stops(stops.get(r.id, []), r.mobile_unit_id), frozenset(r.weekdays or ()),
                  frozenset(extra.get(r.id, ())), frozenset(skip.get(r.id, ())))
        for r in session.scalars(select(Route).where(Route.active.is_(True)).order_by(Route.id))
    ]
    units = network(session).units
    return Timetable(routes, {u.id: (u.hours, u.closed) for u in units.values()})


def _path_stops(unit_stops: list[int], mobile_unit_id: int | None) -> tuple[int, ...]:
    """The units a route carries copies between. A mobile library's day leaves its base and
    comes back: copies for it board at the base, the readers' returns come back there."""
    if mobile_unit_id is None or not unit_stops:
        return tuple(unit_stops)
    base, back = unit_stops[0], unit_stops[-1]
    return (base, mobile_unit_id, back) if back != mobile_unit_id else (base, mobile_unit_id)


def forget_timetable() -> None:
    _timetable.clear()


def _check_stops(session: Session, stops: Sequence[RouteStopWrite], mobile: bool) -> list[int | None]:
    if any((s.unit is None) == (s.place is None) for s in stops):
        raise InvalidInput("ROUTE_INVALID", "each stop names a unit or (a mobile library's) place, not both")
    if not mobile and any(s.place for s in stops):
        raise InvalidInput("ROUTE_INVALID", "only a mobile library's route stops at places")
    if mobile and stops[0].unit is None:
        raise InvalidInput("ROUTE_INVALID", "a mobile library's route starts at its base unit")
    ids = [unit_by_code(session, s.unit).id if s.unit else None for s in stops]
    if any(a == b and a is not None for a, b in zip(ids, ids[1:], strict=False)):
        raise InvalidInput("ROUTE_INVALID", "a route cannot call at the same unit twice in a row")
    return ids


def save_route(session: Session, code: str, data: RouteWrite, now: datetime) -> Route:
    """Create the route or replace it whole (stops and exception days included)."""
    mobile = unit_by_code(session, data.mobile_unit) if data.mobile_unit else None
    if mobile is not None and mobile.level != "mobile":
        raise InvalidInput("ROUTE_INVALID", f"{mobile.code} is not a mobile library")
    unit_ids = _check_stops(session, data.stops, mobile is not None)
    if len({d.day for d in data.days}) != len(data.days):
        raise InvalidInput("ROUTE_INVALID", "a day is listed twice among the exceptions")
    route = session.scalars(select(Route).where(Route.code == code)).one_or_none()
    if route is None:
        route = Route(code=code, created_at=now)
        session.add(route)
    route.name, route.vehicle, route.weekdays, route.active = data.name, data.vehicle, list(data.weekdays), data.active
    route.mobile_unit_id = mobile.id if mobile is not None else None
    route.updated_at = now
    session.flush()
    session.execute(delete(RouteStop).where(RouteStop.route_id == route.id))
    session.execute(delete(RouteDay).where(RouteDay.route_id == route.id))
    session.add_all(RouteStop(route_id=route.id, position=n, unit_id=uid, place=stop.place, address=stop.address,
                              time=stop.time)
                    for n, (uid, stop) in enumerate(zip(unit_ids, data.stops, strict=True)))
    session.add_all(RouteDay(route_id=route.id, day=d.day, runs=d.runs, reason=d.reason) for d in data.days)
    session.flush()
    forget_timetable()
    return route


def get_route(session: Session, code: str) -> Route:
    route = session.scalars(select(Route).where(Route.code == code)).one_or_none()
    if route is None:
        raise NotFound("ROUTE_NOT_FOUND", f"no route {code!r}")
    return route


def delete_route(session: Session, code: str) -> None:
    route = get_route(session, code)
    used = session.scalar(select(Run.id).where(Run.route_id == route.id).limit(1)) or session.scalar(
        select(CrateTrip.id).where(CrateTrip.route_id == route.id).limit(1))
    if used is not None:
        raise Conflict("ROUTE_IN_USE", f"route {code} has runs on record; switch it off instead (active: false)")
    session.delete(route)
    session.flush()
    forget_timetable()


def read_route(session: Session, route: Route) -> RouteRead:
    units = network(session).units
    stops = session.scalars(select(RouteStop).where(RouteStop.route_id == route.id).order_by(RouteStop.position))
    days = session.scalars(select(RouteDay).where(RouteDay.route_id == route.id).order_by(RouteDay.day))
    return RouteRead(
        code=route.code, name=route.name, vehicle=route.vehicle, weekdays=route.weekdays,  # type: ignore[arg-type]
        active=route.active, updated_at=route.updated_at,
        stops=[RouteStopWrite(unit=units[s.unit_id].code if s.unit_id else None, place=s.place, address=s.address,
                              time=s.time) for s in stops],
        mobile_unit=units[route.mobile_unit_id].code if route.mobile_unit_id else None,
        days=[RouteDayWrite(day=d.day, runs=d.runs, reason=d.reason) for d in days],
    )


def list_routes(session: Session) -> list[RouteRead]:
    return [read_route(session, r) for r in session.scalars(select(Route).order_by(Route.code))]


def run_sheets(session: Session, day: date, route_code: str | None = None) -> list[RunRead]:
    """The day's runs, stops in order, with the copies each stop hands over and takes on
    (from the paths of the open transits)."""
    table = timetable(session)
    units = network(session).units
    routes = [r for r in table.routes if r.runs_on(day) and (route_code is None or r.code == route_code)]
    if route_code is not None and not routes:
        get_route(session, route_code)  # an unknown code is an error; a known one simply does not run
    sheets: list[RunRead] = []
    for info in routes:
        route = session.get(Route, info.id)
        assert route is not None
        planned = list(session.scalars(select(RouteStop).where(RouteStop.route_id == route.id)
                                       .order_by(RouteStop.position)))
        run = session.scalars(select(Run).where(Run.route_id == route.id, Run.day == day)).one_or_none()
        actual = ({s.position: s for s in session.scalars(select(RunStop).where(RunStop.run_id == run.id))}
                  if run else {})
        drop: dict[str, list[str]] = {}
        collect: dict[str, list[str]] = {}
        for transit, barcode in session.execute(
                select(Transit, Item.barcode).join(Item, Item.id == Transit.item_id)
                .where(Transit.status == "open", Transit.path.is_not(None)).order_by(Transit.id)):
            for hop in transit.path or ():
                if hop["route"] == route.code and hop["day"] == day.isoformat():
                    collect.setdefault(hop["from"], []).append(barcode)
                    drop.setdefault(hop["to"], []).append(barcode)
        if route.mobile_unit_id is not None:  # the mobile library itself is the van: it keeps what it carries
            mobile = units[route.mobile_unit_id].code
            collect.pop(mobile, None)
            drop.pop(mobile, None)
        crates_drop: dict[int, list[str]] = {}
        crates_collect: dict[int, list[str]] = {}
        for trip in session.scalars(select(CrateTrip).where(CrateTrip.status.in_(("closed", "on_run")))
                                    .order_by(CrateTrip.crate_code)):
            on_this_run = trip.route_id == route.id and trip.run_day == day
            if on_this_run:
                crates_drop.setdefault(trip.to_unit_id, []).append(trip.crate_code)
            if trip.status == "closed" and trip.from_unit_id in info.stops:
                later = info.stops[info.stops.index(trip.from_unit_id) + 1:]
                if trip.to_unit_id in later:
                    crates_collect.setdefault(trip.from_unit_id, []).append(trip.crate_code)
            elif on_this_run:
                crates_collect.setdefault(trip.from_unit_id, []).append(trip.crate_code)
        stops = []
        circular = planned[0].unit_id == planned[-1].unit_id
        for stop in planned:
            seen = actual.get(stop.position)
            times = {"time": stop.time, "arrived_at": seen.arrived_at if seen else None,
                     "departed_at": seen.departed_at if seen else None}
            if stop.unit_id is None:  # a mobile library's place: readers, not crates
                stops.append(RunStopRead(position=stop.position, unit=None, unit_name=stop.place or "",
                                         address=stop.address, drop=[], collect=[], **times))
                continue
            unit = units[stop.unit_id]
            # A circular route calls at its hub twice: it collects on leaving, drops on returning.
            leaving, returning = circular and stop.position == 0, circular and stop.position == len(planned) - 1
            stops.append(RunStopRead(
                position=stop.position, unit=unit.code, unit_name=unit.name, **times,
                drop=[] if leaving else drop.get(unit.code, []),
                collect=[] if returning else collect.get(unit.code, []),
                crates_drop=[] if leaving else crates_drop.get(unit.id, []),
                crates_collect=[] if returning else crates_collect.get(unit.id, []),
            ))
        sheets.append(RunRead(route=route.code, route_name=route.name, vehicle=route.vehicle, day=day,
                              status=run.status if run else "planned", stops=stops))  # type: ignore[arg-type]
    return sheets


def load_routes(session: Session, document: dict[str, Any], now: datetime) -> int:
    """Create or replace the routes of a YAML/JSON document ``{"routes": [{code, name, …}]}``."""
    entries = document.get("routes") or []
    for entry in entries:
        body = dict(entry)
        code = body.pop("code")
        save_route(session, code, RouteWrite.model_validate(body), now)
    return len(entries)


def report_stop(session: Session, route_code: str, day: date, position: int, event: str, principal: Principal,
                now: datetime) -> Run:
    """The driver reports arriving at or leaving a stop (staff of the stop's unit, or of the mobile
    library for its places); the day's run is made on the first report."""
    actor = principal.label
    route = get_route(session, route_code)
    info = next((r for r in timetable(session).routes if r.id == route.id), None)
    if info is None or not info.runs_on(day):
        raise Conflict("RUN_NOT_SCHEDULED", f"route {route_code} does not run on {day}")
    planned = list(session.scalars(select(RouteStop).where(RouteStop.route_id == route.id)
                                   .order_by(RouteStop.position)))
    if not 0 <= position < len(planned):
        raise InvalidInput("ROUTE_INVALID", f"route {route_code} has no stop {position}")
    gate.check(session, principal, "transit.write", unit=planned[position].unit_id or route.mobile_unit_id)
    run = session.scalars(select(Run).where(Run.route_id == route.id, Run.day == day).with_for_update()).one_or_none()
    if run is None:
        run = Run(route_id=route.id, day=day, status="planned", created_at=now)
        session.add(run)
        session.flush()
        session.add_all(RunStop(run_id=run.id, position=stop.position, unit_id=stop.unit_id) for stop in planned)
        session.flush()
    stop = session.get_one(RunStop, (run.id, position))
    if event == "arrived":
        stop.arrived_at = stop.arrived_at or now
    else:
        stop.departed_at = stop.departed_at or now
    last = position == len(planned) - 1
    run.status = "done" if last and event == "arrived" else "on_road"
    session.flush()
    units = network(session).units
    record_event(session, f"run.{event}", f"run:{route.code}:{day.isoformat()}", actor=actor, now=now,
                 unit_code=units[stop.unit_id].code if stop.unit_id else None,
                 after={"position": position, "place": planned[position].place, "status": run.status})
    return run

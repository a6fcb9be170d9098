"""Crates (周转箱): pack copies for their next hop, close, load onto a run, receive and
reconcile. They never commit.

A copy in transit is packed at the unit it is at into a crate going to the next unit of its
path (the next hop; the destination itself when no path is planned). Receiving the crate at a
unit scans its copies in: at their destination the transit is received (a waiting hold becomes
ready through the arrival handlers); at a hub they wait to be packed for the next leg. The
reconciliation names what the manifest had and the crate did not (missing), and what the crate
had and the manifest did not (extra: packed in the wrong crate, or never scanned).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.public import Item, lock_item, move_item
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict
from ils.events import record_event
from ils.network.snapshot import network, unit_by_code
from logistics import repository as repo
from logistics.models import CRATE_TRIP_STATES, Crate, CrateItem, CrateTrip, Route, Transit
from logistics.routes import get_route, timetable
from logistics.transits import Move, abandon, receive


def next_hop(session: Session, transit: Transit, at_unit_id: int) -> int:
    """The unit a copy at ``at_unit_id`` travels to next on its transit's path."""
    units = network(session).by_code
    here = network(session).unit(at_unit_id).code
    for hop in transit.path or ():
        if hop["from"] == here:
            return units[hop["to"]].id
    return transit.to_unit_id


def _open_trip(session: Session, code: str) -> CrateTrip | None:
    return session.scalars(select(CrateTrip).where(CrateTrip.crate_code == code, CrateTrip.status != "received")
                           .with_for_update().execution_options(populate_existing=True)).one_or_none()


def _crate(session: Session, code: str, now: datetime) -> Crate:
    crate = session.get(Crate, code)
    if crate is None:  # crates are labelled boxes: the first scan of a new label registers it
        crate = Crate(code=code, created_at=now)
        session.add(crate)
        session.flush()
    return crate


def _event(session: Session, kind: str, trip: CrateTrip, actor: str, now: datetime, unit_id: int,
           **after: Any) -> None:
    units = network(session).units
    record_event(session, kind, f"crate:{trip.crate_code}", actor=actor, now=now, unit_code=units[unit_id].code,
                 after={"trip_id": trip.id, "status": trip.status, "from": units[trip.from_unit_id].code,
                        "to": units[trip.to_unit_id].code, **after})


def pack(session: Session, code: str, barcode: str, unit_code: str, principal: Principal,
         now: datetime) -> CrateTrip:
    """Scan a copy in transit into a crate at a unit one serves, for its next hop."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "transit.write", unit=unit.id)
    actor = principal.label
    item = lock_item(session, barcode)
    transit = repo.open_transit(session, item.id)
    if transit is None:
        raise Conflict("TRANSIT_NOT_FOUND", f"copy {barcode} is not in transit; check it in first")
    if item.current_unit_id != unit.id:
        raise Conflict("CRATE_WRONG_UNIT", f"copy {barcode} is at {network(session).unit(item.current_unit_id).code}")
    destination = next_hop(session, transit, unit.id)
    _crate(session, code, now)
    trip = _open_trip(session, code)
    if trip is None:
        trip = CrateTrip(crate_code=code, from_unit_id=unit.id, to_unit_id=destination, status="packing",
                         opened_at=now, opened_by=actor)
        session.add(trip)
        session.flush()
    elif trip.status == "closed" and trip.from_unit_id == unit.id:
        CRATE_TRIP_STATES.move(trip, "packing")  # reopened to add a late book
    elif trip.status != "packing" or trip.from_unit_id != unit.id:
        raise Conflict("CRATE_NOT_PACKING", f"crate {code} is {trip.status} at another unit or on its way")
    if trip.to_unit_id != destination:
        units = network(session).units
        crate_to, copy_to = units[trip.to_unit_id].code, units[destination].code
        raise Conflict("CRATE_WRONG_DESTINATION", f"crate {code} goes to {crate_to}; this copy goes to {copy_to}",
                       extra={"crate_to": crate_to, "copy_to": copy_to})
    placed = session.scalars(select(CrateItem).where(CrateItem.item_id == item.id, CrateItem.in_crate.is_(True))
                             ).one_or_none()
    if placed is not None and placed.trip_id != trip.id:
        other = session.get(CrateTrip, placed.trip_id)
        raise Conflict("CRATE_ITEM_ELSEWHERE", f"copy {barcode} is already packed in crate "
                       f"{other.crate_code if other else '?'}")
    if placed is None:
        session.add(CrateItem(trip_id=trip.id, item_id=item.id, transit_id=transit.id, state="packed", packed_at=now,
                              in_crate=True))
        session.flush()
        _event(session, "crate.packed", trip, actor, now, unit.id, barcode=barcode)
    return trip


def close(session: Session, code: str, principal: Principal, now: datetime) -> CrateTrip:
    """Close a crate packed at a unit one serves."""
    trip = _open_trip(session, code)
    if trip is None or trip.status != "packing":
        raise Conflict("CRATE_NOT_PACKING", f"crate {code} has nothing being packed")
    gate.check(session, principal, "transit.write", **{"from": trip.from_unit_id})
    actor = principal.label
    CRATE_TRIP_STATES.move(trip, "closed")
    trip.closed_at = now
    session.flush()
    _event(session, "crate.closed", trip, actor, now, trip.from_unit_id, manifest=manifest(session, trip))
    return trip


def load(session: Session, code: str, route_code: str, day: date, principal: Principal, now: datetime) -> CrateTrip:
    """The driver puts the closed crate on the day's run of a route that calls at its unit
    and then at its destination (recorded by staff of the unit it leaves)."""
    trip = _open_trip(session, code)
    if trip is None or trip.status != "closed":
        raise Conflict("CRATE_NOT_CLOSED", f"crate {code} must be closed before it is loaded")
    gate.check(session, principal, "transit.write", **{"from": trip.from_unit_id})
    actor = principal.label
    route = get_route(session, route_code)
    info = next((r for r in timetable(session).routes if r.id == route.id), None)
    stops = info.stops if info else ()
    if info is None or not info.runs_on(day):
        raise Conflict("RUN_NOT_SCHEDULED", f"route {route_code} does not run on {day}")
    if trip.from_unit_id not in stops or trip.to_unit_id not in stops[stops.index(trip.from_unit_id) + 1:]:
        raise Conflict("RUN_WRONG_ROUTE", f"route {route_code} does not carry crate {code} to its destination")
    CRATE_TRIP_STATES.move(trip, "on_run")
    trip.route_id, trip.run_day, trip.loaded_at = route.id, day, now
    session.flush()
    _event(session, "crate.loaded", trip, actor, now, trip.from_unit_id, route=route_code, day=day.isoformat())
    return trip


def manifest(session: Session, trip: CrateTrip) -> list[str]:
    return list(session.scalars(select(Item.barcode).join(CrateItem, CrateItem.item_id == Item.id)
                                .where(CrateItem.trip_id == trip.id, CrateItem.state != "extra")
                                .order_by(Item.barcode)))


@dataclass
class Reconciliation:
    trip: CrateTrip
    received: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    moves: dict[str, Move] = field(default_factory=dict)


def receive_crate(session: Session, code: str, unit_code: str, scanned: list[str] | None, principal: Principal,
                  now: datetime, damaged: list[str] | None = None) -> Reconciliation:
    """Open the crate at ``unit_code`` (a unit one serves). ``scanned`` lists the barcodes found in
    it; when it is not given, the manifest is taken as found. ``damaged`` copies (found, but unfit
    to lend) end their journey here as damaged."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "transit.receive", unit=unit.id)
    actor = principal.label
    trip = _open_trip(session, code)
    if trip is None or trip.status not in ("closed", "on_run"):
        raise Conflict("CRATE_NOT_CLOSED", f"crate {code} is not on its way")
    if trip.to_unit_id != unit.id:
        destination = network(session).unit(trip.to_unit_id).code
        raise Conflict("CRATE_WRONG_UNIT", f"crate {code} goes to {destination}", extra={"crate_to": destination})
    expected = manifest(session, trip)
    found = list(dict.fromkeys(scanned)) if scanned is not None else expected
    result = Reconciliation(trip)
    rows = {row.item_id: row for row in session.scalars(select(CrateItem).where(CrateItem.trip_id == trip.id))}
    for barcode in found:
        item = lock_item(session, barcode)
        row = rows.get(item.id)
        if row is None:
            # Packed in the wrong crate (its own crate will report it missing), or never scanned in.
            stray = session.scalars(select(CrateItem).where(CrateItem.item_id == item.id,
                                                            CrateItem.in_crate.is_(True))).one_or_none()
            if stray is not None:
                stray.in_crate, stray.state = False, "missing"
            session.add(CrateItem(trip_id=trip.id, item_id=item.id, state="extra", packed_at=now, in_crate=False))
            result.extra.append(barcode)
        else:
            row.state, row.in_crate = "received", False
            result.received.append(barcode)
        session.flush()
        if barcode in (damaged or ()):
            if item.status == "in_transit":
                abandon(session, item, "damaged", unit.id, actor, now)
            else:
                move_item(session, item, now, status="damaged", current_unit_id=unit.id)
            result.damaged.append(barcode)
        elif repo.open_transit(session, item.id) is not None:
            result.moves[barcode] = receive(session, item, unit.id, actor, now)
        else:
            move_item(session, item, now, current_unit_id=unit.id)
    barcodes = dict(session.execute(select(Item.id, Item.barcode).where(Item.id.in_(list(rows)))).all()) if rows else {}
    for item_id, row in rows.items():
        if row.state == "packed":  # on the manifest, not in the crate
            row.state, row.in_crate = "missing", False
            result.missing.append(barcodes[item_id])
    CRATE_TRIP_STATES.move(trip, "received")
    trip.received_at, trip.received_unit_id = now, unit.id
    session.flush()
    _event(session, "crate.received", trip, actor, now, unit.id, received=result.received, missing=result.missing,
           extra=result.extra, damaged=result.damaged)
    return result


def location(session: Session, item: Item) -> dict[str, Any]:
    """Where a copy is: at a unit, in a crate at a unit, or in a crate on a run."""
    units = network(session).units
    row = session.scalars(select(CrateItem).where(CrateItem.item_id == item.id, CrateItem.in_crate.is_(True))
                          ).one_or_none()
    trip = session.get(CrateTrip, row.trip_id) if row is not None else None
    if trip is None:
        return {"barcode": item.barcode, "at": units[item.current_unit_id].code, "crate": None, "run": None}
    if trip.status == "on_run" and trip.route_id is not None:
        route = session.get_one(Route, trip.route_id)
        return {"barcode": item.barcode, "at": None, "crate": trip.crate_code,
                "run": {"route": route.code, "day": trip.run_day.isoformat() if trip.run_day else None}}
    return {"barcode": item.barcode, "at": units[trip.from_unit_id].code, "crate": trip.crate_code, "run": None}

"""Tables of logistics: transits, return policies, float groups, routes and runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime
from ils.states import StateMachine

TRANSIT_STATUSES = ("open", "received", "cancelled")
TRANSIT_STATES = StateMachine("transit", {"open": frozenset({"received", "cancelled"}),
                                          "received": frozenset(), "cancelled": frozenset()})
# Why a copy travels. "hold": to the pickup unit of a trapped hold; "home": back to its owning
# unit; "transfer": a staff-made move (display, rotation); "distribution": new stock (统一配送).
TRANSIT_REASONS = ("hold", "home", "float", "transfer", "distribution")
RETURN_POLICIES = ("home", "float", "adaptive")
ANY = "*"


class Transit(Base):
    """One journey of a copy from a unit to another. Open until the copy is scanned in at the
    destination (received) or is lent or sent elsewhere on the way (cancelled)."""

    __tablename__ = "transit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    reason: Mapped[str] = mapped_column(String(20))
    # What the journey serves, opaque to logistics (e.g. "hold:42"); the upper layer reads it.
    reference: Mapped[str | None] = mapped_column(String(50), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    # The day the timetable promises it at the destination, and the hops it takes there:
    # [{"route", "day", "from", "to"}] (unit codes). Null when no route connects the units.
    promised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    path: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'received', 'cancelled')", name="status"),
        CheckConstraint("reason IN ('hold', 'home', 'float', 'transfer', 'distribution')", name="reason"),
        CheckConstraint("from_unit_id <> to_unit_id", name="moves"),
        # At most one open transit per copy, whatever the code above does under load.
        Index("uq_transit_open_item", "item_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_transit_item", "item_id", "id"),
        Index("ix_transit_to_status", "to_unit_id", "status"),
        Index("ix_transit_from_status", "from_unit_id", "status"),
    )


class ReturnPolicy(Base):
    """Where a returned copy with no hold to fill goes, per system (总馆 code) and item type:
    ``home`` (back to its owning unit, the default), ``float`` (stays where it was returned,
    within the owning system, or within ``float_group`` when one is named, unless that unit is
    over its float limit), or ``adaptive`` (stays where readers borrow the title more than at
    home, weighed against the trip it saves; see ``logistics.placement``)."""

    __tablename__ = "return_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_code: Mapped[str] = mapped_column(String(32), default=ANY)
    item_type: Mapped[str] = mapped_column(String(20), default=ANY)
    policy: Mapped[str] = mapped_column(String(20))
    float_group: Mapped[str | None] = mapped_column(ForeignKey("float_group.code"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("system_code", "item_type"),
        CheckConstraint("policy IN ('home', 'float', 'adaptive')", name="policy"),
    )


@dataclass(frozen=True)
class PolicyInfo:
    """A return policy as plain values, safe to share between requests."""

    id: int
    system_code: str
    item_type: str
    policy: str
    float_group: str | None


class FloatGroup(Base):
    """Units among which a floating copy may stay where it is returned (e.g. the 总馆 and the
    town branches on one van route)."""

    __tablename__ = "float_group"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class FloatLimit(Base):
    """The most copies of an item type a unit keeps before floating copies returned there are
    sent on to their homes (a small point's shelves fill up)."""

    __tablename__ = "float_limit"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    item_type: Mapped[str] = mapped_column(String(20), primary_key=True)  # or * for every type
    max_copies: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("max_copies >= 0", name="max_copies"),)


class FloatGroupUnit(Base):
    __tablename__ = "float_group_unit"

    group_code: Mapped[str] = mapped_column(ForeignKey("float_group.code", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)


RUN_STATUSES = ("planned", "on_road", "done", "cancelled")


class Route(Base):
    """A van's round: an ordered list of stops, run on some weekdays (e.g. 总馆 → 汤丹镇 → 因民镇 →
    总馆 on Tuesdays and Fridays). Days it runs besides, or does not run, are ``RouteDay`` rows."""

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    vehicle: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A mobile library's day is a route too: the unit is the vehicle, its stops are places
    # (a market, a village committee) between leaving its base and coming back.
    mobile_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    weekdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RouteStop(Base):
    __tablename__ = "route_stop"

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True, nullable=True)
    place: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a mobile library's stop
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # planned arrival, HH:MM

    __table_args__ = (CheckConstraint("(unit_id IS NULL) <> (place IS NULL)", name="unit_or_place"),)


class RouteDay(Base):
    """An exception to the weekly pattern: the route runs (an extra run) or does not (holiday)."""

    __tablename__ = "route_day"

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    runs: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Run(Base):
    """One day's instance of a route, made when the driver first reports a stop."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("route_id", "day"),
        CheckConstraint("status IN ('planned', 'on_road', 'done', 'cancelled')", name="status"),
    )


class RunStop(Base):
    __tablename__ = "run_stop"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)  # null at a place
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


CRATE_TRIP_STATUSES = ("packing", "closed", "on_run", "received")
CRATE_TRIP_STATES = StateMachine("crate", {
    "packing": frozenset({"closed"}),
    "closed": frozenset({"packing", "on_run", "received"}),  # reopened to add a book; handed over by hand
    "on_run": frozenset({"received"}),
    "received": frozenset(),
})


class Crate(Base):
    """A reusable box (周转箱) with a code printed on it."""

    __tablename__ = "crate"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrateTrip(Base):
    """One journey of a crate: packed at a unit for its next hop, closed, loaded onto a run,
    received. A crate makes one trip at a time (enforced by the database)."""

    __tablename__ = "crate_trip"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crate_code: Mapped[str] = mapped_column(ForeignKey("crate.code"))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(20))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id"), nullable=True)
    run_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    loaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('packing', 'closed', 'on_run', 'received')", name="status"),
        Index("uq_crate_trip_open", "crate_code", unique=True,
              sqlite_where=text("status <> 'received'"), postgresql_where=text("status <> 'received'")),
        Index("ix_crate_trip_to_status", "to_unit_id", "status"),
    )


class CrateItem(Base):
    """A copy in a crate's trip (the manifest), and what became of it on receipt."""

    __tablename__ = "crate_item"

    trip_id: Mapped[int] = mapped_column(ForeignKey("crate_trip.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    transit_id: Mapped[int | None] = mapped_column(ForeignKey("transit.id"), nullable=True)
    # packed → received | missing; extra: not on the manifest, found in the crate on receipt.
    state: Mapped[str] = mapped_column(String(20))
    packed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    in_crate: Mapped[bool] = mapped_column(Boolean, default=True)  # until the crate is received

    __table_args__ = (
        CheckConstraint("state IN ('packed', 'received', 'missing', 'extra')", name="state"),
        # A copy is in one crate at a time.
        Index("uq_crate_item_in_crate", "item_id", unique=True,
              sqlite_where=text("in_crate"), postgresql_where=text("in_crate")),
    )


class DistributionPlan(Base):
    """New stock bought centrally (统一采购), allocated to units before it is sent (统一配送), or
    a rotation of a collection between branches."""

    __tablename__ = "distribution_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))  # distribution | transfer (rotation)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("method IN ('population', 'quota', 'demand')", name="method"),
        CheckConstraint("status IN ('draft', 'executed')", name="status"),
        CheckConstraint("reason IN ('distribution', 'transfer')", name="reason"),
    )


class DistributionLine(Base):
    __tablename__ = "distribution_line"

    plan_id: Mapped[int] = mapped_column(ForeignKey("distribution_plan.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    transit_id: Mapped[int | None] = mapped_column(ForeignKey("transit.id"), nullable=True)

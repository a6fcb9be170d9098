"""Tables of logistics: transits, return policies, float groups, routes and runs."""

from __future__ import annotations

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
RETURN_POLICIES = ("home", "float")
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
    ``home`` (back to its owning unit, the default) or ``float`` (stays where it was returned,
    within the owning system, or within ``float_group`` when one is named)."""

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
        CheckConstraint("policy IN ('home', 'float')", name="policy"),
    )


class FloatGroup(Base):
    """Units among which a floating copy may stay where it is returned (e.g. the 总馆 and the
    town branches on one van route)."""

    __tablename__ = "float_group"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


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
    weekdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RouteStop(Base):
    __tablename__ = "route_stop"

    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # planned arrival, HH:MM


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
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

"""Use cases of activities: the types, and record, change, delete and list the activities held.
They take the principal and the time, check the gate for every unit they touch, and never commit.

An activity concerns two units, the one where it was held and the one that organised it (the
总馆 holding a lecture at a village point: 下基层), and it counts for both, so whoever records,
changes or deletes it must serve both.

Deleting is for entries made by mistake (twice, at the wrong unit), and is allowed for
``DELETE_DAYS`` after the entry: by then managers have read the month's figures and may have
reported them, so an activity that did take place is corrected, not made to vanish. Every
change appends an event with the values before and after.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from activities import repository as repo
from activities.models import Activity, ActivityType
from activities.schemas import ActivityCreate, ActivityRead, ActivityTypeRead, ActivityTypeWrite, ActivityUpdate
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import Conflict, Forbidden, InvalidInput, NotFound
from ils.events import local_day, record_event
from ils.network.snapshot import UnitInfo, network, unit_by_code

DELETE_DAYS = 30
TYPE_CODE = r"^[a-z][a-z0-9_]{0,31}$"


# ---- types --------------------------------------------------------------------------------------

def list_types(session: Session) -> list[ActivityTypeRead]:
    return [type_read(t) for t in repo.types(session)]


def type_read(activity_type: ActivityType) -> ActivityTypeRead:
    return ActivityTypeRead(code=activity_type.code, name_zh=activity_type.name_zh, name_en=activity_type.name_en,
                            position=activity_type.position, active=activity_type.active)


def save_type(session: Session, code: str, data: ActivityTypeWrite, principal: Principal) -> ActivityType:
    """Add a type or change its names, place in the list and whether it is still offered. Types
    are never deleted: the activities of a type keep it."""
    gate.check(session, principal, "policy.write")
    if not re.match(TYPE_CODE, code):
        raise InvalidInput("ACTIVITY_TYPE_INVALID", f"{code!r} is not lower-case letters, digits and _")
    found = repo.get_type(session, code)
    if found is None:
        found = ActivityType(code=code)
        session.add(found)
    found.name_zh, found.name_en, found.position, found.active = data.name_zh, data.name_en, data.position, data.active
    session.flush()
    return found


def _type(session: Session, code: str, *, current: str | None = None) -> ActivityType:
    found = repo.get_type(session, code)
    # A type no longer offered may stay on the activities that have it, not be given to new ones.
    if found is None or (not found.active and code != current):
        offered = ", ".join(t.code for t in repo.types(session) if t.active) or "none"
        raise InvalidInput("ACTIVITY_TYPE_UNKNOWN", f"no activity type {code!r} is offered (offered: {offered})")
    return found


# ---- activities ---------------------------------------------------------------------------------

def _check_units(session: Session, principal: Principal, operation: str, *units: int) -> None:
    for unit_id in dict.fromkeys(units):
        gate.check(session, principal, operation, unit=unit_id)


def _held_on(day: date, now: datetime) -> date:
    if day > local_day(now):
        raise InvalidInput("ACTIVITY_DATE_INVALID", f"{day} is in the future: record an activity once it was held")
    return day


def _audit(session: Session, activity: Activity) -> dict[str, Any]:
    """An activity's values as the event log keeps them (units by code, days as text)."""
    units = network(session).units
    return {"type": activity.type_code, "title": activity.title, "unit": units[activity.unit_id].code,
            "organiser": units[activity.organiser_unit_id].code, "held_on": activity.held_on.isoformat(),
            "attendance": activity.attendance, "audience": activity.audience, "note": activity.note}


def get(session: Session, activity_id: int, principal: Principal, *, lock: bool = False) -> Activity:
    """One activity, for those who serve the unit where it was held or the one that organised it."""
    activity = repo.get(session, activity_id, lock=lock)
    if activity is None:
        raise NotFound("ACTIVITY_NOT_FOUND", f"no activity {activity_id}")
    try:
        gate.check(session, principal, "stats.read", unit=activity.unit_id)
    except Forbidden:
        gate.check(session, principal, "stats.read", unit=activity.organiser_unit_id)
    return activity


def create(session: Session, data: ActivityCreate, principal: Principal, now: datetime) -> Activity:
    held = unit_by_code(session, data.unit)
    organiser = unit_by_code(session, data.organiser) if data.organiser else held
    _check_units(session, principal, "stats.enter", held.id, organiser.id)
    activity = Activity(type_code=_type(session, data.type).code, title=data.title.strip(), unit_id=held.id,
                        organiser_unit_id=organiser.id, held_on=_held_on(data.held_on, now),
                        attendance=data.attendance, audience=data.audience, note=(data.note or "").strip() or None,
                        created_at=now, created_by=principal.label, updated_at=now, updated_by=principal.label)
    session.add(activity)
    session.flush()
    record_event(session, "activity.created", f"activity:{activity.id}", actor=principal.label, now=now,
                 unit_code=held.code, after=_audit(session, activity))
    return activity


def update(session: Session, activity_id: int, data: ActivityUpdate, principal: Principal,
           now: datetime) -> Activity:
    """Change what was recorded wrong: any field, at any time. The units it is moved to must be
    served too."""
    activity = get(session, activity_id, principal, lock=True)
    _check_units(session, principal, "stats.enter", activity.unit_id, activity.organiser_unit_id)
    before = _audit(session, activity)
    changes = data.changes()
    if "type" in changes:
        activity.type_code = _type(session, changes["type"], current=activity.type_code).code
    if "title" in changes:
        activity.title = changes["title"].strip()
    if "unit" in changes:
        activity.unit_id = unit_by_code(session, changes["unit"]).id
    if "organiser" in changes:
        activity.organiser_unit_id = unit_by_code(session, changes["organiser"]).id
    _check_units(session, principal, "stats.enter", activity.unit_id, activity.organiser_unit_id)
    if "held_on" in changes:
        activity.held_on = _held_on(changes["held_on"], now)
    for name in ("attendance", "audience"):
        if name in changes:
            setattr(activity, name, changes[name])
    if "note" in changes:
        activity.note = (changes["note"] or "").strip() or None
    after = _audit(session, activity)
    if after != before:
        activity.updated_at, activity.updated_by = now, principal.label
        session.flush()
        record_event(session, "activity.changed", f"activity:{activity.id}", actor=principal.label, now=now,
                     unit_code=after["unit"], before=before, after=after)
    return activity


def deletable_until(activity: Activity) -> datetime:
    return activity.created_at + timedelta(days=DELETE_DAYS)


def delete(session: Session, activity_id: int, principal: Principal, now: datetime) -> dict[str, Any]:
    """Remove an activity entered by mistake, within DELETE_DAYS of its entry; the event log
    keeps what it was."""
    activity = get(session, activity_id, principal, lock=True)
    _check_units(session, principal, "stats.enter", activity.unit_id, activity.organiser_unit_id)
    if now > deletable_until(activity):
        raise Conflict("ACTIVITY_DELETE_TOO_LATE",
                       f"activity {activity_id} was entered more than {DELETE_DAYS} days ago; correct it instead",
                       extra={"deletable_until": deletable_until(activity).isoformat()})
    before = _audit(session, activity)
    session.delete(activity)
    session.flush()
    record_event(session, "activity.deleted", f"activity:{activity_id}", actor=principal.label, now=now,
                 unit_code=before["unit"], before=before)
    return before


def period(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    if start is not None and end is not None and end < start:
        raise InvalidInput("ACTIVITY_PERIOD_INVALID", f"the period ends ({end}) before it starts ({start})")
    return start, end


def units_asked(session: Session, principal: Principal, codes: Collection[str]) -> list[UnitInfo] | None:
    """The units a list is narrowed to, each checked for reading; none named: every unit, for
    those who serve every unit."""
    if not codes:
        gate.whole_network(session, principal, "stats.read")
        return None
    units = [unit_by_code(session, code) for code in dict.fromkeys(codes)]
    _check_units(session, principal, "stats.read", *(u.id for u in units))
    return units


def find(session: Session, principal: Principal, codes: Collection[str], start: date | None, end: date | None, *,
         type_code: str | None = None, limit: int = 200, offset: int = 0) -> tuple[list[Activity], int, int]:
    """The activities held at or organised by the units named (none: every unit), from ``start``
    to ``end`` inclusive, newest first; with how many match and their attendance."""
    gate.permit(principal, "stats.read")
    start, end = period(start, end)
    units = units_asked(session, principal, codes)
    rows, total, attendance = repo.find(session, [u.id for u in units] if units is not None else None, start, end,
                                        type_code=type_code, limit=limit, offset=offset)
    return list(rows), total, attendance


def read(session: Session, activity: Activity) -> ActivityRead:
    units = network(session).units
    activity_type = repo.get_type(session, activity.type_code)
    return ActivityRead(
        id=activity.id, type=activity.type_code,
        type_name=activity_type.name_zh if activity_type else activity.type_code,
        title=activity.title, unit=units[activity.unit_id].code, organiser=units[activity.organiser_unit_id].code,
        held_on=activity.held_on, attendance=activity.attendance, audience=activity.audience,  # type: ignore[arg-type]
        note=activity.note, created_at=activity.created_at, created_by=activity.created_by,
        updated_at=activity.updated_at, updated_by=activity.updated_by, deletable_until=deletable_until(activity))

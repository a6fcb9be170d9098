"""Use cases of the network: create, update and load units. They never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ils.errors import Conflict, InvalidInput, NotFound
from ils.network import repository as repo
from ils.network import snapshot
from ils.network.calendar import hours_per_week, normalise_hours
from ils.network.models import Unit
from ils.network.schemas import MobileStop, UnitCreate, UnitRead, UnitUpdate

# Which level may sit under which (None = top of the tree). A 中心馆 is shared by several
# systems; each 总馆 heads one system.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    "center": {None},
    "main": {None, "center"},
    "branch": {"main"},
    "service_point": {"branch", "main"},
    "study_room": {"main", "branch"},
    "mobile": {"main", "branch"},
}


def get_unit(session: Session, code: str) -> Unit:
    unit = repo.get_by_code(session, code)
    if unit is None:
        raise NotFound("UNIT_NOT_FOUND", f"no unit with code {code!r}")
    return unit


def _resolve_parent(session: Session, level: str, parent_code: str | None) -> Unit | None:
    parent = get_unit(session, parent_code) if parent_code else None
    parent_level = parent.level if parent else None
    if parent_level not in ALLOWED_PARENTS[level]:
        allowed = ", ".join(sorted(str(p) for p in ALLOWED_PARENTS[level] if p)) or "none"
        raise InvalidInput(
            "UNIT_PARENT_INVALID",
            f"a {level} cannot sit under {parent_level or 'nothing'} (allowed parents: {allowed})",
        )
    return parent


def _system_of(unit_level: str, unit_id: int | None, parent: Unit | None) -> int | None:
    if unit_level == "main":
        return unit_id
    if unit_level == "center":
        return None
    return parent.system_id if parent else None


def _check_stops(level: str, stops: Sequence[MobileStop]) -> list[dict[str, Any]]:
    if stops and level != "mobile":
        raise InvalidInput("UNIT_STOPS_INVALID", "only a mobile library has stops")
    from ils.network.calendar import parse_range

    for stop in stops:
        parse_range(stop.hours)
    return [s.model_dump() for s in stops]


def create_unit(session: Session, data: UnitCreate, now: datetime) -> Unit:
    if repo.get_by_code(session, data.code):
        raise Conflict("UNIT_CODE_TAKEN", f"unit code {data.code!r} is taken")
    parent = _resolve_parent(session, data.level, data.parent)
    unit = Unit(
        code=data.code,
        name=data.name,
        level=data.level,
        parent_id=parent.id if parent else None,
        population=data.population,
        address=data.address,
        phone=data.phone,
        hours=normalise_hours(data.hours),
        stops=_check_stops(data.level, data.stops),
        created_at=now,
        updated_at=now,
    )
    session.add(unit)
    session.flush()
    unit.system_id = _system_of(unit.level, unit.id, parent)
    repo.replace_closed_dates(session, unit.id, data.closed_dates)
    session.flush()
    snapshot.invalidate()
    return unit


def update_unit(session: Session, code: str, data: UnitUpdate, now: datetime) -> Unit:
    unit = get_unit(session, code)
    changes = data.changes()
    if "parent" in changes:
        if changes["parent"] == unit.code:
            raise InvalidInput("UNIT_PARENT_INVALID", "a unit cannot be its own parent")
        parent = _resolve_parent(session, unit.level, changes["parent"])
        if parent and parent.id in repo.descendants(session, unit.id):
            raise InvalidInput("UNIT_PARENT_INVALID", "the new parent lies below this unit")
        unit.parent_id = parent.id if parent else None
        new_system = _system_of(unit.level, unit.id, parent)
        if new_system != unit.system_id:
            for uid in repo.descendants(session, unit.id):
                below = repo.get_by_id(session, uid)
                if below is not None and below.level not in ("main", "center"):
                    below.system_id = new_system
            unit.system_id = new_system
    for field in ("name", "population", "address", "phone"):
        if field in changes:
            setattr(unit, field, changes[field])
    if changes.get("hours") is not None:
        unit.hours = normalise_hours(changes["hours"])
    if data.stops is not None:
        unit.stops = _check_stops(unit.level, data.stops)
    if data.closed_dates is not None:
        repo.replace_closed_dates(session, unit.id, data.closed_dates)
    unit.updated_at = now
    session.flush()
    snapshot.invalidate()
    return unit


def to_read(units: Sequence[Unit], codes: dict[int, str], closed: dict[int, list[date]]) -> list[UnitRead]:
    return [
        UnitRead(
            code=u.code,
            name=u.name,
            level=u.level,  # type: ignore[arg-type]
            parent=codes.get(u.parent_id) if u.parent_id else None,
            system=codes.get(u.system_id) if u.system_id else None,
            population=u.population,
            address=u.address,
            phone=u.phone,
            hours=u.hours,
            hours_per_week=hours_per_week(u.hours),
            closed_dates=closed.get(u.id, []),
            stops=[MobileStop(**s) for s in u.stops or []],
        )
        for u in units
    ]


def read_units(session: Session, units: Sequence[Unit]) -> list[UnitRead]:
    return to_read(units, repo.code_map(session), repo.closed_dates(session, [u.id for u in units]))


def _parent_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order YAML entries so every parent comes before its children."""
    pending = list(entries)
    known: set[str] = set()
    ordered: list[dict[str, Any]] = []
    codes = {e.get("code") for e in pending}
    while pending:
        progressed = False
        for entry in list(pending):
            parent = entry.get("parent")
            if parent is None or parent in known or parent not in codes:
                ordered.append(entry)
                known.add(entry["code"])
                pending.remove(entry)
                progressed = True
        if not progressed:
            raise InvalidInput("UNIT_PARENT_INVALID", "the units' parents form a cycle")
    return ordered


def load_network(session: Session, document: dict[str, Any], now: datetime) -> tuple[int, int]:
    """Create or update every unit of a network document (YAML); returns (created, updated).

    Loading the same file twice changes nothing the second time, so it is safe to re-run.
    """
    entries = document.get("units")
    if not isinstance(entries, list):
        raise InvalidInput("NETWORK_FILE_INVALID", "the file needs a top-level 'units' list")
    created = updated = 0
    for raw in _parent_first(entries):
        entry = dict(raw)
        entry["closed_dates"] = [
            d if isinstance(d, date) else date.fromisoformat(str(d)) for d in entry.get("closed_dates") or []
        ]
        entry["hours"] = {k: v or [] for k, v in (entry.get("hours") or {}).items()}
        entry["stops"] = entry.get("stops") or []
        if repo.get_by_code(session, entry["code"]) is None:
            create_unit(session, UnitCreate.model_validate(entry), now)
            created += 1
        else:
            entry.pop("code")
            entry.pop("level", None)
            update_unit(session, raw["code"], UnitUpdate.model_validate(entry), now)
            updated += 1
    return created, updated

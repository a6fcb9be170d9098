"""The annual table's fields that the system cannot compute, per unit and year (see ``fields.py``):
read, and entered with who and when; every change appends an ``annual_field.set`` event with the
value before, so the history of a figure can be shown at an evaluation."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.db import lock_keys
from ils.errors import InvalidInput
from ils.events import local_day, record_event
from ils.network.snapshot import UnitInfo, unit_by_code
from ils.validation import INT8_MAX
from reports.entries import repository as repo
from reports.entries.fields import FIELDS, Field, from_stored, to_stored
from reports.entries.models import UnitAnnualField

FIRST_YEAR = 1949

Value = int | Decimal


@dataclass(frozen=True)
class Entered:
    value: Value  # as the API sends it: an integer (fen for money), or a Decimal
    stored: int  # in the field's smallest unit
    entered_at: datetime
    entered_by: str


def _year(year: int, now: datetime) -> int:
    if not FIRST_YEAR <= year <= local_day(now).year:
        raise InvalidInput("ANNUAL_YEAR_INVALID", f"{year} is not a year from {FIRST_YEAR} to this one")
    return year


def _field(code: str) -> Field:
    found = FIELDS.get(code)
    if found is None:
        raise InvalidInput("ANNUAL_FIELD_UNKNOWN", f"no field {code!r} in the annual table",
                           extra={"field": code})
    return found


def _stored(field: Field, value: Value) -> int:
    """The integer kept for a value, or ANNUAL_FIELD_INVALID saying what the field takes."""
    takes = {"int": "a whole number", "money": "a whole number of fen (元 × 100)",
             "decimal": f"a number with at most {field.scale} decimals"}[field.kind]
    refused = InvalidInput("ANNUAL_FIELD_INVALID", f"{field.code} takes {takes}, 0 or more; {value} was sent",
                           extra={"field": field.code})
    if isinstance(value, bool):
        raise refused
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise refused from None
    # Finite, not negative, and no more than 19 digits before the point (1e999999999 would be a
    # number of a billion digits once made an integer).
    if not number.is_finite() or number < 0 or number.adjusted() > 18:
        raise refused
    whole = Decimal(1).scaleb(-field.scale) if field.kind == "decimal" else Decimal(1)
    if number != number.quantize(whole) or to_stored(field, number) > INT8_MAX:
        raise refused
    return to_stored(field, number)


def _event_value(field: Field, stored: int | None) -> int | str | None:
    if stored is None:
        return None
    value = from_stored(field, stored)
    return str(value) if isinstance(value, Decimal) else value


def entered(session: Session, unit_ids: Collection[int], year: int) -> dict[int, dict[str, Entered]]:
    """unit → field code → the value entered for ``year``, with who and when."""
    found: dict[int, dict[str, Entered]] = {}
    for row in repo.annual_fields(session, list(dict.fromkeys(unit_ids)), year):
        field = FIELDS.get(row.field_code)
        if field is not None:  # a field dropped from the table stays in the database, unread
            found.setdefault(row.unit_id, {})[row.field_code] = Entered(
                from_stored(field, row.value), row.value, row.entered_at, row.entered_by)
    return found


def previous_values(session: Session, unit: UnitInfo, year: int) -> dict[str, int | str | None]:
    """field code → the value it had before its latest change (None: it was blank), from the
    event log; fields never changed are absent."""
    subjects = {f"annual:{unit.code}:{year}:{code}": code for code in FIELDS}
    return {subjects[subject]: (event.before or {}).get("value")
            for subject, event in repo.last_changes(session, list(subjects)).items()}


def read(session: Session, unit_code: str, year: int, principal: Principal,
         now: datetime) -> tuple[UnitInfo, dict[str, Entered]]:
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.read", unit=unit.id)
    _year(year, now)
    return unit, entered(session, [unit.id], year).get(unit.id, {})


def enter(session: Session, unit_code: str, year: int, values: Mapping[str, Value | None], principal: Principal,
          now: datetime) -> tuple[UnitInfo, dict[str, Entered]]:
    """Set the fields sent for a unit and year (None blanks a field); fields not sent stay as they
    are. A value equal to the one kept changes nothing (and keeps who entered it)."""
    unit = unit_by_code(session, unit_code)
    gate.check(session, principal, "stats.enter", unit=unit.id)
    _year(year, now)
    wanted = {code: (_field(code), None if value is None else _stored(_field(code), value))
              for code, value in values.items()}
    lock_keys(session, "annual", [f"{unit.id}:{year}"])  # two forms saved at once: one row per field
    rows = {row.field_code: row for row in repo.annual_fields(session, [unit.id], year, lock=True)}
    after = {code: row.value for code, row in rows.items()} | {code: stored for code, (_, stored) in wanted.items()}
    for part in FIELDS.values():
        # A part (其中) larger than its whole is a typing slip the official table refuses too.
        whole = part.part_of
        if whole is None or (part.code not in wanted and whole not in wanted):
            continue
        if after.get(part.code) is not None and after.get(whole) is not None and after[part.code] > after[whole]:
            raise InvalidInput("ANNUAL_FIELD_PART_EXCEEDS", f"{part.code} ({_event_value(part, after[part.code])}) "
                               f"is part of {whole} ({_event_value(FIELDS[whole], after[whole])}) and cannot "
                               f"exceed it", extra={"field": part.code})
    for code, (field, stored) in wanted.items():
        row = rows.get(code)
        previous = row.value if row is not None else None
        if previous == stored:
            continue
        before = None if row is None else {"value": _event_value(field, previous), "entered_by": row.entered_by,
                                           "entered_at": row.entered_at.isoformat()}
        if stored is None:
            assert row is not None
            repo.delete_annual(session, row)
        elif row is None:
            session.add(UnitAnnualField(unit_id=unit.id, year=year, field_code=code, value=stored, entered_at=now,
                                        entered_by=principal.label))
        else:
            row.value, row.entered_at, row.entered_by = stored, now, principal.label
        record_event(session, "annual_field.set", f"annual:{unit.code}:{year}:{code}", actor=principal.label,
                     now=now, unit_code=unit.code, before=before,
                     after={"field": code, "year": year, "value": _event_value(field, stored)})
    session.flush()
    return unit, entered(session, [unit.id], year).get(unit.id, {})


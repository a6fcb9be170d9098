"""What reports (and the pages) may use of activities. Nothing else of ``activities`` is imported
from outside it, apart from the app, the CLI and the pages (import-linter checks this)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from activities import repository as repo
from activities.models import AUDIENCES, Activity, ActivityType


@dataclass(frozen=True)
class Tally:
    activities: int = 0
    attendance: int = 0  # 参加人次


@dataclass(frozen=True)
class ActivityCounts:
    """Reader activities (读者活动次数 / 参加人次) from ``start`` to ``end`` inclusive.

    - ``held``: per unit where activities were held, and ``held_by_type`` per unit and type code
      (the annual table asks for lectures, exhibitions and training apart);
    - ``organised``: per unit that organised them, wherever they were held;
    - ``outreach``: per 总馆, the activities it organised at the other units of its system
      (branches, service points, study rooms, the mobile library): 下基层活动场次.

    Units with none are absent. Sums over units are the figures of a roll-up (an activity is held
    at one unit and organised by one)."""

    held: dict[int, Tally] = field(default_factory=dict)
    held_by_type: dict[int, dict[str, Tally]] = field(default_factory=dict)
    organised: dict[int, Tally] = field(default_factory=dict)
    outreach: dict[int, Tally] = field(default_factory=dict)


def _add(into: dict[int, Tally], unit_id: int, activities: int, attendance: int) -> None:
    now = into.get(unit_id, Tally())
    into[unit_id] = Tally(now.activities + activities, now.attendance + attendance)


def activity_counts(session: Session, unit_ids: Collection[int], start: date, end: date) -> ActivityCounts:
    """Activities and attendance of ``unit_ids`` held from ``start`` to ``end`` (both days
    included), by the unit where they were held and by the one that organised them, and the
    下基层 count of each 总馆 among them (see ``ActivityCounts``)."""
    ids = list(dict.fromkeys(unit_ids))
    counts = ActivityCounts()
    if not ids:
        return counts
    for row in repo.held_counts(session, ids, start, end):
        _add(counts.held, row.unit_id, row.activities, row.attendance)
        counts.held_by_type.setdefault(row.unit_id, {})[row.type_code] = Tally(row.activities, row.attendance)
    for row in repo.organised_counts(session, ids, start, end):
        _add(counts.organised, row.unit_id, row.activities, row.attendance)
    for unit_id, activities, attendance in repo.outreach_counts(session, ids, start, end):
        counts.outreach[unit_id] = Tally(activities, attendance)
    return counts


def activity_types(session: Session) -> list[ActivityType]:
    """Every activity type in list order (their names label the report's rows)."""
    return list(repo.types(session))


__all__ = ["AUDIENCES", "Activity", "ActivityCounts", "ActivityType", "Tally", "activity_counts", "activity_types"]

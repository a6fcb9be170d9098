"""Routes of activities: the types and the activities held."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from activities import service
from activities.schemas import (
    ActivityCreate,
    ActivityList,
    ActivityRead,
    ActivityTypeRead,
    ActivityTypeWrite,
    ActivityUpdate,
)
from ils.auth.principal import Principal
from ils.http import Now, ReadSession, WriteSession, allows
from ils.validation import Count, Id, Offset

router = APIRouter(prefix="/api/v1", tags=["activities"])
StatsReader = Annotated[Principal, allows("stats.read")]
StatsEntry = Annotated[Principal, allows("stats.enter")]
TypesAdmin = Annotated[Principal, allows("policy.write")]


@router.get("/activity-types", response_model=list[ActivityTypeRead])
def list_types(session: ReadSession, _: StatsReader) -> list[ActivityTypeRead]:
    """The activity types in list order (讲座, 展览, 培训, 阅读推广, 送书下乡, 其他 …): data, not code."""
    return service.list_types(session)


@router.put("/activity-types/{code}", response_model=ActivityTypeRead)
def save_type(code: str, body: ActivityTypeWrite, session: WriteSession, principal: TypesAdmin) -> ActivityTypeRead:
    """Add an activity type or change it (admins, who keep the network's lists). A type is never
    deleted; `active: false` stops offering it for new activities."""
    return service.type_read(service.save_type(session, code, body, principal))


@router.get("/activities", response_model=ActivityList)
def list_activities(
    session: ReadSession, principal: StatsReader,
    unit: Annotated[list[str], Query(  # noqa: B006 (FastAPI copies defaults)
        description="Units (repeat for several) where activities were held or that organised them; none: every unit "
                    "(accounts serving every unit)")] = [],
    from_: Annotated[date | None, Query(alias="from", description="First day (included)")] = None,
    to: Annotated[date | None, Query(description="Last day (included)")] = None,
    type: Annotated[str | None, Query(description="Only activities of this type")] = None,
    limit: Annotated[Count, Query(le=1000)] = 200,
    offset: Offset = 0,
) -> ActivityList:
    """Activities held at or organised by the units named, in a period, newest first, with how many
    match and their attendance. Librarians see those of their own units."""
    rows, total, attendance = service.find(session, principal, unit, from_, to, type_code=type, limit=limit,
                                           offset=offset)
    return ActivityList(activities=[service.read(session, a) for a in rows], total=total, attendance=attendance)


@router.post("/activities", response_model=ActivityRead, status_code=201)
def create_activity(body: ActivityCreate, session: WriteSession, now: Now, principal: StatsEntry) -> ActivityRead:
    """Record an activity that was held: its type, title, the unit where it was held and the one
    that organised it (both must be units one serves), the day (not in the future), attendance
    and audience."""
    return service.read(session, service.create(session, body, principal, now))


@router.get("/activities/{activity_id}", response_model=ActivityRead)
def get_activity(activity_id: Id, session: ReadSession, principal: StatsReader) -> ActivityRead:
    """One activity, with who entered and last changed it and when."""
    return service.read(session, service.get(session, activity_id, principal))


@router.patch("/activities/{activity_id}", response_model=ActivityRead)
def update_activity(activity_id: Id, body: ActivityUpdate, session: WriteSession, now: Now,
                    principal: StatsEntry) -> ActivityRead:
    """Correct an activity; only the fields sent change. The event log keeps the values before."""
    return service.read(session, service.update(session, activity_id, body, principal, now))


@router.delete("/activities/{activity_id}", status_code=204)
def delete_activity(activity_id: Id, session: WriteSession, now: Now, principal: StatsEntry) -> None:
    """Delete an activity entered by mistake, within 30 days of its entry (later: 409
    ACTIVITY_DELETE_TOO_LATE; correct it instead). The event log keeps what it was."""
    service.delete(session, activity_id, principal, now)

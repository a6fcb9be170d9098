"""The van timetable: which routes run on which days, the path a copy takes between two units,
and the day it is promised to arrive.

Pure functions over plain values, so paths and promises are computed the same way by the
transit use cases, hold targeting and the year simulation, and tested without a database.

A copy handed to a desk today is packed at closing and leaves on a later run: the earliest
departure is the next day. On one run it may ride from any stop to any later stop the same day;
changing vans at a hub (the 总馆 re-sorts crates) takes until the next day. The promised day is
the day the last van reaches the destination, moved on to the destination's next open day,
because nobody can scan the copy in before then.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ils.network.calendar import next_open_day

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 28  # a copy with no run to take it within four weeks has no promise
TRANSFER_DAYS = 1  # unpacking and re-sorting at a hub


@dataclass(frozen=True)
class RouteInfo:
    id: int
    code: str
    stops: tuple[int, ...]  # unit ids in the order the van visits them
    weekdays: frozenset[str]
    extra_days: frozenset[date] = frozenset()  # runs although the weekday says not
    skip_days: frozenset[date] = frozenset()  # does not run (holiday, van in the garage)

    def runs_on(self, day: date) -> bool:
        if day in self.skip_days:
            return False
        return day in self.extra_days or WEEKDAYS[day.weekday()] in self.weekdays


@dataclass(frozen=True)
class Hop:
    route_id: int
    route_code: str
    day: date
    from_unit_id: int
    to_unit_id: int


@dataclass(frozen=True)
class Path:
    hops: tuple[Hop, ...]
    arrives_on: date  # the day the last van reaches the destination
    promised_on: date  # the first day the destination is open on or after that

    @property
    def days(self) -> int:
        return (self.promised_on - self.hops[0].day).days + 1 if self.hops else 0


@dataclass
class Timetable:
    routes: list[RouteInfo]
    # unit id → (weekly hours, closed days), to move a promise onto an open day
    calendars: Mapping[int, tuple[Mapping[str, list[str]], frozenset[date]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Paths asked for today are asked again (every return between the same two units, and
        # hold targeting compares several copies): each is searched once per timetable.
        self._paths: dict[tuple[int, int, date], Path | None] = {}
        self._at: dict[int, list[tuple[RouteInfo, int]]] = {}
        for route in self.routes:
            for position, unit_id in enumerate(route.stops):
                self._at.setdefault(unit_id, []).append((route, position))

    def serves(self, unit_id: int) -> bool:
        return unit_id in self._at

    def _next_run(self, route: RouteInfo, not_before: date, limit: date) -> date | None:
        day = not_before
        while day <= limit:
            if route.runs_on(day):
                return day
            day += timedelta(days=1)
        return None

    def _open_on_or_after(self, unit_id: int, day: date) -> date:
        hours, closed = self.calendars.get(unit_id, ({}, frozenset()))
        if not hours:
            return day
        return next_open_day(hours, closed, day) or day

    def path(self, from_unit_id: int, to_unit_id: int, sent_on: date) -> Path | None:
        """The earliest-arriving path, leaving no earlier than the day after ``sent_on``."""
        key = (from_unit_id, to_unit_id, sent_on)
        if key not in self._paths:
            if len(self._paths) > 100_000:
                self._paths.clear()
            self._paths[key] = self._search(from_unit_id, to_unit_id, sent_on)
        return self._paths[key]

    def _search(self, from_unit_id: int, to_unit_id: int, sent_on: date) -> Path | None:
        if from_unit_id == to_unit_id:
            return Path((), sent_on, sent_on)
        limit = sent_on + timedelta(days=HORIZON_DAYS)
        # Earliest-arrival search over (day the copy may leave, unit): days only grow along a path.
        best: dict[int, date] = {from_unit_id: sent_on}
        came: dict[int, tuple[int, Hop]] = {}
        queue: list[tuple[date, int]] = [(sent_on + timedelta(days=1), from_unit_id)]
        done: set[int] = set()
        while queue:
            ready, unit = heapq.heappop(queue)
            if unit in done:
                continue
            done.add(unit)
            if unit == to_unit_id:
                break
            for route, position in self._at.get(unit, ()):
                day = self._next_run(route, ready, limit)
                if day is None:
                    continue
                for later in route.stops[position + 1:]:
                    if later == unit or (later in best and best[later] <= day):
                        continue
                    best[later] = day
                    came[later] = (unit, Hop(route.id, route.code, day, unit, later))
                    heapq.heappush(queue, (day + timedelta(days=TRANSFER_DAYS), later))
        if to_unit_id not in came:
            return None
        hops: list[Hop] = []
        unit = to_unit_id
        while unit != from_unit_id:
            unit, hop = came[unit]
            hops.append(hop)
        hops.reverse()
        arrives = hops[-1].day
        return Path(tuple(hops), arrives, self._open_on_or_after(to_unit_id, arrives))


def build(routes: Iterable[RouteInfo],
          calendars: Mapping[int, tuple[Mapping[str, list[str]], frozenset[date]]]) -> Timetable:
    return Timetable(list(routes), calendars)

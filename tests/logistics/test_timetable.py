"""Paths and promised days over a van timetable (no database: the timetable is plain values)."""

from __future__ import annotations

from datetime import date

from logistics.timetable import RouteInfo, Timetable

HUB, TD, YM, WL, TD1 = 1, 2, 3, 4, 5
OPEN = {d: ["09:00-17:00"] for d in ("tue", "wed", "thu", "fri", "sat", "sun")}  # closed on Mondays
MON = date(2026, 11, 23)

NORTH = RouteInfo(1, "北线", (HUB, TD, YM, HUB), frozenset({"tue", "fri"}))
SOUTH = RouteInfo(2, "南线", (HUB, WL, HUB), frozenset({"wed", "sat"}))
VILLAGE = RouteInfo(3, "汤丹村线", (TD, TD1, TD), frozenset({"thu"}))


def _timetable(*routes: RouteInfo, closed: dict[int, frozenset[date]] | None = None) -> Timetable:
    closed = closed or {}
    return Timetable(list(routes), {u: (OPEN, closed.get(u, frozenset())) for u in (HUB, TD, YM, WL, TD1)})


def test_a_direct_route_carries_the_copy_on_its_next_run_after_packing_day():
    path = _timetable(NORTH).path(TD, YM, MON)
    assert path is not None
    assert [(h.route_code, h.day, h.from_unit_id, h.to_unit_id) for h in path.hops] == [
        ("北线", date(2026, 11, 24), TD, YM)]
    assert path.promised_on == date(2026, 11, 24)


def test_between_routes_the_copy_changes_vans_at_the_hub_a_day_later():
    path = _timetable(NORTH, SOUTH).path(YM, WL, MON)
    assert path is not None
    # Tuesday's northern van brings it to the hub, where it is re-sorted overnight for
    # Wednesday's southern van.
    assert [(h.route_code, h.day) for h in path.hops] == [("北线", date(2026, 11, 24)), ("南线", date(2026, 11, 25))]
    assert path.promised_on == date(2026, 11, 25)


def test_a_village_point_is_reached_through_its_branch():
    path = _timetable(NORTH, SOUTH, VILLAGE).path(WL, TD1, MON)
    assert path is not None
    assert [(h.route_code, h.from_unit_id, h.to_unit_id) for h in path.hops] == [
        ("南线", WL, HUB), ("北线", HUB, TD), ("汤丹村线", TD, TD1)]
    assert path.promised_on == date(2026, 12, 3)  # Wed → hub, Fri → 汤丹, Thu 3 Dec → the village


def test_a_route_that_does_not_run_this_week_pushes_the_promise_to_the_next_run():
    skipping = RouteInfo(1, "北线", NORTH.stops, NORTH.weekdays,
                         skip_days=frozenset({date(2026, 11, 24), date(2026, 11, 27)}))
    path = _timetable(skipping).path(TD, YM, MON)
    assert path is not None and path.hops[0].day == date(2026, 12, 1)


def test_the_promise_moves_to_the_next_day_the_destination_is_open():
    # The van drops the crate on Tuesday 24th, but 因民 is closed for stocktaking that day.
    path = _timetable(NORTH, closed={YM: frozenset({date(2026, 11, 24)})}).path(TD, YM, MON)
    assert path is not None
    assert path.arrives_on == date(2026, 11, 24) and path.promised_on == date(2026, 11, 25)


def test_an_extra_run_day_and_no_path_without_routes():
    extra = RouteInfo(1, "北线", NORTH.stops, frozenset(), extra_days=frozenset({date(2026, 11, 26)}))
    path = _timetable(extra).path(TD, YM, MON)
    assert path is not None and path.hops[0].day == date(2026, 11, 26)
    assert _timetable(SOUTH).path(TD, YM, MON) is None
    assert _timetable().path(TD, TD, MON).hops == ()

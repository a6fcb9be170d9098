"""The demo network (ils/demo/network.yaml): structure and the county opening-hours standard."""

from __future__ import annotations

import datetime
import re

import pytest

from ils.demo.marc_builder import LEVELS, load_network

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_HOURS = {"main": 57, "branch": 48, "service_point": 40}
TOWNSHIPS = ("铜都街道", "碧谷街道", "乌龙镇", "阿旺镇", "因民镇", "汤丹镇", "拖布卡镇", "红土地镇", "舍块乡")
RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def minutes(span: str) -> int:
    match = RANGE.match(span)
    assert match, f"bad time range {span!r}"
    h1, m1, h2, m2 = map(int, match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    assert end > start, f"range ends before it starts: {span}"
    return end - start


def hours_per_week(hours: dict | None) -> float:
    hours = hours or {}
    assert set(hours) <= set(WEEKDAYS), f"unknown weekday keys {set(hours) - set(WEEKDAYS)}"
    total = 0
    for day in WEEKDAYS:
        spans = sorted(hours.get(day) or [])
        for earlier, later in zip(spans, spans[1:]):
            assert earlier.split("-")[1] <= later.split("-")[0], f"overlapping ranges on {day}: {spans}"
        total += sum(minutes(s) for s in spans)
    return total / 60


@pytest.fixture(scope="module")
def units() -> list[dict]:
    return load_network()["units"]


@pytest.fixture(scope="module")
def by_code(units) -> dict[str, dict]:
    return {u["code"]: u for u in units}


def test_codes_unique_and_well_formed(units):
    codes = [u["code"] for u in units]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)*", code), code


def test_levels_valid(units):
    for unit in units:
        assert unit["level"] in LEVELS, unit


def test_every_parent_exists(units, by_code):
    for unit in units:
        if unit["level"] == "center":
            assert unit["parent"] is None
        else:
            assert unit["parent"] in by_code, unit["code"]


def test_parent_levels(units, by_code):
    expected = {
        "main": {"center"},
        "branch": {"main"},
        "service_point": {"branch"},
        "study_room": {"main"},
        "mobile": {"main"},
    }
    for unit in units:
        if unit["level"] != "center":
            assert by_code[unit["parent"]]["level"] in expected[unit["level"]], unit["code"]


def test_required_fields(units):
    for unit in units:
        assert unit["name"] and unit["address"], unit["code"]
        assert isinstance(unit["population"], int) and unit["population"] > 0
        for day in unit.get("closed_dates") or []:
            datetime.date.fromisoformat(day)


def test_opening_hours_meet_county_standard(units):
    for unit in units:
        weekly = hours_per_week(unit.get("hours"))
        minimum = MIN_HOURS.get(unit["level"])
        if minimum is not None:
            assert weekly >= minimum, f"{unit['code']} {unit['name']}: {weekly} h/week < {minimum}"


def test_dongchuan_layout(units, by_code):
    assert by_code["KMLIB"]["level"] == "center"
    assert by_code["DC"]["level"] == "main" and by_code["DC"]["parent"] == "KMLIB"
    branches = [u for u in units if u["level"] == "branch" and u["parent"] == "DC"]
    for township in TOWNSHIPS:
        assert any(township in b["name"] for b in branches), township
    points = [u for u in units if u["level"] == "service_point"]
    assert 18 <= len(points) <= 24
    for branch in branches:
        assert 2 <= sum(p["parent"] == branch["code"] for p in points) <= 3, branch["code"]
    assert by_code["DC-SF"]["level"] == "study_room"
    assert hours_per_week(by_code["DC-SF"]["hours"]) >= 90
    # a second county system shares the 中心馆
    assert by_code["XD"]["level"] == "main" and by_code["XD"]["parent"] == "KMLIB"
    assert sum(u["parent"] == "XD" and u["level"] == "branch" for u in units) == 2


def test_mobile_stops(by_code):
    mobile = by_code["DC-MOB"]
    assert mobile["level"] == "mobile"
    stops = mobile["stops"]
    assert 6 <= len(stops) <= 8
    for stop in stops:
        assert stop["name"] and stop["address"]
        assert stop["weekday"] in WEEKDAYS
        minutes(stop["hours"])
        # the van runs on the days its stops are served
        assert mobile["hours"].get(stop["weekday"]), stop


def test_holidays_closed_everywhere(units):
    required = {"2027-10-01", "2027-10-02", "2027-10-03", "2027-02-06"}  # 2027-02-06 is 春节 (正月初一)
    for unit in units:
        assert required <= set(unit.get("closed_dates") or []), unit["code"]
    # some units close on Mondays through their weekly hours
    assert any(not (u.get("hours") or {}).get("mon") for u in units)

from __future__ import annotations

from datetime import date

import pytest

from ils.errors import InvalidInput
from ils.network.calendar import hours_per_week, next_open_day, normalise_hours
from tests.support.factories import make_network, staff

UNIT = {
    "code": "DC-TD-09", "name": "铜都街道新村社区服务点", "level": "service_point", "parent": "DC-TD",
    "population": 3200, "address": "东川区铜都街道新村社区", "closed_dates": ["2027-02-06"],
    "hours": {"tue": ["09:00-12:00", "14:30-18:00"], "sat": ["09:00-17:00"]},
}


def test_units_list_is_public_and_shows_system_and_hours(client, db):
    make_network(db)
    response = client.get("/api/v1/units")
    assert response.status_code == 200
    by_code = {u["code"]: u for u in response.json()}
    assert by_code["DC-TD"]["system"] == "DC"
    assert by_code["DC-TD-01"]["system"] == "DC"
    assert by_code["XD"]["system"] == "XD"
    assert by_code["CITY"]["system"] is None
    assert by_code["DC-TD"]["hours_per_week"] == 42.0


def test_two_systems_share_one_center(client, db):
    make_network(db)
    mains = client.get("/api/v1/units", params={"level": "main"}).json()
    assert {u["code"] for u in mains} == {"DC", "XD"}
    assert {u["parent"] for u in mains} == {"CITY"}
    dc_units = client.get("/api/v1/units", params={"system": "DC"}).json()
    assert {u["code"] for u in dc_units} == {"DC", "DC-TD", "DC-WL", "DC-TD-01"}


def test_admin_creates_unit_with_hours_and_closed_dates(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.post("/api/v1/units", json=UNIT, headers=headers)
    assert response.status_code == 201, response.text
    body = client.get("/api/v1/units/DC-TD-09").json()
    assert body["parent"] == "DC-TD" and body["system"] == "DC"
    assert body["hours"]["tue"] == ["09:00-12:00", "14:30-18:00"]
    assert body["hours"]["mon"] == []
    assert body["closed_dates"] == ["2027-02-06"]
    assert body["hours_per_week"] == 14.5


def test_unit_code_taken_is_409(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.post("/api/v1/units", json={**UNIT, "code": "DC-TD"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"] == "UNIT_CODE_TAKEN"


def test_branch_cannot_hang_under_a_service_point(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.post(
        "/api/v1/units", json={**UNIT, "code": "DC-X", "level": "branch", "parent": "DC-TD-01"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["error"] == "UNIT_PARENT_INVALID"


def test_bad_hours_rejected_and_unit_unchanged(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.patch("/api/v1/units/DC-TD", json={"hours": {"mon": ["18:00-09:00"]}}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "UNIT_HOURS_INVALID"
    assert client.get("/api/v1/units/DC-TD").json()["hours_per_week"] == 42.0


def test_patch_changes_only_sent_fields(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.patch("/api/v1/units/DC-TD", json={"population": 61000}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["population"] == 61000 and body["name"] == "铜都街道分馆" and body["hours_per_week"] == 42.0


def test_moving_a_branch_to_another_system_moves_its_points(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    assert client.patch("/api/v1/units/DC-TD", json={"parent": "XD"}, headers=headers).status_code == 200
    assert client.get("/api/v1/units/DC-TD-01").json()["system"] == "XD"


def test_unit_cannot_move_below_itself(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.patch("/api/v1/units/DC", json={"parent": "DC-TD"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "UNIT_PARENT_INVALID"


def test_unknown_unit_is_404(client, db):
    response = client.get("/api/v1/units/NOPE")
    assert response.status_code == 404
    assert response.json()["error"] == "UNIT_NOT_FOUND"


@pytest.mark.parametrize("role", ["cataloguer", "librarian", "manager"])
def test_only_admins_change_units(client, db, role):
    make_network(db)
    headers = staff(client, db, role, ("DC-TD",) if role == "librarian" else ())
    assert client.post("/api/v1/units", json=UNIT, headers=headers).status_code == 403
    assert client.patch("/api/v1/units/DC-TD", json={"population": 1}, headers=headers).status_code == 403


def test_loading_a_network_twice_changes_nothing(db):
    from ils.clock import get_clock
    from ils.network import repository
    from ils.network.service import load_network

    document = {"units": [
        {"code": "P1", "name": "点", "level": "service_point", "parent": "B1", "hours": {"mon": ["09:00-17:00"]}},
        {"code": "M", "name": "总馆", "level": "main", "parent": None},
        {"code": "B1", "name": "分馆", "level": "branch", "parent": "M", "closed_dates": ["2027-01-28"]},
    ]}
    with db.session() as s:
        assert load_network(s, document, get_clock().now()) == (3, 0)
    with db.session() as s:
        assert load_network(s, document, get_clock().now()) == (0, 3)
        units = repository.list_units(s)
        assert len(units) == 3
        assert repository.closed_dates(s, [u.id for u in units if u.code == "B1"]) == {
            next(u.id for u in units if u.code == "B1"): [date(2027, 1, 28)]
        }


def test_hours_arithmetic():
    hours = normalise_hours({"mon": ["14:00-18:00", "08:30-12:00"], "sun": []})
    assert hours["mon"] == ["08:30-12:00", "14:00-18:00"]
    assert hours_per_week(hours) == 7.5
    with pytest.raises(InvalidInput):
        normalise_hours({"mon": ["09:00-12:00", "11:00-13:00"]})
    with pytest.raises(InvalidInput):
        normalise_hours({"someday": ["09:00-12:00"]})
    # Mondays open; 2027-01-25 is a Monday, closed as a holiday: the next open day is a week on.
    assert next_open_day(hours, {date(2027, 1, 25)}, date(2027, 1, 25)) == date(2027, 2, 1)


def test_due_date_never_falls_on_a_closed_day():
    from ils.network.calendar import due_date

    # Open Tuesday to Sunday; 2027-02-05..08 closed for the Spring Festival.
    hours = normalise_hours({d: ["09:00-17:00"] for d in ("tue", "wed", "thu", "fri", "sat", "sun")})
    closed = {date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)}
    assert due_date(hours, closed, date(2027, 1, 6), 30) == date(2027, 2, 9)   # 2-5 closed → next open day
    assert due_date(hours, set(), date(2026, 11, 2), 28) == date(2026, 12, 1)  # a Monday → Tuesday
    assert due_date(hours, set(), date(2026, 11, 3), 30) == date(2026, 12, 3)  # already open


def test_hold_shelf_counts_only_open_days():
    from ils.network.calendar import after_open_days

    twice_a_week = normalise_hours({"tue": ["14:00-18:00"], "sat": ["09:00-12:00"]})
    # Trapped on Monday 2026-11-23: seven open days are 3½ weeks at a point open twice a week.
    assert after_open_days(twice_a_week, set(), date(2026, 11, 23), 7) == date(2026, 12, 15)
    every_day = normalise_hours({d: ["09:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    assert after_open_days(every_day, {date(2026, 11, 25)}, date(2026, 11, 23), 7) == date(2026, 12, 1)
    with pytest.raises(InvalidInput):
        after_open_days(normalise_hours({}), set(), date(2026, 11, 23), 1)

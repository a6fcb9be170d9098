"""Reader activities: recorded with who and when, listed by unit and period, counted for reports by
the unit where they were held and the one that organised them, and the 总馆's activities at its
branches and points (下基层) apart; librarians record only for their own units."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.support.factories import make_network, staff

pytestmark = pytest.mark.usefixtures("activity_types")


def _activity(unit: str = "DC-TD", organiser: str | None = None, held_on: str = "2026-11-20", attendance: int = 30,
              type: str = "lecture", **kw: object) -> dict[str, object]:
    body = {"type": type, "title": kw.pop("title", f"{unit}的讲座"), "unit": unit, "held_on": held_on,
            "attendance": attendance, "audience": kw.pop("audience", "adults"), **kw}
    if organiser:
        body["organiser"] = organiser
    return body


def _unit_ids(db) -> dict[str, int]:
    from ils.network.models import Unit

    with db.session() as s:
        return dict(s.execute(select(Unit.code, Unit.id)).all())


def test_the_migration_seeds_the_six_activity_types_in_order(client, db):
    make_network(db)
    types = client.get("/api/v1/activity-types", headers=staff(client, db, "manager")).json()
    assert [(t["code"], t["name_zh"]) for t in types] == [
        ("lecture", "讲座"), ("exhibition", "展览"), ("training", "培训"), ("reading_promotion", "阅读推广"),
        ("books_to_villages", "送书下乡"), ("other", "其他")]


def test_an_activity_is_recorded_with_who_and_when_and_listed_by_unit_and_period(client, db):
    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    made = client.post("/api/v1/activities", headers=lib, json=_activity("DC-TD-01", "DC-TD", audience="children",
                                                                         attendance=25, note="绘本共读"))
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["unit"], body["organiser"], body["attendance"], body["audience"], body["type_name"]) == (
        "DC-TD-01", "DC-TD", 25, "children", "讲座")
    assert body["created_by"] == "staff:librarian-dc-td" and body["created_at"] == "2026-11-23T09:00:00Z"
    for day, attendance in (("2026-10-02", 10), ("2026-11-01", 50)):
        assert client.post("/api/v1/activities", headers=lib, json=_activity(held_on=day, attendance=attendance)
                           ).status_code == 201
    november = client.get("/api/v1/activities", headers=lib,
                          params={"unit": "DC-TD", "from": "2026-11-01", "to": "2026-11-30"}).json()
    # DC-TD organised the one at its village point: it concerns DC-TD too.
    assert [a["held_on"] for a in november["activities"]] == ["2026-11-20", "2026-11-01"]
    assert (november["total"], november["attendance"]) == (2, 75)
    point = client.get("/api/v1/activities", headers=lib, params={"unit": "DC-TD-01"}).json()
    assert point["total"] == 1 and point["activities"][0]["note"] == "绘本共读"
    backwards = client.get("/api/v1/activities", headers=lib, params={"unit": "DC-TD", "from": "2026-11-30",
                                                                      "to": "2026-11-01"})
    assert backwards.status_code == 422 and backwards.json()["error"] == "ACTIVITY_PERIOD_INVALID"


def test_counts_for_reports_by_held_and_organising_unit_and_the_main_librarys_outreach(client, db):
    from activities.public import Tally, activity_counts

    make_network(db)
    manager = staff(client, db, "manager")
    made = [
        _activity("DC", "DC", attendance=100),  # at the 总馆 itself: not 下基层
        _activity("DC-TD", "DC", attendance=40, type="books_to_villages"),  # at a branch: 下基层
        _activity("DC-TD-01", "DC", attendance=15, type="reading_promotion"),  # at a village point: 下基层
        _activity("DC-TD-01", "DC-TD", attendance=12),  # the branch at its point: the branch's, not the 总馆's
        _activity("XD", "DC", attendance=20),  # in another system: not the 总馆's own branches
        _activity("DC-WL", "DC", attendance=30, held_on="2025-12-31"),  # the year before
    ]
    for body in made:
        assert client.post("/api/v1/activities", headers=manager, json=body).status_code == 201
    ids = _unit_ids(db)
    with db.session() as s:
        counts = activity_counts(s, ids.values(), date(2026, 1, 1), date(2026, 12, 31))
    by_code = {code: uid for code, uid in ids.items()}
    assert counts.held == {by_code["DC"]: Tally(1, 100), by_code["DC-TD"]: Tally(1, 40),
                           by_code["DC-TD-01"]: Tally(2, 27), by_code["XD"]: Tally(1, 20)}
    assert counts.held_by_type[by_code["DC-TD-01"]] == {"reading_promotion": Tally(1, 15), "lecture": Tally(1, 12)}
    assert counts.organised == {by_code["DC"]: Tally(4, 175), by_code["DC-TD"]: Tally(1, 12)}
    assert counts.outreach == {by_code["DC"]: Tally(2, 55)}
    with db.session() as s:
        only_points = activity_counts(s, [by_code["DC-TD-01"]], date(2026, 1, 1), date(2026, 12, 31))
        last_year = activity_counts(s, [by_code["DC"]], date(2025, 1, 1), date(2025, 12, 31))
    assert only_points.held == {by_code["DC-TD-01"]: Tally(2, 27)} and only_points.outreach == {}
    assert last_year.organised == {by_code["DC"]: Tally(1, 30)} and last_year.outreach == {by_code["DC"]: Tally(1, 30)}


def test_a_librarian_records_only_for_units_they_serve_held_and_organising(client, db):
    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    elsewhere = client.post("/api/v1/activities", headers=lib, json=_activity("DC-WL"))
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "UNIT_OUT_OF_SCOPE"
    # Crediting the 总馆 with an activity is for the 总馆's staff (it counts in its 下基层 figure).
    for_the_main = client.post("/api/v1/activities", headers=lib, json=_activity("DC-TD", "DC"))
    assert for_the_main.status_code == 403 and for_the_main.json()["units"] == ["DC"]
    assert client.get("/api/v1/activities", headers=lib, params={"unit": "DC-WL"}).status_code == 403
    whole = client.get("/api/v1/activities", headers=lib)
    assert whole.status_code == 403 and whole.json()["error"] == "SCOPE_UNIT_REQUIRED"
    cataloguer = client.post("/api/v1/activities", headers=staff(client, db, "cataloguer"), json=_activity())
    assert cataloguer.status_code == 403 and cataloguer.json()["error"] == "PERMISSION_DENIED"
    manager = staff(client, db, "manager")
    assert client.get("/api/v1/activities", headers=manager).json()["total"] == 0
    own = client.post("/api/v1/activities", headers=lib, json=_activity("DC-TD-01"))
    assert own.status_code == 201
    moved = client.patch(f"/api/v1/activities/{own.json()['id']}", headers=lib, json={"unit": "DC-WL"})
    assert moved.status_code == 403
    assert client.get(f"/api/v1/activities/{own.json()['id']}", headers=manager).json()["unit"] == "DC-TD-01"


def test_a_correction_keeps_the_values_before_in_the_event_log(client, db, clock):
    from ils.events import Event

    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    made = client.post("/api/v1/activities", headers=lib, json=_activity(attendance=30)).json()
    clock.advance(days=40)
    lib = staff(client, db, "librarian", ("DC-TD",), username="lib-td-2")
    changed = client.patch(f"/api/v1/activities/{made['id']}", headers=lib, json={"attendance": 35, "note": "补录"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["attendance"], body["note"], body["updated_by"]) == (35, "补录", "staff:lib-td-2")
    assert (body["created_by"], body["updated_at"]) == ("staff:librarian-dc-td", "2027-01-02T09:00:00Z")
    with db.session() as s:
        events = s.scalars(select(Event).where(Event.subject == f"activity:{made['id']}").order_by(Event.id)).all()
    assert [e.kind for e in events] == ["activity.created", "activity.changed"]
    assert events[1].before["attendance"] == 30 and events[1].after["attendance"] == 35
    assert events[1].actor == "staff:lib-td-2"


def test_an_activity_is_deleted_only_within_30_days_of_its_entry(client, db, clock):
    from ils.events import Event

    make_network(db)
    manager = staff(client, db, "manager")
    first = client.post("/api/v1/activities", headers=manager, json=_activity(title="录重了")).json()
    second = client.post("/api/v1/activities", headers=manager, json=_activity(title="真的办了")).json()
    assert client.delete(f"/api/v1/activities/{first['id']}", headers=manager).status_code == 204
    assert client.get(f"/api/v1/activities/{first['id']}", headers=manager).status_code == 404
    clock.advance(days=31)
    manager = staff(client, db, "manager", username="manager-2")
    late = client.delete(f"/api/v1/activities/{second['id']}", headers=manager)
    assert late.status_code == 409 and late.json()["error"] == "ACTIVITY_DELETE_TOO_LATE"
    assert second["deletable_until"] == "2026-12-23T09:00:00Z"
    assert late.json()["deletable_until"].startswith("2026-12-23T09:00:00")
    assert client.get(f"/api/v1/activities/{second['id']}", headers=manager).status_code == 200
    with db.session() as s:
        gone = s.scalars(select(Event).where(Event.kind == "activity.deleted")).one()
    assert gone.before["title"] == "录重了" and gone.subject == f"activity:{first['id']}"


def test_an_activity_in_the_future_of_an_unknown_or_retired_type_is_refused(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    future = client.post("/api/v1/activities", headers=manager, json=_activity(held_on="2026-11-24"))
    assert future.status_code == 422 and future.json()["error"] == "ACTIVITY_DATE_INVALID"
    unknown = client.post("/api/v1/activities", headers=manager, json=_activity(type="party"))
    assert unknown.status_code == 422 and unknown.json()["error"] == "ACTIVITY_TYPE_UNKNOWN"
    negative = client.post("/api/v1/activities", headers=manager, json=_activity(attendance=-1))
    assert negative.status_code == 422
    bad_audience = client.post("/api/v1/activities", headers=manager, json=_activity(audience="pets"))
    assert bad_audience.status_code == 422
    no_unit = client.post("/api/v1/activities", headers=manager, json=_activity("NOPE"))
    assert no_unit.status_code == 404 and no_unit.json()["error"] == "UNIT_NOT_FOUND"
    admin = staff(client, db, "admin")
    old = client.post("/api/v1/activities", headers=manager, json=_activity(type="other")).json()
    retired = client.put("/api/v1/activity-types/other", headers=admin,
                         json={"name_zh": "其他", "name_en": "other", "position": 90, "active": False})
    assert retired.status_code == 200
    refused = client.post("/api/v1/activities", headers=manager, json=_activity(type="other"))
    assert refused.status_code == 422 and refused.json()["error"] == "ACTIVITY_TYPE_UNKNOWN"
    # The activities that have it keep it, and can still be corrected.
    kept = client.patch(f"/api/v1/activities/{old['id']}", headers=manager, json={"attendance": 31, "type": "other"})
    assert kept.status_code == 200 and kept.json()["type"] == "other"


def test_admins_add_activity_types_and_others_may_not(client, db):
    make_network(db)
    admin = staff(client, db, "admin")
    added = client.put("/api/v1/activity-types/film", headers=admin,
                       json={"name_zh": "影视放映", "name_en": "film screening", "position": 60})
    assert added.status_code == 200 and added.json()["code"] == "film"
    manager = staff(client, db, "manager")
    assert [t["code"] for t in client.get("/api/v1/activity-types", headers=manager).json()][5:] == ["film", "other"]
    assert client.post("/api/v1/activities", headers=manager, json=_activity(type="film")).status_code == 201
    assert client.put("/api/v1/activity-types/film", headers=manager,
                      json={"name_zh": "电影", "name_en": "film"}).status_code == 403
    bad = client.put("/api/v1/activity-types/Film!", headers=admin, json={"name_zh": "x", "name_en": "x"})
    assert bad.status_code == 422 and bad.json()["error"] == "ACTIVITY_TYPE_INVALID"

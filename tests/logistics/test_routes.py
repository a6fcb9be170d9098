"""Routes over HTTP: the timetable plans transits (path and promised day), run sheets list what
each stop hands over, and hold targeting prefers the copy the vans bring soonest."""

from __future__ import annotations

from tests.support.library import library

# The test network: DC (总馆) with branches DC-TD, DC-WL and the point DC-TD-01 under DC-TD.
NORTH = {"name": "北线", "vehicle": "1 号车", "weekdays": ["tue", "fri"],
         "stops": [{"unit": "DC", "time": "08:30"}, {"unit": "DC-TD", "time": "09:30"}, {"unit": "DC", "time": "12:00"}]}
SOUTH = {"name": "南线", "weekdays": ["wed", "sat"], "stops": [{"unit": "DC"}, {"unit": "DC-WL"}, {"unit": "DC"}]}


def _routes(lib) -> None:
    for code, body in (("NORTH", NORTH), ("SOUTH", SOUTH)):
        response = lib.client.put(f"/api/v1/routes/{code}", headers=lib.admin, json=body)
        assert response.status_code == 200, response.text


def test_a_route_is_saved_whole_and_read_back(client, db):
    lib = library(client, db)
    _routes(lib)
    route = client.get("/api/v1/routes/NORTH", headers=lib.desk).json()
    assert [s["unit"] for s in route["stops"]] == ["DC", "DC-TD", "DC"] and route["weekdays"] == ["tue", "fri"]
    changed = client.put("/api/v1/routes/NORTH", headers=lib.admin,
                         json={**NORTH, "days": [{"day": "2026-11-27", "runs": False, "reason": "车辆年检"}]})
    assert changed.json()["days"] == [{"day": "2026-11-27", "runs": False, "reason": "车辆年检"}]
    bad = client.put("/api/v1/routes/X", headers=lib.admin,
                     json={**SOUTH, "stops": [{"unit": "DC"}, {"unit": "DC"}]})
    assert bad.status_code == 422 and bad.json()["error"] == "ROUTE_INVALID"
    assert client.put("/api/v1/routes/X", headers=lib.desk, json=SOUTH).status_code == 403


def test_a_transit_is_planned_over_the_routes_with_a_promised_day(client, db):
    lib = library(client, db)
    _routes(lib)
    lib.title("红楼梦", {"B1": "DC-WL"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-WL")
    back = lib.checkin("B1", "DC-TD").json()  # Monday: home to 乌龙 via the hub
    assert back["destination_unit"] == "DC-WL"
    transit = client.get("/api/v1/transits", headers=lib.desk, params={"from": "DC-TD"}).json()[0]
    # Tuesday's northern van takes it to the 总馆; Wednesday's southern van to 乌龙.
    assert transit["path"] == [{"route": "NORTH", "day": "2026-11-24", "from": "DC-TD", "to": "DC"},
                               {"route": "SOUTH", "day": "2026-11-25", "from": "DC", "to": "DC-WL"}]
    assert transit["promised_on"] == "2026-11-25"
    plan = client.get("/api/v1/paths", headers=lib.desk, params={"from": "DC-TD", "to": "DC-WL"}).json()
    assert plan["promised_on"] == "2026-11-25" and len(plan["hops"]) == 2

    tuesday = client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-24"}).json()
    assert [r["route"] for r in tuesday] == ["NORTH"]
    stops = {(s["position"], s["unit"]): (s["collect"], s["drop"]) for s in tuesday[0]["stops"]}
    assert stops == {(0, "DC"): ([], []), (1, "DC-TD"): (["B1"], []), (2, "DC"): ([], ["B1"])}
    wednesday = client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-25", "route": "SOUTH"}).json()
    assert wednesday[0]["stops"][0]["collect"] == ["B1"] and wednesday[0]["stops"][1]["drop"] == ["B1"]
    assert client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-26", "route": "NOPE"}).status_code == 404


def test_a_route_that_does_not_run_this_week_moves_the_promise(client, db):
    lib = library(client, db)
    client.put("/api/v1/routes/NORTH", headers=lib.admin,
               json={**NORTH, "days": [{"day": "2026-11-24", "runs": False}, {"day": "2026-11-27", "runs": False}]})
    plan = client.get("/api/v1/paths", headers=lib.desk, params={"from": "DC-TD", "to": "DC"}).json()
    assert plan["hops"][0]["day"] == "2026-12-01" and plan["promised_on"] == "2026-12-01"


def test_hold_targeting_prefers_the_copy_the_vans_bring_soonest(client, db):
    lib = library(client, db)
    client.put("/api/v1/routes/NORTH", headers=lib.admin, json={**NORTH, "weekdays": ["fri"]})
    client.put("/api/v1/routes/SOUTH", headers=lib.admin, json=SOUTH)
    # By the tree both copies are equally far ("another branch, via the hub", and the fair
    # tie-break would pick 铜都's); by the timetable 乌龙's reaches the 总馆 on Wednesday and
    # 铜都's only on Friday.
    lib.title("红楼梦", {"W1": "DC-WL", "T1": "DC-TD"})
    lib.reader("DC00000001")
    assert lib.hold("DC00000001", "DC", record="红楼梦").json()["target_barcode"] == "W1"


def test_the_mobile_library_day_is_a_route_of_places_and_its_readers_holds_board_at_the_base(client, db):
    from tests.support.factories import make_unit

    lib = library(client, db)
    make_unit(db, "DC-MOB", "mobile", "DC", name="流动图书车")
    day = {"name": "流动图书车（周四）", "mobile_unit": "DC-MOB", "weekdays": ["thu"],
           "stops": [{"unit": "DC", "time": "07:30"}, {"place": "红土地镇花石头村", "address": "花石头村", "time": "10:00"},
                     {"place": "拖布卡镇格勒村村委会", "time": "14:30"}, {"unit": "DC", "time": "18:00"}]}
    assert client.put("/api/v1/routes/MOB-THU", headers=lib.admin, json=day).status_code == 200
    _routes(lib)
    bad = client.put("/api/v1/routes/X", headers=lib.admin, json={**SOUTH, "stops": [{"unit": "DC"}, {"place": "集市"}]})
    assert bad.status_code == 422 and bad.json()["error"] == "ROUTE_INVALID"  # places only on a mobile route
    # A copy at 乌龙 for a reader of the mobile library: south van to the 总馆 Wednesday, then the
    # mobile library's Thursday day.
    plan = client.get("/api/v1/paths", headers=lib.desk, params={"from": "DC-WL", "to": "DC-MOB"}).json()
    assert [(h["route"], h["day"]) for h in plan["hops"]] == [("SOUTH", "2026-11-25"), ("MOB-THU", "2026-11-26")]
    sheet = client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-26", "route": "MOB-THU"}).json()[0]
    assert [(s["unit"], s["unit_name"]) for s in sheet["stops"]] == [
        ("DC", "东川区图书馆"), (None, "红土地镇花石头村"), (None, "拖布卡镇格勒村村委会"), ("DC", "东川区图书馆")]
    parked = client.post("/api/v1/runs/MOB-THU/2026-11-26/stops/1", headers=lib.desk, json={"event": "arrived"})
    assert parked.status_code == 200 and parked.json()[0]["stops"][1]["arrived_at"]


def test_a_route_that_never_ran_can_be_deleted_one_that_ran_only_switched_off(client, db):
    lib = library(client, db)
    _routes(lib)
    assert client.delete("/api/v1/routes/SOUTH", headers=lib.admin).status_code == 204
    assert client.get("/api/v1/routes/SOUTH", headers=lib.desk).status_code == 404
    client.post("/api/v1/runs/NORTH/2026-11-24/stops/0", headers=lib.desk, json={"event": "departed"})
    kept = client.delete("/api/v1/routes/NORTH", headers=lib.admin)
    assert kept.status_code == 409 and kept.json()["error"] == "ROUTE_IN_USE"
    off = client.put("/api/v1/routes/NORTH", headers=lib.admin, json={**NORTH, "active": False})
    assert off.json()["active"] is False
    assert client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-24"}).json() == []

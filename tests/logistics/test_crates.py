"""Crates: packing for the next hop, closing, loading onto a run, receiving and reconciling; and
a book's whole journey from a village point to a reader's branch through crates and runs."""

from __future__ import annotations

from circulation.audit import check
from tests.support.factories import make_unit
from tests.support.library import library

# 总馆 DC; branches DC-TD and DC-TDZ (汤丹镇) with a village point DC-TD-01 under DC-TD.
ROUTES = {
    "NORTH": {"name": "北线", "weekdays": ["tue", "fri"],
              "stops": [{"unit": "DC"}, {"unit": "DC-TDZ"}, {"unit": "DC"}]},
    "CITY": {"name": "城区线", "weekdays": ["mon", "wed"],
             "stops": [{"unit": "DC"}, {"unit": "DC-TD"}, {"unit": "DC"}]},
    "TD-V": {"name": "铜都村线", "weekdays": ["tue"], "stops": [{"unit": "DC-TD"}, {"unit": "DC-TD-01"}, {"unit": "DC-TD"}]},
}


def _setup(client, db):
    lib = library(client, db)
    make_unit(db, "DC-TDZ", "branch", "DC", name="汤丹镇分馆")
    for code, body in ROUTES.items():
        assert client.put(f"/api/v1/routes/{code}", headers=lib.admin, json=body).status_code == 200
    return lib


def _post(lib, path, body=None):
    response = lib.client.post(path, headers=lib.desk, json=body or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_book_returned_at_a_village_point_reaches_the_reader_at_tangdan_through_crates_and_runs(client, db, clock):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC"})
    lib.reader("DC00000001")
    lib.reader("DC00000002", unit="DC-TDZ")
    lib.checkout("DC00000001", "B1", "DC")
    hold = lib.hold("DC00000002", "DC-TDZ", record="红楼梦").json()

    back = lib.checkin("B1", "DC-TD-01").json()  # Monday 23 Nov, at the village point
    assert back["disposition"] == "transit" and back["destination_unit"] == "DC-TDZ"
    transit = client.get("/api/v1/transits", headers=lib.desk).json()[0]
    assert [(h["from"], h["to"], h["day"]) for h in transit["path"]] == [
        ("DC-TD-01", "DC-TD", "2026-11-24"), ("DC-TD", "DC", "2026-11-25"), ("DC", "DC-TDZ", "2026-11-27")]
    assert transit["promised_on"] == "2026-11-27"

    # The village point packs the book for its next hop, the branch.
    crate = _post(lib, "/api/v1/crates/C-001/pack", {"barcode": "B1", "unit": "DC-TD-01"})
    assert crate["to_unit"] == "DC-TD" and crate["manifest"] == ["B1"]
    where = client.get("/api/v1/locations/B1", headers=lib.desk).json()
    assert where == {"barcode": "B1", "at": "DC-TD-01", "crate": "C-001", "run": None}
    assert _post(lib, "/api/v1/crates/C-001/close")["status"] == "closed"
    assert _post(lib, "/api/v1/crates/C-001/load", {"route": "TD-V", "day": "2026-11-24"})["status"] == "on_run"
    where = client.get("/api/v1/locations/B1", headers=lib.desk).json()
    assert where == {"barcode": "B1", "at": None, "crate": "C-001", "run": {"route": "TD-V", "day": "2026-11-24"}}
    at_branch = _post(lib, "/api/v1/crates/C-001/receive", {"unit": "DC-TD"})
    assert at_branch["received"] == ["B1"] and at_branch["instructions"] == {"B1": "transit:DC-TDZ"}

    _post(lib, "/api/v1/crates/C-002/pack", {"barcode": "B1", "unit": "DC-TD"})
    _post(lib, "/api/v1/crates/C-002/close")
    _post(lib, "/api/v1/crates/C-002/load", {"route": "CITY", "day": "2026-11-25"})
    assert _post(lib, "/api/v1/crates/C-002/receive", {"unit": "DC"})["crate"]["to_unit"] == "DC"

    lib.advance(clock, days=3, hours=17)  # Friday 27 Nov, 10:00 in 东川: the promised day
    _post(lib, "/api/v1/crates/C-003/pack", {"barcode": "B1", "unit": "DC"})
    _post(lib, "/api/v1/crates/C-003/close")
    _post(lib, "/api/v1/crates/C-003/load", {"route": "NORTH", "day": "2026-11-27"})
    arrived = _post(lib, "/api/v1/crates/C-003/receive", {"unit": "DC-TDZ"})
    assert arrived["instructions"] == {"B1": "hold_shelf"}
    ready = client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()
    assert ready["status"] == "ready" and ready["barcode"] == "B1"
    assert client.get("/api/v1/transits", headers=lib.desk).json() == []
    assert client.get("/api/v1/locations/B1", headers=lib.desk).json()["at"] == "DC-TDZ"
    with db.session(write=False) as s:
        assert check(s) == []


def test_receiving_reconciles_missing_extra_and_wrong_crate(client, db):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC", "B2": "DC", "B3": "DC"})
    lib.reader("DC00000001")
    for barcode in ("B1", "B2", "B3"):
        lib.checkout("DC00000001", barcode, "DC")
        lib.checkin(barcode, "DC-TD")  # all go home to the 总馆
    _post(lib, "/api/v1/crates/A/pack", {"barcode": "B1", "unit": "DC-TD"})
    _post(lib, "/api/v1/crates/A/pack", {"barcode": "B2", "unit": "DC-TD"})
    _post(lib, "/api/v1/crates/B/pack", {"barcode": "B3", "unit": "DC-TD"})
    for code in ("A", "B"):
        _post(lib, f"/api/v1/crates/{code}/close")
    # B3 ended up in crate A, B2 fell out on the way.
    report = _post(lib, "/api/v1/crates/A/receive", {"unit": "DC", "barcodes": ["B1", "B3"]})
    assert (report["received"], report["missing"], report["extra"]) == (["B1"], ["B2"], ["B3"])
    assert report["instructions"] == {"B1": "shelve", "B3": "shelve"}
    # B3 was found in crate A already, so its own crate no longer counts it missing.
    assert _post(lib, "/api/v1/crates/B/receive", {"unit": "DC", "barcodes": []})["missing"] == []
    # B2 is still in transit, and known missing from its crate.
    assert [t["barcode"] for t in client.get("/api/v1/transits", headers=lib.desk).json()] == ["B2"]


def test_a_crate_refuses_a_copy_for_another_hop_and_a_run_that_does_not_carry_it(client, db):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC", "T1": "DC-TDZ"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC")
    lib.checkout("DC00000001", "T1", "DC")
    lib.checkin("B1", "DC-TD")  # next hop: DC
    lib.checkin("T1", "DC-TD")  # next hop: DC as well (via the hub)
    _post(lib, "/api/v1/crates/A/pack", {"barcode": "B1", "unit": "DC-TD"})
    wrong_unit = client.post("/api/v1/crates/A/pack", headers=lib.desk, json={"barcode": "B1", "unit": "DC"})
    assert wrong_unit.status_code == 409 and wrong_unit.json()["error"] == "CRATE_WRONG_UNIT"
    _post(lib, "/api/v1/crates/A/close")
    not_running = client.post("/api/v1/crates/A/load", headers=lib.desk, json={"route": "CITY", "day": "2026-11-24"})
    assert not_running.json()["error"] == "RUN_NOT_SCHEDULED"
    wrong_route = client.post("/api/v1/crates/A/load", headers=lib.desk, json={"route": "NORTH", "day": "2026-11-24"})
    assert wrong_route.json()["error"] == "RUN_WRONG_ROUTE"
    elsewhere = client.post("/api/v1/crates/A/receive", headers=lib.desk, json={"unit": "DC-TDZ"})
    assert elsewhere.status_code == 409 and elsewhere.json()["crate_to"] == "DC"


def test_desk_views_of_transits_and_the_network_figures(client, db, clock):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC", "B2": "DC"})
    lib.reader("DC00000001")
    for barcode in ("B1", "B2"):
        lib.checkout("DC00000001", barcode, "DC")
        lib.checkin(barcode, "DC-TD")  # Monday; promised at the 总馆 on Wednesday 25th

    def view(status, unit, **extra):
        params = {"status": status, "unit": unit, **extra}
        return [t["barcode"] for t in client.get("/api/v1/transits", headers=lib.desk, params=params).json()]

    assert view("to_send", "DC-TD") == ["B1", "B2"]
    _post(lib, "/api/v1/crates/A/pack", {"barcode": "B1", "unit": "DC-TD"})
    assert view("to_send", "DC-TD") == ["B2"]  # B1 is packed
    assert view("expected", "DC") == ["B1", "B2"]
    assert view("expected_today", "DC") == []  # promised for Wednesday
    lib.advance(clock, days=2)  # Wednesday
    assert view("expected_today", "DC") == ["B1", "B2"] and view("late", "DC") == []
    lib.advance(clock, days=1)  # Thursday: past the promise
    assert view("late", "DC") == ["B1", "B2"] and view("lost", "DC", lost_after_days=1) == []
    lib.receive("B2", "DC")
    figures = client.get("/api/v1/transits/figures", headers=lib.desk, params={"days": 7}).json()
    assert figures["transits"] == 2 and figures["received"] == 1 and figures["late_now"] == 1
    assert figures["days_on_road_p50"] == 3.0 and figures["hold_on_time_share"] is None
    at_td = client.get("/api/v1/transits/figures", headers=lib.desk, params={"days": 7, "unit": "DC-TD"}).json()
    assert at_td["transits"] == 2
    elsewhere = client.get("/api/v1/transits/figures", headers=lib.desk, params={"days": 7, "unit": "DC-TDZ"}).json()
    assert elsewhere["transits"] == 0 and elsewhere["late_now"] == 0
    lib.advance(clock, days=1)  # Friday: two days past the promise
    assert view("lost", "DC", lost_after_days=1) == ["B1"]


def test_the_run_sheet_lists_crates_and_keeps_the_drivers_stop_times(client, db):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC")
    lib.checkin("B1", "DC-TDZ")  # home to the 总馆 on Tuesday's northern van
    _post(lib, "/api/v1/crates/K1/pack", {"barcode": "B1", "unit": "DC-TDZ"})
    _post(lib, "/api/v1/crates/K1/close")
    sheet = client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-24", "route": "NORTH"}).json()[0]
    assert [(s["unit"], s["crates_collect"], s["crates_drop"]) for s in sheet["stops"]] == [
        ("DC", [], []), ("DC-TDZ", ["K1"], []), ("DC", [], [])]
    _post(lib, "/api/v1/crates/K1/load", {"route": "NORTH", "day": "2026-11-24"})
    sheet = client.get("/api/v1/runs", headers=lib.desk, params={"date": "2026-11-24", "route": "NORTH"}).json()[0]
    assert sheet["stops"][2]["crates_drop"] == ["K1"]
    reported = client.post("/api/v1/runs/NORTH/2026-11-24/stops/1", headers=lib.desk, json={"event": "arrived"})
    assert reported.status_code == 200, reported.text
    assert reported.json()[0]["status"] == "on_road" and reported.json()[0]["stops"][1]["arrived_at"]
    done = client.post("/api/v1/runs/NORTH/2026-11-24/stops/2", headers=lib.desk, json={"event": "arrived"}).json()
    assert done[0]["status"] == "done"
    off_day = client.post("/api/v1/runs/NORTH/2026-11-25/stops/0", headers=lib.desk, json={"event": "arrived"})
    assert off_day.status_code == 409 and off_day.json()["error"] == "RUN_NOT_SCHEDULED"


def test_a_copy_lost_on_the_road_is_marked_missing_and_its_hold_waits_again(client, db):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC", "B2": "DC"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC")
    lib.checkout("DC00000001", "B2", "DC")
    hold = lib.hold("DC00000002", "DC-TDZ", record="红楼梦").json()
    assert lib.checkin("B1", "DC").json()["destination_unit"] == "DC-TDZ"  # trapped, on its way
    gone = client.post("/api/v1/transits/missing", headers=lib.desk, json={"barcode": "B1"})
    assert gone.status_code == 200, gone.text
    assert lib.item("B1")["status"] == "missing"
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "waiting"
    assert lib.checkin("B2", "DC").json()["hold"]["hold_id"] == hold["id"]  # the next copy fills it
    with db.session(write=False) as s:
        assert check(s) == []


def test_a_copy_found_damaged_in_its_crate_stays_damaged_and_its_hold_waits_again(client, db):
    lib = _setup(client, db)
    lib.title("红楼梦", {"B1": "DC", "B2": "DC"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC")
    lib.checkout("DC00000001", "B2", "DC")
    hold = lib.hold("DC00000002", "DC-TDZ", record="红楼梦").json()
    lib.checkin("B1", "DC")  # trapped for the hold, leaving for 汤丹
    _post(lib, "/api/v1/crates/D/pack", {"barcode": "B1", "unit": "DC"})
    _post(lib, "/api/v1/crates/D/close")
    report = _post(lib, "/api/v1/crates/D/receive", {"unit": "DC-TDZ", "barcodes": ["B1"], "damaged": ["B1"]})
    assert report["damaged"] == ["B1"] and report["instructions"] == {}
    item = lib.item("B1")
    assert (item["status"], item["current_unit"]) == ("damaged", "DC-TDZ")
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "waiting"
    with db.session(write=False) as s:
        assert check(s) == []

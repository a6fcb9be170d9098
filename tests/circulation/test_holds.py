"""Holds: placing, trapping at check-in, the hold shelf and its expiry, targeting the nearest
copy, and the transits that carry copies to readers."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from ils.outbox.models import OutboxMessage
from logistics.costs import OTHER_SYSTEM, SAME_AREA, SAME_SYSTEM, SAME_UNIT, CostModel, Place
from tests.support.library import library


def test_a_returned_copy_is_trapped_for_a_hold_collected_here(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002", name="王建国", phone="13800000000")
    lib.checkout("DC00000001", "B1", "DC-TD")
    placed = lib.hold("DC00000002", "DC-TD", record="红楼梦")
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "waiting" and placed.json()["queue_position"] == 1

    back = lib.checkin("B1", "DC-TD").json()
    assert back["disposition"] == "hold_shelf" and back["instruction"] == "预约架：王建国（DC00000002）"
    # Three open days after Monday 23 Nov at a unit closed on Mondays: Tue, Wed, Thu.
    assert back["hold"]["shelf_expires_on"] == "2026-11-26"
    assert lib.item("B1")["status"] == "on_hold_shelf"
    with db.session(write=False) as s:
        ready = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "holds.ready")).one()
    assert ready.payload["card"] == "DC00000002" and ready.payload["phone"] == "13800000000"
    assert ready.payload["pickup_unit"] == "DC-TD" and ready.payload["title"] == "红楼梦"

    # The reader of the hold borrows it; a different reader may not without an override.
    lib.reader("DC00000003")
    other = lib.checkout("DC00000003", "B1", "DC-TD")
    assert [b["code"] for b in other.json()["blocks"]] == ["ITEM_ON_HOLD_FOR_OTHER"]
    loan = lib.checkout("DC00000002", "B1", "DC-TD")
    assert loan.status_code == 201 and loan.json()["hold_id"] == placed.json()["id"]
    assert client.get(f"/api/v1/holds/{placed.json()['id']}", headers=lib.desk).json()["status"] == "fulfilled"


def test_a_copy_returned_elsewhere_travels_to_the_pickup_unit_and_the_hold_becomes_ready_on_arrival(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    hold = lib.hold("DC00000002", "DC-WL", record="红楼梦").json()

    back = lib.checkin("B1", "DC-TD-01").json()
    assert back["disposition"] == "transit" and back["destination_unit"] == "DC-WL"
    assert back["transit"]["reason"] == "hold" and back["hold"]["card"] == "DC00000002"
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "in_transit"
    # Passing through the hub it keeps going.
    hub = lib.receive("B1", "DC").json()
    assert hub["disposition"] == "transit" and hub["destination_unit"] == "DC-WL"
    arrived = lib.receive("B1", "DC-WL").json()
    assert arrived["disposition"] == "hold_shelf" and arrived["hold"]["hold_id"] == hold["id"]
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "ready"
    shelf = client.get("/api/v1/holds", headers=lib.desk, params={"pickup_unit": "DC-WL"}).json()
    assert [h["barcode"] for h in shelf] == ["B1"]


def test_holds_are_served_first_come_first_served(client, db, clock):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    for n in range(1, 5):
        lib.reader(f"DC0000000{n}")
    lib.checkout("DC00000001", "B1", "DC-TD")
    for card in ("DC00000003", "DC00000002", "DC00000004"):
        lib.hold(card, "DC-TD", record="红楼梦")
        clock.advance(minutes=1)
    positions = {h["card"]: h["queue_position"] for card in ("DC00000002", "DC00000003", "DC00000004")
                 for h in client.get(f"/api/v1/patrons/{card}/holds", headers=lib.desk).json()}
    assert positions == {"DC00000003": 1, "DC00000002": 2, "DC00000004": 3}
    assert lib.checkin("B1", "DC-TD").json()["hold"]["card"] == "DC00000003"


def test_local_priority_serves_readers_near_the_copy_first(client, db, clock, monkeypatch):
    from ils.config import get_settings

    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    for n in range(1, 4):
        lib.reader(f"DC0000000{n}")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.hold("DC00000002", "DC-WL", record="红楼梦")
    clock.advance(minutes=1)
    lib.hold("DC00000003", "DC-TD-01", record="红楼梦")  # same branch area as DC-TD
    monkeypatch.setenv("ILS_HOLD_LOCAL_PRIORITY", "true")
    get_settings.cache_clear()
    assert lib.checkin("B1", "DC-TD").json()["hold"]["card"] == "DC00000003"


def test_hold_shelf_expiry_passes_the_copy_to_the_next_reader_or_sends_it_home(client, db, clock):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    for n in range(1, 4):
        lib.reader(f"DC0000000{n}")
    lib.checkout("DC00000001", "B1", "DC-TD")
    first = lib.hold("DC00000002", "DC-TD", record="红楼梦").json()
    clock.advance(minutes=1)
    second = lib.hold("DC00000003", "DC-WL", record="红楼梦").json()
    lib.checkin("B1", "DC-TD")
    lib.advance(clock, days=3)  # Thursday: the last day on the shelf, nothing expires yet
    assert client.post("/api/v1/holds/expire", headers=lib.desk).json()["expired"] == 0
    lib.advance(clock, days=1)
    expired = client.post("/api/v1/holds/expire", headers=lib.desk).json()
    assert expired["expired"] == 1
    assert expired["moves"][0]["disposition"] == "transit" and expired["moves"][0]["destination_unit"] == "DC-WL"
    assert client.get(f"/api/v1/holds/{first['id']}", headers=lib.desk).json()["status"] == "expired"
    assert client.get(f"/api/v1/holds/{second['id']}", headers=lib.desk).json()["status"] == "in_transit"


def test_cancelling_a_ready_hold_releases_the_copy_and_says_where_it_goes(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-WL"})
    lib.reader("DC00000001")
    hold = lib.hold("DC00000001", "DC-TD", record="红楼梦").json()
    assert hold["target_barcode"] == "B1"
    pull = client.get("/api/v1/holds-pull-list", headers=lib.desk, params={"unit": "DC-WL"}).json()
    assert [h["id"] for h in pull] == [hold["id"]]
    assert lib.checkin("B1", "DC-WL").json()["disposition"] == "transit"
    lib.receive("B1", "DC-TD")
    cancelled = client.delete(f"/api/v1/holds/{hold['id']}", headers=lib.desk)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["hold"]["status"] == "cancelled"
    assert cancelled.json()["copy_move"]["destination_unit"] == "DC-WL"  # home, by the default policy
    again = client.delete(f"/api/v1/holds/{hold['id']}", headers=lib.desk)
    assert again.status_code == 409 and again.json()["error"] == "HOLD_NOT_ACTIVE"


def test_changing_pickup_of_a_ready_hold_sends_the_copy_on(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    hold = lib.hold("DC00000001", "DC-TD", record="红楼梦").json()
    lib.checkin("B1", "DC-TD")
    changed = client.patch(f"/api/v1/holds/{hold['id']}", headers=lib.desk, json={"pickup_unit": "DC-WL"}).json()
    assert changed["hold"]["status"] == "in_transit" and changed["copy_move"]["destination_unit"] == "DC-WL"
    assert lib.receive("B1", "DC-WL").json()["disposition"] == "hold_shelf"


def test_a_suspended_hold_is_passed_over_until_it_resumes(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    hold = lib.hold("DC00000002", "DC-TD", record="红楼梦", suspended_until="2026-12-31").json()
    assert lib.checkin("B1", "DC-TD").json()["disposition"] == "shelve"
    resumed = client.patch(f"/api/v1/holds/{hold['id']}", headers=lib.desk, json={"suspended_until": None})
    assert resumed.status_code == 200 and resumed.json()["hold"]["suspended_until"] is None
    assert lib.checkin("B1", "DC-TD").json()["disposition"] == "hold_shelf"
    trapped = client.patch(f"/api/v1/holds/{hold['id']}", headers=lib.desk, json={"suspended_until": "2026-12-31"})
    assert trapped.status_code == 409 and trapped.json()["error"] == "HOLD_ALREADY_TRAPPED"


def test_hold_blocks_are_gathered(client, db):
    lib = library(client, db)
    lib.rule(patron_category="child", holds_allowed=False)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.title("无馆藏", {})
    lib.reader("DC00000001")
    lib.reader("DC00000002", category="child")
    lib.checkout("DC00000001", "B1", "DC-TD")
    on_loan = lib.hold("DC00000001", "DC-TD", record="红楼梦")
    assert [b["code"] for b in on_loan.json()["blocks"]] == ["HOLD_ALREADY_ON_LOAN"]
    assert [b["code"] for b in lib.hold("DC00000002", "DC-TD", record="红楼梦").json()["blocks"]] == [
        "HOLD_NOT_ALLOWED"]
    assert [b["code"] for b in lib.hold("DC00000001", "DC-TD", record="无馆藏").json()["blocks"]] == [
        "HOLD_NO_COPIES"]
    lib.reader("DC00000003")
    assert lib.hold("DC00000003", "DC-TD", record="红楼梦").status_code == 201
    twice = lib.hold("DC00000003", "DC-WL", record="红楼梦")
    assert twice.status_code == 409 and [b["code"] for b in twice.json()["blocks"]] == ["HOLD_ALREADY_PLACED"]


def test_a_reader_places_and_cancels_only_their_own_holds(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001", password="reader-pass-1")
    lib.reader("DC00000002")
    token = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "reader-pass-1"})
    reader = {"Authorization": f"Bearer {token.json()['access_token']}"}
    mine = lib.hold("DC00000001", "DC-WL", record="红楼梦", headers=reader)
    assert mine.status_code == 201, mine.text
    theirs = lib.hold("DC00000002", "DC-WL", record="红楼梦", headers=reader)
    assert theirs.status_code == 403 and theirs.json()["error"] == "NOT_OWN_ACCOUNT"
    other = lib.hold("DC00000002", "DC-WL", record="红楼梦").json()
    assert client.delete(f"/api/v1/holds/{other['id']}", headers=reader).status_code == 403
    assert client.delete(f"/api/v1/holds/{mine.json()['id']}", headers=reader).status_code == 200


def test_an_item_level_hold_is_filled_only_by_that_copy(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.checkout("DC00000001", "B2", "DC-TD")
    lib.hold("DC00000002", "DC-TD", barcode="B2")
    assert lib.checkin("B1", "DC-TD").json()["disposition"] == "shelve"
    assert lib.checkin("B2", "DC-TD").json()["disposition"] == "hold_shelf"


def test_targeting_prefers_a_copy_at_the_pickup_unit_then_the_nearest(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"X1": "XD", "W1": "DC-WL", "P1": "DC-TD-01", "T1": "DC-TD"})
    for n in range(1, 4):
        lib.reader(f"DC0000000{n}")
    assert lib.hold("DC00000001", "DC-TD", record="红楼梦").json()["target_barcode"] == "T1"
    # The next reader is pointed at another copy: the one in the same branch area.
    assert lib.hold("DC00000002", "DC-TD", record="红楼梦").json()["target_barcode"] == "P1"
    # Then via the hub, before another system.
    assert lib.hold("DC00000003", "DC-TD", record="红楼梦").json()["target_barcode"] == "W1"


def test_a_copy_trapped_for_one_reader_stops_being_the_target_of_another(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"T1": "DC-TD", "W1": "DC-WL"})
    for n in range(1, 3):
        lib.reader(f"DC0000000{n}")
    first = lib.hold("DC00000001", "DC-WL", record="红楼梦").json()
    second = lib.hold("DC00000002", "DC-TD", record="红楼梦").json()
    assert (first["target_barcode"], second["target_barcode"]) == ("W1", "T1")
    # T1 turns up in hand at DC-TD: it is trapped for the first reader and sent to DC-WL…
    assert lib.checkin("T1", "DC-TD").json()["destination_unit"] == "DC-WL"
    # …so the second reader's hold points at the copy still on a shelf, not at T1.
    assert client.get(f"/api/v1/holds/{second['id']}", headers=lib.desk).json()["target_barcode"] == "W1"


def test_ties_in_travel_cost_are_spread_over_branches(client, db):
    from tests.support.factories import make_unit

    lib = library(client, db)
    for code in ("DC-A", "DC-B", "DC-C"):
        make_unit(db, code, "branch", "DC")
    lib.title("红楼梦", {"A1": "DC-A", "B1": "DC-B", "C1": "DC-C"})
    picked: Counter[str] = Counter()
    for n in range(30):
        card = f"DC{n:08d}"
        lib.reader(card)
        hold = lib.hold(card, "DC-WL", record="红楼梦").json()
        picked[hold["target_barcode"]] += 1
        client.delete(f"/api/v1/holds/{hold['id']}", headers=lib.desk)
    assert set(picked) == {"A1", "B1", "C1"} and min(picked.values()) >= 5, picked


def test_travel_cost_follows_the_network_tree():
    places = [Place(1, None, "center", None), Place(2, 1, "main", 2), Place(3, 2, "branch", 2),
              Place(4, 3, "service_point", 2), Place(5, 2, "branch", 2), Place(6, 2, "mobile", 2),
              Place(7, 1, "main", 7)]
    costs = CostModel(places)
    assert costs.cost(3, 3) == SAME_UNIT
    assert costs.cost(4, 3) == costs.cost(6, 2) == SAME_AREA
    assert costs.cost(4, 5) == costs.cost(3, 2) == SAME_SYSTEM
    assert costs.cost(4, 7) == OTHER_SYSTEM
    assert SAME_UNIT < SAME_AREA < SAME_SYSTEM < OTHER_SYSTEM


def test_float_policy_keeps_a_copy_where_it_is_returned_within_its_group(client, db):
    lib = library(client, db)
    lib.title("小王子", {"C1": "DC-TD", "C2": "DC-TD"}, item_type="children")
    lib.title("红楼梦", {"B1": "DC-TD"})
    assert client.put("/api/v1/float-groups/TOWN", headers=lib.admin,
                      json={"name": "城区", "units": ["DC-TD", "DC-WL"]}).status_code == 200
    saved = client.put("/api/v1/return-policies", headers=lib.admin,
                       json={"system_code": "DC", "item_type": "children", "policy": "float", "float_group": "TOWN"})
    assert saved.status_code == 200, saved.text
    lib.reader("DC00000001")
    for barcode in ("C1", "C2", "B1"):
        lib.checkout("DC00000001", barcode, "DC-TD")
    assert lib.checkin("C1", "DC-WL").json()["disposition"] == "shelve"  # floats inside the group
    assert lib.item("C1")["current_unit"] == "DC-WL" and lib.item("C1")["owning_unit"] == "DC-TD"
    outside = lib.checkin("C2", "DC-TD-01").json()  # outside the group: home
    assert outside["disposition"] == "transit" and outside["destination_unit"] == "DC-TD"
    assert lib.checkin("B1", "DC-WL").json()["disposition"] == "transit"  # books still go home


def test_a_copy_lent_while_in_transit_or_returned_early_at_its_destination_leaves_no_open_transit(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    for barcode in ("B1", "B2"):
        lib.checkout("DC00000001", barcode, "DC-TD")
        assert lib.checkin(barcode, "DC-WL").json()["disposition"] == "transit"
    # B1 is lent straight out of the crate at the sending branch.
    assert lib.checkout("DC00000001", "B1", "DC-WL").status_code == 201
    # B2 is checked in at home before anyone received it.
    assert lib.checkin("B2", "DC-TD").json()["disposition"] == "shelve"
    transits = client.get("/api/v1/transits", headers=lib.desk, params={"status": "cancelled"}).json()
    assert [t["barcode"] for t in transits] == ["B1"]
    received = client.get("/api/v1/transits", headers=lib.desk, params={"status": "received"}).json()
    assert [t["barcode"] for t in received] == ["B2"]
    assert client.get("/api/v1/transits", headers=lib.desk).json() == []


def test_the_database_refuses_a_second_open_transit_for_a_copy(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.checkin("B1", "DC-WL")
    with pytest.raises(IntegrityError), db.session() as s:
        s.execute(text(
            "INSERT INTO transit (item_id, from_unit_id, to_unit_id, reason, status, created_at, created_by) "
            "SELECT item_id, to_unit_id, from_unit_id, 'home', 'open', created_at, 'test' FROM transit"))


def test_ils_daily_expires_uncollected_holds_and_forgets_old_idempotency_keys(client, db, clock):
    from typer.testing import CliRunner

    from ils.cli import app
    from ils.idempotency import IdempotentRequest

    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    hold = lib.hold("DC00000001", "DC-TD", record="红楼梦").json()
    client.post("/api/v1/circulation/checkin", headers={**lib.desk, "Idempotency-Key": "k-1"},
                json={"barcode": "B1", "unit": "DC-TD"})
    lib.advance(clock, days=8)
    result = CliRunner().invoke(app, ["daily"])
    assert result.exit_code == 0, result.output
    assert "holds expired: 1, idempotency keys forgotten: 1" in result.output
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "expired"
    assert lib.item("B1")["status"] == "available"
    with db.session(write=False) as s:
        assert s.scalars(select(IdempotentRequest)).all() == []


def test_a_copy_on_its_way_home_caught_for_a_hold_collected_here_leaves_no_open_transit(client, db):
    from circulation.audit import check

    lib = library(client, db)
    lib.title("红楼梦", {"X1": "DC-TD"})
    for n in range(1, 4):
        lib.reader(f"DC0000000{n}")
    lib.checkout("DC00000001", "X1", "DC-TD")
    assert lib.checkin("X1", "DC").json()["destination_unit"] == "DC-TD"  # on its way home
    lib.hold("DC00000002", "DC-WL", record="红楼梦")
    caught = lib.checkin("X1", "DC-WL").json()  # scanned at 乌龙 on the way, where a reader waits
    assert caught["disposition"] == "hold_shelf"
    assert client.get("/api/v1/transits", headers=lib.desk).json() == []
    lib.hold("DC00000003", "DC-TD", record="红楼梦")
    refused = lib.receive("X1", "DC-TD")
    assert refused.status_code == 409 and refused.json()["error"] == "TRANSIT_NOT_FOUND"
    with db.session(write=False) as s:
        assert check(s) == []


def test_ils_circulation_check_passes_a_consistent_database_and_names_a_corrupted_copy(client, db):
    from typer.testing import CliRunner

    from ils.cli import app

    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    assert CliRunner().invoke(app, ["circulation-check"]).exit_code == 0
    with db.session() as s:  # what a careless manual edit or a bad restore does
        s.execute(text("UPDATE item SET status = 'available' WHERE barcode = 'B1'"))
    result = CliRunner().invoke(app, ["circulation-check"])
    assert result.exit_code == 1 and "B1" in result.output

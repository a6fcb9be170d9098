"""Return policy beyond home and float: float limits and the adaptive policy."""

from __future__ import annotations

import pytest

from logistics.placement import Facts, stays
from tests.support.library import library


@pytest.mark.parametrize(("facts", "expected"), [
    (Facts("home", True), False),
    (Facts("float", False), False),  # outside the system or float group: home
    (Facts("float", True), True),
    (Facts("float", True, load_here=5, limit_here=5), False),  # the unit is full: the surplus goes on
    (Facts("float", True, load_here=4, limit_here=5), True),
    (Facts("adaptive", True, demand_here=3, demand_home=1), True),  # read more where it was returned
    (Facts("adaptive", True, demand_here=0, demand_home=3), False),
    (Facts("adaptive", True, demand_here=2, demand_home=3, trip_days=4), True),  # the trip saved counts
    (Facts("adaptive", True, demand_here=3, demand_home=0, home_share=0.4), False),  # home's shelf drained
])
def test_where_a_returned_copy_stays(facts, expected):
    assert stays(facts) is expected


def test_a_unit_at_its_float_limit_sends_floating_copies_home(client, db):
    lib = library(client, db)
    client.put("/api/v1/return-policies", headers=lib.admin, json={"policy": "float"})
    assert client.put("/api/v1/float-limits", headers=lib.admin,
                      json={"unit": "DC-WL", "item_type": "book", "max_copies": 1}).status_code == 200
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    for barcode in ("B1", "B2"):
        lib.checkout("DC00000001", barcode, "DC-TD")
    assert lib.checkin("B1", "DC-WL").json()["disposition"] == "shelve"  # floats: 乌龙 has room for one
    second = lib.checkin("B2", "DC-WL").json()
    assert second["disposition"] == "transit" and second["destination_unit"] == "DC-TD"


def test_the_adaptive_policy_keeps_a_copy_where_it_is_borrowed_and_sends_it_home_otherwise(client, db):
    lib = library(client, db)
    client.put("/api/v1/return-policies", headers=lib.admin, json={"policy": "adaptive"})
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD", "B3": "DC-TD"})
    lib.title("水浒传", {"S1": "DC-TD", "S2": "DC-TD"})
    for n in range(1, 4):
        lib.reader(f"DC0000000{n}")
    # 红楼梦 is borrowed at 乌龙 twice; 水浒传 only at home.
    lib.checkout("DC00000001", "B1", "DC-WL")
    lib.checkout("DC00000002", "B2", "DC-WL")
    lib.checkout("DC00000003", "S1", "DC-TD")
    lib.checkout("DC00000003", "S2", "DC-TD")
    assert lib.checkin("B1", "DC-WL").json()["disposition"] == "shelve"
    lib.checkin("S1", "DC-TD")
    away = lib.checkin("S2", "DC-WL").json()
    assert away["disposition"] == "transit" and away["destination_unit"] == "DC-TD"

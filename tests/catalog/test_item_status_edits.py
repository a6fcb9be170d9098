"""Staff status edits (PATCH /items/{barcode}) never break a loan, a transit or a hold: a copy
tied to a reader or a journey is refused with a code naming the circulation step to take, and
nothing changes; a copy on the shelf takes the statuses a librarian sets by hand, and holds
pointed at a copy taken off the shelf look for another one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from circulation import audit
from ils.events import Event
from tests.support.library import Library, library


def _patch(lib: Library, barcode: str, status: str) -> Any:
    return lib.client.patch(f"/api/v1/items/{barcode}", headers=lib.desk, json={"status": status})


def _status_events(lib: Library) -> list[tuple[str, Any, Any]]:
    with lib.db.session(write=False) as s:
        return [(e.subject, e.before, e.after) for e in s.scalars(select(Event).where(Event.kind == "item.status"))]


def _audit(lib: Library) -> list[str]:
    with lib.db.session(write=False) as s:
        return audit.check(s)


def _refused(response: Any, code: str, status: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == code and response.json()["status"] == status


def test_a_lent_copy_cannot_be_shelved_or_marked_missing_by_a_status_edit(client, db):
    """The issue's scenario: before, the edit left the loan open, the next check-out was a 500
    and a check-in said 放回书架 with the loan still open."""
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    assert lib.checkout("DC00000001", "B1", "DC-TD").status_code == 201
    for status in ("available", "missing", "damaged", "withdrawn", "processing"):
        _refused(_patch(lib, "B1", status), "ITEM_ON_LOAN_CHECK_IN_FIRST", "on_loan")
    assert lib.item("B1")["status"] == "on_loan"
    assert _status_events(lib) == []
    assert _audit(lib) == []

    taken = lib.checkout("DC00000002", "B1", "DC-TD")
    assert taken.status_code == 409 and "ITEM_ON_LOAN" in {b["code"] for b in taken.json()["blocks"]}
    back = lib.checkin("B1", "DC-TD").json()
    assert back["loan"]["status"] == "returned" and back["instruction"] == "放回书架"
    assert lib.checkout("DC00000002", "B1", "DC-TD").status_code == 201
    assert _audit(lib) == []


def test_a_copy_lost_or_claimed_returned_on_a_readers_record_is_checked_in_not_edited(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    claimed = client.post("/api/v1/circulation/claims-returned", headers=lib.desk, json={"barcode": "B1"})
    assert claimed.status_code == 200, claimed.text
    assert lib.item("B1")["status"] == "missing"
    # "Found it on the shelf" must close the reader's loan: that is a check-in, not an edit.
    for status in ("available", "withdrawn"):
        _refused(_patch(lib, "B1", status), "ITEM_CLAIMED_RETURNED_CHECK_IN_FIRST", "missing")
    # A claimed-returned loan may still be reported lost: the copy goes from missing to lost.
    lost = client.post("/api/v1/circulation/lost", headers=lib.desk, json={"barcode": "B1"})
    assert lost.status_code == 200, lost.text
    assert lost.json()["loan"]["status"] == "lost" and lib.item("B1")["status"] == "lost"
    for status in ("available", "withdrawn"):
        _refused(_patch(lib, "B1", status), "ITEM_LOST_CHECK_IN_FIRST", "lost")
    assert _status_events(lib) == [] and _audit(lib) == []

    found = lib.checkin("B1", "DC-TD").json()
    assert found["found"] and found["loan"]["status"] == "returned" and found["disposition"] == "shelve"
    assert client.get("/api/v1/patrons/DC00000001/fines", headers=lib.desk).json()["owed_fen"] == 0
    assert _audit(lib) == []


def test_a_copy_in_transit_or_on_the_hold_shelf_is_received_or_released_not_edited(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    assert lib.checkin("B1", "DC-WL").json()["disposition"] == "transit"  # on its way home
    for status in ("available", "missing", "damaged"):
        _refused(_patch(lib, "B1", status), "ITEM_IN_TRANSIT_RECEIVE_FIRST", "in_transit")
    assert _audit(lib) == []
    assert lib.receive("B1", "DC-TD").json()["disposition"] == "shelve"

    hold = lib.hold("DC00000002", "DC-TD", record="红楼梦").json()
    assert lib.checkin("B1", "DC-TD").json()["disposition"] == "hold_shelf"
    for status in ("available", "missing", "withdrawn"):
        _refused(_patch(lib, "B1", status), "ITEM_ON_HOLD_SHELF_CANCEL_HOLD_FIRST", "on_hold_shelf")
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "ready"
    assert _status_events(lib) == [] and _audit(lib) == []
    collected = lib.checkout("DC00000002", "B1", "DC-TD")
    assert collected.status_code == 201 and collected.json()["hold_id"] == hold["id"]
    assert _audit(lib) == []


def test_a_librarian_sets_by_hand_what_happens_to_a_copy_on_the_shelf(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    steps = ["damaged", "processing", "available", "missing", "available", "withdrawn"]
    for status in steps:
        changed = _patch(lib, "B1", status)
        assert changed.status_code == 200, changed.text
        assert changed.json()["status"] == status
    befores = ["available", *steps[:-1]]
    assert _status_events(lib) == [("item:B1", {"status": b}, {"status": a}) for b, a in zip(befores, steps)]
    assert _audit(lib) == []
    refused = lib.checkout("DC00000001", "B1", "DC-TD")
    assert refused.status_code == 409 and "ITEM_WITHDRAWN" in {b["code"] for b in refused.json()["blocks"]}


def test_a_copy_found_on_the_shelf_is_lent_and_returned_as_usual(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    assert _patch(lib, "B1", "missing").status_code == 200
    assert _patch(lib, "B1", "available").status_code == 200
    assert lib.checkout("DC00000001", "B1", "DC-TD").status_code == 201
    assert lib.checkin("B1", "DC-TD").json()["loan"]["status"] == "returned"
    assert _audit(lib) == []


def _hold(lib: Library, hold_id: int) -> dict[str, Any]:
    return lib.client.get(f"/api/v1/holds/{hold_id}", headers=lib.desk).json()


def _pulled(lib: Library, unit: str) -> list[int]:
    return [h["id"] for h in lib.client.get("/api/v1/holds-pull-list", headers=lib.desk, params={"unit": unit}).json()]


def test_holds_stop_pointing_at_a_copy_taken_off_the_shelf_and_find_it_when_it_is_back(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"T1": "DC-TD", "W1": "DC-WL"})
    lib.reader("DC00000001")
    hold = lib.hold("DC00000001", "DC-TD", record="红楼梦").json()
    assert hold["target_barcode"] == "T1" and _pulled(lib, "DC-TD") == [hold["id"]]

    assert _patch(lib, "T1", "missing").status_code == 200
    assert _hold(lib, hold["id"])["target_barcode"] == "W1"  # the other branch pulls its copy now
    assert _pulled(lib, "DC-TD") == [] and _pulled(lib, "DC-WL") == [hold["id"]]

    assert _patch(lib, "W1", "damaged").status_code == 200
    assert _hold(lib, hold["id"])["target_barcode"] is None and _pulled(lib, "DC-WL") == []

    assert _patch(lib, "T1", "available").status_code == 200  # found on the shelf
    assert _hold(lib, hold["id"])["target_barcode"] == "T1" and _pulled(lib, "DC-TD") == [hold["id"]]
    assert lib.checkin("T1", "DC-TD").json()["disposition"] == "hold_shelf"
    assert _audit(lib) == []

"""The scope model in the words of the review that found the holes: what a branch librarian
(lib-td, of DC-TD) may and may not do for the readers, copies, loans and holds of their own
units, of the rest of their system (DC-WL) and of another system (XD), by the API and at the desk.
Each test reproduces one reported hole and shows that nothing changed."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.world import world_copy, world_template  # noqa: F401 (fixtures)


def _item(client, world, barcode):
    return client.get(f"/api/v1/items/{barcode}", headers=world.headers("admin")).json()


def test_a_branch_librarian_cannot_redistribute_another_branchs_or_another_systems_copies(world_copy):
    db, client, w = world_copy
    plan = {"name": "x", "method": "quota", "reason": "distribution", "barcodes": ["WL-A5", "XD-A5"],
            "units": ["DC-TD"], "quotas": {"DC-TD": 2}}
    refused = client.post("/api/v1/distribution/plans", headers=w.headers("lib-td"), json=plan)
    assert refused.status_code == 403 and refused.json()["error"] == "PERMISSION_DENIED"
    # Nor execute a plan someone responsible drafted: the cataloguers' (or an admin's) job.
    drafted = client.post(f"/api/v1/distribution/plans/{w.plans['DC-WL']}/execute", headers=w.headers("lib-td"))
    assert drafted.status_code == 403
    assert _item(client, w, "WL-A6")["owning_unit"] == "DC-WL"
    # The 总馆's cataloguer may; and a librarian of the 总馆 with the permission would be scoped to DC.
    done = client.post(f"/api/v1/distribution/plans/{w.plans['DC-WL']}/execute", headers=w.headers("cataloguer"))
    assert done.status_code == 200, done.text
    assert _item(client, w, "WL-A6")["owning_unit"] == "DC-WL"


def test_a_cataloguer_tied_to_one_system_cannot_send_another_systems_copies(world_copy):
    from ils.auth.service import create_user
    from ils.clock import get_clock
    from tests.support.factories import login

    db, client, w = world_copy
    with db.session() as s:
        create_user(s, "cat-dc", "password-123", "cataloguer", get_clock().now(), unit_codes=["DC"])
    headers = login(client, "cat-dc")
    other = client.post(f"/api/v1/distribution/plans/{w.plans['XD']}/execute", headers=headers)
    assert other.status_code == 403 and other.json()["error"] == "UNIT_OUT_OF_SCOPE"
    assert client.post(f"/api/v1/distribution/plans/{w.plans['DC-WL']}/execute", headers=headers).status_code == 200


def test_a_branch_librarian_cannot_change_readers_of_other_units(world_copy):
    db, client, w = world_copy
    lib = w.headers("lib-td")
    xd, wl = w.reader("XD"), w.reader("DC-WL")
    attempts = [
        client.patch(f"/api/v1/patrons/{xd}", headers=lib, json={"name": "改掉的名字"}),
        client.post(f"/api/v1/patrons/{xd}/blocks", headers=lib, json={"reason": "恶意封禁"}),
        client.delete(f"/api/v1/patrons/{w.other_reader('DC-WL')}/blocks/{w.blocks['DC-WL']}", headers=lib),
        client.post(f"/api/v1/patrons/{wl}/proxies", headers=lib, json={"proxy_card_number": w.reader("DC-TD")}),
    ]
    assert [(r.status_code, r.json()["error"]) for r in attempts] == [(403, "UNIT_OUT_OF_SCOPE")] * 4
    reader = client.get(f"/api/v1/patrons/{xd}", headers=w.headers("admin")).json()
    assert reader["name"] == f"读者{xd}" and reader["blocks"] == [] and reader["proxies"] == [w.other_reader("XD")]
    wl_reader = client.get(f"/api/v1/patrons/{w.other_reader('DC-WL')}", headers=w.headers("admin")).json()
    assert len(wl_reader["blocks"]) == 1
    # Their own readers they change as before.
    own = client.patch(f"/api/v1/patrons/{w.reader('DC-TD')}", headers=lib, json={"phone": "13900000000"})
    assert own.status_code == 200


def test_a_branch_librarian_cannot_charge_renew_or_settle_loans_of_other_units(world_copy):
    db, client, w = world_copy
    lib = w.headers("lib-td")
    lost = client.post("/api/v1/circulation/lost", headers=lib, json={"barcode": "XD-A1"})
    assert lost.status_code == 403 and lost.json()["error"] == "UNIT_OUT_OF_SCOPE"
    fines = client.get(f"/api/v1/patrons/{w.reader('XD')}/fines", headers=w.headers("admin")).json()
    assert fines["owed_fen"] == 0
    assert client.post("/api/v1/circulation/claims-returned", headers=lib, json={"barcode": "WL-A2"}).status_code == 403
    assert client.post("/api/v1/circulation/renew", headers=lib, json={"barcode": "WL-A1"}).status_code == 403
    loans = client.get(f"/api/v1/patrons/{w.reader('DC-WL')}/loans", headers=w.headers("admin")).json()
    assert {(loan["barcode"], loan["status"], loan["renewals"]) for loan in loans} == {
        ("WL-A1", "open", 0), ("WL-A2", "open", 0)}
    # The 总馆's librarian serves the whole system; the branch's own loans stay the branch's.
    assert client.post("/api/v1/circulation/renew", headers=w.headers("lib-dc"), json={"barcode": "WL-A1"}).status_code == 200
    assert client.post("/api/v1/circulation/renew", headers=lib, json={"barcode": "TD-A1"}).status_code == 200


def test_borrow_anywhere_return_anywhere_still_works_at_ones_own_desk(world_copy):
    db, client, w = world_copy
    lib = w.headers("lib-td")
    # A reader of the other system borrows a copy of DC-WL that stands here; an XD copy comes back here.
    with db.session() as s:
        from catalog.models import Item
        from ils.network.snapshot import unit_by_code

        s.scalars(select(Item).where(Item.barcode == "WL-A3")).one().current_unit_id = unit_by_code(s, "DC-TD").id
    lent = client.post("/api/v1/circulation/checkout", headers=lib,
                       json={"card": w.reader("XD"), "barcode": "WL-A3", "unit": "DC-TD"})
    assert lent.status_code == 201, lent.text
    back = client.post("/api/v1/circulation/checkin", headers=lib, json={"barcode": "XD-A1", "unit": "DC-TD"})
    assert back.status_code == 200 and back.json()["disposition"] == "transit"
    # …but only at their own desk.
    elsewhere = client.post("/api/v1/circulation/checkin", headers=lib, json={"barcode": "XD-A2", "unit": "DC-WL"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "UNIT_OUT_OF_SCOPE"


def test_a_branch_librarian_cannot_move_cancel_or_read_other_units_holds_and_transits(world_copy):
    db, client, w = world_copy
    lib = w.headers("lib-td")
    wl_hold, xd_hold = w.holds["DC-WL"], w.holds["XD"]
    assert client.patch(f"/api/v1/holds/{wl_hold}", headers=lib, json={"pickup_unit": "DC-TD"}).status_code == 403
    assert client.delete(f"/api/v1/holds/{xd_hold}", headers=lib).status_code == 403
    assert client.post("/api/v1/holds", headers=lib, json={
        "card": w.reader("DC-TD"), "record_id": w.records["AXD"], "pickup_unit": "XD"}).status_code == 403
    for url, params in (("/api/v1/holds", {"pickup_unit": "DC-WL"}), ("/api/v1/holds-pull-list", {"unit": "XD"}),
                        ("/api/v1/transits", {"to": "DC-WL"}), ("/api/v1/transits", {})):
        refused = client.get(url, headers=lib, params=params)
        assert refused.status_code == 403, (url, params, refused.text)
    assert client.post("/api/v1/transits/missing", headers=lib, json={"barcode": "WL-X1"}).status_code == 403
    holds = {h["id"]: h for h in client.get(f"/api/v1/patrons/{w.reader('DC-WL')}/holds",
                                            headers=w.headers("admin")).json()}
    assert holds[wl_hold]["pickup_unit"] == "DC-WL" and holds[wl_hold]["status"] == "waiting"
    assert _item(client, w, "WL-X1")["status"] == "in_transit"
    # Their own unit's lists answer.
    assert client.get("/api/v1/holds", headers=lib, params={"pickup_unit": "DC-TD"}).status_code == 200
    assert client.get("/api/v1/transits", headers=lib, params={"to": "DC-TD"}).status_code == 200


def test_the_desk_pages_refuse_what_the_api_refuses(world_copy):
    from ils.web.pages import STAFF_COOKIE, UNIT_COOKIE, csrf_token

    db, client, w = world_copy
    for role in ("manager", "cataloguer"):
        client.cookies.clear()
        client.cookies.set(STAFF_COOKIE, w.tokens[role])
        client.cookies.set(UNIT_COOKIE, "DC-TD")
        token = csrf_token(w.tokens[role])
        lend = client.post("/desk/checkout", data={"card": w.other_reader("DC-TD"), "barcode": "TD-A3", "csrf": token},
                           follow_redirects=False)
        back = client.post("/desk/checkin", data={"barcode": "TD-A1", "csrf": token}, follow_redirects=False)
        assert (lend.status_code, back.status_code) == (403, 403), role
        assert "PERMISSION_DENIED" in lend.text
    client.cookies.clear()
    assert _item(client, w, "TD-A3")["status"] == "available" and _item(client, w, "TD-A1")["status"] == "on_loan"
    from ils.events import Event

    with db.session(write=False) as s:
        assert not s.scalars(select(Event).where(Event.actor.in_(("staff:manager", "staff:cataloguer")))).all()


def test_expiring_the_hold_shelf_at_a_branch_expires_only_that_branchs_shelf(world_copy):
    from datetime import date

    from circulation.models import Hold
    from ils.web.pages import STAFF_COOKIE, UNIT_COOKIE, csrf_token

    db, client, w = world_copy
    with db.session() as s:  # every shelf's holds are past their time
        for hold in s.scalars(select(Hold).where(Hold.status == "ready")):
            hold.shelf_expires_on = date(2026, 11, 1)
    client.cookies.set(STAFF_COOKIE, w.tokens["lib-td"])
    client.cookies.set(UNIT_COOKIE, "DC-TD")
    done = client.post("/desk/holds/expire", data={"csrf": csrf_token(w.tokens["lib-td"]), "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("expired=1")
    client.cookies.clear()
    admin = w.headers("admin")
    status = {unit: client.get(f"/api/v1/holds/{w.ready[unit]}", headers=admin).json()["status"] for unit in w.ready}
    assert status == {"DC-TD": "expired", "DC-WL": "ready", "XD": "ready"}
    # The API's expiry does the same: a librarian's own units only; ils daily (the system) every shelf.
    assert client.post("/api/v1/holds/expire", headers=w.headers("lib-td")).json()["expired"] == 0
    assert client.post("/api/v1/holds/expire", headers=w.headers("lib-td"), params={"unit": "XD"}).status_code == 403


def test_id_numbers_phones_and_addresses_are_masked_outside_the_readers_own_unit(world_copy):
    db, client, w = world_copy
    from circulation.models import Patron

    id_card = "11010519491231002X"
    with db.session() as s:
        s.scalars(select(Patron).where(Patron.card_number == w.reader("XD"))).one().id_card_number = id_card
    at_home = client.get(f"/api/v1/patrons/{w.reader('XD')}", headers=w.headers("admin")).json()
    assert at_home["id_card_number"] == id_card and at_home["phone"] == "13800001234"
    elsewhere = client.get(f"/api/v1/patrons/{w.reader('XD')}", headers=w.headers("lib-td")).json()
    assert elsewhere["id_card_number"] == "110105********002X"
    assert elsewhere["phone"] == "138****1234" and elsewhere["address"] == "云南省昆明市东川区…"
    # Looking a reader up by ID number goes in the body, never the URL; the answer stays masked.
    by_id = client.post("/api/v1/patrons/lookup", headers=w.headers("lib-td"), json={"card": id_card})
    assert by_id.status_code == 200 and by_id.json()["card_number"] == w.reader("XD")
    assert by_id.json()["id_card_number"] == "110105********002X"


def test_the_readme_describes_every_operation_of_the_gate():
    from pathlib import Path

    from ils.auth.gate import OPERATIONS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in OPERATIONS if f"`{name}`" not in section]
    assert not missing, f"README's 'Who may do what' does not name {missing}"

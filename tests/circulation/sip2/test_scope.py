"""Self-check machines pass through the same gate as the desk: a machine acts at its own unit,
for the readers and holds the model lets its unit act for (ils.auth.gate)."""

from __future__ import annotations

from sqlalchemy import select

from circulation.models import PatronBlock
from tests.circulation.sip2.conftest import SelfCheck


def test_a_branch_machine_cannot_block_a_reader_of_another_system(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.reader("XD00000001", unit="XD")
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        refused = machine.block_patron("XD00000001", "恶意封禁")
        assert refused.code == "24" and refused.get("AF") != ""
        assert machine.block_patron("DC00000001", "读者证挂失").code == "24"
    with db.session(write=False) as s:
        blocked = {b.patron_id for b in s.scalars(select(PatronBlock))}
    cards = {p["card_number"]: p for p in (lib.client.get(f"/api/v1/patrons/{c}", headers=lib.admin).json()
                                           for c in ("XD00000001", "DC00000001"))}
    assert cards["XD00000001"]["blocks"] == [] and len(cards["DC00000001"]["blocks"]) == 1
    assert len(blocked) == 1


def test_a_branch_machine_cannot_place_a_hold_for_pickup_in_another_system(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("边城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        machine.checkout("DC00000001", "B1")
        refused = machine.hold("+", "DC00000002", "B1", pickup="XD")
        assert refused.fixed["ok"] == "0" and "自助机" in refused.get("AF")
        assert machine.hold("+", "DC00000002", "B1", pickup="DC-WL").fixed["ok"] == "1"
    holds = lib.client.get("/api/v1/patrons/DC00000002/holds", headers=lib.desk).json()
    assert [h["pickup_unit"] for h in holds] == ["DC-WL"]

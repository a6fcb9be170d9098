"""A self-check machine's login (93) and the reader's password it sends (AD) are limited like
every other login, and share the counts with the API, the desk and the OPAC."""

from __future__ import annotations

from sqlalchemy import select

from ils.auth.models import LoginThrottle
from tests.circulation.sip2.conftest import MACHINE_PASSWORD, READER_PASSWORD, SelfCheck


def test_a_machine_login_is_locked_after_five_wrong_passwords(selfcheck: SelfCheck, db, clock):
    selfcheck.account("sc-td-1")
    machine = selfcheck.machine()
    assert [machine.login("sc-td-1", "wrong-pass-0").fixed["ok"] for _ in range(5)] == ["0"] * 5
    assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "0"  # locked: the right one too
    clock.advance(minutes=16)
    assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"


def test_a_readers_wrong_passwords_at_a_machine_lock_the_card_for_the_opac_too(selfcheck: SelfCheck, db, client):
    lib = selfcheck.lib
    lib.title("呐喊", {"B2": "DC-TD"})
    lib.reader("DC00000001", name="张三丰", password=READER_PASSWORD)
    selfcheck.account("sc-td-1")
    machine = selfcheck.logged_in("sc-td-1")
    # Check-out runs in a write transaction (SQLite's one write lock held): the count still lands.
    for _ in range(3):
        refused = machine.checkout("DC00000001", "B2", password="wrong-pass-1")
        assert refused.fixed["ok"] == "0" and "读者密码错误" in refused.get("AF")
    for _ in range(2):
        assert machine.patron_status("DC00000001", "wrong-pass-1").get("CQ") == "N"
    opac = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": READER_PASSWORD})
    assert opac.status_code == 429 and opac.json()["error"] == "AUTH_LOCKED"
    locked = machine.checkout("DC00000001", "B2", password=READER_PASSWORD)
    assert locked.fixed["ok"] == "0" and "密码错误次数过多" in locked.get("AF")
    with db.session(write=False) as s:
        machine_count = s.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == "machine:sc-td-1"))
    assert machine_count == 5  # counted against the machine too, as a source of guesses


def test_a_right_password_at_the_machine_clears_the_cards_count(selfcheck: SelfCheck, db, client):
    lib = selfcheck.lib
    lib.reader("DC00000001", name="张三丰", password=READER_PASSWORD)
    selfcheck.account("sc-td-1")
    machine = selfcheck.logged_in("sc-td-1")
    for _ in range(4):
        machine.patron_status("DC00000001", "wrong-pass-1")
    assert machine.patron_status("DC00000001", READER_PASSWORD).get("CQ") == "Y"
    for _ in range(4):
        assert client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "wrong-1"}) \
            .status_code == 401
    ok = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": READER_PASSWORD})
    assert ok.status_code == 200

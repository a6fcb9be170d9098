"""The server against what a broken machine, a port scanner or a flaky network sends."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import func, select

from circulation.models import Loan, Payment
from circulation.sip2.client import Sip2Client, Sip2Error
from circulation.sip2.codec import MAX_MESSAGE_BYTES, checksum, parse
from circulation.sip2.server import MAX_REFUSALS
from tests.circulation.sip2.conftest import MACHINE_PASSWORD, SelfCheck


def _resend_requested(answer: bytes) -> bool:
    return parse(answer).code == "96"


def test_garbage_overlong_lines_unknown_codes_and_bad_checksums_get_96_and_the_next_message_works(
        selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        assert _resend_requested(machine.exchange_raw(b"\x00\xff\xfe\x80garbage\x01\r"))
        assert _resend_requested(machine.exchange_raw(b"A" * (MAX_MESSAGE_BYTES * 3) + b"\r"))
        assert _resend_requested(machine.exchange_raw(b"XX20260101    120000AAx|\r"))
        assert _resend_requested(machine.exchange_raw(b"94\r"))  # a response code sent as a request
        assert _resend_requested(machine.exchange_raw(b"9900302.00AY1AZFFFF\r"))
        assert _resend_requested(machine.exchange_raw(b"11YN2026\r"))  # fixed fields cut short
        assert machine.checkout("DC00000001", "B1").fixed["ok"] == "1"


def test_a_message_before_login_gets_its_own_refusal_and_a_wrong_password_no_login(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.machine() as machine:
        status = machine.sc_status()
        assert status.fixed["online_status"] == "N" and status.get("AF") == "自助机未登录"
        refused = machine.checkout("DC00000001", "B1")
        assert refused.code == "12" and refused.fixed["ok"] == "0" and refused.get("AF") == "借书失败：自助机未登录"
        assert machine.login("sc-td-1", "wrong-password").fixed["ok"] == "0"
        assert machine.patron_status("DC00000001").get("BL") == "N"
        assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        assert machine.checkout("DC00000001", "B1").fixed["ok"] == "1"


def test_a_bad_checksum_is_answered_with_a_checksummed_96_and_the_resend_is_served(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1", error_detection=True) as machine:
        good = machine.frame("17", [machine.now()], [("AO", ""), ("AB", "B1")])
        corrupted = good[:-5] + (b"0000" if good[-5:-1] != b"0000" else b"1111") + b"\r"
        answer = machine.exchange_raw(corrupted)
        assert answer == b"96AZFEF6"
        assert parse(machine.exchange_raw(good)).fixed["circulation_status"] == "03"


@pytest.mark.parametrize("error_detection", [True, False], ids=["account-checks", "machine-sends-az-anyway"])
def test_a_checkout_whose_checksum_is_not_hex_gets_a_checksummed_96_and_lends_nothing(selfcheck: SelfCheck,
                                                                                      error_detection):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1", error_detection=error_detection)
    with selfcheck.logged_in("sc-td-1", error_detection=error_detection) as machine:
        checkout = machine.frame("11", ["N", "N", machine.now(), " " * 18], [("AO", ""), ("AA", "DC00000001"),
                                                                             ("AB", "B1"), ("AC", "")])
        if error_detection:  # the machine's own AY/AZ, its checksum spoilt
            spoilt = [checkout[:-5] + b"ZZZZ\r"]
        else:  # a machine that checks nothing yet puts an AZ on
            spoilt = [checkout[:-1] + trailer + b"\r" for trailer in (b"AZZZZZ", b"AY1AZZZZZ", b"AY2AZ12", b"AY3AZ")]
        for frame in spoilt:
            assert machine.exchange_raw(frame) == b"96AZFEF6", frame
        assert lib.item("B1")["status"] == "available"
        assert machine.checkout("DC00000001", "B1").fixed["ok"] == "1"


def test_a_repeated_sequence_number_replays_the_answer_instead_of_acting_twice(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.title("呐喊", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    assert lib.checkout("DC00000001", "B1", "DC-TD").status_code == 201
    assert lib.client.post("/api/v1/circulation/lost", headers=lib.desk, json={"barcode": "B1"}).status_code == 200
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1", error_detection=True) as machine:
        payment = machine.frame("37", [machine.now(), "01", "00", "CNY"], [("BV", "10.00"), ("AA", "DC00000001")])
        first = machine.exchange_raw(payment)
        second = machine.exchange_raw(payment)  # the machine did not hear the answer and sends it again
        assert first == second and parse(first).fixed["payment_accepted"] == "Y"
        assert machine.exchange_raw(b"97" + b"AZ" + checksum(b"97AZ").encode() + b"\r") == first
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_malformed_traffic_on_one_connection_leaves_another_machines_session_working(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    selfcheck.account("sc-td-2")
    good = selfcheck.logged_in("sc-td-2")
    assert good.checkout("DC00000001", "B1").fixed["ok"] == "1"

    noise = selfcheck.logged_in("sc-td-1")
    noise.send_raw(b"\xde\xad\xbe\xef\r" * MAX_REFUSALS + b"more\r")
    answers = []
    try:
        while True:
            answers.append(noise.receive_raw())
    except (Sip2Error, OSError):
        pass  # dropped after MAX_REFUSALS unreadable frames
    assert len(answers) == MAX_REFUSALS and all(_resend_requested(a) for a in answers)

    half = socket.create_connection(("127.0.0.1", selfcheck.server.port))
    half.sendall(b"9300CNsc-td-1|CO")  # half a login, then the cable is pulled
    half.close()
    silent = socket.create_connection(("127.0.0.1", selfcheck.server.port))  # connects, says nothing

    assert good.checkin("B1").fixed["ok"] == "1"
    assert good.checkout("DC00000001", "B2").fixed["ok"] == "1"
    with Sip2Client("127.0.0.1", selfcheck.server.port) as late:
        assert late.login("sc-td-2", MACHINE_PASSWORD).fixed["ok"] == "1"
        assert late.item_information("B2").fixed["circulation_status"] == "04"
    silent.close()
    good.close()
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Loan)) == 2


def test_a_disabled_account_is_refused_on_a_connection_that_stays_open(selfcheck: SelfCheck, monkeypatch):
    from circulation.sip2 import service

    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    monkeypatch.setattr(service, "ACCOUNT_RECHECK_SECONDS", 0.0)
    with selfcheck.logged_in("sc-td-1") as machine:
        assert machine.patron_status("DC00000001").get("BL") == "Y"
        disabled = lib.client.patch("/api/v1/sip2/accounts/sc-td-1", headers=lib.admin, json={"active": False})
        assert disabled.status_code == 200 and disabled.json()["active"] is False
        time.sleep(0.01)
        refused = machine.checkout("DC00000001", "B1")
        assert refused.fixed["ok"] == "0" and refused.get("AF") == "借书失败：自助机账号已停用，请联系管理员"
        assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "0"
    assert lib.item("B1")["status"] == "available"


def test_status_heartbeats_are_answered_while_every_database_thread_is_busy(selfcheck: SelfCheck, monkeypatch):
    """A machine whose SC status goes unanswered takes itself out of service: a status never
    waits behind other machines' check-outs."""
    import threading

    from circulation.sip2 import service
    from circulation.sip2.server import Sip2Server

    selfcheck.account("sc-td-1")
    release, entered = threading.Event(), threading.Semaphore(0)

    def stuck_checkout(call):  # type: ignore[no-untyped-def]
        entered.release()
        release.wait(30)
        return service.items.refuse_checkout(call, "x")

    monkeypatch.setitem(service.HANDLERS, "11", service.Handler(stuck_checkout, service.items.refuse_checkout,
                                                                  writes=True))
    running = Sip2Server("127.0.0.1", 0, threads=2).start_in_thread()
    machines = [Sip2Client("127.0.0.1", running.port) for _ in range(3)]
    try:
        for machine in machines:
            assert machine.login("sc-td-1", MACHINE_PASSWORD).fixed["ok"] == "1"
        busy, heartbeat = machines[:2], machines[2]
        for machine in busy:
            machine.send_raw(machine.frame("11", ["N", "N", machine.now(), " " * 18], [("AA", "X"), ("AB", "Y")]))
        for _ in busy:
            assert entered.acquire(timeout=10)  # both database threads are taken
        heartbeat.sock.settimeout(2)
        started = time.monotonic()
        assert heartbeat.sc_status().fixed["online_status"] == "Y"
        assert heartbeat.end_session("DC00000001").fixed["end_session"] == "Y"
        assert time.monotonic() - started < 2
    finally:
        release.set()
        for machine in machines[:2]:
            assert parse(machine.receive_raw()).code == "12"
        for machine in machines:
            machine.close()
        running.stop()

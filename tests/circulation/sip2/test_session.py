"""A self-check machine's whole day over a real TCP socket, in UTF-8 and in GB18030."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circulation.models import PatronBlock
from ils.events import Event
from tests.circulation.sip2.conftest import READER_PASSWORD, SelfCheck

ENCODINGS = [("utf-8", False), ("gb18030", True)]


def _events(db, kind: str) -> list[Event]:
    with db.session(write=False) as s:
        return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


@pytest.mark.parametrize("encoding,error_detection", ENCODINGS)
def test_a_machine_lends_returns_renews_holds_and_takes_a_fee_in_its_encoding(selfcheck: SelfCheck, db, clock,
                                                                               encoding, error_detection):
    lib = selfcheck.lib
    lib.title("红楼梦：脂砚斋重评石头记", {"B1": "DC-WL"})  # owned by another branch: comes back in transit
    lib.title("呐喊", {"B2": "DC-TD", "B3": "DC-TD"})
    lib.title("围城", {"B4": "DC-TD"})
    lib.reader("DC00000001", name="张三丰", password=READER_PASSWORD)
    lib.reader("DC00000002", name="李四")
    selfcheck.account("sc-td-1", encoding=encoding, error_detection=error_detection, location="一楼大厅")
    machine = selfcheck.machine(encoding=encoding, error_detection=error_detection)

    assert machine.login("sc-td-1", "machine-pass-1").fixed["ok"] == "1"

    status = machine.sc_status()
    assert status.code == "98" and status.fixed["online_status"] == "Y" and status.fixed["checkout_ok"] == "Y"
    assert status.fixed["checkin_ok"] == "Y" and status.fixed["acs_renewal_policy"] == "Y"
    assert status.fixed["date_time_sync"] == "20261123    170000"  # 09:00 UTC in Asia/Shanghai
    assert status.get("AO") == "DC-TD" and status.get("AM") == "铜都街道分馆" and status.get("AN") == "一楼大厅"
    assert status.get("BX") == "YYYYYYYYYYYNNYYY"
    if error_detection:
        assert status.sequence is not None and status.checksum is not None

    patron = machine.patron_status("DC00000001", READER_PASSWORD)
    assert patron.code == "24" and patron.get("BL") == "Y" and patron.get("CQ") == "Y"
    assert patron.get("AE") == "张三丰" and patron.fixed["patron_status"] == " " * 14
    assert machine.patron_status("DC00000001", "wrong-password").get("CQ") == "N"

    lent = machine.checkout("DC00000001", "B1")
    assert lent.code == "12" and lent.fixed["ok"] == "1", lent.get("AF")
    assert lent.get("AJ") == "红楼梦：脂砚斋重评石头记"  # the Chinese title intact through the encoding
    assert lent.get("AH") == "20261223    235959" and lent.get("CK") == "001"
    assert "应还日期 2026-12-23" in lent.get("AF")
    assert machine.checkout("DC00000001", "B2").fixed["ok"] == "1"
    assert _events(db, "loan.checkout")[0].actor == "sip2:sc-td-1"

    info = machine.patron_information("DC00000001", summary="  Y")
    assert info.code == "64" and info.fixed["charged_items_count"] == "0002"
    assert sorted(info.all("AU")) == ["B1", "B2"] and info.get("CB") == "0005" and info.get("AE") == "张**"

    item = machine.item_information("B1")
    assert item.code == "18" and item.fixed["circulation_status"] == "04"
    assert item.get("AJ") == "红楼梦：脂砚斋重评石头记" and item.get("AH") == "20261223    235959"
    assert item.get("AQ") == "DC-WL" and item.get("AP") == "DC-TD"

    back = machine.checkin("B1")  # returned here, owned by 乌龙镇分馆: it travels home
    assert back.code == "10" and back.fixed["ok"] == "1" and back.fixed["alert"] == "Y"
    assert back.get("AF") == "转运至：乌龙镇分馆"
    assert back.get("CT") == "DC-WL" and back.get("CV") == "04" and back.get("AQ") == "DC-WL"
    assert back.get("AJ") == "红楼梦：脂砚斋重评石头记"
    assert machine.item_information("B1").fixed["circulation_status"] == "10"

    lib.advance(clock, days=10)
    renewed = machine.renew("DC00000001", "B2")
    assert renewed.code == "30" and renewed.fixed["ok"] == "1" and renewed.fixed["renewal_ok"] == "Y"
    assert renewed.get("AH") == "20270102    235959"  # 3 Dec + 30 days

    assert machine.checkout("DC00000001", "B4").fixed["ok"] == "1"
    every = machine.renew_all("DC00000001")
    # B2 has used its one renewal; B4 was lent today and is renewed from today.
    assert every.code == "66" and every.fixed["renewed_count"] == "0001" and every.fixed["unrenewed_count"] == "0001"
    assert every.all("BM") == ["B4"] and every.all("BN") == ["B2"]
    assert any("已续借 1 次" in line for line in every.all("AF"))

    placed = machine.hold("+", "DC00000002", "B2", pickup="DC-TD")
    assert placed.code == "16" and placed.fixed["ok"] == "1" and placed.get("BS") == "DC-TD"
    assert placed.get("BR") == "1" and placed.get("AJ") == "呐喊"
    back = machine.checkin("B2")  # the hold traps it here
    assert back.get("CV") == "01" and back.get("CT") == "DC-TD" and back.get("AF") == "预约架：李*（…0002）"
    assert back.get("CY") == "…0002" and back.get("DA") == "李*"

    # A lost copy charged at the desk, paid for at the machine.
    assert lib.checkout("DC00000001", "B3", "DC-TD").status_code == 201
    assert lib.client.post("/api/v1/circulation/lost", headers=lib.desk, json={"barcode": "B3"}).status_code == 200
    owing = machine.patron_information("DC00000001", summary="   Y")
    assert owing.get("BV") == "30.00" and owing.get("BH") == "CNY" and owing.fixed["fine_items_count"] == "0001"
    assert owing.all("AV") == ["遗失赔偿 30.00"]
    paid = machine.fee_paid("DC00000001", "30.00", transaction="TX-1")
    assert paid.code == "38" and paid.fixed["payment_accepted"] == "Y" and paid.get("BK") == "TX-1"
    assert machine.patron_status("DC00000001").get("BV") == "0.00"
    assert _events(db, "fine.paid")[0].actor == "sip2:sc-td-1"

    ended = machine.end_session("DC00000001")
    assert ended.code == "36" and ended.fixed["end_session"] == "Y"
    machine.close()


def test_checkout_refused_lists_every_block_in_chinese_and_lends_nothing(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001", expires_on="2026-01-01")
    lib.client.post("/api/v1/patrons/DC00000001/blocks", headers=lib.desk, json={"reason": "证件挂失"})
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        refused = machine.checkout("DC00000001", "B1")
        assert refused.fixed["ok"] == "0" and refused.fixed["desensitize"] == "N"
        assert refused.get("AF") == "借书失败：读者证已于 2026-01-01 过期 (card expired)；读者被暂停借阅：证件挂失"
        status = machine.patron_status("DC00000001")
        assert status.fixed["patron_status"][0] == "Y" and status.fixed["patron_status"][5] == " "
        unknown = machine.checkout("NOBODY", "B1")
        assert unknown.fixed["ok"] == "0" and "读者证号无效" in unknown.get("AF")
    assert lib.item("B1")["status"] == "available"


def test_a_machine_cannot_override_a_block_that_a_librarian_could(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.rule(max_items=1)
    lib.title("围城", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        assert machine.checkout("DC00000001", "B1").fixed["ok"] == "1"
        over = machine.checkout("DC00000001", "B2")
        assert over.fixed["ok"] == "0" and over.get("AF") == "借书失败：已借 1 册，达到上限 1 册"
        assert machine.patron_status("DC00000001").fixed["patron_status"][5] == "Y"  # too many items charged


def test_checking_out_a_copy_the_reader_has_renews_it_when_the_machine_allows(selfcheck: SelfCheck, clock):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        machine.checkout("DC00000001", "B1")
        lib.advance(clock, days=5)
        again = machine.checkout("DC00000001", "B1")
        assert again.fixed["ok"] == "0" and "请续借" in again.get("AF")
        renewed = machine.checkout("DC00000001", "B1", renewal_policy=True)
        assert renewed.fixed["ok"] == "1" and renewed.fixed["renewal_ok"] == "Y"
        assert renewed.get("AH") == "20261229    235959"  # 28 Nov + 30 days is a Monday, when the unit is closed


def test_a_hold_for_another_branch_is_sent_there_and_can_be_cancelled_at_the_machine(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("呐喊", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        machine.checkout("DC00000001", "B1")
        machine.checkout("DC00000001", "B2")
        assert machine.hold("+", "DC00000002", "B1", pickup="DC-WL").fixed["ok"] == "1"
        back = machine.checkin("B1")
        assert back.get("CV") == "02" and back.get("CT") == "DC-WL" and back.get("AF") == "转运至：乌龙镇分馆"
        again = machine.hold("+", "DC00000002", "B2")
        assert again.fixed["ok"] == "0" and "已预约此书" in again.get("AF")
        cancelled = machine.hold("-", "DC00000002", "B2")
        assert cancelled.fixed["ok"] == "1" and cancelled.get("AF") == "已取消预约：《呐喊》"
        assert machine.hold("-", "DC00000002", "B2").fixed["ok"] == "0"
    holds = lib.client.get("/api/v1/patrons/DC00000002/holds", headers=lib.desk, params={"history": True}).json()
    assert [h["status"] for h in holds] == ["cancelled"]


def test_block_patron_puts_a_manual_block_on_the_reader_with_the_machine_as_author(selfcheck: SelfCheck, db):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        answer = machine.block_patron("DC00000001", "读者证挂失", retained=True)
        assert answer.code == "24" and answer.fixed["patron_status"][0] == "Y"
        refused = machine.checkout("DC00000001", "B1")
        assert refused.fixed["ok"] == "0" and "读者被暂停借阅：读者证挂失" in refused.get("AF")
    with db.session(write=False) as s:
        block = s.scalars(select(PatronBlock)).one()
    assert block.created_by == "sip2:sc-td-1" and block.lifted_at is None and "读者证已留存在机内" in block.reason


def test_item_information_for_an_unknown_barcode_is_a_refusal_not_an_error(selfcheck: SelfCheck):
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        answer = machine.item_information("NO-SUCH-COPY")
        assert answer.code == "18" and answer.fixed["circulation_status"] == "01"
        assert answer.get("AF") == "条码号无效，请将图书交到服务台"
        back = machine.checkin("NO-SUCH-COPY")
        assert back.code == "10" and back.fixed["ok"] == "0"


def test_a_fee_larger_than_what_is_owed_is_refused(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.reader("DC00000001")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        refused = machine.fee_paid("DC00000001", "5.00")
        assert refused.fixed["payment_accepted"] == "N" and refused.get("AF") == "缴费金额超过欠款金额"
        assert machine.fee_paid("DC00000001", "5.00", currency="USD").get("AF") == "只收人民币"


def test_a_wrong_reader_password_refuses_the_checkout(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001", password=READER_PASSWORD)
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        refused = machine.checkout("DC00000001", "B1", password="not-the-password")
        assert refused.fixed["ok"] == "0" and refused.get("AF") == "借书失败：读者密码错误"
        assert machine.checkout("DC00000001", "B1", password=READER_PASSWORD).fixed["ok"] == "1"


def test_a_reader_renews_only_their_own_loans_unless_the_machine_allows_third_parties(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        machine.checkout("DC00000001", "B1")
        other = machine.renew("DC00000002", "B1")
        assert other.fixed["ok"] == "0" and other.get("AF") == "续借失败：只能续借本人借阅的图书"
        assert machine.renew("NOBODY", "B1").fixed["ok"] == "0"
        assert machine.renew("DC00000002", "B1", third_party=True).fixed["ok"] == "1"


def test_patron_information_lists_the_asked_summary_page_by_page(selfcheck: SelfCheck):
    lib = selfcheck.lib
    lib.title("围城", {"B1": "DC-TD", "B2": "DC-TD", "B3": "DC-TD"})
    lib.title("呐喊", {"N1": "DC-WL"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    selfcheck.account("sc-td-1")
    with selfcheck.logged_in("sc-td-1") as machine:
        for barcode in ("B1", "B2", "B3"):
            assert machine.checkout("DC00000001", barcode).fixed["ok"] == "1"
        machine.checkout("DC00000002", "N1")
        assert machine.hold("+", "DC00000001", "N1").fixed["ok"] == "1"
        page = machine.ask("63", ["019", machine.now(), "  Y       "], [("AO", ""), ("AA", "DC00000001"),
                                                                        ("BP", "2"), ("BQ", "3")])
        assert page.fixed["charged_items_count"] == "0003" and len(page.all("AU")) == 2
        assert page.fixed["unavailable_holds_count"] == "0001" and page.all("CD") == []
        waiting = machine.patron_information("DC00000001", summary="     Y")
        assert waiting.all("CD") == ["呐喊"] and waiting.all("AU") == []

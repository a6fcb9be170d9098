"""Check-out, check-in (通借通还), renew, lost and claims returned, over the HTTP API."""

from __future__ import annotations

from sqlalchemy import func, select

from ils.events import Event
from tests.support.library import library


def _events(db, kind: str) -> list[Event]:
    with db.session(write=False) as s:
        return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def test_borrow_at_one_unit_return_at_another_sends_the_copy_home(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    loan = lib.checkout("DC00000001", "B1", "DC-TD")
    assert loan.status_code == 201, loan.text
    body = loan.json()
    # T0 is Monday 23 Nov; 30 days later is Wednesday 23 Dec, an open day.
    assert body["due_on"] == "2026-12-23" and body["card"] == "DC00000001" and body["title"] == "红楼梦"
    assert lib.item("B1")["status"] == "on_loan"

    back = lib.checkin("B1", "DC-WL")
    assert back.status_code == 200, back.text
    result = back.json()
    assert result["disposition"] == "transit" and result["destination_unit"] == "DC-TD"
    assert result["instruction"] == "转运至：铜都街道分馆"
    assert result["transit"]["reason"] == "home" and result["loan"]["status"] == "returned"
    assert lib.item("B1")["status"] == "in_transit"

    transits = client.get("/api/v1/transits", headers=lib.desk, params={"from": "DC-WL"}).json()
    assert [(t["barcode"], t["to_unit"], t["status"]) for t in transits] == [("B1", "DC-TD", "open")]
    home = lib.receive("B1", "DC-TD").json()
    assert home["disposition"] == "shelve" and home["instruction"] == "放回书架"
    assert lib.item("B1")["status"] == "available" and lib.item("B1")["current_unit"] == "DC-TD"
    assert client.get("/api/v1/transits", headers=lib.desk, params={"to": "DC-TD"}).json() == []


def test_a_due_date_never_falls_on_a_closed_day(client, db):
    lib = library(client, db, loan_days=28)  # 28 days after Monday is a Monday: the test units close on Mondays
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    assert lib.checkout("DC00000001", "B1", "DC-TD").json()["due_on"] == "2026-12-22"


def test_checkout_gathers_every_block_and_preview_writes_nothing(client, db):
    lib = library(client, db, max_items=1)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001", expires_on="2026-01-01")
    lib.client.post("/api/v1/patrons/DC00000001/blocks", headers=lib.desk, json={"reason": "证件挂失"})
    preview = client.post("/api/v1/circulation/checkout/preview", headers=lib.desk,
                          json={"card": "DC00000001", "barcode": "B1", "unit": "DC-TD"})
    assert preview.status_code == 200
    assert not preview.json()["allowed"]
    assert {b["code"] for b in preview.json()["blocks"]} == {"PATRON_EXPIRED", "PATRON_BLOCKED"}
    assert lib.item("B1")["status"] == "available"

    refused = lib.checkout("DC00000001", "B1", "DC-TD")
    assert refused.status_code == 409
    assert refused.json()["error"] == "CHECKOUT_BLOCKED"
    assert [(b["code"], b["overridable"]) for b in refused.json()["blocks"]] == [
        ("PATRON_EXPIRED", True), ("PATRON_BLOCKED", True)]


def test_staff_override_is_recorded_with_who_and_why_and_a_self_check_machine_cannot_override(client, db):
    lib = library(client, db, max_items=1)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    assert lib.checkout("DC00000001", "B1", "DC-TD").status_code == 201
    over = lib.checkout("DC00000001", "B2", "DC-TD")
    assert over.status_code == 409 and over.json()["blocks"][0]["code"] == "PATRON_LOAN_LIMIT"

    no_reason = lib.checkout("DC00000001", "B2", "DC-TD", override=["PATRON_LOAN_LIMIT"])
    assert no_reason.status_code == 422 and no_reason.json()["error"] == "OVERRIDE_REASON_REQUIRED"

    key = client.post("/api/v1/api-keys", headers=lib.admin,
                      json={"name": "自助借还机", "scopes": ["circulation:write"], "units": ["DC-TD"]})
    assert key.status_code == 201, key.text
    machine = {"X-API-Key": key.json()["key"]}
    denied = lib.checkout("DC00000001", "B2", "DC-TD", headers=machine, override=["PATRON_LOAN_LIMIT"],
                          override_reason="x")
    assert denied.status_code == 403 and denied.json()["error"] == "OVERRIDE_NOT_PERMITTED"

    done = lib.checkout("DC00000001", "B2", "DC-TD", override=["PATRON_LOAN_LIMIT"], override_reason="读者为班级借书")
    assert done.status_code == 201, done.text
    assert done.json()["overrides"] == [{"code": "PATRON_LOAN_LIMIT", "by": "staff:desk-all",
                                         "reason": "读者为班级借书"}]
    event = _events(db, "loan.checkout")[-1]
    assert event.actor == "staff:desk-all" and event.after["overrides"][0]["code"] == "PATRON_LOAN_LIMIT"


def test_a_copy_on_loan_is_never_lent_again_and_the_block_is_not_overridable(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    assert lib.checkout("DC00000001", "B1", "DC-TD").status_code == 201
    again = lib.checkout("DC00000002", "B1", "DC-TD", override=["ITEM_ON_LOAN"], override_reason="试试")
    assert again.status_code == 409
    assert again.json()["blocks"] == [{"code": "ITEM_ON_LOAN", "detail": "此册已借出给其他读者，请先还回",
                                       "overridable": False}]
    same = lib.checkout("DC00000001", "B1", "DC-TD")
    assert same.json()["blocks"][0]["code"] == "ITEM_ALREADY_ON_LOAN_TO_PATRON"


def test_per_type_limit_and_reference_only_copies(client, db):
    lib = library(client, db)
    lib.rule(item_type="children", max_items=5, max_items_of_type=1)
    lib.rule(item_type="local_doc", max_items=5, max_items_of_type=0)
    lib.title("小王子", {"C1": "DC-TD", "C2": "DC-TD"}, item_type="children")
    lib.title("东川志", {"L1": "DC-TD"}, item_type="local_doc")
    lib.reader("DC00000001")
    assert lib.checkout("DC00000001", "C1", "DC-TD").status_code == 201
    assert lib.checkout("DC00000001", "C2", "DC-TD").json()["blocks"][0]["code"] == "PATRON_ITEM_TYPE_LIMIT"
    assert lib.checkout("DC00000001", "L1", "DC-TD").json()["blocks"][0]["code"] == "ITEM_NOT_FOR_LOAN"


def test_a_child_and_an_adult_get_the_rules_the_library_set_for_them(client, db):
    lib = library(client, db)
    lib.rule(patron_category="child", loan_days=14)
    lib.title("小王子", {"C1": "DC-TD", "C2": "DC-TD"})
    lib.reader("DC00000001", category="child")
    lib.reader("DC00000002")
    assert lib.checkout("DC00000001", "C1", "DC-TD").json()["due_on"] == "2026-12-08"
    assert lib.checkout("DC00000002", "C2", "DC-TD").json()["due_on"] == "2026-12-23"
    explained = client.get("/api/v1/policies/explain", headers=lib.desk,
                           params={"card": "DC00000001", "barcode": "C1", "unit": "DC-TD"}).json()
    assert explained["rule"]["loan_days"] == 14 and "patron_category" in explained["reason"]


def test_renew_counts_against_the_limit_and_a_waiting_hold_blocks_it(client, db, clock):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.advance(clock, days=20)  # Sunday 13 Dec
    renewed = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "B1"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["due_on"] == "2027-01-12" and renewed.json()["renewals"] == 1
    again = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "B1"})
    assert again.status_code == 409 and [b["code"] for b in again.json()["blocks"]] == ["RENEW_LIMIT_REACHED"]
    assert lib.hold("DC00000002", "DC-TD", record="红楼梦").status_code == 201
    both = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "B1"})
    assert [b["code"] for b in both.json()["blocks"]] == ["RENEW_LIMIT_REACHED", "RENEW_HOLD_WAITING"]


def test_a_renewal_before_the_rules_window_is_refused_naming_the_day_it_opens_and_spends_nothing(client, db, clock):
    lib = library(client, db, renew_days_before_due=7)
    assert client.get("/api/v1/circulation-rules", headers=lib.admin).json()[0]["renew_days_before_due"] == 7
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    assert lib.checkout("DC00000001", "B1", "DC-TD").json()["due_on"] == "2026-12-23"
    early = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "B1"})
    assert early.status_code == 409 and early.json()["error"] == "RENEW_BLOCKED"
    (block,) = early.json()["blocks"]
    assert block["code"] == "RENEW_TOO_EARLY" and block["on"] == "2026-12-16" and "2026-12-16" in block["detail"]
    loans = client.get("/api/v1/patrons/DC00000001/loans", headers=lib.desk).json()
    assert [(loan["due_on"], loan["renewals"]) for loan in loans] == [("2026-12-23", 0)]

    lib.advance(clock, days=23)  # Wednesday 16 Dec: seven days before the due day
    renewed = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "B1"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["due_on"] == "2027-01-15" and renewed.json()["renewals"] == 1


def test_a_reader_renews_their_own_loans_only(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001", password="reader-pass-1")
    lib.reader("DC00000002")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.checkout("DC00000002", "B2", "DC-TD")
    token = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "reader-pass-1"})
    assert token.status_code == 200, token.text
    reader = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.post("/api/v1/circulation/renew", headers=reader, json={"barcode": "B1"}).status_code == 200
    other = client.post("/api/v1/circulation/renew", headers=reader, json={"barcode": "B2"})
    assert other.status_code == 409 and other.json()["blocks"][0]["code"] == "RENEW_NOT_OWN_LOAN"
    assert client.get("/api/v1/patrons/DC00000002/loans", headers=reader).json()["error"] == "NOT_OWN_ACCOUNT"
    mine = client.get("/api/v1/patrons/DC00000001/loans", headers=reader).json()
    assert [(loan["barcode"], loan["renewals"]) for loan in mine] == [("B1", 1)]


def test_overdue_fines_accrue_only_where_a_rate_is_set_and_block_at_the_limit(client, db, clock):
    lib = library(client, db, fine_per_day_fen=10, fine_limit_fen=100)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.advance(clock, days=42)  # 12 days overdue
    fines = client.get("/api/v1/patrons/DC00000001/fines", headers=lib.desk).json()
    assert fines["accruing_fen"] == 120 and fines["owed_fen"] == 0
    blocked = lib.checkout("DC00000001", "B2", "DC-TD").json()
    assert {b["code"] for b in blocked["blocks"]} == {"PATRON_FINES_OVER_LIMIT", "PATRON_HAS_OVERDUE"}
    back = lib.checkin("B1", "DC-TD").json()
    assert back["fine_fen"] == 120 and back["loan"]["overdue_days"] == 12
    paid = client.post("/api/v1/patrons/DC00000001/payments", headers=lib.desk,
                       json={"amount_fen": 120, "method": "wechat", "unit": "DC-TD"})
    assert paid.status_code == 200 and paid.json()["owed_fen"] == 0
    too_much = client.post("/api/v1/patrons/DC00000001/payments", headers=lib.desk,
                           json={"amount_fen": 1, "unit": "DC-TD"})
    assert too_much.status_code == 422 and too_much.json()["error"] == "PAYMENT_TOO_LARGE"
    assert lib.checkout("DC00000001", "B2", "DC-TD").status_code == 201


def test_no_fine_is_charged_when_the_rule_sets_no_rate(client, db, clock):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lib.advance(clock, days=60)
    assert lib.checkin("B1", "DC-TD").json()["fine_fen"] == 0


def test_lost_copy_is_charged_and_the_charge_is_waived_when_it_turns_up(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"}, price_fen=4500)
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    lost = client.post("/api/v1/circulation/lost", headers=lib.desk, json={"barcode": "B1"})
    assert lost.status_code == 200, lost.text
    assert lost.json()["fine_fen"] == 4500 and lost.json()["loan"]["status"] == "lost"
    assert lib.item("B1")["status"] == "lost"
    assert client.get("/api/v1/patrons/DC00000001/fines", headers=lib.desk).json()["owed_fen"] == 4500
    found = lib.checkin("B1", "DC-WL").json()
    assert found["found"] and found["disposition"] == "transit" and found["destination_unit"] == "DC-TD"
    assert client.get("/api/v1/patrons/DC00000001/fines", headers=lib.desk).json()["owed_fen"] == 0


def test_claims_returned_stops_the_loan_counting_until_the_copy_is_found(client, db):
    lib = library(client, db, max_items=1)
    lib.title("红楼梦", {"B1": "DC-TD", "B2": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-TD")
    claimed = client.post("/api/v1/circulation/claims-returned", headers=lib.desk, json={"barcode": "B1"})
    assert claimed.json()["loan"]["status"] == "claimed_returned"
    assert lib.item("B1")["status"] == "missing"
    assert lib.checkout("DC00000001", "B2", "DC-TD").status_code == 201
    found = lib.checkin("B1", "DC-TD").json()
    assert found["found"] and found["disposition"] == "shelve" and found["loan"]["status"] == "returned"


def test_idempotency_key_replays_the_first_answer_and_changes_nothing(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    headers = {**lib.desk, "Idempotency-Key": "desk-7-0001"}
    body = {"card": "DC00000001", "barcode": "B1", "unit": "DC-TD"}
    first = client.post("/api/v1/circulation/checkout", headers=headers, json=body)
    second = client.post("/api/v1/circulation/checkout", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(_events(db, "loan.checkout")) == 1
    other = client.post("/api/v1/circulation/checkout", headers=headers, json={**body, "barcode": "B2"})
    assert other.status_code == 422 and other.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    # A refusal is an answer too: replayed, not re-evaluated.
    refused_headers = {**lib.desk, "Idempotency-Key": "desk-7-0002"}
    lib.reader("DC00000002")
    refused = client.post("/api/v1/circulation/checkout", headers=refused_headers, json={**body, "card": "DC00000002"})
    assert refused.status_code == 409
    lib.checkin("B1", "DC-TD")
    replay = client.post("/api/v1/circulation/checkout", headers=refused_headers, json={**body, "card": "DC00000002"})
    assert replay.status_code == 409 and replay.json() == refused.json()
    with db.session(write=False) as s:
        from circulation.models import Loan

        assert s.scalar(select(func.count()).select_from(Loan)) == 1


def test_every_checkout_and_checkin_is_an_event_with_before_and_after(client, db):
    lib = library(client, db)
    lib.title("红楼梦", {"B1": "DC-TD"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "B1", "DC-WL")
    lib.checkin("B1", "DC-TD")
    out, back = _events(db, "loan.checkout")[0], _events(db, "loan.checkin")[0]
    assert (out.unit_code, out.before["status"], out.after["status"]) == ("DC-WL", "available", "on_loan")
    assert (back.unit_code, back.before["status"], back.after["disposition"]) == ("DC-TD", "on_loan", "shelve")
    assert out.subject == back.subject == "item:B1"


def test_every_circulation_post_documents_the_idempotency_key(client):
    spec = client.get("/openapi.json").json()
    circulation = ("/api/v1/circulation/", "/api/v1/holds", "/api/v1/transits/", "/api/v1/patrons/{card}/payments")
    checked = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "delete") and path.startswith(circulation):
                headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
                assert "Idempotency-Key" in headers, f"{method.upper()} {path}"
                checked.append(path)
    assert len(checked) >= 10

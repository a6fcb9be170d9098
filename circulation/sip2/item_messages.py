"""Messages about a copy: checkout (11), checkin (09), renew (29), renew all (65), item
information (17), hold (15) and item status update (19).

They call the same use cases as the desk, as the machine's principal (no override), at the
machine's unit; a refusal carries every block in the screen message.
"""

from __future__ import annotations

from datetime import date

from catalog.public import Item, get_item, lock_item, record_title
from circulation import holds, loans
from circulation import repository as repo
from circulation.holds import HoldRequest
from circulation.loans import CheckinOutcome, CheckoutRequest, RenewRequest
from circulation.models import Loan
from circulation.sip2 import repository as sip2_repo
from circulation.sip2.codec import Response, count4, money, sip_due, yes_no
from circulation.sip2.context import (
    BAD_PASSWORD,
    MISSING_ITEM,
    MISSING_PATRON,
    SCREEN,
    Call,
    find_patron,
    mask_card,
    mask_name,
    password_ok,
    screen_message,
)
from circulation.views import move_read
from ils.errors import Conflict, DomainError
from logistics.public import open_transit

# SIP2 media types (CK) by item type: 001 book, 002 magazine, 006 CD.
MEDIA_TYPES = {"periodical": "002", "audio": "006"}
BOOK = "001"
# SIP2 circulation status (item information) by item status.
CIRCULATION_STATUS = {
    "processing": "06", "available": "03", "on_loan": "04", "in_transit": "10", "on_hold_shelf": "08",
    "lost": "12", "missing": "13", "damaged": "01", "withdrawn": "01",
}
CLAIMED_RETURNED = "11"
# Checkin alert types (CV) and sort bins (CL) by what happens to the copy next: sorters with
# bins put hold copies and copies to send in bins of their own, away from the reshelving cart.
ALERT_HOLD_HERE, ALERT_HOLD_ELSEWHERE, ALERT_TRANSIT = "01", "02", "04"
SORT_BINS = {"shelve": "1", "hold_shelf": "2", "transit": "3"}
# The security marker (RFID in Chinese libraries): SIP2 has no code for it, so "other".
SECURITY_MARKER = "00"
FEE_TYPE_OTHER = "01"


def _media(item: Item) -> str:
    return MEDIA_TYPES.get(item.item_type, BOOK)


def _day(day: date) -> str:
    return day.isoformat()


def _patron_check(call: Call) -> str | None:
    """Why the reader at the machine may not act (no card, wrong password), or None."""
    if not call.card:
        return MISSING_PATRON
    # The reader is looked up only to check a password the machine sent: the use case reads
    # (and locks) the patron anyway, and check-out is the hot path.
    if call.message.get("AD") and password_ok(call, find_patron(call)) is False:
        return BAD_PASSWORD
    return None


# ---- checkout -----------------------------------------------------------------------------------


def _checkout_response(call: Call, ok: bool, *, renewed: bool = False, title: str = "", due: str = "",
                       media: str | None = None, screen: str) -> Response:
    response = Response("12", ["1" if ok else "0", yes_no(renewed), "N" if ok else "U", yes_no(ok), call.stamp])
    response.add("AO", call.institution).add("AA", call.card).add("AB", call.barcode).add("AJ", title)
    return response.add("AH", due).add("CK", media).add("AF", screen).add("AG", screen if ok else None)


def checkout(call: Call) -> Response:
    problem = MISSING_ITEM if not call.barcode else _patron_check(call)
    if problem:
        return refuse_checkout(call, problem)
    request = CheckoutRequest(call.card, call.barcode, call.unit_code)
    try:
        decision = loans.checkout(call.db, request, call.principal, call.now)
    except Conflict as exc:
        codes = {b.get("code") for b in exc.blocks}
        # The reader has this very copy: with the machine's renewal policy, borrowing it again is
        # a renewal (the check-out refused before writing anything, so the transaction is clean).
        if codes == {"ITEM_ALREADY_ON_LOAN_TO_PATRON"} and call.message.fixed.get("sc_renewal_policy") == "Y":
            return _renew_by_checkout(call)
        raise
    assert decision.loan is not None
    title = record_title(call.db, decision.item.record_id)
    due = decision.loan.due_on
    return _checkout_response(call, True, title=title, due=sip_due(due), media=_media(decision.item),
                              screen=f"借书成功：《{title}》，应还日期 {_day(due)}")


def _renew_by_checkout(call: Call) -> Response:
    loan, _ = loans.renew(call.db, RenewRequest(call.barcode, call.unit_code), call.principal, call.now)
    item = get_item(call.db, call.barcode)
    title = record_title(call.db, item.record_id)
    return _checkout_response(call, True, renewed=True, title=title, due=sip_due(loan.due_on), media=_media(item),
                              screen=f"续借成功：《{title}》，应还日期 {_day(loan.due_on)}")


def refuse_checkout(call: Call, screen: str) -> Response:
    return _checkout_response(call, False, screen=f"借书失败：{screen}")


# ---- checkin ------------------------------------------------------------------------------------


def _instruction(outcome: CheckinOutcome, destination_name: str, hold_card: str | None,
                 hold_name: str | None) -> str:
    """The desk's instruction, with the reader's name and card masked: a returns machine's
    screen and its slip are read by whoever returned the copy."""
    if outcome.move.disposition == "hold_shelf" and hold_card is not None:
        return f"预约架：{mask_name(hold_name or '')}（{mask_card(hold_card)}）"
    if outcome.move.disposition == "transit":
        return f"转运至：{destination_name}"
    return "放回书架"


def checkin(call: Call) -> Response:
    if not call.barcode:
        return refuse_checkin(call, MISSING_ITEM)
    outcome = loans.checkin(call.db, call.barcode, call.unit_code, call.principal, call.now)
    move, item = outcome.move, outcome.item
    read = move_read(call.db, item, move)
    hold = read.hold
    disposition = move.disposition
    alert = None
    if disposition == "hold_shelf":
        alert = ALERT_HOLD_HERE
    elif disposition == "transit":
        alert = ALERT_HOLD_ELSEWHERE if hold is not None else ALERT_TRANSIT
    response = Response("10", ["1", "Y", "N", yes_no(alert is not None), call.stamp])
    response.add("AO", call.institution).add("AB", item.barcode)
    response.add("AQ", call.context().code(item.owning_unit_id)).add("AJ", read.title)
    response.add("CL", SORT_BINS[disposition]).add("CK", _media(item)).add("CS", read.call_number)
    if disposition != "shelve":
        response.add("CT", read.destination_unit).add("CV", alert)
    if hold is not None:
        # The hold slip names the reader the copy waits for, who is not the one returning it.
        response.add("CY", mask_card(hold.card)).add("DA", mask_name(hold.name))
    response.add("AF", _instruction(outcome, read.destination_name, hold.card if hold else None,
                                    hold.name if hold else None))
    if outcome.fine is not None:
        response.add("AF", f"产生逾期费 {money(outcome.fine.amount_fen)} 元")
    return response.add("AG", f"还书成功：《{read.title}》")


def refuse_checkin(call: Call, screen: str) -> Response:
    response = Response("10", ["0", "N", "U", "Y", call.stamp]).add("AO", call.institution)
    return response.add("AB", call.barcode).add("AQ", "").add("AF", f"还书失败：{screen}")


# ---- renew and renew all ----------------------------------------------------------------------


def _renew_response(call: Call, ok: bool, *, title: str = "", due: str = "", media: str | None = None,
                    screen: str) -> Response:
    response = Response("30", ["1" if ok else "0", yes_no(ok), "N", "N", call.stamp])
    response.add("AO", call.institution).add("AA", call.card).add("AB", call.barcode).add("AJ", title)
    return response.add("AH", due).add("CK", media).add("AF", screen)


def renew(call: Call) -> Response:
    problem = MISSING_ITEM if not call.barcode else _patron_check(call)
    if problem:
        return refuse_renew(call, problem)
    patron = find_patron(call)
    if patron is None:
        return refuse_renew(call, SCREEN["PATRON_NOT_FOUND"])
    item = get_item(call.db, call.barcode)
    current = repo.active_loan(call.db, item.id)
    # Without "third party allowed" a reader renews only their own loans (spec: renew).
    if call.message.fixed.get("third_party_allowed") != "Y" and current is not None \
            and current.patron_id != patron.id:
        return refuse_renew(call, "只能续借本人借阅的图书")
    loan, _ = loans.renew(call.db, RenewRequest(call.barcode, call.unit_code), call.principal, call.now)
    title = record_title(call.db, item.record_id)
    return _renew_response(call, True, title=title, due=sip_due(loan.due_on), media=_media(item),
                           screen=f"续借成功：《{title}》，应还日期 {_day(loan.due_on)}")


def refuse_renew(call: Call, screen: str) -> Response:
    return _renew_response(call, False, screen=f"续借失败：{screen}")


def renew_all(call: Call) -> Response:
    """Renew every loan of the reader, each on its own savepoint: one refused renewal leaves the
    others standing. The copies are locked first, in barcode order, so the lock order stays
    item-then-patron for every renewal (a desk lending one of these copies cannot deadlock us)."""
    problem = _patron_check(call)
    patron = find_patron(call)
    if problem or patron is None:
        return refuse_renew_all(call, problem or SCREEN["PATRON_NOT_FOUND"])
    open_loans = repo.open_loans(call.db, patron.id)
    barcodes = sorted(sip2_repo.barcodes(call.db, [loan.item_id for loan in open_loans]).values())
    for barcode in barcodes:
        lock_item(call.db, barcode)
    renewed, unrenewed, reasons = [], [], []
    for barcode in barcodes:
        try:
            with call.db.begin_nested():
                loans.renew(call.db, RenewRequest(barcode, call.unit_code), call.principal, call.now)
            renewed.append(barcode)
        except DomainError as exc:
            unrenewed.append(barcode)
            reasons.append(f"{barcode}：{screen_message(exc)}")
    response = Response("66", ["1", count4(len(renewed)), count4(len(unrenewed)), call.stamp])
    response.add("AO", call.institution)
    for barcode in renewed:
        response.add("BM", barcode)
    for barcode in unrenewed:
        response.add("BN", barcode)
    response.add("AF", f"续借成功 {len(renewed)} 册，未能续借 {len(unrenewed)} 册")
    for reason in reasons:
        response.add("AF", reason)
    return response


def refuse_renew_all(call: Call, screen: str) -> Response:
    response = Response("66", ["0", count4(0), count4(0), call.stamp]).add("AO", call.institution)
    return response.add("AF", f"续借失败：{screen}")


# ---- item information ---------------------------------------------------------------------------


def _status_line(item: Item, loan: Loan | None, where: str, to: str | None) -> str:
    if item.status == "available":
        return f"在架：{where}"
    if item.status == "on_loan" and loan is not None:
        return f"已借出，应还日期 {_day(loan.due_on)}"
    if item.status == "in_transit":
        return f"在途：送往{to or ''}"
    if item.status == "on_hold_shelf":
        return f"预约保留：{where}"
    return {"processing": "加工中", "lost": "已遗失", "missing": "下落不明", "damaged": "破损待修",
            "withdrawn": "已剔除"}.get(item.status, item.status)


def item_information(call: Call) -> Response:
    if not call.barcode:
        return refuse_item_information(call, MISSING_ITEM)
    db, ctx = call.db, call.context()
    item = get_item(db, call.barcode)
    loan = repo.active_loan(db, item.id) if item.status in ("on_loan", "lost", "missing") else None
    status = CLAIMED_RETURNED if loan is not None and loan.status == "claimed_returned" \
        else CIRCULATION_STATUS.get(item.status, "01")
    transit = open_transit(db, item.id) if item.status == "in_transit" else None
    trapped = repo.trapped_hold(db, item.id) if item.status == "on_hold_shelf" else None
    here = ctx.unit(item.current_unit_id)
    to = ctx.unit(transit.to_unit_id) if transit is not None else None
    response = Response("18", [status, SECURITY_MARKER, FEE_TYPE_OTHER, call.stamp])
    response.add("AB", item.barcode).add("AJ", record_title(db, item.record_id))
    response.add("CF", count4(repo.waiting_holds_count(db, item.record_id, item.id, ctx.today)))
    response.add("AH", sip_due(loan.due_on) if loan is not None and loan.status == "open" else None)
    response.add("CM", sip_due(trapped.shelf_expires_on) if trapped and trapped.shelf_expires_on else None)
    response.add("BG", ctx.code(item.owning_unit_id)).add("CK", _media(item))
    response.add("AQ", ctx.code(item.owning_unit_id)).add("AP", here.code).add("CS", item.call_number)
    response.add("CT", to.code if to is not None else None)
    return response.add("AF", _status_line(item, loan, here.name, to.name if to is not None else None))


def refuse_item_information(call: Call, screen: str) -> Response:
    response = Response("18", ["01", SECURITY_MARKER, FEE_TYPE_OTHER, call.stamp])
    return response.add("AB", call.barcode).add("AJ", "").add("AF", screen)


def item_status_update(call: Call) -> Response:
    """Item properties are the catalogue's to change, not a machine's: always refused."""
    return refuse_item_status_update(call, "自助机不能修改图书信息")


def refuse_item_status_update(call: Call, screen: str) -> Response:
    return Response("20", ["0", call.stamp]).add("AB", call.barcode).add("AF", screen)


# ---- holds --------------------------------------------------------------------------------------


def _hold_response(call: Call, ok: bool, *, available: bool = False, title: str = "", queue: int | None = None,
                   pickup: str | None = None, screen: str) -> Response:
    response = Response("16", ["1" if ok else "0", yes_no(available), call.stamp])
    response.add("BR", queue).add("BS", pickup).add("AO", call.institution).add("AA", call.card)
    return response.add("AB", call.barcode or None).add("AJ", title or None).add("AF", screen)


def hold(call: Call) -> Response:
    """'+' places a hold on the title of the copy scanned (on that copy alone with hold type 3),
    to collect at BS or at the machine's unit; '-' cancels the reader's hold on that title; '*'
    moves its pickup unit to BS."""
    mode = call.message.fixed.get("hold_mode")
    problem = MISSING_ITEM if not call.barcode else _patron_check(call)
    if problem:
        return refuse_hold(call, problem)
    item = get_item(call.db, call.barcode)
    title = record_title(call.db, item.record_id)
    pickup = call.message.get("BS").strip() or call.unit_code
    if mode == "+":
        one_copy = call.message.get("BY") == "3"
        request = HoldRequest(call.card, pickup, record_id=None if one_copy else item.record_id,
                              barcode=item.barcode if one_copy else None)
        placed = holds.place(call.db, request, call.principal, call.now)
        queue = repo.queue_position(call.db, placed)
        return _hold_response(call, True, available=placed.target_item_id is not None, title=title, queue=queue,
                              pickup=pickup, screen=f"预约成功：《{title}》，取书地点 {_pickup_name(call, pickup)}，"
                                                    f"排第 {queue} 位")
    patron = find_patron(call)
    existing = repo.active_hold_of(call.db, patron.id, item.record_id) if patron is not None else None
    if existing is None:
        return refuse_hold(call, SCREEN["HOLD_NOT_FOUND"])
    if mode == "-":
        holds.cancel(call.db, existing.id, call.principal, call.now, reason="读者在自助机取消")
        return _hold_response(call, True, title=title, screen=f"已取消预约：《{title}》")
    if mode == "*":
        holds.change(call.db, existing.id, call.principal, call.now, pickup_unit=pickup)
        return _hold_response(call, True, title=title, pickup=pickup,
                              screen=f"取书地点已改为 {_pickup_name(call, pickup)}：《{title}》")
    return refuse_hold(call, "预约方式无效")


def _pickup_name(call: Call, code: str) -> str:
    return call.context().unit_by_code(code).name


def refuse_hold(call: Call, screen: str) -> Response:
    return _hold_response(call, False, screen=f"预约失败：{screen}")

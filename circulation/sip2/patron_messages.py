"""Messages about a reader: patron status (23), patron information (63), block patron (01),
patron enable (25), end patron session (35) and fee paid (37).

Each answer is built from the reader's standing at the machine's unit, so the machine shows what
the desk would: the same blocks, in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from circulation import fines, patrons
from circulation import repository as repo
from circulation.models import Patron
from circulation.sip2 import repository as sip2_repo
from circulation.sip2.codec import Response, count4, money, parse_money, yes_no
from circulation.sip2.context import (
    BAD_PASSWORD,
    CURRENCY,
    LANGUAGE,
    MISSING_PATRON,
    SCREEN,
    Call,
    Standing,
    find_patron,
    password_ok,
    patron_status,
    shown_name,
    standing,
)

# How many barcodes a patron information answer lists when the machine names no range: enough
# for any reader's screen, short enough for the machines' receive buffers.
MAX_LIST_ITEMS = 50
# SIP2 payment types a reader can use at a machine; anything else is refused, not guessed.
PAYMENT_METHODS = {"00": "cash", "01": "card", "02": "card"}


def _status_response(code: str, call: Call, patron: Patron | None, found: Standing | None,
                     password: bool | None, screen: str | None = None) -> Response:
    """24 and 26 share their layout; 24 also carries the fee owed."""
    response = Response(code, [patron_status(found), LANGUAGE, call.stamp])
    response.add("AO", call.institution).add("AA", call.card).add("AE", shown_name(patron, password))
    response.add("BL", yes_no(patron is not None)).add("CQ", yes_no(bool(password)) if password is not None else None)
    if code == "24" and found is not None:
        response.add("BH", CURRENCY).add("BV", money(found.owed_fen))
    return response.add("AF", screen if screen is not None else _greeting(patron, found, password))


def _greeting(patron: Patron | None, found: Standing | None, password: bool | None) -> str:
    if patron is None:
        return SCREEN["PATRON_NOT_FOUND"]
    if password is False:
        return BAD_PASSWORD
    if found is not None and found.blocks:
        return found.screen
    return f"您好，{shown_name(patron, password)}"


def _lookup(call: Call) -> tuple[Patron | None, Standing | None, bool | None]:
    patron = find_patron(call)
    password = password_ok(call, patron)
    return patron, standing(call, patron) if patron is not None else None, password


def patron_status_request(call: Call) -> Response:
    patron, found, password = _lookup(call)
    return _status_response("24", call, patron, found, password)


def refuse_patron_status(call: Call, screen: str) -> Response:
    return _status_response("24", call, None, None, None, screen)


# ---- patron information ----------------------------------------------------------------------


def _range(call: Call) -> tuple[int, int]:
    """BP/BQ, 1-based and inclusive, as the machine pages through a long list."""
    try:
        start = max(1, int(call.message.get("BP") or 1))
        end = int(call.message.get("BQ") or start + MAX_LIST_ITEMS - 1)
    except ValueError:
        start, end = 1, MAX_LIST_ITEMS
    return start, min(end, start + MAX_LIST_ITEMS - 1)


@dataclass
class Summary:
    """What the patron information counts, by summary position: holds ready (AS), overdue copies
    (AT), copies charged (AU), fines (AV), recalls (BU, none here), holds not yet available (CD)."""

    lists: dict[str, list[Any]]

    def counts(self) -> list[str]:
        return [count4(len(self.lists[key])) for key in SUMMARY]


# The summary's positions, in order, and the list each one asks for.
SUMMARY = ("AS", "AT", "AU", "AV", "BU", "CD")


def _summary(call: Call, found: Standing) -> Summary:
    holds = repo.patron_holds(call.db, found.patron.id)
    fines = [f for f in repo.fines_of(call.db, found.patron.id) if f.amount_fen > f.paid_fen + f.waived_fen]
    today = call.context().today
    return Summary({
        "AS": [h for h in holds if h.status == "ready"], "AT": [loan for loan in found.loans if loan.due_on < today],
        "AU": list(found.loans), "AV": fines, "BU": [], "CD": [h for h in holds if h.status != "ready"],
    })


def _listed(call: Call, key: str, rows: list[Any]) -> list[str]:
    """The lines of one summary list, read only when the machine asks for that list: barcodes of
    copies, titles of holds no copy is trapped for yet, each fine with what is left to pay."""
    if key in ("AT", "AU"):
        codes = sip2_repo.barcodes(call.db, [loan.item_id for loan in rows])
        return [codes[loan.item_id] for loan in rows]
    if key == "AS":
        codes = sip2_repo.barcodes(call.db, [h.item_id for h in rows if h.item_id])
        return [codes[h.item_id] for h in rows if h.item_id in codes]
    if key == "CD":
        names = sip2_repo.titles(call.db, [h.record_id for h in rows])
        return [names.get(h.record_id, "") for h in rows]
    if key == "AV":
        return [f"{f.note or f.kind} {money(f.amount_fen - f.paid_fen - f.waived_fen)}" for f in rows]
    return []


def patron_information(call: Call) -> Response:
    patron, found, password = _lookup(call)
    if patron is None or found is None:
        return refuse_patron_information(call, SCREEN["PATRON_NOT_FOUND"])
    summary = _summary(call, found)
    response = Response("64", [patron_status(found), LANGUAGE, call.stamp, *summary.counts()])
    response.add("AO", call.institution).add("AA", patron.card_number).add("AE", shown_name(patron, password))
    # Limits the rule sets: loans at once (CB) and the fine that blocks (CC). Holds and overdue
    # copies have no count limit here (one overdue copy blocks), so BZ and CA are left out.
    response.add("CB", count4(found.rule.max_items))
    response.add("BL", "Y").add("CQ", yes_no(bool(password)) if password is not None else None)
    response.add("BH", CURRENCY).add("BV", money(found.owed_fen))
    if found.rule.fine_limit_fen is not None:
        response.add("CC", money(found.rule.fine_limit_fen))
    asked = call.message.fixed.get("summary", "")
    start, end = _range(call)
    for position, key in enumerate(SUMMARY):
        if asked[position:position + 1] == "Y":
            for value in _listed(call, key, summary.lists[key][start - 1:end]):
                response.add(key, value)
    return response.add("AF", _greeting(patron, found, password))


def refuse_patron_information(call: Call, screen: str) -> Response:
    response = Response("64", [patron_status(None), LANGUAGE, call.stamp, *[count4(0)] * 6])
    return response.add("AO", call.institution).add("AA", call.card).add("AE", "").add("BL", "N").add("AF", screen)


# ---- block, enable, end session --------------------------------------------------------------


def block_patron(call: Call) -> Response:
    """The machine blocks the card (a card reported lost, a card it swallowed). The spec wants
    no answer; the machine gets the reader's status after the block, which it may ignore."""
    patron = find_patron(call)
    if patron is None:
        return refuse_patron_status(call, SCREEN["PATRON_NOT_FOUND"])
    retained = call.message.fixed.get("card_retained") == "Y"
    reason = call.message.get("AL").strip() or "自助机挂失"
    note = f"{reason}（自助机 {call.principal.name}{'，读者证已留存在机内' if retained else ''}）"
    patrons.block(call.db, patron.card_number, note, call.principal, call.now)
    return _status_response("24", call, patron, standing(call, patron), None)


def patron_enable(call: Call) -> Response:
    """A block is lifted only at the desk, where someone can see why it was set; the machine is
    told the reader's status as it stands."""
    patron, found, password = _lookup(call)
    screen = None if found is None or not found.blocks else "请到服务台解除暂停"
    return _status_response("26", call, patron, found, password, screen)


def refuse_patron_enable(call: Call, screen: str) -> Response:
    return _status_response("26", call, None, None, None, screen)


def end_patron_session(call: Call) -> Response:
    response = Response("36", ["Y", call.stamp]).add("AO", call.institution).add("AA", call.card)
    return response.add("AF", "谢谢使用，再见")


def refuse_end_session(call: Call, screen: str) -> Response:
    return Response("36", ["N", call.stamp]).add("AO", call.institution).add("AA", call.card).add("AF", screen)


# ---- fee paid ----------------------------------------------------------------------------------


def fee_paid(call: Call) -> Response:
    """A payment taken by the machine (cash box, card reader) settles the oldest fines first."""
    fixed, message = call.message.fixed, call.message
    amount = parse_money(message.get("BV"))
    method = PAYMENT_METHODS.get(fixed.get("payment_type", ""))
    if fixed.get("currency_type", "").strip() not in (CURRENCY, ""):
        return refuse_fee_paid(call, "只收人民币")
    if amount is None or amount <= 0:
        return refuse_fee_paid(call, "缴费金额无效")
    if method is None:
        return refuse_fee_paid(call, "不支持的支付方式")
    if not call.card:
        return refuse_fee_paid(call, MISSING_PATRON)
    patron = patrons.get_patron(call.db, call.card, lock=True)
    if password_ok(call, patron) is False:
        return refuse_fee_paid(call, BAD_PASSWORD)
    unit = call.context().unit_by_code(call.unit_code)
    fines.pay(call.db, patron, amount, method, unit.id, unit.code, call.principal, call.now)
    left = repo.owed_fen(call.db, patron.id)
    response = Response("38", ["Y", call.stamp]).add("AO", call.institution).add("AA", patron.card_number)
    response.add("BK", message.get("BK") or None)
    return response.add("AF", f"缴费 {money(amount)} 元成功，尚欠 {money(left)} 元")


def refuse_fee_paid(call: Call, screen: str) -> Response:
    response = Response("38", ["N", call.stamp]).add("AO", call.institution).add("AA", call.card)
    return response.add("BK", call.message.get("BK") or None).add("AF", screen)

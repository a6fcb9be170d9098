"""The readers' pages (OPAC): search the union catalogue, a record with every copy, log in with
the card, place a hold, and "my account" (loans, due dates, holds and their place in the queue,
renew, cancel). Search and records are public; the rest needs the reader's login."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from catalog.public import SearchQuery, get_record, items_of_record, read_record, search_engine
from circulation import holds, loans, patrons, views
from circulation import repository as circulation_repo
from circulation.blocks import NO_OVERRIDE
from circulation.holds import HoldRequest
from circulation.loans import RenewRequest
from circulation.patrons import local_date
from ils.auth.service import login_patron
from ils.errors import DomainError
from ils.http import Now, ReadSession, WriteSession
from ils.network.snapshot import network
from ils.validation import Id
from ils.web.confirm import Confirm, ask, confirmed
from ils.web.pages import (
    READER_COOKIE,
    LoginView,
    PublicView,
    View,
    check_csrf,
    log_in,
    log_out,
    redirect,
    refused_login,
    page,
    render,
    safe_next,
    unit_names,
)
from ils.web.refusals import renew_refused

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
# Units a reader may choose to collect a hold at: every unit with a desk. The mobile library
# stops at places, not desks, and a city library of another system is not in the network's
# van routes.
PICKUP_LEVELS = ("main", "branch", "service_point", "study_room")


def _units(session: Session) -> list[tuple[str, str]]:
    return sorted(((u.code, u.name) for u in network(session).units.values() if u.level in PICKUP_LEVELS),
                  key=lambda pair: pair[0])


@router.get("/opac", response_class=HTMLResponse)
def search_page(
    view: PublicView,
    session: ReadSession,
    q: Annotated[str, Query(max_length=200)] = "",
    unit: str | None = None,
    available: bool = False,
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> Response:
    unit = unit or None
    result = None
    if q or unit or available:
        result = search_engine().search(SearchQuery(q=q, unit=unit, available=available, page=page, size=PAGE_SIZE))
    names = unit_names(session)
    pages = math.ceil(result.total / PAGE_SIZE) if result else 0
    # Every part from the reader's input is encoded: "中国 #小说" must not page through "中国".
    base = "/opac?" + urlencode({"q": q, "unit": unit or "", "available": "true" if available else "false"})
    return render(view, "opac/search.html", area="opac", q=q, unit=unit, available=available, result=result,
                  units=_units(session), names=names, page=page, pages=pages, base=base)


@router.get("/opac/records/{record_id}", response_class=HTMLResponse)
def record_page(record_id: Id, view: PublicView, session: ReadSession, now: Now) -> Response:
    record = read_record(session, get_record(session, record_id))
    units = network(session).units
    copies = []
    for item in sorted(items_of_record(session, record_id), key=lambda i: (i.owning_unit_id, i.barcode)):
        if item.status == "withdrawn":
            continue
        loan = circulation_repo.active_loan(session, item.id) if item.status == "on_loan" else None
        copies.append({
            "barcode": item.barcode, "unit": units[item.owning_unit_id].name,
            "here": units[item.current_unit_id].name, "call_number": item.call_number or record.call_number,
            "status": item.status, "due_on": loan.due_on if loan is not None else None,
        })
    home = None
    if view.principal is not None:
        patron = circulation_repo.patron_by_card(session, view.principal.name)
        home = units[patron.unit_id].code if patron is not None else None
    queue = circulation_repo.waiting_holds_count(session, record_id, 0, local_date(now))
    return render(view, "opac/record.html", area="opac", record=record, copies=copies, units=_units(session),
                  home=home, queue=queue)


@router.post("/opac/records/{record_id}/hold", response_class=HTMLResponse)
def place_hold(record_id: Id, view: Annotated[View, page("hold.place", "reader")], session: WriteSession, now: Now,
               pickup_unit: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    try:
        hold = holds.place(session, HoldRequest(view.principal.name, pickup_unit, record_id, None, None, NO_OVERRIDE),
                           view.principal, now)
    except DomainError as exc:
        session.rollback()
        view.error(exc)
        return record_page(record_id, view, session, now)
    return redirect(f"/opac/account?placed={hold.id}")


@router.get("/opac/login", response_class=HTMLResponse)
def login_page(view: LoginView, next: str | None = None) -> Response:
    return render(view, "opac/login.html", area="opac", next=safe_next(next, "/opac/account"), card="")


@router.post("/opac/login", response_class=HTMLResponse)
def login(view: LoginView, session: ReadSession, write: WriteSession, now: Now, card: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/opac/account") -> Response:
    # As at the desk: the password on the read session, the login on the write session.
    try:
        account = login_patron(session, card.strip(), password, address=view.address)
    except DomainError as exc:
        view.error(exc)
        return refused_login(render(view, "opac/login.html", status=exc.http_status, area="opac",
                                    next=safe_next(next, "/opac/account"), card=card), exc)
    response = redirect(safe_next(next, "/opac/account"))
    log_in(write, view, response, READER_COOKIE, "patron", account.card_number, account.id, now)
    return response


@router.post("/opac/logout")
def logout(view: Annotated[View, page("auth.self", "reader")], session: WriteSession, now: Now,
           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(view, csrf)
    response = redirect("/opac")
    log_out(session, view, response, now, READER_COOKIE)
    return response


def _account(view: View, session: Session, now: Now, status: int = 200) -> Response:
    assert view.principal is not None
    patron = patrons.get_patron(session, view.principal.name)
    today = local_date(now)
    rows = circulation_repo.patron_loans(session, patron.id)
    current = [views.loan_read(session, loan, today) for loan in rows]
    # 续借 is offered only where it can work; elsewhere the page says why (used up, too early).
    renewal = {loan_id: [b.to_dict() for b in blocks]
               for loan_id, blocks in loans.renewal_outlook(session, patron, rows, now).items()}
    active = [views.hold_read(session, h) for h in circulation_repo.patron_holds(session, patron.id)]
    names = unit_names(session)
    return render(view, "opac/account.html", status=status, area="opac",
                  patron=patrons.read(session, patron, now, view.principal), loans=current, renewal=renewal,
                  holds=active,
                  names=names, owed_fen=circulation_repo.owed_fen(session, patron.id))


@router.get("/opac/account", response_class=HTMLResponse)
def account(view: Annotated[View, page("patron.read", "reader")], session: ReadSession, now: Now, placed: int | None = None,
            renewed: str | None = None, cancelled: int | None = None) -> Response:
    if placed:
        view.flash.append(("ok", view.t("opac.hold.placed")))
    if renewed:
        view.flash.append(("ok", view.t("opac.account.renewed", barcode=renewed)))
    if cancelled:
        view.flash.append(("ok", view.t("opac.account.cancelled")))
    return _account(view, session, now)


@router.post("/opac/account/renew", response_class=HTMLResponse)
def renew(view: Annotated[View, page("loan.renew", "reader")], session: WriteSession, now: Now, barcode: Annotated[str, Form()],
          csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    barcode = barcode.strip()
    try:
        loans.renew(session, RenewRequest(barcode, None, NO_OVERRIDE), view.principal, now)
    except DomainError as exc:
        session.rollback()
        renew_refused(view, session, barcode, exc)
        return _account(view, session, now, status=exc.http_status)
    return redirect("/opac/account?" + urlencode({"renewed": barcode}))


@router.post("/opac/account/holds/{hold_id}/cancel", response_class=HTMLResponse)
def cancel(hold_id: Id, view: Annotated[View, page("hold.change", "reader")], session: WriteSession, now: Now,
           confirm: Confirm = "", csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    if not confirmed(confirm):  # asked in the browser already when JavaScript runs
        return ask(view, area="opac", action=f"/opac/account/holds/{hold_id}/cancel", back="/opac/account",
                   question=view.t("hold.cancel_confirm"))
    try:
        holds.cancel(session, hold_id, view.principal, now, "cancelled by the reader in the OPAC")
    except DomainError as exc:
        session.rollback()
        view.error(exc)
        return _account(view, session, now, status=exc.http_status)
    return redirect(f"/opac/account?cancelled={hold_id}")

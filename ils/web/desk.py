"""The librarians' desk: check-out (every block at once, with an override for those the role may
override), check-in with one large instruction per copy and a printable slip, renewals, the
holds pull list, the hold shelf and its expiries, transits to send and to receive, reader
registration and lookup. A barcode scanner is a keyboard that types digits and Enter, so every
scanning page is a form with one focused field."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from catalog.public import get_item
from circulation import holds, loans, patrons, views
from circulation import repository as circulation_repo
from circulation.blocks import NO_OVERRIDE, Override
from circulation.loans import CheckoutRequest, RenewRequest
from circulation.patrons import local_date
from circulation.schemas import PatronCreate
from ils.auth import gate
from ils.auth.principal import ROLE_SCOPES
from ils.auth.service import assigned_units, login_staff
from ils.config import get_settings
from ils.errors import DomainError, NotFound
from ils.http import Now, ReadSession, WriteSession
from ils.network.snapshot import UnitInfo, network, unit_by_code
from ils.validation import Id
from ils.web.pages import (
    STAFF_COOKIE,
    UNIT_COOKIE,
    LoginView,
    View,
    check_csrf,
    log_in,
    log_out,
    redirect,
    refused_login,
    remember,
    page,
    render,
    safe_next,
    unit_names,
)
from ils.web.confirm import Confirm, ask, confirmed
from ils.web.refusals import renew_refused
from logistics.public import transit_count, transit_list

router = APIRouter(include_in_schema=False)
Barcode = Annotated[str, Form(max_length=64)]
Csrf = Annotated[str, Form()]

# What each page does, in the words of ils.auth.gate: the same permissions as the API's routes.
StaffSelf = Annotated[View, page("auth.self", "staff")]
ChoosingUnit = Annotated[View, page("desk.open", "staff")]
DeskHome = Annotated[View, page("desk.open", "desk")]
ReaderLookup = Annotated[View, page("patron.read", "staff")]
ReaderAtDesk = Annotated[View, page("patron.read", "desk")]
Lending = Annotated[View, page("loan.checkout", "desk")]
Renewing = Annotated[View, page("loan.renew", "staff")]
Registering = Annotated[View, page("patron.register", "desk")]
Returning = Annotated[View, page("loan.checkin", "desk")]
Receiving = Annotated[View, page("transit.receive", "desk")]
HoldLists = Annotated[View, page("hold.list", "desk")]
HoldChanging = Annotated[View, page("hold.change", "staff")]
ShelfKeeping = Annotated[View, page("hold.shelf", "desk")]
Transits = Annotated[View, page("transit.read", "desk")]


def _units_of(session: Session, view: View) -> list[tuple[str, str]]:
    assert view.principal is not None
    codes = view.principal.unit_codes
    return sorted((u.code, u.name) for u in network(session).units.values() if codes is None or u.code in codes)


def reader_url(card_number: str, **flags: str | int) -> str:
    """The reader's page at the desk. Its address carries the card number, never the 身份证号:
    addresses end up in access logs, proxies and the browser's history."""
    return "/desk/checkout?" + urlencode({"card": card_number, **flags})


def _here(session: Session, view: View, operation: str) -> UnitInfo:
    """The desk's unit, checked for ``operation`` like the API checks its ``unit``."""
    assert view.principal is not None
    here = unit_by_code(session, view.unit or "")
    gate.check(session, view.principal, operation, unit=here.id)
    return here


# ---- logging in and choosing the unit -------------------------------------------------------

@router.get("/desk/login", response_class=HTMLResponse)
def login_page(view: LoginView, next: str | None = None) -> Response:
    return render(view, "desk/login.html", area="desk", next=safe_next(next, "/desk"), username="")


@router.post("/desk/login", response_class=HTMLResponse)
def login(view: LoginView, session: ReadSession, write: WriteSession, now: Now, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/desk") -> Response:
    # The password is checked on the read session; the write session begins only for the login
    # (a wrong password is counted in a transaction of its own: see ils.auth.limits).
    try:
        user = login_staff(session, username.strip(), password, address=view.address)
    except DomainError as exc:
        view.error(exc)
        return refused_login(render(view, "desk/login.html", status=exc.http_status, area="desk",
                                    next=safe_next(next, "/desk"), username=username), exc)
    # A librarian of one branch (and its village points) starts at the branch; someone serving
    # several units, or every unit, says where they stand today. An account with no desk to
    # stand at (a manager) goes straight where it was going, by default the statistics.
    roots = assigned_units(session, user.id)
    scopes = ROLE_SCOPES[user.role]
    if "circulation:write" not in scopes:
        landing = "/stats" if "stats:read" in scopes else "/desk"
        response = redirect(safe_next(next if next != "/desk" else None, landing))
    else:
        response = redirect(safe_next(next, "/desk") if len(roots) == 1 else "/desk/unit")
    log_in(write, view, response, STAFF_COOKIE, "staff", user.username, user.id, now)
    if len(roots) == 1:
        remember(response, UNIT_COOKIE, roots[0])
    return response


@router.post("/desk/logout")
def logout(view: StaffSelf, session: WriteSession, now: Now, csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    response = redirect("/desk/login")
    log_out(session, view, response, now, STAFF_COOKIE, UNIT_COOKIE)
    return response


@router.get("/desk/unit", response_class=HTMLResponse)
def unit_page(view: ChoosingUnit, session: ReadSession) -> Response:
    return render(view, "desk/unit.html", area="desk", units=_units_of(session, view))


@router.post("/desk/unit")
def choose_unit(view: ChoosingUnit, session: ReadSession, unit: Annotated[str, Form()],
                csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    gate.check(session, view.principal, "desk.open", desk=unit_by_code(session, unit).id)
    response = redirect("/desk")
    remember(response, UNIT_COOKIE, unit)
    return response


# ---- the desk's home ------------------------------------------------------------------------

@router.get("/desk", response_class=HTMLResponse)
def home(view: DeskHome, session: ReadSession, now: Now) -> Response:
    here = unit_by_code(session, view.unit or "")
    counts = {
        "pull": len(circulation_repo.pull_list(session, here.id)),
        "shelf": len(circulation_repo.holds_at(session, here.id, "ready")),
        "to_send": transit_count(session, now, status="to_send", unit=here.code),
        "expected": transit_count(session, now, status="expected", unit=here.code),
    }
    return render(view, "desk/home.html", area="desk", unit_name=here.name, counts=counts)


# ---- check-out and the reader's page --------------------------------------------------------

def _patron_page(view: View, session: Session, now: Now, card: str | None, status: int = 200,
                 refused: dict | None = None, *, card_only: bool = False) -> Response:
    """The reader's page: who they are, their standing, loans (with a 续借 button where a renewal
    can work, and why not elsewhere) and holds. ``card_only``: ``card`` came in an address, so it
    is a card number (an ID card number is looked up by POST /desk/patrons)."""
    reader = None
    if card:
        try:
            if card_only:
                found = circulation_repo.patron_by_card(session, card.strip())
                if found is None:
                    raise NotFound("PATRON_NOT_FOUND", "no patron with that card number")
                patron = found
            else:
                patron = patrons.get_patron(session, card.strip())
        except DomainError as exc:
            view.error(exc)
            status = 404
        else:
            today = local_date(now)
            rows = circulation_repo.patron_loans(session, patron.id)
            outlook = loans.renewal_outlook(session, patron, rows, now)
            reader = {
                "patron": patrons.read(session, patron, now, view.principal),
                "loans": [views.loan_read(session, loan, today) for loan in rows],
                "renewal": {loan_id: [b.to_dict() for b in blocks] for loan_id, blocks in outlook.items()},
                "holds": [views.hold_read(session, h) for h in circulation_repo.patron_holds(session, patron.id)],
                "owed_fen": circulation_repo.owed_fen(session, patron.id),
            }
    return render(view, "desk/checkout.html", status=status, area="desk", card=(card or "").strip(), reader=reader,
                  refused=refused, names=unit_names(session), now=now.astimezone(get_settings().tz))


@router.get("/desk/checkout", response_class=HTMLResponse)
def checkout_page(view: ReaderAtDesk, session: ReadSession, now: Now, card: str | None = None,
                  lent: str | None = None, renewed: str | None = None, cancelled: int | None = None) -> Response:
    if lent:
        view.flash.append(("ok", view.t("desk.checkout.lent", barcode=lent)))
    if renewed:
        view.flash.append(("ok", view.t("desk.checkout.renewed", barcode=renewed)))
    if cancelled:
        view.flash.append(("ok", view.t("desk.checkout.hold_cancelled")))
    return _patron_page(view, session, now, card, card_only=True)


@router.post("/desk/checkout", response_class=HTMLResponse)
def checkout(view: Lending, session: WriteSession, now: Now, card: Annotated[str, Form()], barcode: Barcode,
             override: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
             override_reason: Annotated[str, Form()] = "", csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    card, barcode = card.strip(), barcode.strip()
    request = CheckoutRequest(card, barcode, view.unit or "", None,
                              Override(frozenset(override), override_reason.strip() or None))
    try:
        decision = loans.checkout(session, request, view.principal, now)
    except DomainError as exc:
        session.rollback()
        if exc.blocks:
            standing = [b for b in exc.blocks if not b["overridable"]]
            refused = {"barcode": barcode, "blocks": exc.blocks, "code": exc.code,
                       "may_override": view.may("circulation:override") and not standing}
            return _patron_page(view, session, now, card, status=409, refused=refused)
        view.error(exc)
        return _patron_page(view, session, now, card, status=exc.http_status)
    return redirect(reader_url(decision.patron.card_number, lent=barcode))


@router.post("/desk/renew", response_class=HTMLResponse)
def renew(view: Renewing, session: WriteSession, now: Now, card: Annotated[str, Form()], barcode: Barcode,
          csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    barcode = barcode.strip()
    try:
        loan, _ = loans.renew(session, RenewRequest(barcode, view.unit, NO_OVERRIDE), view.principal, now)
    except DomainError as exc:
        session.rollback()
        renew_refused(view, session, barcode, exc)
        return _patron_page(view, session, now, card, status=exc.http_status)
    holder = circulation_repo.patron_card_map(session, [loan.patron_id])[loan.patron_id][0]
    return redirect(reader_url(holder, renewed=barcode))


@router.post("/desk/holds/{hold_id}/cancel", response_class=HTMLResponse)
def cancel_hold(hold_id: Id, view: HoldChanging, session: WriteSession, now: Now,
                card: Annotated[str, Form()] = "", confirm: Confirm = "", csrf: Csrf = "") -> Response:
    """Cancel a reader's hold at the desk (the reader asked, or called); asks first."""
    check_csrf(view, csrf)
    assert view.principal is not None
    if not confirmed(confirm):
        return ask(view, area="desk", action=f"/desk/holds/{hold_id}/cancel", fields={"card": card},
                   question=view.t("hold.cancel_confirm"),
                   back=reader_url(card) if card else "/desk/checkout")
    hold, _ = holds.cancel(session, hold_id, view.principal, now, "cancelled at the desk")
    holder = circulation_repo.patron_card_map(session, [hold.patron_id])[hold.patron_id][0]
    return redirect(reader_url(holder, cancelled=hold.id))


# ---- finding a reader --------------------------------------------------------------------------
# A card number, a 身份证号, a phone or a name is sent by POST and never put in an address; the
# reader's page is then opened by card number.

def _lookup_page(view: View, session: Session, q: str = "", status: int = 200, matches: list[Any] | None = None,
                 more: bool = False) -> Response:
    return render(view, "desk/lookup.html", status=status, area="desk", q=q, matches=matches, more=more,
                  names=unit_names(session))


@router.get("/desk/patrons", response_class=HTMLResponse)
def lookup(view: ReaderLookup, session: ReadSession) -> Response:
    return _lookup_page(view, session)


@router.post("/desk/patrons", response_class=HTMLResponse)
def find(view: ReaderLookup, session: ReadSession, q: Annotated[str, Form(max_length=100)] = "",
         csrf: Csrf = "") -> Response:
    """One reader found opens their page; namesakes are listed to choose from (masked ID
    numbers and the unit that issued the card tell them apart)."""
    check_csrf(view, csrf)
    assert view.principal is not None
    q = q.strip()
    try:
        found, more = patrons.find(session, q, view.principal)
    except DomainError as exc:
        view.error(exc)
        return _lookup_page(view, session, q, status=exc.http_status)
    if len(found) == 1:
        return redirect(reader_url(found[0].card_number))
    if not found:
        view.flash.append(("error", view.t("desk.lookup.none", q=q)))
        return _lookup_page(view, session, q, status=404, matches=[])
    return _lookup_page(view, session, q, matches=[patrons.match_read(session, p) for p in found], more=more)


@router.get("/desk/patrons/new", response_class=HTMLResponse)
def register_page(view: Registering, session: ReadSession) -> Response:
    return render(view, "desk/register.html", area="desk", categories=circulation_repo.categories(session), form={})


@router.post("/desk/patrons/new", response_class=HTMLResponse)
def register(view: Registering, session: WriteSession, now: Now, card_number: Annotated[str, Form()],
             name: Annotated[str, Form()], category: Annotated[str, Form()],
             id_card_number: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
             password: Annotated[str, Form()] = "", csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    form = {"card_number": card_number.strip(), "name": name.strip(), "category": category,
            "id_card_number": id_card_number.strip(), "phone": phone.strip()}
    try:
        data = PatronCreate(card_number=form["card_number"], name=form["name"], category=category,
                            unit=view.unit or "", id_card_number=form["id_card_number"] or None,
                            phone=form["phone"] or None, password=password or None)
        patrons.register(session, data, view.principal, now)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        view.flash.append(("error", view.t("desk.register.invalid", fields=fields)))
        return render(view, "desk/register.html", status=422, area="desk",
                      categories=circulation_repo.categories(session), form=form)
    except DomainError as exc:
        session.rollback()
        view.error(exc)
        return render(view, "desk/register.html", status=exc.http_status, area="desk",
                      categories=circulation_repo.categories(session), form=form)
    return redirect(reader_url(form["card_number"]))


# ---- check-in and receiving ------------------------------------------------------------------

# The check-in page lists this session's returns, newest first, so a librarian who looks away can
# still see what to do with each book on the trolley. The list lives in a cookie signed for this
# login and desk (the server keeps nothing per page); it holds the last RETURNS_KEPT returns.
RETURNS_COOKIE = "ils_returns"
RETURNS_KEPT = 30
RETURN_FIELDS = ("barcode", "title", "disposition", "place", "card", "at")
RETURNS_MAX_CHARS = 3000  # a browser keeps about 4 KB per cookie
TITLE_CHARS = 24


def _returns_signature(view: View, payload: str) -> str:
    secret = get_settings().resolved_secret_key().encode()
    message = f"returns:{view.token}:{view.unit}:{payload}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def _session_returns(view: View) -> list[dict[str, str]]:
    payload, _, signature = view.request.cookies.get(RETURNS_COOKIE, "").rpartition(".")
    if not payload or not hmac.compare_digest(_returns_signature(view, payload), signature):
        return []  # another login's or desk's list, or none: this session starts afresh
    try:
        rows = json.loads(zlib.decompress(base64.urlsafe_b64decode(payload)))
    except (ValueError, zlib.error):
        return []
    return [dict(zip(RETURN_FIELDS, row)) for row in rows
            if isinstance(row, list) and len(row) == len(RETURN_FIELDS)]


def _keep_returns(view: View, response: Response, returns: list[dict[str, str]]) -> None:
    rows = [[entry[name] for name in RETURN_FIELDS] for entry in returns[:RETURNS_KEPT]]
    while True:
        raw = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()
        if len(payload) <= RETURNS_MAX_CHARS or len(rows) <= 1:
            break
        rows = rows[:-1]  # long titles: fewer of the oldest fit
    # A browser-session cookie: it ends with the browser, and a new login cannot read it.
    response.set_cookie(RETURNS_COOKIE, f"{payload}.{_returns_signature(view, payload)}", httponly=True,
                        samesite="lax", path="/desk")


def _return_entry(result: Any, at: str) -> dict[str, str]:
    hold = result.hold
    place = hold.name if result.disposition == "hold_shelf" and hold is not None else \
        result.destination_name if result.disposition == "transit" else ""
    card = hold.card if result.disposition == "hold_shelf" and hold is not None else ""
    return {"barcode": result.barcode, "title": result.title[:TITLE_CHARS], "disposition": result.disposition,
            "place": place, "card": card, "at": at}


@router.get("/desk/checkin", response_class=HTMLResponse)
def checkin_page(view: Returning) -> Response:
    return render(view, "desk/checkin.html", area="desk", result=None, action="/desk/checkin",
                  heading="desk.checkin.title", submit="desk.checkin.submit", returns=_session_returns(view))


def _move_page(view: View, session: Session, now: Now, barcode: str, receive: bool) -> Response:
    assert view.principal is not None
    action, heading, submit = ("/desk/transits/receive", "desk.transits.receive", "desk.transits.receive") \
        if receive else ("/desk/checkin", "desk.checkin.title", "desk.checkin.submit")
    returns = None if receive else _session_returns(view)
    try:
        if receive:
            outcome = loans.receive_copy(session, barcode.strip(), view.unit or "", view.principal, now)
        else:
            outcome = loans.checkin(session, barcode.strip(), view.unit or "", view.principal, now)
    except DomainError as exc:
        session.rollback()
        view.error(exc)
        return render(view, "desk/checkin.html", status=exc.http_status, area="desk", result=None, action=action,
                      heading=heading, submit=submit, returns=returns)
    result = views.move_read(session, outcome.item, outcome.move)
    loan = outcome.loan
    local = now.astimezone(get_settings().tz)
    if returns is not None:
        returns.insert(0, _return_entry(result, local.strftime("%H:%M")))
    response = render(view, "desk/checkin.html", area="desk", result=result, action=action, heading=heading,
                      submit=submit, returns=returns,
                      loan=views.loan_read(session, loan, local_date(now)) if loan is not None else None,
                      found=outcome.found, fine_fen=outcome.fine.amount_fen if outcome.fine is not None else 0,
                      names=unit_names(session), now=local)
    if returns is not None:
        _keep_returns(view, response, returns)
    return response


@router.post("/desk/checkin", response_class=HTMLResponse)
def checkin(view: Returning, session: WriteSession, now: Now, barcode: Barcode, csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    return _move_page(view, session, now, barcode, receive=False)


@router.post("/desk/transits/receive", response_class=HTMLResponse)
def receive(view: Receiving, session: WriteSession, now: Now, barcode: Barcode, csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    return _move_page(view, session, now, barcode, receive=True)


# ---- holds and transits ---------------------------------------------------------------------

@router.get("/desk/holds/pull", response_class=HTMLResponse)
def pull_list(view: HoldLists, session: ReadSession) -> Response:
    here = _here(session, view, "hold.list")
    rows = [views.hold_read(session, h) for h in circulation_repo.pull_list(session, here.id)]
    call_numbers = {row.id: get_item(session, row.target_barcode).call_number for row in rows if row.target_barcode}
    return render(view, "desk/pull.html", area="desk", holds=rows, call_numbers=call_numbers, names=unit_names(session))


@router.get("/desk/holds/shelf", response_class=HTMLResponse)
def hold_shelf(view: HoldLists, session: ReadSession, now: Now, expired: int | None = None) -> Response:
    if expired is not None:
        view.flash.append(("ok", view.t("desk.shelf.expired_done", count=expired)))
    here = _here(session, view, "hold.list")
    rows = [views.hold_read(session, h) for h in circulation_repo.holds_at(session, here.id, "ready")]
    coming = [views.hold_read(session, h) for h in circulation_repo.holds_at(session, here.id, "in_transit")]
    names = {}
    for row in rows:
        patron = circulation_repo.patron_by_card(session, row.card)
        names[row.id] = patron.name if patron is not None else ""
    return render(view, "desk/shelf.html", area="desk", holds=rows, coming=coming, readers=names,
                  today=local_date(now))


@router.post("/desk/holds/expire", response_class=HTMLResponse)
def expire(view: ShelfKeeping, session: WriteSession, now: Now, confirm: Confirm = "", csrf: Csrf = "") -> Response:
    """Expire the hold shelf of this desk's unit (never another unit's: ``ils daily`` does every
    shelf each morning); asks first."""
    check_csrf(view, csrf)
    assert view.principal is not None
    if not confirmed(confirm):
        return ask(view, area="desk", action="/desk/holds/expire", question=view.t("desk.shelf.expire_confirm"),
                   back="/desk/holds/shelf")
    here = unit_by_code(session, view.unit or "")
    done = holds.expire_shelf(session, now, view.principal, [here.id])
    return redirect(f"/desk/holds/shelf?expired={len(done)}")


@router.get("/desk/transits", response_class=HTMLResponse)
def transits(view: Transits, session: ReadSession, now: Now) -> Response:
    unit = _here(session, view, "transit.read").code
    return render(view, "desk/transits.html", area="desk", names=unit_names(session),
                  to_send=transit_list(session, now, status="to_send", unit=unit),
                  expected=transit_list(session, now, status="expected", unit=unit))

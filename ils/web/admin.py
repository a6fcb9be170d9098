"""The admin pages: staff accounts, and the self-check machines' SIP2 accounts (each stands at
one unit, speaks UTF-8 or GB18030, and may be disabled or removed)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from circulation.sip2 import accounts as sip2_accounts
from circulation.sip2.schemas import Sip2AccountCreate, Sip2AccountUpdate
from ils.auth.service import list_users
from ils.errors import DomainError
from ils.http import Now, ReadSession, WriteSession
from ils.network.snapshot import network
from ils.web.confirm import Confirm, ask, confirmed
from ils.web.pages import View, check_csrf, page, redirect, render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
AdminView = Annotated[View, page("user.admin", "staff")]

def _page(view: View, session: Session, status: int = 200, form: dict | None = None) -> Response:
    units = sorted((u.code, u.name) for u in network(session).units.values())
    machines = [sip2_accounts.read(session, a) for a in sip2_accounts.list_accounts(session)]
    return render(view, "admin/home.html", status=status, area="admin", users=list_users(session),
                  machines=machines, units=units, form=form or {})


@router.get("/admin", response_class=HTMLResponse)
def home(view: AdminView, session: ReadSession, done: str | None = None) -> Response:
    if done in ("added", "changed", "removed"):  # never echo free text from a link into the page
        view.flash.append(("ok", view.t(f"admin.sip2.{done}")))
    return _page(view, session)


@router.post("/admin/sip2", response_class=HTMLResponse)
def add_machine(view: AdminView, session: WriteSession, now: Now, login: Annotated[str, Form()],
                password: Annotated[str, Form()], unit: Annotated[str, Form()],
                encoding: Annotated[str, Form()] = "utf-8", error_detection: Annotated[bool, Form()] = False,
                location: Annotated[str, Form()] = "", csrf: Csrf = "") -> Response:
    check_csrf(view, csrf)
    assert view.principal is not None
    form = {"login": login.strip(), "unit": unit, "encoding": encoding, "error_detection": error_detection,
            "location": location.strip()}
    try:
        data = Sip2AccountCreate(login=form["login"], password=password, unit=unit, encoding=encoding,  # type: ignore[arg-type]
                                 error_detection=error_detection, location=form["location"] or None)
        sip2_accounts.create_account(session, data, view.principal.label, now)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        view.flash.append(("error", view.t("desk.register.invalid", fields=fields)))
        return _page(view, session, 422, form)
    except DomainError as exc:
        session.rollback()
        view.flash.append(("error", view.t.error(exc.code, exc.detail)))
        return _page(view, session, exc.http_status, form)
    return redirect("/admin?done=added")


@router.post("/admin/sip2/{login}/active", response_class=HTMLResponse)
def set_active(login: str, view: AdminView, session: WriteSession, now: Now, active: Annotated[bool, Form()],
               confirm: Confirm = "", csrf: Csrf = "") -> Response:
    """Enable or disable a machine; disabling (the machine stops lending at once) asks first."""
    check_csrf(view, csrf)
    if not active and not confirmed(confirm):
        return ask(view, area="admin", action=f"/admin/sip2/{quote(login, safe='')}/active", fields={"active": "false"},
                   question=view.t("admin.sip2.disable_confirm", login=login), back="/admin")
    sip2_accounts.update_account(session, login, Sip2AccountUpdate(active=active), now)
    return redirect("/admin?done=changed")


@router.post("/admin/sip2/{login}/remove", response_class=HTMLResponse)
def remove_machine(login: str, view: AdminView, session: WriteSession, confirm: Confirm = "",
                   csrf: Csrf = "") -> Response:
    """Remove a machine's account for good; asks first."""
    check_csrf(view, csrf)
    if not confirmed(confirm):
        return ask(view, area="admin", action=f"/admin/sip2/{quote(login, safe='')}/remove",
                   question=view.t("admin.sip2.remove_confirm", login=login), back="/admin")
    sip2_accounts.remove_account(session, login)
    return redirect("/admin?done=removed")

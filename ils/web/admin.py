"""The admin pages: staff accounts and the self-check machines' SIP2 accounts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from ils.auth.service import list_users
from ils.http import ReadSession
from ils.web.pages import StaffView, render

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def home(view: StaffView, session: ReadSession) -> Response:
    assert view.principal is not None
    view.principal.require("users:admin")
    return render(view, "admin/home.html", area="admin", users=list_users(session))

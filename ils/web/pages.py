"""What every page knows (locale, 长者模式, who is logged in, the desk's unit) and how a page is
rendered; logins kept in cookies; the CSRF token of forms.

Readers and staff log in with separate cookies: a librarian who opens the OPAC on the desk's
computer stays a librarian at the desk and is a reader only if they log in as one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from ils.auth import gate
from ils.auth.principal import Principal
from ils.auth.security import read_token
from ils.auth.service import end_session, start_session, token_principal
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import get_database
from ils.errors import DomainError, Forbidden
from ils.network.snapshot import network
from ils.web.i18n import LOCALE_NAMES, LOCALES, Translator, pick_locale

READER_COOKIE = "ils_reader"
STAFF_COOKIE = "ils_staff"
UNIT_COOKIE = "ils_unit"
LANG_COOKIE = "ils_lang"
ELDER_COOKIE = "ils_elder"
YEAR = 365 * 24 * 3600

_env = Environment(
    loader=PackageLoader("ils.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt variable fails the page test instead of rendering blank
    trim_blocks=True,
    lstrip_blocks=True,
)


class GoFirst(Exception):
    """A page was opened before its precondition (a login, the desk's unit): the app answers
    with a redirect to where that is settled, which leads back here."""

    def __init__(self, path: str, next_path: str | None = None) -> None:
        self.location = f"{path}?next={quote(next_path, safe='/')}" if next_path else path


@dataclass
class View:
    request: Request
    locale: str
    t: Translator
    elder: bool
    principal: Principal | None = None
    unit: str | None = None
    token: str | None = None
    flash: list[tuple[str, str]] = field(default_factory=list)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token) if self.token else ""

    @property
    def address(self) -> str | None:
        """The visitor's address (the proxy's X-Forwarded-For when `ils serve` trusts the proxy)."""
        return self.request.client.host if self.request.client else None

    @property
    def here(self) -> str:
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def error(self, exc: DomainError, heading: str | None = None) -> None:
        """Show a refusal in words: ``heading`` (what was refused) or its code, and every block
        it carries."""
        self.flash.append(("error", heading or self.t.error(exc.code, exc.detail)))
        for block in exc.blocks:
            self.flash.append(("error", self.t.error(block["code"], block.get("detail"), on=block.get("on"))))

    def may(self, scope: str) -> bool:
        return self.principal is not None and scope in self.principal.scopes


def csrf_token(login_token: str) -> str:
    """Tied to the login: a form from another site cannot know it. (The cookies are also
    SameSite=Lax, so most browsers would not send them with such a form anyway.)"""
    secret = get_settings().resolved_secret_key().encode()
    return hmac.new(secret, b"csrf:" + login_token.encode(), hashlib.sha256).hexdigest()[:32]


def check_csrf(view: View, sent: str) -> None:
    if not view.token or not hmac.compare_digest(view.csrf, sent or ""):
        raise Forbidden("CSRF_INVALID", "the form is stale or from another site; reload the page and try again")


def safe_next(path: str | None, default: str) -> str:
    """Only a path on this site: a login link must not send the user elsewhere."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def _locale(request: Request) -> str:
    # Chinese unless the visitor chose otherwise: the browser's Accept-Language is not asked,
    # because the reading-room terminals and many phones here are set to English by default.
    return pick_locale(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _principal(token: str | None, kind: str) -> Principal | None:
    if not token:
        return None
    try:
        claims = read_token(get_settings().resolved_secret_key(), token, get_clock().now())
        if claims.get("kind") != kind:
            return None
        return token_principal(get_database(), claims)
    except DomainError:
        return None  # expired, logged out or revoked: the page treats the visitor as logged out


def _view(request: Request, cookie: str | None, kind: str | None) -> View:
    locale = _locale(request)
    view = View(request, locale, Translator(locale), request.cookies.get(ELDER_COOKIE) == "1")
    if cookie and kind:
        token = request.cookies.get(cookie)
        view.principal = _principal(token, kind)
        view.token = token if view.principal else None
    return view


async def public_view(request: Request) -> View:
    """A public OPAC page; knows the reader when one is logged in."""
    return _view(request, READER_COOKIE, "patron")


async def reader_view(request: Request) -> View:
    view = _view(request, READER_COOKIE, "patron")
    if view.principal is None:
        raise GoFirst("/opac/login", view.here)
    return view


async def staff_view(request: Request) -> View:
    view = _view(request, STAFF_COOKIE, "staff")
    if view.principal is None:
        raise GoFirst("/desk/login", view.here)
    unit = request.cookies.get(UNIT_COOKIE)
    codes = view.principal.unit_codes
    view.unit = unit if unit and (codes is None or unit in codes) else None
    return view


async def desk_view(view: Annotated[View, Depends(staff_view)]) -> View:
    """A desk page that acts at the desk's unit: the librarian chooses it first."""
    if view.unit is None:
        raise GoFirst("/desk/unit")
    return view


async def anonymous_view(request: Request) -> View:
    return _view(request, None, None)


_VIEWS = {"public": public_view, "reader": reader_view, "staff": staff_view, "desk": desk_view,
          "anonymous": anonymous_view}


def page(name: str, who: Literal["public", "reader", "staff", "desk", "anonymous"]) -> Any:
    """A page's declaration of what it does, as ``Annotated[View, page("loan.checkout", "desk")]``:
    who it is for (``public`` with the reader if logged in, a logged-in ``reader``, ``staff``,
    ``desk`` staff with the desk's unit chosen, or ``anonymous``) and the operation of
    ``ils.auth.gate`` whose permission the visitor must hold — the same as the API's."""
    base = _VIEWS[who]
    op = gate.operation(name)

    async def dependency(view: View) -> View:
        if view.principal is not None and op.login:
            gate.permit(view.principal, name)
        return view

    # Set as objects: this module's string annotations cannot name ``base``, a local.
    dependency.__annotations__ = {"view": Annotated[View, Depends(base)], "return": View}
    gate.mark(dependency, name)
    dependency.__name__ = f"{who}_{dependency.__name__}"
    return Depends(dependency)


# The views of pages that only show public things.
PublicView = Annotated[View, page("public.read", "public")]
AnonymousView = Annotated[View, page("public.read", "anonymous")]
LoginView = Annotated[View, page("auth.login", "anonymous")]


def unit_names(session: Session) -> dict[str, str]:
    return {u.code: u.name for u in network(session).units.values()}


def render(view: View, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    page = _env.get_template(template).render(
        view=view, t=view.t, locale=view.locale, locales=LOCALES, locale_names=LOCALE_NAMES, **context,
    )
    return HTMLResponse(page, status_code=status)


def redirect(path: str) -> RedirectResponse:
    # 303: the browser follows a form's POST with a GET, so a reload does not post again.
    return RedirectResponse(path, status_code=303)


def log_in(session: Session, view: View, response: Response, cookie: str, kind: str, subject: str,
           account_id: int, now: datetime) -> None:
    """A login kept in a cookie: a session row (on ``session``, a write session) and its token.
    The cookie is HttpOnly and SameSite=Lax; ils.headers adds Secure when the page came over HTTPS."""
    token, _ = start_session(session, kind, subject, account_id, now, address=view.address)
    minutes = get_settings().token_minutes
    response.set_cookie(cookie, token, max_age=int(timedelta(minutes=minutes).total_seconds()),
                        httponly=True, samesite="lax", path="/")


def refused_login(response: Response, exc: DomainError) -> Response:
    """A login form answered with a refusal; a lock's Retry-After goes along."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def log_out(session: Session, view: View, response: Response, now: datetime, *cookies: str) -> None:
    """The visitor's login ends (its token is refused from now on, even if a copy of the cookie
    was kept) and the cookies go."""
    if view.token:
        try:
            end_session(session, read_token(get_settings().resolved_secret_key(), view.token, now), now)
        except DomainError:
            pass  # expired already: nothing left to end
    for cookie in cookies:
        response.delete_cookie(cookie, path="/")


def remember(response: Response, cookie: str, value: str) -> None:
    response.set_cookie(cookie, value, max_age=YEAR, samesite="lax", path="/")

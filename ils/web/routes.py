"""Puts the web pages on the application: the OPAC, the desk, the admin pages, the statistics,
the static files, the language and 长者模式 switches, and HTML answers for errors on pages."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from ils.errors import DomainError, InvalidInput, NotFound
from ils.web import admin, desk, opac, stats
from ils.web.entries import router as entries_router
from ils.web.i18n import pick_locale
from ils.web.pages import (
    ELDER_COOKIE,
    LANG_COOKIE,
    AnonymousView,
    GoFirst,
    anonymous_view,
    redirect,
    remember,
    render,
    safe_next,
)

PAGE_PREFIXES = ("/opac", "/desk", "/admin", "/stats", "/ui")

prefs = APIRouter(include_in_schema=False)


@prefs.get("/ui/language")
def language(view: AnonymousView, to: str, next: Annotated[str | None, Query()] = None) -> Response:
    response = redirect(safe_next(next, "/opac"))
    remember(response, LANG_COOKIE, pick_locale(to))
    return response


@prefs.get("/ui/elder")
def elder(view: AnonymousView, on: int = 1, next: Annotated[str | None, Query()] = None) -> Response:
    """长者模式: large type, high contrast and a simpler layout, remembered on this device."""
    response = redirect(safe_next(next, "/opac"))
    remember(response, ELDER_COOKIE, "1" if on else "0")
    return response


def is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES)


async def error_page(request: Request, exc: DomainError) -> HTMLResponse:
    view = await anonymous_view(request)
    view.flash.append(("error", view.t.error(exc.code, exc.detail)))
    area = next((a for a in ("desk", "admin", "stats") if request.url.path.startswith(f"/{a}")), "opac")
    return render(view, "error.html", status=exc.http_status, area=area, code=exc.code,
                  http_status=exc.http_status)


async def invalid_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A page request that does not have the shape of its route. An address whose path does not
    parse (``/opac/records/abc``) names no page: 404, not "the form is incomplete"."""
    if exc.errors() and all(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
        return await error_page(request, NotFound("NOT_FOUND", "no such page"))
    return await error_page(request, InvalidInput("VALIDATION_FAILED", "the form is incomplete"))


def install(app: FastAPI) -> None:
    static = resources.files("ils.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(GoFirst)
    async def _go_first(_: Request, exc: GoFirst) -> Response:
        return redirect(exc.location)

    @app.get("/", include_in_schema=False)
    def root(view: AnonymousView) -> Response:
        # Someone opening the service in a browser lands on the catalogue; the API
        # documentation stays at /docs.
        return redirect("/opac")

    app.include_router(prefs)
    app.include_router(opac.router)
    app.include_router(desk.router)
    app.include_router(admin.router)
    app.include_router(entries_router)
    app.include_router(stats.router)

"""The FastAPI application factory. Sits on top of every package (it may import them all)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ils import errors
from ils.config import get_settings
from ils.db import get_database
from ils.http import Public
from ils.logs import mask_logs
from ils.outbox.relay import Relay, WebhookHandler, pending_count, subscriptions
from ils.openapi import install as document_errors
from ils.validation import storable_request

log = logging.getLogger("ils")

PUBLIC_ROUTES = {
    ("GET", "/api/v1/search"),
    # The public OPAC and what a client needs before it can log in; everything else needs
    # credentials (tests/test_access.py checks every route against this list).
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/units"),
    ("GET", "/api/v1/units/{code}"),
    ("GET", "/api/v1/records"),
    ("GET", "/api/v1/records/{record_id}"),
    ("GET", "/sru"),
}


def _error_codes_doc() -> str:
    from activities.errors import CODES as ACTIVITY_CODES
    from catalog.errors import CODES as CATALOG_CODES
    from catalog.marc.codes import CODES as MARC_CODES
    from circulation.errors import CODES as CIRCULATION_CODES
    from circulation.sip2.errors import CODES as SIP2_CODES
    from logistics.errors import CODES as LOGISTICS_CODES
    from reports.entries.errors import CODES as ENTRY_CODES
    from reports.errors import CODES as REPORT_CODES
    from reports.entries.errors import ROW_CODES as VISIT_ROW_CODES

    rows = {**errors.CORE_CODES, **CATALOG_CODES, **MARC_CODES, **LOGISTICS_CODES, **CIRCULATION_CODES, **SIP2_CODES,
            **ACTIVITY_CODES, **ENTRY_CODES, **VISIT_ROW_CODES, **REPORT_CODES}
    lines = "\n".join(f"| `{code}` | {text} |" for code, text in sorted(rows.items()))
    return (
        "Errors come as `{\"error\": CODE, \"detail\": ..., \"blocks\": [...]}` with a stable CODE:\n\n"
        "| code | meaning |\n|---|---|\n" + lines
    )


_search_handler = None


def register_subscribers() -> None:
    """What the outbox relay of this process delivers to: the search index and webhooks."""
    global _search_handler
    from catalog.events import TOPIC
    from catalog.search.service import outbox_handler

    if _search_handler is None:
        _search_handler = outbox_handler()
        subscriptions.subscribe(TOPIC, _search_handler)
    for url in get_settings().webhooks:
        subscriptions.subscribe("*", WebhookHandler(url))


REQUEST_THREADS = 16


def create_app(*, run_relay: bool = False) -> FastAPI:
    from activities.api import router as activities_router
    from catalog.api import router as catalog_router
    from catalog.search.api import router as search_router
    from catalog.sru.api import router as sru_router
    from circulation.api import desk as desk_router
    from circulation.api import router as circulation_router
    from circulation.sip2.api import router as sip2_router
    from ils.auth.api import router as auth_router
    from ils.network.api import router as network_router
    from logistics.api import router as logistics_router
    from reports.api import router as reports_router
    from reports.entries.api import router as entries_router

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        # Each request runs in a worker thread; more threads than the database pool has
        # connections only queue for the GIL and for connections (the circulation benchmark
        # measured CPU per request rising with the default of 40).
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        # A placeholder or short ILS_SECRET_KEY stops the service here, not at the first login.
        get_settings().resolved_secret_key()
        relay = None
        if run_relay:
            register_subscribers()
            relay = Relay(get_database())
            relay.start_thread()
        yield
        if relay:
            relay.stop()

    app = FastAPI(
        title="ILS — 县域总分馆图书馆系统",
        version="0.1.0",
        description=(
            "Union catalogue (统一编目), network of units (总分馆) and accounts.\n\n"
            "Authenticate with `POST /api/v1/auth/token` then `Authorization: Bearer ...`, "
            "or with `X-API-Key` for integrating systems.\n\n" + _error_codes_doc()
        ),
        lifespan=lifespan,
        # Every route, API and page: nothing a database cannot store gets past the request.
        dependencies=[Depends(storable_request)],
        docs_url=None,  # served by ils.apidocs with no CDN
        redoc_url=None,
    )
    from ils.apidocs import install as install_docs
    from ils.headers import SecurityHeaders

    app.add_middleware(SecurityHeaders)

    from ils.web.routes import error_page, install, invalid_page, is_page

    @app.exception_handler(errors.DomainError)
    async def _domain_error(request: Request, exc: errors.DomainError) -> Response:
        if is_page(request):
            return await error_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else {}
        if isinstance(exc, errors.Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(exc.to_dict(), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return await invalid_page(request, exc)
        details: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "VALIDATION_FAILED", "detail": "the request does not have the expected shape",
             "blocks": [], "fields": details},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # FastAPI's and Starlette's only 400: a body they could not read (not UTF-8, a broken
            # multipart form). Like any request of the wrong shape: 422 VALIDATION_FAILED.
            unreadable = {"loc": ("body",), "msg": str(exc.detail), "type": "body_unreadable"}
            return await _validation_error(request, RequestValidationError([unreadable]))
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        if is_page(request):
            return await error_page(request, errors.DomainError(code, str(exc.detail), http_status=exc.status_code))
        return JSONResponse({"error": code, "detail": str(exc.detail), "blocks": []}, status_code=exc.status_code)

    @app.get("/api/v1/health", tags=["system"])
    def health(_: Public) -> dict[str, Any]:
        """Liveness, the database it talks to and how far outbox delivery lags."""
        from catalog.search.service import index_lag

        database = get_database()
        return {"status": "ok", "database": database.dialect, "outbox": pending_count(database),
                "search": {"backend": get_settings().search, **index_lag(database)}}

    app.include_router(auth_router)
    app.include_router(network_router)
    app.include_router(catalog_router)
    app.include_router(search_router)
    app.include_router(sru_router)
    app.include_router(circulation_router)
    app.include_router(desk_router)
    app.include_router(logistics_router)
    app.include_router(sip2_router)
    app.include_router(reports_router)
    app.include_router(entries_router)
    app.include_router(activities_router)
    install(app)
    mask_logs()  # ID card numbers never reach the logs, even from a URL
    install_docs(app)
    document_errors(app)
    return app

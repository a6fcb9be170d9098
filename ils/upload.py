"""Uploads within ILS_MAX_UPLOAD_MB, refused before their body is read (MARC files, gate-counter CSVs).

FastAPI parses a multipart form before the endpoint (or any dependency) runs, so a size check
inside the endpoint comes after the whole upload has been received and spooled. An upload route
is therefore built with ``limited_route``: it refuses a request whose Content-Length is over the
limit before reading a byte, and counts the bytes actually received (a chunked upload declares
no length, a client may declare a false one), stopping at the limit. Either way the answer is a
413 in the API's error shape, with the code and words the route's package gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message, Receive

from ils.config import get_settings
from ils.errors import DomainError

MIB = 1024 * 1024
F = TypeVar("F", bound=Callable[..., Any])
TooLarge = Callable[[int], DomainError]  # the refusal, given the limit in MiB


class _OverLimit(Exception):
    """Raised out of receive() once more bytes came than allowed."""


class _CountingReceive:
    def __init__(self, receive: Receive, limit: int):
        self.receive, self.limit, self.received, self.exceeded = receive, limit, 0, False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise _OverLimit
        return message


def limited_route(too_large: TooLarge) -> type[APIRoute]:
    """A route class whose request body may be at most ILS_MAX_UPLOAD_MB (read per request, so a
    changed setting applies without rebuilding the app), refused with ``too_large(limit_mb)``."""

    class UploadLimitedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def limited(request: Request) -> Response:
                limit_mb = get_settings().max_upload_mb
                limit = limit_mb * MIB
                declared = request.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise too_large(limit_mb)
                receive = _CountingReceive(request.receive, limit)
                try:
                    return await handler(Request(request.scope, receive))
                except Exception:
                    # FastAPI reports any failure while parsing the form as a 400; when the
                    # counter stopped the body, the size is the reason.
                    if receive.exceeded:
                        raise too_large(limit_mb) from None
                    raise

            return limited

    return UploadLimitedRoute


def post(router: APIRouter, path: str, too_large: TooLarge, **options: Any) -> Callable[[F], F]:
    """Like ``@router.post(path, ...)``, for a route that takes an upload."""
    route_class = limited_route(too_large)

    def decorator(endpoint: F) -> F:
        router.add_api_route(path, endpoint, methods=["POST"], route_class_override=route_class, **options)
        return endpoint

    return decorator

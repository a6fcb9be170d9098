"""What the databases can store, checked once for every request before anything reaches them.

PostgreSQL refuses an integer beyond its column (every table's id is an int4 ``serial``; an SQL
OFFSET is an int8) and a NUL character in text; SQLite refuses integers beyond 64 bits; neither
driver can encode a lone UTF-16 surrogate (JSON's ``"\\ud800"``). Each of these used to travel
down to the driver and come back as a 500. Two parts keep them out, for the API and the pages
alike, with the same 422 VALIDATION_FAILED (a page shows its error page):

- integers are typed by what holds them: ``Id`` (a row's id: 1 to 2^31-1), ``Count`` (a number
  stored in an int4 column: counts, positions, money in fen) and ``Offset`` (0 to 2^63-1). The
  bounds are in the OpenAPI description, so a client can know them;
- ``storable_request``, a dependency of every route, reads every text a request carries (path
  parameters, the query string, form fields and file names, each string and key of a JSON body)
  and every number of a JSON body, and refuses text a database cannot store and integers beyond
  64 bits wherever they are (a JSON body may hold them in fields that take any JSON).

An id beyond 2^31-1 is answered 422 like any other value outside its documented range, never
404: the description says it cannot be an id.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field
from starlette.datastructures import UploadFile

INT4_MAX = 2**31 - 1
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
# Enough to show the client what to fix; a body full of NULs need not be listed whole.
MAX_REPORTED = 20

Id = Annotated[int, Interval(ge=1, le=INT4_MAX)]
Count = Annotated[int, Interval(ge=0, le=INT4_MAX)]
Offset = Annotated[int, Interval(ge=0, le=INT8_MAX)]

Loc = tuple[str | int, ...]


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset_or(**constraints: Any) -> Any:
    """A field of a partial update that may be left out but not sent as null (a column that
    cannot be emptied): the OpenAPI description shows a plain optional property."""
    return Field(default=None, json_schema_extra=_without_default, **constraints)


def unstorable(text: str) -> str | None:
    """Why a database cannot store ``text``, or None if it can."""
    if "\x00" in text:
        return "text may not contain the NUL character (U+0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "text may not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)"
    return None


def _error(loc: Loc, message: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": kind}


def _text(loc: Loc, text: str, found: list[dict[str, Any]]) -> None:
    reason = unstorable(text)
    if reason is not None:
        found.append(_error(loc, reason, "text_unstorable"))


def json_problems(value: Any, loc: Loc = ("body",)) -> list[dict[str, Any]]:
    """Text a database cannot store and integers beyond 64 bits anywhere in a parsed JSON
    value. Iterative: a deeply nested body must not exhaust the stack here."""
    found: list[dict[str, Any]] = []
    pending: list[tuple[Loc, Any]] = [(loc, value)]
    while pending and len(found) < MAX_REPORTED:
        where, item = pending.pop()
        if isinstance(item, str):
            _text(where, item, found)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT8_MIN <= item <= INT8_MAX:
                found.append(_error(where, "integers are limited to 64 bits", "int_too_large"))
        elif isinstance(item, dict):
            for key, child in item.items():
                _text((*where, key), key, found)
                pending.append(((*where, key), child))
        elif isinstance(item, list):
            pending.extend(((*where, n), child) for n, child in enumerate(item))
    return found


def _is_form(content_type: str) -> bool:
    return content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


async def storable_request(request: Request) -> None:
    """A dependency of every route: refuse (422) a request carrying what a database cannot store.

    It runs after FastAPI has read the body (a form or JSON, which Starlette keeps), so nothing
    is parsed twice except a JSON body that FastAPI did not parse because the route takes none."""
    found: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str):
            _text(("path", name), value, found)
    for name, value in request.query_params.multi_items():
        _text(("query", name), name, found)
        _text(("query", name), value, found)
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is not None:
        if _is_form(request.headers.get("content-type", "")):
            form = await request.form()  # already parsed by FastAPI: Starlette keeps it
            for name, value in form.multi_items():
                _text(("body", name), name, found)
                if isinstance(value, UploadFile):
                    _text(("body", name, "filename"), value.filename or "", found)
                else:
                    _text(("body", name), value, found)
        elif await request.body():
            try:
                body = await request.json()
            except ValueError:
                body = None  # not JSON: the route's own validation answers for it
            found.extend(json_problems(body))
    if found:
        raise RequestValidationError(found[:MAX_REPORTED])


__all__ = ["INT4_MAX", "INT8_MAX", "INT8_MIN", "Count", "Id", "Offset", "json_problems", "storable_request",
           "unset_or", "unstorable"]

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

A third part sits at the database itself, because only the columns know their lengths: every
INSERT and UPDATE is checked against the VARCHAR(n) of each column it writes (VALUE_TOO_LONG).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field
from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from starlette.datastructures import UploadFile

from ils.errors import InvalidInput

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


# ---- text longer than its column -------------------------------------------------------------
#
# PostgreSQL refuses a value longer than its VARCHAR(n) and SQLite stores it anyway. The column
# definitions are the one place lengths are known, so every INSERT and UPDATE is checked against
# them just before it goes to the driver, whoever sends it (the API, a page, SIP2, the CLI): the
# same refusal on both databases, VALUE_TOO_LONG (422), instead of a 500 on one and a silent
# overlong value on the other.

_BATCH_SUFFIX = re.compile(r"__\d+$")  # insertmanyvalues names a row's parameters name__0, name__1 …
_LIMITS = "_ils_text_limits"


def _limits(compiled: Any) -> dict[str, int]:
    """The length of each VARCHAR(n) parameter of a compiled statement, kept on it (SQLAlchemy
    caches compiled statements, so this runs once for each)."""
    limits = compiled.__dict__.get(_LIMITS)
    if limits is None:
        limits = {name: bind.type.length for name, bind in compiled.binds.items()
                  if isinstance(bind.type, String) and bind.type.length}
        compiled.__dict__[_LIMITS] = limits
    return limits


def _rows(parameters: Any) -> list[Any]:
    return parameters if isinstance(parameters, list) else [parameters]


def _check_lengths(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    compiled = getattr(context, "compiled", None)
    if compiled is None or not (getattr(compiled, "isinsert", False) or getattr(compiled, "isupdate", False)):
        return
    limits = _limits(compiled)
    if not limits:
        return
    positions = getattr(compiled, "positiontup", None)
    for row in _rows(parameters):
        if isinstance(row, dict):
            items: Any = row.items()
        elif positions is not None and len(positions) == len(row):
            items = zip(positions, row)
        else:
            continue
        for name, value in items:
            if not isinstance(value, str):
                continue
            limit = limits.get(name) or limits.get(_BATCH_SUFFIX.sub("", name))
            if limit is not None and len(value) > limit:
                column = _BATCH_SUFFIX.sub("", name)
                raise InvalidInput("VALUE_TOO_LONG", f"{column} holds at most {limit} characters ({len(value)} sent)",
                                   extra={"field": column, "max_length": limit})


if not event.contains(Engine, "before_cursor_execute", _check_lengths):
    event.listen(Engine, "before_cursor_execute", _check_lengths)


__all__ = ["INT4_MAX", "INT8_MAX", "INT8_MIN", "Count", "Id", "Offset", "json_problems", "storable_request",
           "unset_or", "unstorable"]

"""The OpenAPI description told the truth about errors.

Every refusal of the API has one body, ``{"error": CODE, "detail": ..., "blocks": [...]}``, with
``fields`` on a 422 VALIDATION_FAILED (ils.app's handlers). FastAPI documents its own
``{"detail": [...]}`` for 422 and no other error, so an integrator generating a client from the
description, or a fuzzer checking answers against it, was told something untrue. Here the
generated description is corrected once, when it is first built:

- ``Error`` (with ``Block`` and ``FieldError``) is the schema of every 4xx and 5xx answer;
- 422 is on every operation: any request may carry what the validation layer refuses
  (ils.validation), in its path, query string or body;
- 401 and 403 are on every operation that needs credentials, 404 on every operation that names
  something (a path parameter, a body, a query) except those that look nothing up, 409 on every
  write that needs credentials except those no state can refuse, and on the rule explanations
  (no rule covers the case); the fuzz test (tests/ils/test_fuzz.py) fails on any status an
  operation answers without declaring it;
- a status a route declares itself (412, 413, 428, 429, 503 …) keeps its description and gets
  the error schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

ERROR_REF = "#/components/schemas/Error"
WRITES = {"post", "put", "patch", "delete"}
METHODS = WRITES | {"get", "head", "options"}

# Operations that look nothing up by name or number: a 404 cannot come from them.
NEVER_NOT_FOUND = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/records"),
    ("get", "/api/v1/records/export"),
    ("get", "/api/v1/search"),
    ("get", "/sru"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password"),
}
# Writes that meet no state that could refuse them.
NEVER_CONFLICT = {
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/password"),
    ("post", "/api/v1/patrons/lookup"),
    ("post", "/api/v1/patrons/search"),
}
# Reads that may answer 409: no loan rule covers the situation asked about (POLICY_NOT_FOUND).
# (A check-out preview is a POST, so it is counted with the writes.)
READ_CONFLICTS = {
    ("get", "/api/v1/circulation-rules/explain"),
    ("get", "/api/v1/policies/explain"),
}
# Public operations that still check a password.
PUBLIC_UNAUTHENTICATED = {("post", "/api/v1/auth/token")}

DESCRIPTIONS = {
    401: "AUTH_REQUIRED or AUTH_INVALID: no credentials, or a wrong, expired or revoked token, key or password",
    403: "PERMISSION_DENIED or UNIT_OUT_OF_SCOPE: the account may not do this, or not for these units",
    404: "The thing named (by path, body or query) does not exist: a code such as UNIT_NOT_FOUND",
    409: "Refused in the current state of things: a code such as ITEM_ALREADY_ON_LOAN, with every block",
    422: "VALIDATION_FAILED (with `fields`: where and why) or a domain code: the request cannot be carried out "
         "as sent",
}


class FieldError(BaseModel):
    """One place where a request did not have the expected shape."""

    loc: list[str | int] = Field(description="Where: path, query or body, then the parameter or the keys down to "
                                             "the value", examples=[["body", "record_id"]])
    msg: str = Field(examples=["Input should be less than or equal to 2147483647"])
    type: str = Field(examples=["less_than_equal"])


class Block(BaseModel):
    """One reason a circulation decision refused; all of them are listed at once."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["PATRON_CARD_EXPIRED"])
    detail: str | None = None
    overridable: bool | None = Field(default=None, description="Staff with circulation:override may override it")
    on: str | None = Field(default=None, description="The day the block lifts by itself, where there is one")


class Error(BaseModel):
    """Every refusal of the API. Some codes add fields of their own (``retry_after``,
    ``batch_id``, ``current_version`` …)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="A stable code (listed in the description of the API)",
                       examples=["VALIDATION_FAILED"])
    detail: str = Field(description="What happened, in words", examples=["the request does not have the expected shape"])
    blocks: list[Block] = Field(description="Every block of a refused circulation decision (else empty)")
    fields: list[FieldError] | None = Field(default=None, description="With VALIDATION_FAILED: each place at fault")


def _components() -> dict[str, Any]:
    schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    found: dict[str, Any] = schema.pop("$defs", {})
    found["Error"] = schema
    return found


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}


def _fastapi_default(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def _has_inputs(operation: dict[str, Any]) -> bool:
    names = [p for p in operation.get("parameters", []) if p.get("in") in ("path", "query")]
    return bool(names) or "requestBody" in operation


def statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer besides those its route declares."""
    found = {422}
    key = (method, path)
    secured = bool(operation.get("security"))
    if secured:
        found |= {401, 403}
    if key in PUBLIC_UNAUTHENTICATED:
        found.add(401)
    if _has_inputs(operation) and key not in NEVER_NOT_FOUND:
        found.add(404)
    if (method in WRITES and secured and key not in NEVER_CONFLICT) or key in READ_CONFLICTS:
        found.add(409)
    return found


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Correct a description FastAPI generated (in place, and return it)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components.update(_components())
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in statuses(method, path, operation):
                current = responses.get(str(status))
                if current is None or _fastapi_default(current):
                    responses[str(status)] = _error_response(DESCRIPTIONS[status])
            for status, response in responses.items():
                # A route's own declaration of an error ("413: IMPORT_FILE_TOO_LARGE ...") says
                # when; the body is the same as every other refusal's.
                if status[:1] in ("4", "5") and not response.get("content", {}).get("application/json", {}).get("schema"):
                    response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    return schema


def install(app: FastAPI) -> None:
    """Build the app's description through ``document_errors`` (once, then kept)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["Block", "Error", "FieldError", "document_errors", "install", "statuses"]

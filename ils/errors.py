"""One error type with stable codes, turned into ``{"error", "detail", "blocks"}`` by one handler."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller can act on. ``code`` is a stable string documented in the API."""

    code: str = "ERROR"
    http_status: int = 400

    def __init__(
        self,
        code: str | None = None,
        detail: str = "",
        *,
        http_status: int | None = None,
        blocks: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.detail = detail or self.code
        self.blocks = blocks or []
        self.extra = extra or {}
        super().__init__(f"{self.code}: {self.detail}")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail, "blocks": self.blocks}
        body.update(self.extra)
        return body


class NotFound(DomainError):
    http_status = 404


class Conflict(DomainError):
    http_status = 409


class PreconditionFailed(DomainError):
    http_status = 412


class Unauthenticated(DomainError):
    http_status = 401


class Forbidden(DomainError):
    http_status = 403


class InvalidInput(DomainError):
    http_status = 422


class Throttled(DomainError):
    """Refused for now: too many attempts (429) or the server busy (503). ``retry_after``
    seconds become the Retry-After header and a field of the body."""

    http_status = 429

    def __init__(self, code: str, detail: str = "", *, retry_after: int, http_status: int | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(code, detail, http_status=http_status, extra={"retry_after": self.retry_after})


# Codes used by the core. Packages keep their own in their errors.py; every code is listed
# in the OpenAPI description so integrators can rely on them.
CORE_CODES: dict[str, str] = {
    "AUTH_REQUIRED": "No credentials were sent; log in or send an API key.",
    "AUTH_INVALID": "The token, API key or password is wrong, expired or revoked.",
    "AUTH_LOCKED": "Too many wrong passwords for this account: it may not log in until Retry-After seconds pass.",
    "AUTH_RATE_LIMITED": "Too many wrong passwords from this address: no login from it until Retry-After seconds pass.",
    "AUTH_BUSY": "Too many logins are being checked at once; try again after Retry-After seconds (503).",
    "PASSWORD_TOO_SHORT": "A password needs at least 8 characters.",
    "PASSWORD_UNCHANGED": "The new password is the same as the old one.",
    "PASSWORD_WRONG": "The current password sent with a password change is wrong (counted like a wrong login).",
    "SECRET_KEY_WEAK": "ILS_SECRET_KEY is a placeholder or too short; the server does not sign tokens with it.",
    "PERMISSION_DENIED": "The account's role or the key's scopes do not allow this.",
    "UNIT_OUT_OF_SCOPE": "The account acted for a unit beyond what the operation allows it (see 'Who may do what').",
    "SCOPE_UNIT_REQUIRED": "An account tied to units asked about every unit; name one of its units.",
    "UNIT_NOT_FOUND": "No unit has that code.",
    "UNIT_CODE_TAKEN": "Another unit already has that code.",
    "UNIT_PARENT_INVALID": "The parent does not exist or cannot hold a unit of that level.",
    "UNIT_HOURS_INVALID": "Opening hours are not HH:MM-HH:MM ranges in order.",
    "UNIT_NEVER_OPEN": "The unit's hours and closed days leave no open day to put a date on.",
    "USER_NOT_FOUND": "No staff account has that username.",
    "USERNAME_TAKEN": "Another staff account already has that username.",
    "ROLE_INVALID": "The role is not one of admin, cataloguer, librarian, manager.",
    "VALIDATION_FAILED": "The request body or parameters do not have the expected shape.",
    "VALUE_TOO_LONG": "A text is longer than what the database keeps for it (`field`, `max_length`).",
    "IDEMPOTENCY_KEY_INVALID": "The Idempotency-Key header is empty or longer than 100 characters.",
    "IDEMPOTENCY_KEY_REUSED": "The Idempotency-Key was used before for a different request.",
}
CORE_CODES.update({
    "LOAN_TRANSITION_INVALID": "A loan cannot change from its status to the one asked (see the loan state table).",
    "HOLD_TRANSITION_INVALID": "A hold cannot change from its status to the one asked (see the hold state table).",
    "TRANSIT_TRANSITION_INVALID": "A transit cannot change from its status to the one asked.",
})

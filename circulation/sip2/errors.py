"""Stable error codes of the SIP2 accounts API (refusals on the wire are SIP2 messages, see service)."""

from __future__ import annotations

from circulation.sip2.codec import FORMAT_ERRORS

CODES: dict[str, str] = {
    "SIP2_ACCOUNT_NOT_FOUND": "No SIP2 account has that login.",
    "SIP2_LOGIN_TAKEN": "Another SIP2 account already has that login.",
    "SIP2_LOGIN_INVALID": "A SIP2 login is 2-64 letters, digits or . _ - @ (no | and no spaces).",
    "SIP2_PASSWORD_INVALID": "A SIP2 password is 8-64 printable ASCII characters without |.",
    "SIP2_ENCODING_INVALID": "The encoding is not utf-8 or gb18030.",
}
# Why a frame was refused with a 96 (request resend); written to the log with the connection.
CODES.update(FORMAT_ERRORS)

"""Stable error codes of activities."""

from __future__ import annotations

CODES: dict[str, str] = {
    "ACTIVITY_NOT_FOUND": "No activity has that id.",
    "ACTIVITY_TYPE_UNKNOWN": "No activity type has that code, or it is no longer offered for new activities.",
    "ACTIVITY_TYPE_INVALID": "An activity type's code is lower-case letters, digits and _ (up to 32).",
    "ACTIVITY_DATE_INVALID": "An activity is recorded once it was held: its day cannot be in the future.",
    "ACTIVITY_DELETE_TOO_LATE": "An activity may be deleted only within 30 days of its entry; correct it instead.",
    "ACTIVITY_PERIOD_INVALID": "The period ends before it starts, or is longer than 10 years.",
}

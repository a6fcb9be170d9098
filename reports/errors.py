"""Stable error codes of the statistics."""

from __future__ import annotations

CODES: dict[str, str] = {
    "PERIOD_INVALID": "The period is not a year, quarter, month or day that exists, or from/to are missing or reversed.",
    "ATTRIBUTION_INVALID": "`by` is not happened, owner or home.",
    "YEAR_INVALID": "The year is out of range.",
    "ANNUAL_REPORT_INCOMPLETE": "Lines of the annual report are blank (listed in `blanks`); fill them in or submit "
                                "with accept_blanks.",
    "ANNUAL_REPORT_NOT_SUBMITTED": "The annual report has not been submitted, so it cannot be reopened.",
    "ANNUAL_REPORT_TRANSITION_INVALID": "The report is already in that state (submitted twice, reopened twice).",
    "REASON_REQUIRED": "Reopening a report needs a reason.",
    "SYSTEM_REQUIRED": "The evaluation is for a system: give its 总馆's code.",
    "INDICATOR_UNKNOWN": "No figure of that code can be an indicator.",
    "LEVEL_INVALID": "The unit level is not main, branch or service_point.",
    "TARGET_INVALID": "A target is between 0 and 100000.",
}

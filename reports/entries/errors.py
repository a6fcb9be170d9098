"""Stable error codes of the entered figures (visits and annual fields). The codes of a bad row of
a gate counter's CSV come in the import's answer, one per row, not as a refusal."""

from __future__ import annotations

CODES: dict[str, str] = {
    "VISIT_FILE_TOO_LARGE": "The gate counter file is larger than ILS_MAX_UPLOAD_MB (refused before it is read); "
                            "import it with `ils import-visits` on the server, or split it.",
    "VISIT_FILE_UNREADABLE": "The gate counter file is not text in UTF-8, UTF-16 or GBK.",
    "VISIT_FILE_HEADER_INVALID": "The file's first line does not name the columns unit, date and in (or both).",
    "VISIT_ENTRY_NOT_FOUND": "The unit has no manual visit entry for that day.",
    "VISIT_DATE_INVALID": "Visits are counted for a day that has begun: the day cannot be in the future.",
    "VISIT_PERIOD_INVALID": "The period ends before it starts, or is longer than 400 days.",
    "ANNUAL_YEAR_INVALID": "The year is before 1949 or after the current one.",
    "ANNUAL_FIELD_UNKNOWN": "No field of the annual table has that code (GET /annual-fields lists them).",
    "ANNUAL_FIELD_INVALID": "The value does not fit the field: a whole number of 0 or more (money in fen), or a "
                            "decimal with no more places than the field keeps.",
    "ANNUAL_FIELD_PART_EXCEEDS": "A part (其中) is larger than the field it is part of.",
}

# The codes of a bad row of a gate counter's CSV (each row's code in the answer's `issues`).
ROW_CODES: dict[str, str] = {
    "VISIT_ROW_COLUMNS": "The line has fewer fields than the header (or more that are not empty), or cannot be read.",
    "VISIT_ROW_UNIT_UNKNOWN": "No unit has the code in the unit field (or it is empty).",
    "VISIT_ROW_DATE_INVALID": "The date is not a day like 2026-11-23, or is in the future.",
    "VISIT_ROW_HOUR_INVALID": "The hour is not 0 to 23 (or the date's time is not the start of an hour).",
    "VISIT_ROW_COUNT_INVALID": "A count is negative, not a whole number, or larger than any gate counts.",
    "VISIT_ROW_COUNT_MISSING": "The row gives neither in nor both.",
    "VISIT_ROW_DUPLICATE": "The same unit, day and hour is on an earlier line of the file (that line is kept).",
}

"""Reading a gate counter's CSV (到馆人次). Pure: bytes in, rows and the reasons for every bad row out.

The format (documented in the README):

    unit,date,hour,in,out
    DC,2026-11-23,,1520,1498
    DC-TD,2026-11-23,9,35,12
    DC-TD,2026-11-23,10,41,30

- the first line names the columns, in any order, in any case; ``unit``, ``date`` and ``in`` are
  needed (or ``both`` instead of ``in``: see below), ``hour`` and ``out`` may be left out, other
  columns are ignored. Commas separate fields (a file whose header has tabs and no comma is read
  as tab-separated);
- UTF-8 with or without a BOM, UTF-16 with a BOM, or GBK (read as GB 18030, which contains it);
- ``unit``: a unit's code; ``date``: 2026-11-23 (or 2026/11/23, 20261123), or with the hour,
  ``2026-11-23 14:00`` when the ``hour`` field is empty; ``hour``: 0-23 (14 counts 14:00-14:59),
  empty for the day's total; ``in``, ``out``, ``both``: whole numbers of people, 0 or more;
- ``both``: a counter that counts every pass through the gate without telling in from out gives
  its both-ways total here and leaves ``in`` empty (a visit passes twice: in and out).

A row that cannot be read is reported with its line number, a stable code and a reason, and the
other rows are kept; the same unit, day and hour twice in one file is reported on the later line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date

from ils.errors import InvalidInput
from ils.validation import INT4_MAX

# The names a column may have in the header (lower case), the first being the documented one.
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "unit_code", "馆代码", "单位代码"),
    "date": ("date", "day", "日期"),
    "hour": ("hour", "小时"),
    "in": ("in", "in_count", "进馆", "进馆人次"),
    "out": ("out", "out_count", "出馆", "出馆人次"),
    "both": ("both", "both_ways", "双向合计"),
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?$")
_COUNT = re.compile(r"^\d+$")


@dataclass(frozen=True)
class VisitRow:
    line: int
    unit: str
    day: date
    hour: int | None
    in_count: int | None
    out_count: int | None
    both_count: int | None


@dataclass(frozen=True)
class RowIssue:
    line: int
    code: str
    message: str


@dataclass
class GateFile:
    encoding: str
    rows: list[VisitRow] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)  # the first ``max_issues``
    rejected: int = 0  # every bad row, kept or not
    lines: int = 0  # data lines read (not the header, not empty lines)


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was read in."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding), "gbk" if encoding == "gb18030" else encoding
            except UnicodeDecodeError:
                continue
    raise InvalidInput("VISIT_FILE_UNREADABLE", "the file is not text in UTF-8, UTF-16 or GBK")


def _header(fields: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, raw in enumerate(fields):
        name = _ALIASES.get(raw.strip().lower())
        if name is None:
            continue  # counters export more columns than these; they are not read
        if name in found:
            raise InvalidInput("VISIT_FILE_HEADER_INVALID", f"the header names the column {name!r} twice")
        found[name] = position
    missing = [name for name in ("unit", "date") if name not in found]
    if "in" not in found and "both" not in found:
        missing.append("in")
    if missing:
        raise InvalidInput("VISIT_FILE_HEADER_INVALID",
                           f"the first line must name the columns unit,date,hour,in,out; missing: {', '.join(missing)}",
                           extra={"missing": missing})
    return found


def _day(text: str, today: date) -> tuple[date, int | None]:
    text = text.strip()
    day_part, _, time_part = text.partition(" ")
    if not time_part and "T" in day_part:
        day_part, _, time_part = day_part.partition("T")
    m = _DATE.match(day_part)
    if not m:
        raise _Bad("VISIT_ROW_DATE_INVALID", f"{text!r} is not a date like 2026-11-23")
    year, month, day_of_month = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        day = date(year, month, day_of_month)
    except ValueError:
        raise _Bad("VISIT_ROW_DATE_INVALID", f"{text!r} is not a day of the calendar") from None
    if day > today:
        raise _Bad("VISIT_ROW_DATE_INVALID", f"{day} is in the future")
    hour = None
    if time_part.strip():
        t = _TIME.match(time_part.strip())
        if not t or int(t.group(1)) > 23 or int(t.group(2) or 0) != 0 or int(t.group(3) or 0) != 0:
            raise _Bad("VISIT_ROW_HOUR_INVALID", f"{time_part.strip()!r} is not the start of an hour (00:00 to 23:00)")
        hour = int(t.group(1))
    return day, hour


def _hour(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not _COUNT.match(text) or int(text) > 23:
        raise _Bad("VISIT_ROW_HOUR_INVALID", f"hour {text!r} is not 0 to 23 (14 counts 14:00-14:59; empty: the day)")
    return int(text)


def _count(name: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not _COUNT.match(text):
        what = "negative" if re.match(r"^-\d+$", text) else "not a whole number"
        raise _Bad("VISIT_ROW_COUNT_INVALID", f"{name} {text!r} is {what}")
    if int(text) > INT4_MAX:
        raise _Bad("VISIT_ROW_COUNT_INVALID", f"{name} {text} is more than any gate counts")
    return int(text)


def parse(data: bytes, known_units: Container[str], today: date, *, max_issues: int = 1000) -> GateFile:
    """The rows of a gate counter's CSV and the reasons for every bad row. Refuses the whole
    file (422) only when it is not text or its first line names no usable columns."""
    text, encoding = decode(data)
    start = re.search(r"\S", text)
    if start is None:
        raise InvalidInput("VISIT_FILE_HEADER_INVALID", "the file is empty")
    end = text.find("\n", start.start())
    head = text[start.start():end if end >= 0 else len(text)]
    delimiter = "\t" if "," not in head and "\t" in head else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: dict[str, int] | None = None
    width = 0
    result = GateFile(encoding)
    seen: dict[tuple[str, date, int | None], int] = {}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field longer than any count, an unclosed quote …
            if columns is None:
                raise InvalidInput("VISIT_FILE_HEADER_INVALID", f"the first line cannot be read: {exc}") from None
            result.lines += 1
            result.rejected += 1
            if len(result.issues) < max_issues:
                result.issues.append(RowIssue(reader.line_num, "VISIT_ROW_COLUMNS", f"the line cannot be read: {exc}"))
            continue
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if columns is None:
            columns = _header(fields)
            width = len(fields)
            continue
        result.lines += 1
        try:
            row = _row(fields, columns, width, line, known_units, today)
            key = (row.unit, row.day, row.hour)
            if key in seen:
                when = f"{row.day} {row.hour}:00" if row.hour is not None else f"{row.day}"
                raise _Bad("VISIT_ROW_DUPLICATE", f"{row.unit} {when} is on line {seen[key]} already")
            seen[key] = line
            result.rows.append(row)
        except _Bad as bad:
            result.rejected += 1
            if len(result.issues) < max_issues:
                result.issues.append(RowIssue(line, bad.code, bad.message))
    return result


def _row(fields: list[str], columns: dict[str, int], width: int, line: int, known_units: Container[str],
         today: date) -> VisitRow:
    needed = max(columns.values()) + 1
    if len(fields) < needed:
        raise _Bad("VISIT_ROW_COLUMNS", f"the line has {len(fields)} fields, the header {width}")
    if len(fields) > width and any(f.strip() for f in fields[width:]):
        raise _Bad("VISIT_ROW_COLUMNS", f"the line has {len(fields)} fields, the header {width}")

    def get(name: str) -> str:
        return fields[columns[name]] if name in columns else ""

    unit = get("unit").strip()
    if unit not in known_units:
        raise _Bad("VISIT_ROW_UNIT_UNKNOWN", f"no unit has the code {unit!r}" if unit else "the unit is empty")
    day, hour = _day(get("date"), today)
    given_hour = _hour(get("hour"))
    if given_hour is not None and hour is not None and given_hour != hour:
        raise _Bad("VISIT_ROW_HOUR_INVALID", f"the date says {hour}:00 and the hour {given_hour}")
    hour = given_hour if given_hour is not None else hour
    in_count, out_count, both = _count("in", get("in")), _count("out", get("out")), _count("both", get("both"))
    if in_count is None and both is None:
        raise _Bad("VISIT_ROW_COUNT_MISSING", "neither in nor both is given")
    return VisitRow(line, unit, day, hour, in_count, out_count, both)

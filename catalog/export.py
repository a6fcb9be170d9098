"""Exporting records: ISO 2709 and MARCXML in each record's own flavour, MARC21 by crosswalk,
or MARC-in-JSON. Always UTF-8 with the encoding marks set (see catalog.marc.writer).
Exports stream: records are read in chunks and written out as they come."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date

import pymarc
from sqlalchemy.orm import Session

from catalog import repository as repo
from catalog.marc import cnmarc_to_marc21, from_json, to_iso2709, to_marcxml
from catalog.models import Record
from ils.clock import get_clock
from ils.config import get_settings
from ils.errors import InvalidInput

MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "iso2709": ("application/marc", "mrc"),
    "marcxml": ("application/marcxml+xml", "xml"),
    "marc21xml": ("application/marcxml+xml", "xml"),
    "json": ("application/json", "json"),
}

XML_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
XML_FOOTER = b"</collection>\n"


def _today() -> date:
    # Only used for a CNMARC record with no 100 field, which the export must create.
    return get_clock().now().astimezone(get_settings().tz).date()


def _record_xml(marc: pymarc.Record, flavour: str) -> bytes:
    """One <record> element, cut from a one-record collection so exports can stream."""
    document = to_marcxml([marc], flavour, today=_today())  # type: ignore[arg-type]
    return document[document.index(b"<record") : document.rindex(b"</collection>")] + b"\n"


def one(record: Record, fmt: str) -> bytes:
    """One record in the asked format (a complete document)."""
    return b"".join(_chunks([record], fmt))


def _as(record: Record, fmt: str) -> tuple[pymarc.Record, str]:
    marc = from_json(record.marc)
    if fmt == "marc21xml" and record.flavour == "cnmarc":
        return cnmarc_to_marc21(marc), "marc21"
    return marc, record.flavour


def _chunks(records: Iterator[Record] | list[Record], fmt: str, progress: Callable[[int], None] | None = None
            ) -> Iterator[bytes]:
    if fmt not in MEDIA_TYPES:
        raise InvalidInput("EXPORT_FORMAT_INVALID", f"unknown export format {fmt!r}")
    if fmt in ("marcxml", "marc21xml"):
        yield XML_HEADER
    elif fmt == "json":
        yield b"["
    for n, record in enumerate(records, start=1):
        if fmt == "json":
            yield (b"," if n > 1 else b"") + json.dumps(record.marc, ensure_ascii=False).encode("utf-8")
        else:
            marc, flavour = _as(record, fmt)
            yield to_iso2709(marc, flavour, today=_today()) if fmt == "iso2709" else _record_xml(marc, flavour)  # type: ignore[arg-type]
        if progress and n % 500 == 0:
            progress(n)
    if fmt in ("marcxml", "marc21xml"):
        yield XML_FOOTER
    elif fmt == "json":
        yield b"]"


def stream(session: Session, fmt: str, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The whole catalogue in id order, chunk by chunk."""
    return _chunks(repo.iter_records(session), fmt, progress)

"""Small MARC records built in tests (real structure, our own content)."""

from __future__ import annotations

import io

import pymarc
from pymarc import Field, Indicators, Subfield


def cnmarc(title: str, *, isbn: str | None = None, author: str = "曹雪芹", publisher: str = "人民文学出版社",
           year: str = "2008", clc: str = "I242.4", holdings: list[tuple[str, str]] = (), edition: str | None = None,
           control: str = "T1") -> pymarc.Record:
    """A CNMARC monograph; ``holdings`` are (unit code, barcode) pairs written as 905 fields."""
    record = pymarc.Record(leader="00000nam0 2200000   450 ", force_utf8=True)
    record.add_field(Field(tag="001", data=control))
    if isbn:
        record.add_field(Field(tag="010", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn), Subfield("d", "CNY59.70")]))
    record.add_field(Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", f"20261123d{year}    em y0chiy50      ea")]))
    record.add_field(Field(tag="101", indicators=Indicators("0", " "), subfields=[Subfield("a", "chi")]))
    record.add_field(Field(tag="200", indicators=Indicators("1", " "), subfields=[Subfield("a", title), Subfield("f", f"{author}著")]))
    if edition:
        record.add_field(Field(tag="205", indicators=Indicators(" ", " "), subfields=[Subfield("a", edition)]))
    record.add_field(Field(tag="210", indicators=Indicators(" ", " "), subfields=[Subfield("a", "北京"), Subfield("c", publisher), Subfield("d", year)]))
    record.add_field(Field(tag="690", indicators=Indicators(" ", " "), subfields=[Subfield("a", clc), Subfield("v", "5")]))
    record.add_field(Field(tag="701", indicators=Indicators(" ", "0"), subfields=[Subfield("a", author), Subfield("4", "著")]))
    for n, (unit, barcode) in enumerate(holdings, start=1):
        record.add_field(Field(tag="905", indicators=Indicators(" ", " "), subfields=[
            Subfield("a", unit), Subfield("b", barcode), Subfield("d", clc), Subfield("e", str(n)),
        ]))
    return record


def iso2709(records: list[pymarc.Record]) -> io.BytesIO:
    """Records as a UTF-8 ISO 2709 file."""
    from catalog.marc import to_iso2709

    out = io.BytesIO(b"".join(to_iso2709(r, "cnmarc") for r in records))
    return out


def to_dict(record: pymarc.Record) -> dict:
    from catalog.marc import to_json

    return to_json(record)

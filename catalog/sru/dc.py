"""A catalogue record as simple Dublin Core, in the SRU ``srw_dc`` wrapper (info:srw/schema/1/dc-v1.1).

The elements follow the Library of Congress MARC to Dublin Core crosswalk, read from what the
import extracted (so ``dc:title`` is exactly what a ``dc.title`` search looks at) and, for what
is not stored, from the record's MARC in its own flavour:

======================  ==================================  ===================================
element                 MARC21                              CNMARC
======================  ==================================  ===================================
title                   245 $a $n $p                        200 $a $h $i
creator                 100/110/111, 700/710/711 $a         700-722 $a ($b)
subject                 6XX, CLC class (084 $2 clc)         600-607, 690 (中图法)
description             500, 504, 505, 520 $a               300, 320, 327, 330 $a
publisher / date        260/264 $b, year                    210 $c, year
identifier              020 → URN:ISBN:<ISBN-13>            010 → URN:ISBN:<ISBN-13>
language                008/35-37, 041                      101 $a
type                    leader/06 (DCMI type vocabulary)    leader/06
======================  ==================================  ===================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from catalog.marc.writer import xml_safe
from catalog.models import Record

DC_NS = "http://purl.org/dc/elements/1.1/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"

# Leader/06 (type of record) → DCMI type. Both formats use "a" for printed text; the other
# codes differ between MARC21 and UNIMARC.
_MARC21_TYPES = {
    "a": "Text", "t": "Text", "c": "Text", "d": "Text", "e": "Image", "f": "Image", "g": "MovingImage",
    "k": "Image", "i": "Sound", "j": "Sound", "m": "Software", "o": "Collection", "p": "Collection",
    "r": "PhysicalObject",
}
_UNIMARC_TYPES = {
    "a": "Text", "b": "Text", "c": "Text", "d": "Text", "e": "Image", "f": "Image", "g": "MovingImage",
    "k": "Image", "i": "Sound", "j": "Sound", "l": "Software", "m": "Collection", "r": "PhysicalObject",
}
_NOTE_TAGS = {"marc21": ("500", "504", "505", "520"), "cnmarc": ("300", "320", "327", "330")}


@dataclass(frozen=True)
class DublinCore:
    title: str
    creators: list[str]
    subjects: list[str]
    descriptions: list[str]
    publisher: str | None
    date: str | None
    identifiers: list[str]
    language: str | None
    type: str | None

    def elements(self) -> list[tuple[str, str]]:
        """(element name, value) in the order the DC element set lists them."""
        pairs = [("title", self.title)]
        pairs += [("creator", c) for c in self.creators]
        pairs += [("subject", s) for s in self.subjects]
        pairs += [("description", d) for d in self.descriptions]
        pairs += [(name, value) for name, value in (("publisher", self.publisher), ("date", self.date)) if value]
        pairs += [("type", self.type)] if self.type else []
        pairs += [("identifier", i) for i in self.identifiers]
        pairs += [("language", self.language)] if self.language else []
        return pairs


def dublin_core(record: Record, isbns: Sequence[str]) -> DublinCore:
    """The Dublin Core description of a record; ``isbns`` are its ISBN-13s, the primary first."""
    subjects = list(record.subjects)
    if record.clc and record.clc not in subjects:
        subjects.append(record.clc)
    return DublinCore(
        title=record.title,
        creators=list(record.authors),
        subjects=subjects,
        descriptions=_notes(record),
        publisher=record.publisher,
        date=str(record.year) if record.year else None,
        identifiers=[f"URN:ISBN:{isbn}" for isbn in isbns],
        language=record.language,
        type=_type(record),
    )


def _notes(record: Record) -> list[str]:
    wanted = _NOTE_TAGS.get(record.flavour, ())
    notes: list[str] = []
    for field in record.marc.get("fields", []):
        ((tag, body),) = field.items()
        if tag in wanted and isinstance(body, dict):
            notes += [value.strip() for sub in body.get("subfields", []) for code, value in sub.items()
                      if code == "a" and value.strip()]
    return list(dict.fromkeys(notes))


def _type(record: Record) -> str | None:
    leader = str(record.marc.get("leader", ""))
    if len(leader) < 7:
        return None
    table = _UNIMARC_TYPES if record.flavour == "cnmarc" else _MARC21_TYPES
    return table.get(leader[6])


def dc_element(dc: DublinCore) -> etree._Element:
    """``<srw_dc:dc>`` with one ``dc:`` element per value."""
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, value in dc.elements():
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = xml_safe(value)
    return root

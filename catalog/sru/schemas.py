"""The record schemas SRU can return: MARCXML, Dublin Core and UNIMARC XML.

* ``marcxml`` (info:srw/schema/1/marcxml-v1.1): MARC21 slim. A CNMARC record is crosswalked to
  MARC21 first (catalog.marc.crosswalk), because whoever asks for MARCXML reads MARC21 tags.
* ``dc`` (info:srw/schema/1/dc-v1.1): catalog.sru.dc.
* ``unimarc`` (info:srw/schema/8/unimarcxml-v0.1, the identifier Chinese SRU servers such as
  dp2 answer with): the CNMARC record as it is, in the slim structure (leader, controlfield,
  datafield, subfield) under that namespace. A MARC21 record has no UNIMARC form here: it
  is answered with a surrogate diagnostic 67 in its place.

Both MARC forms are written by catalog.marc.writer, so they say UTF-8 where each format says it
(MARC21 leader/09, CNMARC 100 $a/26-29) and carry no character XML cannot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from catalog.marc import cnmarc_to_marc21, from_json, to_marcxml
from catalog.marc.writer import MARC21_SLIM_NS
from catalog.models import Record
from catalog.sru.dc import dc_element, dublin_core
from catalog.sru.diagnostics import UNKNOWN_SCHEMA, SruError

UNIMARC_NS = "info:srw/schema/8/unimarcxml-v0.1"

# Renders one record, or returns None when the record has no form in the schema.
Renderer = Callable[[Record, Sequence[str], dt.date], "etree._Element | None"]


def _only_record(document: bytes, namespace: str) -> etree._Element:
    """The <record> of the one-record collection catalog.marc.to_marcxml writes, with its tags in
    ``namespace`` declared as the default on the record itself (it stands alone in recordData)."""
    record = etree.fromstring(document)[0]
    return _in_namespace(record, namespace, etree.Element(f"{{{namespace}}}record", nsmap={None: namespace}))


def marcxml(record: Record, isbns: Sequence[str], today: dt.date) -> etree._Element:
    marc = from_json(record.marc)
    if record.flavour == "cnmarc":
        marc = cnmarc_to_marc21(marc)
    return _only_record(to_marcxml([marc], "marc21"), MARC21_SLIM_NS)


def unimarc(record: Record, isbns: Sequence[str], today: dt.date) -> etree._Element | None:
    if record.flavour != "cnmarc":
        return None
    # ``today`` dates the 100 field the writer adds to a CNMARC record that lacks one.
    return _only_record(to_marcxml([from_json(record.marc)], "cnmarc", today=today), UNIMARC_NS)


def _in_namespace(source: etree._Element, namespace: str, target: etree._Element) -> etree._Element:
    """Copy ``source``'s attributes, text and children into ``target``, tags moved to ``namespace``."""
    target.attrib.update(source.attrib)
    target.text = source.text
    for child in source:
        _in_namespace(child, namespace, etree.SubElement(target, f"{{{namespace}}}{etree.QName(child).localname}"))
    return target


def dublin_core_xml(record: Record, isbns: Sequence[str], today: dt.date) -> etree._Element:
    return dc_element(dublin_core(record, isbns))


@dataclass(frozen=True)
class RecordSchema:
    name: str  # the short name explain lists
    identifier: str  # what responses carry in <recordSchema>
    title: str
    render: Renderer
    aliases: tuple[str, ...] = ()  # other names clients send for the same schema

    def names(self) -> tuple[str, ...]:
        return (self.name, self.identifier, *self.aliases)


MARCXML = RecordSchema("marcxml", "info:srw/schema/1/marcxml-v1.1", "MARCXML (MARC21 slim)", marcxml,
                       ("marc21", "marc21xml", "http://www.loc.gov/MARC21/slim"))
DC = RecordSchema("dc", "info:srw/schema/1/dc-v1.1", "Dublin Core", dublin_core_xml,
                  ("srw_dc", "info:srw/schema/1/dc-schema"))
UNIMARC = RecordSchema("unimarc", UNIMARC_NS, "UNIMARC XML (CNMARC records only)", unimarc,
                       ("unimarcxml", "cnmarc", "cnmarcxml"))
SCHEMAS = (MARCXML, DC, UNIMARC)
DEFAULT_SCHEMA = MARCXML
_BY_NAME = {name.lower(): schema for schema in SCHEMAS for name in schema.names()}


def resolve_schema(value: str | None) -> RecordSchema:
    """The schema a request names (short name or identifier, any case); diagnostic 66 if unknown."""
    if not value:
        return DEFAULT_SCHEMA
    schema = _BY_NAME.get(value.strip().lower())
    if schema is None:
        raise SruError(UNKNOWN_SCHEMA, value)
    return schema

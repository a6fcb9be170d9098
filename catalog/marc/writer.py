"""Write records out: ISO 2709 (always UTF-8), MARCXML, MARC-in-JSON.

Exports are always UTF-8 and say so where each flavour says it: MARC21 in leader/09 ("a"),
CNMARC/UNIMARC in 100 $a/26-29 ("50  " = ISO 10646 / Unicode). Readers elsewhere trust these
marks, so a file that claims MARC-8 or GB2312 over UTF-8 data would be misread.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Subfield

from catalog.marc import codes
from catalog.marc.errors import MarcJsonError
from catalog.marc.reader import Flavour

MARC21_SLIM_NS = "http://www.loc.gov/MARC21/slim"

_FIELD_END = b"\x1e"
_RECORD_END = b"\x1d"
_SUBFIELD_MARK = b"\x1f"

# UNIMARC 100 $a/26-29 "character sets": 50 = ISO 10646 Level 3 (Unicode), two blanks.
CNMARC_UTF8_CHARSET = "50  "


def _is_control(field: Field) -> bool:
    return field.is_control_field()


def _general_processing_default(today: dt.date) -> str:
    """A 36-character CNMARC 100 $a for a record that has none (monograph, Chinese, UTF-8)."""
    value = f"{today:%Y%m%d}d{today:%Y}    em y0chiy{CNMARC_UTF8_CHARSET}    ea"
    return value.ljust(36)[:36]


def mark_utf8(record: pymarc.Record, flavour: Flavour, today: dt.date | None = None) -> pymarc.Record:
    """Return a copy of ``record`` whose encoding marks say UTF-8 for its flavour.

    ``today`` dates a CNMARC 100 field created because the record had none; the clock is
    injected so exports are reproducible.
    """
    copy = pymarc.Record(leader=Leader(str(record.leader)))
    copy.fields = [_copy_field(f) for f in record.fields]
    leader = str(copy.leader).ljust(24)[:24]
    if flavour == "marc21":
        leader = leader[:9] + "a" + leader[10:]
    copy.leader = Leader(leader)
    if flavour == "cnmarc":
        f100 = copy.get("100")
        if f100 is None:
            f100 = Field(
                tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", _general_processing_default(_need(today)))]
            )
            _insert_in_order(copy, f100)
        else:
            values = f100.subfields
            index = next((i for i, sf in enumerate(values) if sf.code == "a"), None)
            if index is None:
                values.insert(0, Subfield("a", _general_processing_default(_need(today))))
            else:
                a = values[index].value.ljust(36)
                values[index] = Subfield("a", a[:26] + CNMARC_UTF8_CHARSET + a[30:])
    return copy


def _need(today: dt.date | None) -> dt.date:
    if today is None:
        raise ValueError("This CNMARC record has no 100 $a; pass today= to date the one created.")
    return today


def _copy_field(f: Field) -> Field:
    if f.is_control_field():
        return Field(tag=f.tag, data=f.data)
    return Field(
        tag=f.tag,
        indicators=Indicators(*(f.indicators or (" ", " "))),
        subfields=[Subfield(sf.code, sf.value) for sf in f.subfields],
    )


def _insert_in_order(record: pymarc.Record, new: Field) -> None:
    for i, f in enumerate(record.fields):
        if f.tag > new.tag:
            record.fields.insert(i, new)
            return
    record.fields.append(new)


def to_iso2709(record: pymarc.Record, flavour: Flavour, *, today: dt.date | None = None) -> bytes:
    """Serialise one record as ISO 2709 in UTF-8, lengths in bytes, encoding marks set."""
    return serialise_iso2709(mark_utf8(record, flavour, today), "utf-8")


def serialise_iso2709(record: pymarc.Record, encoding: str) -> bytes:
    """The bytes of one record in ``encoding``, leader and directory lengths counted in bytes
    of that encoding. Sets no encoding marks: callers decide what the record should claim."""
    directory = bytearray()
    data = bytearray()
    for f in record.fields:
        if f.is_control_field():
            body = (f.data or "").encode(encoding) + _FIELD_END
        else:
            ind1, ind2 = f.indicators or (" ", " ")
            chunks = [(ind1 or " ").encode(encoding), (ind2 or " ").encode(encoding)]
            for sf in f.subfields:
                chunks.append(_SUBFIELD_MARK + sf.code.encode(encoding) + sf.value.encode(encoding))
            body = b"".join(chunks) + _FIELD_END
        if len(body) > 9999 or len(data) > 99999:
            raise ValueError(f"Field {f.tag} does not fit the ISO 2709 directory (field or record too long).")
        directory += f.tag.encode("ascii", "replace")[:3].ljust(3) + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    if length > 99999:
        raise ValueError("The record is longer than the 99999 bytes ISO 2709 allows.")
    leader = str(record.leader).ljust(24)[:24]
    leader = f"{length:05d}{leader[5:12]}{base:05d}{leader[17:]}"
    return leader.encode("ascii", "replace") + bytes(directory) + _FIELD_END + bytes(data) + _RECORD_END


def to_marcxml(records: Iterable[pymarc.Record], flavour: Flavour, *, today: dt.date | None = None) -> bytes:
    """A MARCXML <collection> in the MARC21 slim namespace, UTF-8, with an XML declaration.

    UNIMARC/CNMARC records use the same namespace: their structure (leader, control fields,
    data fields with two indicators and one-character subfield codes) is identical, and the
    MARC21 slim schema is what UNIMARC systems commonly exchange. The flavour only decides
    which encoding marks are set (leader/09 or 100 $a/26-29).
    """
    ns = MARC21_SLIM_NS
    collection = etree.Element(f"{{{ns}}}collection", nsmap={None: ns})
    for record in records:
        marked = mark_utf8(record, flavour, today)
        rec_el = etree.SubElement(collection, f"{{{ns}}}record")
        etree.SubElement(rec_el, f"{{{ns}}}leader").text = xml_safe(str(marked.leader).ljust(24)[:24])
        # MARCXML puts control fields before data fields, and a data field needs a subfield.
        controls = [f for f in marked.fields if f.is_control_field()]
        datafields = [f for f in marked.fields if not f.is_control_field() and f.subfields]
        for f in controls + datafields:
            if f.is_control_field():
                el = etree.SubElement(rec_el, f"{{{ns}}}controlfield", tag=f.tag)
                el.text = xml_safe(f.data or "")
            else:
                ind1, ind2 = f.indicators or (" ", " ")
                el = etree.SubElement(rec_el, f"{{{ns}}}datafield", tag=f.tag, ind1=ind1 or " ", ind2=ind2 or " ")
                for sf in f.subfields:
                    sub = etree.SubElement(el, f"{{{ns}}}subfield", code=sf.code)
                    sub.text = xml_safe(sf.value)
    return etree.tostring(collection, xml_declaration=True, encoding="UTF-8")


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 cannot carry replaced by U+FFFD. MARC data sometimes
    holds stray C0 controls and a request parameter can hold anything (``query=%01``); lxml
    refuses them, so every text the MARCXML export and SRU write goes through here."""
    if text.isprintable():
        return text
    return "".join(ch if _xml_char(ch) else "\ufffd" for ch in text)


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return ch in "\t\n\r" or 0x20 <= code < 0xD800 or 0xE000 <= code < 0xFFFE or code > 0xFFFF


def to_json(record: pymarc.Record) -> dict[str, Any]:
    """MARC-in-JSON (the layout of pymarc's ``as_dict``)."""
    return record.as_dict()


def _json_error(message: str) -> MarcJsonError:
    return MarcJsonError(codes.MARC_JSON_INVALID, message)


def from_json(data: dict) -> pymarc.Record:
    """Build a record from MARC-in-JSON, checking its shape; raise MarcJsonError with the place."""
    if not isinstance(data, dict):
        raise _json_error(f"A MARC-in-JSON record must be an object, not {type(data).__name__}.")
    leader = data.get("leader")
    if not isinstance(leader, str) or len(leader) != 24:
        raise _json_error(f"'leader' must be a string of 24 characters, got {leader!r}.")
    fields = data.get("fields")
    if not isinstance(fields, list):
        raise _json_error("'fields' must be a list.")
    record = pymarc.Record(leader=Leader(leader))
    out: list[Field] = []
    for i, item in enumerate(fields):
        where = f"fields[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise _json_error(f"{where} must be an object with exactly one tag key.")
        ((tag, body),) = item.items()
        if not isinstance(tag, str) or len(tag) != 3:
            raise _json_error(f"{where}: the tag {tag!r} is not 3 characters.")
        where = f"{where} ({tag})"
        if isinstance(body, str):
            out.append(Field(tag=tag, data=body))
            continue
        if not isinstance(body, dict):
            raise _json_error(f"{where} must be a string (control field) or an object (data field).")
        inds = []
        for key in ("ind1", "ind2"):
            value = body.get(key, " ")
            if not isinstance(value, str) or len(value) != 1:
                raise _json_error(f"{where}: {key} must be one character, got {value!r}.")
            inds.append(value)
        subs = body.get("subfields")
        if not isinstance(subs, list):
            raise _json_error(f"{where}: 'subfields' must be a list.")
        subfields = []
        for j, sub in enumerate(subs):
            if not isinstance(sub, dict) or len(sub) != 1:
                raise _json_error(f"{where} subfields[{j}] must be an object with exactly one code key.")
            ((code, value),) = sub.items()
            if not isinstance(code, str) or len(code) != 1:
                raise _json_error(f"{where} subfields[{j}]: the code {code!r} is not one character.")
            if not isinstance(value, str):
                raise _json_error(f"{where} subfields[{j}] (${code}): the value must be a string.")
            subfields.append(Subfield(code, value))
        out.append(Field(tag=tag, indicators=Indicators(*inds), subfields=subfields))
    record.fields = out
    return record

"""CNMARC (Chinese UNIMARC) to MARC21 for the most used fields.

Used when a partner system only takes MARC21. The mapping follows the field meanings of both
formats for the ~30 fields Chinese catalogues actually fill; everything else is left out
except local 9XX fields, which carry the same meaning in both formats and are passed through.
ISBD punctuation is not added: our records keep it out of subfields and displays add it.

Points where the two formats differ in detail:

* subject subdivisions: UNIMARC $y is geographic and $z chronological, MARC21 the reverse;
* 700/710 (primary responsibility) become 100/110 and turn 245 ind1 to "1"; 701/702/711/712
  become 7XX added entries; a role given as text ("主编") goes to $e, a UNIMARC relator code
  ("070") to $4 as the MARC relator code;
* the 008 is built from 100 $a (dates), 101 (language) and 102 (country).
"""

from __future__ import annotations

import pymarc
from pymarc import Field, Indicators, Leader, Subfield

# UNIMARC relator codes (numeric) to MARC relator codes, the common ones only.
_RELATORS = {
    "010": "adp", "020": "ann", "070": "aut", "072": "aut", "080": "aui", "180": "ctg",
    "205": "ctb", "212": "cwt", "220": "com", "340": "edt", "365": "exp", "440": "ill",
    "550": "pra", "570": "oth", "605": "ivr", "650": "pbl", "651": "pbd", "673": "rth",
    "730": "trl", "753": "trl",
}
_COUNTRIES = {"CN": "cc ", "TW": "ch ", "HK": "cc ", "MO": "cc ", "US": "xxu", "GB": "xxk",
              "JP": "ja ", "KR": "ko ", "FR": "fr ", "DE": "gw ", "RU": "ru ", "IT": "it "}
_DATE_TYPES = {"a": "c", "b": "d", "c": "u", "d": "s", "e": "r", "f": "q", "g": "m", "h": "t",
               "i": "p", "j": "e", "k": "s", "u": "n"}


def _sub(code: str, value: str | None) -> list[Subfield]:
    return [Subfield(code, value)] if value else []


def _map_subfields(field: Field, mapping: dict[str, str]) -> list[Subfield]:
    return [Subfield(mapping[sf.code], sf.value) for sf in field.subfields if sf.code in mapping and sf.value]


def _data(tag: str, ind1: str, ind2: str, subfields: list[Subfield]) -> Field | None:
    if not subfields:
        return None
    return Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subfields)


def _name(field: Field) -> str | None:
    a = (field.get("a") or "").strip()
    b = (field.get("b") or "").strip()
    if not a:
        return None
    return f"{a}, {b}" if b else a


def _relator(field: Field) -> list[Subfield]:
    out = []
    for value in field.get_subfields("4"):
        value = value.strip()
        if value in _RELATORS:
            out.append(Subfield("4", _RELATORS[value]))
        elif value:
            out.append(Subfield("e", value))
    return out


def _personal(field: Field, tag: str) -> Field | None:
    name = _name(field)
    if not name:
        return None
    subs = [Subfield("a", name)]
    subs += _map_subfields(field, {"c": "c", "f": "d"})
    subs += _relator(field)
    return Field(tag=tag, indicators=Indicators("1" if field.get("b") else "0", " "), subfields=subs)


def _corporate(field: Field, main: bool) -> Field | None:
    meeting = field.indicator1 == "1"
    tag = ("111" if meeting else "110") if main else ("711" if meeting else "710")
    subs = _map_subfields(field, {"a": "a", "b": "b"})
    if not subs:
        return None
    subs += _relator(field)
    return Field(tag=tag, indicators=Indicators("2", " "), subfields=subs)


# Subject subdivisions: UNIMARC $x topical, $y geographic, $z chronological, $j form.
_SUBJECT_SUBS = {"a": "a", "x": "x", "y": "z", "z": "y", "j": "v", "2": "2"}


def _subject(field: Field, tag: str, ind1: str) -> Field | None:
    subs = []
    for sf in field.subfields:
        if sf.code == "a" and field.tag == "600" and field.get("b"):
            subs.append(Subfield("a", f"{sf.value}, {field.get('b')}"))
        elif sf.code in _SUBJECT_SUBS and sf.value:
            subs.append(Subfield(_SUBJECT_SUBS[sf.code], sf.value))
    if not subs:
        return None
    ind2 = "7" if any(sf.code == "2" for sf in subs) else "4"
    return Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subs)


def _build_008(record: pymarc.Record) -> Field:
    f100a = ""
    f100 = record.get("100")
    if f100 is not None and not f100.is_control_field():
        f100a = (f100.get("a") or "").ljust(36)
    entered = f100a[2:8] if f100a[:8].strip().isdigit() else "      "
    date_type = _DATE_TYPES.get(f100a[8:9], "|") if f100a.strip() else "|"
    date1 = f100a[9:13] if f100a.strip() else "    "
    date2 = f100a[13:17] if f100a.strip() else "    "
    country = "xx "
    f102 = record.get("102")
    if f102 is not None and not f102.is_control_field():
        country = _COUNTRIES.get((f102.get("a") or "").strip().upper(), "xx ")
    language = "   "
    f101 = record.get("101")
    if f101 is not None and not f101.is_control_field():
        language = ((f101.get("a") or "").strip().lower() + "   ")[:3]
    data = f"{entered}{date_type}{date1}{date2}{country}" + " " * 17 + f"{language} d"
    return Field(tag="008", data=data[:40].ljust(40))


def _leader(unimarc: str) -> Leader:
    leader = str(unimarc).replace("-", " ").ljust(24)[:24]
    encoding_level = leader[17] if leader[17] in " 1234578" else " "
    cataloguing_form = {" ": "i", "i": "i", "n": " "}.get(leader[18], " ")
    # UNIMARC leader/08 is the hierarchical level; MARC21 uses it for type of control (blank).
    marc21 = f"{leader[:8]} a22{leader[12:17]}{encoding_level}{cataloguing_form} 4500"
    return Leader(marc21)


def cnmarc_to_marc21(record: pymarc.Record) -> pymarc.Record:
    """Return a new MARC21 record carrying the commonly used content of a CNMARC record."""
    out: list[Field | None] = []
    get = record.get_fields

    for tag in ("001", "003", "005"):
        f = record.get(tag)
        if f is not None and f.is_control_field():
            out.append(Field(tag=tag, data=f.data))
    out.append(_build_008(record))

    for f in get("010"):
        out.append(_data("020", " ", " ", _map_subfields(f, {"a": "a", "b": "q", "d": "c", "z": "z"})))
    for f in get("011"):
        out.append(_data("022", " ", " ", _map_subfields(f, {"a": "a", "y": "y", "z": "z"})))
    for f in get("035"):
        out.append(_data("035", " ", " ", _map_subfields(f, {"a": "a", "z": "z"})))
    for f in get("091"):
        # 统一书刊号 (pre-ISBN Chinese book number): an unspecified standard identifier.
        out.append(_data("024", "8", " ", _map_subfields(f, {"a": "a"})))

    cataloguing = [f for f in get("801")]
    if cataloguing:
        original = next((f for f in cataloguing if f.indicator2 == "0"), cataloguing[0])
        subs = _sub("a", original.get("b"))
        subs += [Subfield("d", f.get("b")) for f in cataloguing if f is not original and f.get("b")]
        out.append(_data("040", " ", " ", subs))

    for f in get("101"):
        out.append(_data("041", f.indicator1 if f.indicator1 in "01" else " ", " ", _map_subfields(f, {"a": "a", "c": "h"})))
    for f in get("102"):
        out.append(_data("044", " ", " ", [Subfield("c", sf.value) for sf in f.subfields if sf.code == "a" and sf.value]))
    for f in get("690"):
        subs = _map_subfields(f, {"a": "a"})
        out.append(_data("084", " ", " ", subs + [Subfield("2", "clc")] if subs else []))

    mains = [m for m in (_personal(f, "100") for f in get("700")) if m][:1]
    mains += [m for m in (_corporate(f, True) for f in get("710")) if m][: 1 - len(mains)]
    out.extend(mains)

    f200 = record.get("200")
    if f200 is not None:
        subs: list[Subfield] = []
        titles = [sf.value for sf in f200.subfields if sf.code == "a" and sf.value]
        if titles:
            subs.append(Subfield("a", " ; ".join(titles)))
        for sf in f200.subfields:
            if sf.code == "b" and sf.value:
                subs.append(Subfield("h", f"[{sf.value.strip('[]')}]"))
        subs += _map_subfields(f200, {"e": "b", "h": "n", "i": "p"})
        responsibility = " ; ".join(sf.value for sf in f200.subfields if sf.code in "fg" and sf.value)
        subs += _sub("c", responsibility)
        out.append(_data("245", "1" if mains else "0", "0", subs))
        for value in f200.get_subfields("d"):
            out.append(_data("246", "3", "1", _sub("a", value.lstrip("= ").strip())))
    for f in get("510"):
        out.append(_data("246", "3", "1", _map_subfields(f, {"a": "a", "e": "b"})))
    for f in get("517"):
        out.append(_data("246", "3", " ", _map_subfields(f, {"a": "a", "e": "b"})))

    for f in get("205"):
        out.append(_data("250", " ", " ", _map_subfields(f, {"a": "a", "f": "b"})))
    for f in get("210"):
        out.append(_data("260", " ", " ", _map_subfields(f, {"a": "a", "c": "b", "d": "c", "e": "e", "g": "f", "h": "g"})))
    for f in get("214"):
        ind2 = f.indicator2 if f.indicator2 in "01234" else "1"
        out.append(_data("264", " ", ind2, _map_subfields(f, {"a": "a", "c": "b", "d": "c"})))
    for f in get("215"):
        out.append(_data("300", " ", " ", _map_subfields(f, {"a": "a", "c": "b", "d": "c", "e": "e"})))
    for f in get("225"):
        out.append(_data("490", "0", " ", _map_subfields(f, {"a": "a", "v": "v", "x": "x"})))
    for tag in ("300", "314"):
        for f in get(tag):
            out.append(_data("500", " ", " ", _map_subfields(f, {"a": "a"})))
    for f in get("320"):
        out.append(_data("504", " ", " ", _map_subfields(f, {"a": "a"})))
    for f in get("330"):
        out.append(_data("520", " ", " ", _map_subfields(f, {"a": "a"})))

    for f in get("600"):
        out.append(_subject(f, "600", "1" if f.get("b") else "0"))
    for f in get("601"):
        out.append(_subject(f, "610", "2"))
    for f in get("606"):
        out.append(_subject(f, "650", " "))
    for f in get("607"):
        out.append(_subject(f, "651", " "))

    for f in get("700")[1:] + get("701") + get("702"):
        out.append(_personal(f, "700"))
    for f in get("710")[1 if any(m.tag in ("110", "111") for m in mains) else 0 :] + get("711") + get("712"):
        out.append(_corporate(f, False))

    for f in get("905"):
        out.append(_data("852", " ", " ", _map_subfields(f, {"a": "b", "b": "p", "d": "h", "e": "i", "t": "t"})))
    for f in record.fields:
        if f.tag.startswith("9") and f.tag != "905" and not f.is_control_field():
            out.append(Field(tag=f.tag, indicators=Indicators(*f.indicators), subfields=list(f.subfields)))

    result = pymarc.Record(leader=_leader(str(record.leader)))
    fields = [f for f in out if f is not None]
    fields.sort(key=lambda f: f.tag)  # stable: keeps the order of repeated fields
    result.fields = fields
    return result

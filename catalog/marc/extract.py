"""Pull the columns the catalogue queries out of a MARC record (CNMARC or MARC21).

The MARC record stays the source of truth; these values feed search, display, duplicate
detection and holdings import.

Holdings conventions (ours, agreed with the units' exporters; other systems are mapped to them):

* CNMARC 905, one field per item: $a owning unit code, $b barcode, $d class part and $e book
  number of the call number (call number = "$d/$e"), $t item type (our codes), $p price
  ("CNY25.00" or "25.00").
* MARC21 852: $b unit code, $p barcode, $h + $i call number ("$h/$i"), $t item type (rare).
* MARC21 952 (Koha export): $a home unit, $b current unit, $p barcode, $o call number,
  $y item type, $g price.

Item types are our codes: book, periodical, children, large_print, braille, audio, local_doc,
rare_book. Obvious foreign codes are mapped (BK -> book, JUV -> children ...); unknown ones
become None so that circulation applies the unit's default rather than a wrong rule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pymarc

from catalog.marc import codes
from catalog.marc.errors import ExtractError
from catalog.marc.isbn import normalise_isbn
from catalog.marc.reader import Flavour


@dataclass(slots=True)
class Holding:
    """One item (copy) described inside the bibliographic record."""

    unit_code: str | None
    barcode: str | None
    call_number: str | None
    item_type: str | None
    price_fen: int | None
    current_unit_code: str | None = None


@dataclass(slots=True)
class Extracted:
    """The queried columns of one record; see the module docstring for sources."""

    title: str
    responsibility: str | None
    authors: list[str]
    isbns: list[str]
    invalid_isbns: list[str]
    publisher: str | None
    place: str | None
    year: int | None
    language: str | None
    edition: str | None
    series: str | None
    subjects: list[str]
    clc: str | None
    call_number: str | None
    title_pinyin: str | None
    author_pinyin: str | None
    price_fen: int | None
    control_number: str | None
    holdings: list[Holding] = field(default_factory=list)


ITEM_TYPES = ("book", "periodical", "children", "large_print", "braille", "audio", "local_doc", "rare_book")

_ITEM_TYPE_MAP = {
    **{code: code for code in ITEM_TYPES},
    "bk": "book", "books": "book", "mono": "book", "monograph": "book", "图书": "book", "中文图书": "book",
    "ser": "periodical", "per": "periodical", "serial": "periodical", "journal": "periodical",
    "mag": "periodical", "期刊": "periodical", "杂志": "periodical",
    "juv": "children", "child": "children", "children's": "children", "kid": "children",
    "kids": "children", "jbk": "children", "少儿": "children", "少儿图书": "children", "儿童": "children",
    "lp": "large_print", "lgprint": "large_print", "largeprint": "large_print", "large print": "large_print",
    "大字": "large_print", "大字本": "large_print",
    "br": "braille", "盲文": "braille",
    "ab": "audio", "audiobook": "audio", "cd": "audio", "snd": "audio", "sound": "audio", "有声读物": "audio",
    "local": "local_doc", "地方文献": "local_doc",
    "rare": "rare_book", "rb": "rare_book", "古籍": "rare_book", "善本": "rare_book",
}

_ISBD_TRAILING = " \t/:;=,."
_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2})")
_PRICE = re.compile(r"(\d+(?:\.\d{1,2})?)")
_FOREIGN_CURRENCY = re.compile(r"^\s*(USD|US\$|EUR|GBP|JPY|HKD|TWD|NT\$|\$|£|€)", re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_PINYIN_WORD = re.compile(r"[a-z0-9\u00fc]+")


def _clean(text: str | None) -> str | None:
    """Trim blanks and the ISBD punctuation that MARC21 puts at the end of subfields."""
    if text is None:
        return None
    text = text.strip().rstrip(_ISBD_TRAILING).strip()
    # A trailing "." after an initial ("Smith, J.") is part of the name; only strip it once.
    return text or None


def _first(record: pymarc.Record, tag: str, code: str) -> str | None:
    for f in record.get_fields(tag):
        for value in f.get_subfields(code):
            cleaned = _clean(value)
            if cleaned:
                return cleaned
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def parse_price_fen(text: str | None) -> int | None:
    """Price in fen from "CNY25.00", "25.00", "CNY赠90.00", "¥12.5"; None for other currencies."""
    if not text or _FOREIGN_CURRENCY.match(text):
        return None
    match = _PRICE.search(text)
    if not match:
        return None
    yuan, _, fraction = match.group(1).partition(".")
    return int(yuan) * 100 + int((fraction + "00")[:2])


def map_item_type(code: str | None) -> str | None:
    """Our item type for a code found in a holding field, or None when unknown."""
    if not code:
        return None
    return _ITEM_TYPE_MAP.get(code.strip().casefold())


def _join_call_number(class_part: str | None, book_number: str | None) -> str | None:
    class_part = (class_part or "").strip()
    book_number = (book_number or "").strip()
    if class_part and book_number:
        return f"{class_part}/{book_number}"
    return class_part or book_number or None


def normalise_pinyin(text: str | None) -> str | None:
    """Lowercase toneless words separated by single spaces ("Hong Lou Meng" -> "hong lou meng")."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text.casefold())
    # Drop tone marks (combining characters) but keep u-umlaut, which pinyin needs.
    folded = folded.replace("u\u0308", "\u00fc")
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _PINYIN_WORD.findall(folded)
    return " ".join(words) or None


def compute_pinyin(text: str | None) -> str | None:
    """Pinyin of Chinese text with pypinyin; None when the text has no Han characters."""
    if not text or not _CJK.search(text):
        return None
    from pypinyin import (  # imported lazily: its dictionaries take a while to load
        Style,
        lazy_pinyin,
    )

    return normalise_pinyin(" ".join(lazy_pinyin(text, style=Style.NORMAL)))


def _subject(f: pymarc.Field, codes_: str) -> str | None:
    parts = [_clean(sf.value) for sf in f.subfields if sf.code in codes_]
    parts = [p for p in parts if p]
    return "--".join(parts) if parts else None


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def extract(record: pymarc.Record, flavour: Flavour) -> Extracted:
    """Extract the catalogue columns; raise ExtractError(RECORD_TITLE_MISSING) without a title."""
    if flavour == "cnmarc":
        return _extract_cnmarc(record)
    return _extract_marc21(record)


# ----------------------------------------------------------------------------- CNMARC
_CN_AUTHOR_TAGS = ("700", "710", "720", "701", "711", "721", "702", "712", "722")
_CN_SUBJECT_TAGS = ("600", "601", "602", "604", "605", "606", "607")


def _cn_name(f: pymarc.Field) -> str | None:
    a = _clean(f.get("a"))
    if not a:
        return None
    b = _clean(f.get("b"))
    # Western names are split "Surname" $a / "Forename" $b; Chinese names sit whole in $a.
    return f"{a}, {b}" if b else a


def _record_pinyin(f: pymarc.Field | None) -> str | None:
    if f is None:
        return None
    return normalise_pinyin(f.get("A") or f.get("9"))


_ROLE_PINYIN = ("zhu bian", "bian zhu", "bian xie", "bian yi", "zhu", "bian", "yi", "deng", "zhuan")


def _extract_cnmarc(record: pymarc.Record) -> Extracted:
    f200 = record.get("200")
    title = None
    if f200 is not None:
        title = " ; ".join(v for v in (_clean(x) for x in f200.get_subfields("a")) if v) or None
        parts = [p for p in (_clean(x) for x in f200.get_subfields("h", "i")) if p]
        if title and parts:
            title = f"{title}. {', '.join(parts)}"
    if not title:
        raise ExtractError(codes.RECORD_TITLE_MISSING, "The record has no title (200 $a).")

    responsibility = None
    if f200 is not None:
        resp = [v for v in (_clean(x) for x in f200.get_subfields("f", "g")) if v]
        responsibility = " ; ".join(resp) or None

    author_fields = [f for tag in _CN_AUTHOR_TAGS for f in record.get_fields(tag)]
    authors = _dedupe([_cn_name(f) or "" for f in author_fields])
    first_author_field = next((f for f in author_fields if _cn_name(f)), None)

    isbns, invalid = _isbns(record, "010")

    f210 = record.get("210") or record.get("214")
    publisher = _clean(f210.get("c")) if f210 else None
    place = _clean(f210.get("a")) if f210 else None
    year = _year(f210.get("d")) if f210 else None
    if year is None:
        f100a = _first(record, "100", "a") or ""
        year = _year(f100a[9:13]) if len(f100a) >= 13 else None

    title_pinyin = _record_pinyin(f200)
    if title_pinyin is None:
        title_pinyin = compute_pinyin(title)
    elif not _CJK.search(title):
        title_pinyin = None  # a Latin-script title has no pinyin, whatever $A says

    author_pinyin = _record_pinyin(first_author_field)
    if author_pinyin is None and authors and f200 is not None:
        # 200 $F spells the whole statement of responsibility; it is the author's pinyin only
        # when that statement starts with the first author's name.
        if (f200.get("f") or "").startswith(authors[0]):
            author_pinyin = _strip_role_pinyin(normalise_pinyin(f200.get("F")))
    if author_pinyin is None and authors:
        author_pinyin = compute_pinyin(authors[0])

    subjects = _dedupe(
        [_subject(f, "abcjxyz") or "" for tag in _CN_SUBJECT_TAGS for f in record.get_fields(tag)]
    )
    holdings = [_holding_905(f) for f in record.get_fields("905")]
    call_number = next((h.call_number for h in holdings if h.call_number), None)
    if call_number is None:
        f090 = record.get("090")
        if f090 is not None:
            call_number = _join_call_number(f090.get("a"), f090.get("b")) or _clean(f090.get("u"))

    return Extracted(
        title=title,
        responsibility=responsibility,
        authors=authors,
        isbns=isbns,
        invalid_isbns=invalid,
        publisher=publisher,
        place=place,
        year=year,
        language=_language(_first(record, "101", "a")),
        edition=_first(record, "205", "a"),
        series=_first(record, "225", "a"),
        subjects=subjects,
        clc=_first(record, "690", "a"),
        call_number=call_number,
        title_pinyin=title_pinyin,
        author_pinyin=author_pinyin,
        price_fen=next((p for p in (parse_price_fen(x) for f in record.get_fields("010") for x in f.get_subfields("d")) if p is not None), None),
        control_number=_control(record),
        holdings=holdings,
    )


def _strip_role_pinyin(pinyin: str | None) -> str | None:
    """200 $F spells the whole statement ("guo jia tong ji ju bian"); drop the role word."""
    if not pinyin:
        return None
    for role in _ROLE_PINYIN:
        if pinyin.endswith(" " + role):
            pinyin = pinyin[: -len(role) - 1]
            break
    return pinyin or None


def _holding_905(f: pymarc.Field) -> Holding:
    return Holding(
        unit_code=_clean(f.get("a")),
        barcode=(f.get("b") or "").strip() or None,
        call_number=_join_call_number(f.get("d"), f.get("e")),
        item_type=map_item_type(f.get("t")),
        price_fen=parse_price_fen(f.get("p")),
    )


# ----------------------------------------------------------------------------- MARC21
_M21_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "655")


def _extract_marc21(record: pymarc.Record) -> Extracted:
    f245 = record.get("245")
    title = None
    if f245 is not None:
        main = _clean(f245.get("a")) or _clean(f245.get("k"))
        parts = [p for p in (_clean(x) for x in f245.get_subfields("n", "p")) if p]
        title = main
        if main and parts:
            title = f"{main}. {', '.join(parts)}"
    if not title:
        raise ExtractError(codes.RECORD_TITLE_MISSING, "The record has no title (245 $a).")
    responsibility = _clean(f245.get("c")) if f245 is not None else None

    author_fields = record.get_fields("100", "110", "111") + record.get_fields("700", "710", "711")
    authors = _dedupe([_clean(f.get("a")) or "" for f in author_fields])

    isbns, invalid = _isbns(record, "020")

    pub = None
    for f in record.get_fields("264"):
        if f.indicator2 == "1":
            pub = f
            break
    pub = pub or record.get("260") or record.get("264")
    publisher = _clean(pub.get("b")) if pub else None
    place = _clean(pub.get("a")) if pub else None
    if place:
        place = place.strip("[]") or None
    year = _year(pub.get("c")) if pub else None
    f008 = record.get("008")
    data008 = f008.data if f008 is not None and f008.data else ""
    if year is None and len(data008) >= 11:
        year = _year(data008[7:11])
    language = _language(data008[35:38]) if len(data008) >= 38 else None
    language = language or _language(_first(record, "041", "a"))

    clc = None
    for f in record.get_fields("084"):
        if "clc" in (f.get("2") or "").casefold():
            clc = _clean(f.get("a"))
            if clc:
                break
    clc = clc or _first(record, "093", "a")

    holdings = [_holding_852(f) for f in record.get_fields("852")]
    holdings += [_holding_952(f) for f in record.get_fields("952")]
    holdings += [_holding_905(f) for f in record.get_fields("905")]
    call_number = next((h.call_number for h in holdings if h.call_number), None)
    if call_number is None:
        for tag in ("090", "099"):
            f = record.get(tag)
            if f is not None:
                call_number = _join_call_number(f.get("a"), f.get("b"))
                if call_number:
                    break

    first_author = authors[0] if authors else None
    return Extracted(
        title=title,
        responsibility=responsibility,
        authors=authors,
        isbns=isbns,
        invalid_isbns=invalid,
        publisher=publisher,
        place=place,
        year=year,
        language=language,
        edition=_first(record, "250", "a"),
        series=_first(record, "490", "a") or _first(record, "830", "a") or _first(record, "440", "a"),
        subjects=_dedupe([_subject(f, "abcdxyzv") or "" for tag in _M21_SUBJECT_TAGS for f in record.get_fields(tag)]),
        clc=clc,
        call_number=call_number,
        title_pinyin=compute_pinyin(title),
        author_pinyin=compute_pinyin(first_author),
        price_fen=next((p for p in (parse_price_fen(x) for f in record.get_fields("020") for x in f.get_subfields("c")) if p is not None), None),
        control_number=_control(record),
        holdings=holdings,
    )


def _holding_852(f: pymarc.Field) -> Holding:
    return Holding(
        unit_code=_clean(f.get("b")),
        barcode=(f.get("p") or "").strip() or None,
        call_number=_join_call_number(f.get("h"), f.get("i")),
        item_type=map_item_type(f.get("t")),
        price_fen=None,
    )


def _holding_952(f: pymarc.Field) -> Holding:
    return Holding(
        unit_code=_clean(f.get("a")),
        barcode=(f.get("p") or "").strip() or None,
        call_number=(f.get("o") or "").strip() or None,
        item_type=map_item_type(f.get("y")),
        price_fen=parse_price_fen(f.get("g")),
        current_unit_code=_clean(f.get("b")),
    )


# ----------------------------------------------------------------------------- shared
def _isbns(record: pymarc.Record, tag: str) -> tuple[list[str], list[str]]:
    valid: list[str] = []
    invalid: list[str] = []
    for f in record.get_fields(tag):
        for sf in f.subfields:
            if sf.code not in ("a", "z") or not sf.value.strip():
                continue
            isbn = normalise_isbn(sf.value) if sf.code == "a" else None
            if isbn:
                valid.append(isbn)
            else:
                invalid.append(sf.value.strip())
    return _dedupe(valid), _dedupe(invalid)


def _language(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower()[:3]
    return code if len(code) == 3 and code.isalpha() else None


def _control(record: pymarc.Record) -> str | None:
    f001 = record.get("001")
    if f001 is None or not f001.data:
        return None
    return f001.data.strip() or None


# ----------------------------------------------------------------------------- match key
_ROLE_SUFFIXES = (
    "主编", "编著", "编写", "编译", "编辑", "编纂", "合著", "原著", "改编", "译注", "校注", "整理",
    "撰文", "绘图", "主笔", "编选", "选编", "评注", "口述", "著", "编", "译", "撰", "绘", "辑", "注", "等",
)
_ROLE_PREFIXES = (
    "edited and translated by ", "edited by ", "compiled by ", "translated by ",
    "written by ", "illustrated by ", "by ", "ed. by ",
)
_NAME_SPLIT = re.compile(r"\s*(?:[,;，；、/&]|\band\b|\bwith\b)\s*")
_BRACKETED = re.compile(r"[\(\[〔［【（][^\)\]〕］】）]{0,12}[\)\]〕］】）]")
_CN_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _squash(text: str) -> str:
    """NFKC + casefold, keeping only letters and digits (drops all punctuation and blanks)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _first_name(responsibility: str | None) -> str:
    if not responsibility:
        return ""
    text = unicodedata.normalize("NFKC", responsibility).casefold().strip()
    text = _BRACKETED.sub("", text)  # nationality / dynasty marks: "(清)曹雪芹", "[美] ..."
    for prefix in _ROLE_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    first = next((part for part in _NAME_SPLIT.split(text) if part.strip()), "")
    first = first.strip()
    changed = True
    while changed and first:
        changed = False
        for suffix in _ROLE_SUFFIXES:
            if first.endswith(suffix) and len(first) > len(suffix):
                first = first[: -len(suffix)].rstrip()
                changed = True
    for word in (" et al.", " et al", " ed.", " eds."):
        if first.endswith(word):
            first = first[: -len(word)]
    return _squash(first)


def _edition_number(edition: str | None) -> str:
    if not edition:
        return ""
    text = unicodedata.normalize("NFKC", edition)
    digits = re.search(r"\d+", text)
    if digits:
        number = int(digits.group(0))
    else:
        number = None
        for ch in text:
            if ch in _CN_NUMERALS:
                number = _CN_NUMERALS[ch]
                break
        if number is None:
            return _squash(text)
    # "第1版" and "1st ed." say nothing a record without an edition statement does not.
    return "" if number == 1 else str(number)


def match_key(title: str, responsibility: str | None, edition: str | None, year: int | None) -> str:
    """De-duplication key for records without an ISBN.

    Title squashed to letters and digits, the first person/body named in the statement of
    responsibility without role words, the edition number, the year; joined with "|".
    The same work from two sources gets the same key; another edition or year does not.
    """
    year_part = f"{year:04d}" if isinstance(year, int) and 0 < year < 10000 else ""
    return "|".join((_squash(title), _first_name(responsibility), _edition_number(edition), year_part))

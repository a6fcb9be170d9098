"""Build the demo catalogue: bibliographic facts (works.tsv) -> CNMARC and MARC21 records.

The demo must not ship third-party MARC data, so the records are assembled here from a
small table of facts about real, well-known works (title, responsibility, publisher, year,
中图法 class...). Chinese works become CNMARC records (written as GB18030, like real
Chinese exchange files), English works become MARC21 records (UTF-8). Each record carries
its holdings: 905 fields (CNMARC) or 952 fields (MARC21), one per copy, spread over the
units of the demo county system deterministically.

Physical details the table does not hold (pages, size, price) are derived deterministically
from the seed, so two runs with the same seed and date give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pymarc
import yaml
from pymarc import Field, Indicators, Leader, Record, Subfield
from pypinyin import Style, lazy_pinyin

from catalog.marc.writer import serialise_iso2709

HERE = Path(__file__).resolve().parent
WORKS_PATH = HERE / "works.tsv"
NETWORK_PATH = HERE / "network.yaml"

TSV_COLUMNS = (
    "title", "subtitle", "authors", "role", "publisher", "place", "year", "clc", "isbn",
    "language", "item_type", "edition", "series", "subjects", "copies",
)
ITEM_TYPES = frozenset({"book", "children", "local_doc", "large_print", "periodical", "rare_book", "audio"})
LEVELS = ("center", "main", "branch", "service_point", "study_room", "mobile")

# Leaders before lengths are filled in: CNMARC (leader/09 blank, 20-23 "450 "), MARC21 (/09 "a").
CNMARC_LEADER = "00000nam0 2200000   450 "
MARC21_LEADER = "00000nam a2200000 i 4500"

# CNMARC $4 relator codes (UNIMARC relator list) for the Chinese role words used in works.tsv.
RELATOR_CODES = {
    "著": "070", "撰": "070", "编著": "070", "修": "070", "纂": "070", "续": "070",
    "文": "070", "文图": "070", "口述": "070",
    "编": "340", "主编": "340", "总主编": "340", "编纂": "340", "整理": "340", "搜集整理": "340",
    "选": "220", "编选": "220", "选编": "220",
    "译": "730", "译注": "730", "注译": "730",
    "注": "020", "校注": "020", "笺注": "020", "评注": "020", "校证": "020", "校点": "020", "辑校": "020",
    "图": "440", "绘": "440",
}
# Names that are bodies (organisations), not persons: CNMARC 711/712 instead of 701/702.
_CORPORATE = re.compile(
    r"(委员会|研究所|研究站|研究院|编辑部|编辑室|杂志社|出版社|学院|大学|中心|局|馆|会|院|调查队|副刊)$"
)
# Multi-volume sets: 215 $a gives the number of volumes instead of pages.
VOLUMES = {
    ("史记", "中华书局"): 10, ("汉书", "中华书局"): 12, ("三国志", "中华书局"): 5,
    ("资治通鉴", "中华书局"): 20, ("鲁迅全集", "人民文学出版社"): 18, ("本草纲目", "人民卫生出版社"): 2,
    ("红楼梦", "人民文学出版社"): 2, ("三国演义", "人民文学出版社"): 2, ("西游记", "人民文学出版社"): 2,
    ("水浒传", "人民文学出版社"): 3, ("云南通史", "中国社会科学出版社"): 6, ("明朝那些事儿", "中国海关出版社"): 7,
    ("四世同堂", "北京十月文艺出版社"): 2, ("悲惨世界", "人民文学出版社"): 3, ("战争与和平", "人民文学出版社"): 4,
    ("平凡的世界", "北京十月文艺出版社"): 3, ("人世间", "中国青年出版社"): 3, ("全球通史", "北京大学出版社"): 2,
    ("基督山伯爵", "人民文学出版社"): 2, ("堂吉诃德", "人民文学出版社"): 2, ("安娜·卡列尼娜", "上海译文出版社"): 2,
    ("射雕英雄传", "生活·读书·新知三联书店"): 4, ("天龙八部", "生活·读书·新知三联书店"): 5,
    ("笑傲江湖", "生活·读书·新知三联书店"): 4, ("鹿鼎记", "生活·读书·新知三联书店"): 5,
    ("实用内科学", "人民卫生出版社"): 2, ("古代汉语", "中华书局"): 4,
    ("中华人民共和国药典(2020年版)", "中国医药科技出版社"): 4, ("昆明市志", "人民出版社"): 8,
}
# MARC21 008/15-17 place-of-publication codes for the places used by the English rows.
MARC21_PLACE_CODES = {
    "New York": "nyu", "London": "enk", "Oxford": "enk", "Boston": "mau", "Cambridge, Mass.": "mau",
    "Reading, Mass.": "mau", "Chicago": "ilu", "San Diego": "cau", "Englewood Cliffs, N.J.": "nju",
}
_PERIODS = {"古代", "近代", "现代", "当代", "中世纪", "明代", "清代", "唐代", "宋代", "元代", "北宋", "南宋",
            "春秋时代", "东晋时代", "南朝时代", "北齐", "西汉时代", "三国时代", "苏联", "古希腊"}
_COUNTRIES = {"中国", "美国", "英国", "法国", "德国", "日本", "俄罗斯", "哥伦比亚", "巴西", "西班牙", "意大利",
              "瑞典", "丹麦", "黎巴嫩", "云南", "东川区", "东川市", "昆明", "寻甸回族彝族自治县"}
_MARC21_FORMS = {"Fiction", "Juvenile fiction", "Biography"}
_MARC21_TOPICS = {"History", "Philosophy", "Rhetoric", "Style", "Environmental aspects", "Translations into English"}


@dataclass(frozen=True)
class DemoWork:
    """One row of works.tsv: the facts about one manifestation, plus how many copies we hold."""

    title: str
    subtitle: str
    authors: tuple[str, ...]
    role: str
    publisher: str
    place: str
    year: int
    clc: str
    isbn: str
    language: str
    item_type: str
    edition: str
    series: str
    subjects: tuple[str, ...]
    copies: int

    @property
    def roles(self) -> tuple[str, ...]:
        """One role per author: the `; `-separated role list, its last entry repeated."""
        parts = [r.strip() for r in self.role.split(";") if r.strip()]
        if not self.authors:
            return ()
        if not parts:
            return ("",) * len(self.authors)
        return tuple(parts[i] if i < len(parts) else parts[-1] for i in range(len(self.authors)))

    @property
    def flavour(self) -> str:
        return "cnmarc" if self.language == "chi" else "marc21"

    def responsibility_groups(self) -> list[tuple[str, list[str]]]:
        """Consecutive authors sharing a role, in order: [(role, [names])]."""
        groups: list[tuple[str, list[str]]] = []
        for name, role in zip(self.authors, self.roles):
            if groups and groups[-1][0] == role:
                groups[-1][1].append(name)
            else:
                groups.append((role, [name]))
        return groups


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(";") if p.strip())


def load_works(path: Path | None = None) -> list[DemoWork]:
    """Parse works.tsv (UTF-8, tab-separated, header row) into DemoWork rows."""
    path = path or WORKS_PATH
    works: list[DemoWork] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != TSV_COLUMNS:
            raise ValueError(f"{path}: unexpected header {reader.fieldnames}")
        for lineno, row in enumerate(reader, start=2):
            try:
                work = DemoWork(
                    title=row["title"].strip(),
                    subtitle=row["subtitle"].strip(),
                    authors=_split(row["authors"]),
                    role=row["role"].strip(),
                    publisher=row["publisher"].strip(),
                    place=row["place"].strip(),
                    year=int(row["year"]),
                    clc=row["clc"].strip(),
                    isbn=row["isbn"].strip().replace("-", ""),
                    language=row["language"].strip(),
                    item_type=row["item_type"].strip(),
                    edition=row["edition"].strip(),
                    series=row["series"].strip(),
                    subjects=_split(row["subjects"]),
                    copies=int(row["copies"]),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
            if not work.title or work.language not in {"chi", "eng"} or work.item_type not in ITEM_TYPES:
                raise ValueError(f"{path}:{lineno}: bad title, language or item_type")
            if not 1 <= work.copies <= 8:
                raise ValueError(f"{path}:{lineno}: copies must be 1-8")
            works.append(work)
    return works


def load_network(path: Path | None = None) -> dict:
    """Parse network.yaml: {"units": [{code, name, level, parent, population, address, hours, ...}]}."""
    with (path or NETWORK_PATH).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        raise ValueError("network.yaml must be a mapping with a 'units' list")
    return data


# --------------------------------------------------------------------------- helpers

# Readings pypinyin gets wrong for words in the demo titles.
PINYIN_FIXES = {"朝花夕拾": "zhao hua xi shi"}
# Surnames read differently from the same character elsewhere (曾国藩 zeng, 仇兆鳌 qiu).
SURNAME_READINGS = {"曾": "zeng", "仇": "qiu", "单": "shan", "解": "xie", "区": "ou", "查": "zha",
                    "朴": "piao", "乐": "yue", "覃": "qin", "缪": "miao", "尉": "yu"}
_FIX_SPLIT = re.compile("(" + "|".join(map(re.escape, PINYIN_FIXES)) + ")")


def pinyin(text: str) -> str:
    """Toneless, lower-case, space-separated pinyin (non-Han runs kept as words)."""
    words: list[str] = []
    for chunk in _FIX_SPLIT.split(text):
        if chunk in PINYIN_FIXES:
            words.extend(PINYIN_FIXES[chunk].split())
            continue
        for token in lazy_pinyin(chunk, style=Style.NORMAL, errors="default"):
            for part in re.split(r"[^0-9A-Za-zü]+", token):
                if part:
                    words.append(part.lower())
    return " ".join(words)


def name_pinyin(name: str) -> str:
    """Pinyin of a personal name, reading the first character as a surname for Chinese names."""
    if 2 <= len(name) <= 4 and name[0] in SURNAME_READINGS and re.fullmatch(r"[\u4e00-\u9fff]+", name):
        rest = pinyin(name[1:])
        return SURNAME_READINGS[name[0]] + (" " + rest if rest else "")
    return pinyin(name)


def is_corporate(name: str) -> bool:
    return bool(_CORPORATE.search(name)) or name.startswith("《")


def _natural_name(inverted: str) -> str:
    """'Lee, Harper' -> 'Harper Lee'; 'Seuss, Dr.' -> 'Dr. Seuss'."""
    if ", " in inverted:
        surname, forenames = inverted.split(", ", 1)
        return f"{forenames} {surname}"
    return inverted


def _nonfiling(title: str) -> str:
    lowered = title.lower()
    for article in ("the ", "an ", "a "):
        if lowered.startswith(article):
            return str(len(article))
    return "0"


def _physical(work: DemoWork, rng: random.Random) -> tuple[str, str, int]:
    """(215/300 extent, size, price in fen) - plausible values derived from the seed."""
    picture_book = work.item_type == "children" and work.clc.endswith((".8", ".85"))
    volumes = VOLUMES.get((work.title, work.publisher))
    if picture_book:
        pages = rng.choice((32, 32, 36, 40, 48))
    elif work.item_type == "children":
        pages = rng.randrange(120, 300, 2)
    elif work.item_type == "local_doc":
        pages = rng.randrange(220, 900, 2)
    elif work.item_type == "periodical":
        pages = rng.randrange(640, 900, 8)
    else:
        pages = rng.randrange(160, 640, 2)
    if work.language == "eng":
        extent = f"{pages} p."
        size = "18 cm" if work.item_type == "book" and pages < 320 else ("26 cm" if picture_book else "21 cm")
        price = rng.choice((799, 899, 999, 1299, 1499, 1599, 1699, 1799, 1999, 2499, 2999))
        if picture_book:
            price = rng.choice((799, 999, 1799))
        return extent, size, price
    # Chinese: price per page by period, in fen, rounded to 0.10 yuan.
    if work.year < 1985:
        per_page = 0.6
    elif work.year < 1995:
        per_page = 2.0
    elif work.year < 2005:
        per_page = 5.5
    elif work.year < 2015:
        per_page = 8.0
    else:
        per_page = 11.0
    if volumes and volumes > 1:
        price = int(pages * per_page * volumes * 1.1) // 10 * 10
        extent = f"{volumes}册"
    else:
        price = int(pages * per_page) // 10 * 10
        extent = f"{pages}页"
    if picture_book:
        price = rng.choice((2980, 3280, 3580, 3980))
    price = max(price, 50)
    size = {"local_doc": "26cm", "large_print": "26cm", "periodical": "26cm"}.get(work.item_type, "21cm")
    if picture_book:
        size = "24cm"
    elif work.item_type == "book" and rng.random() < 0.25:
        size = "23cm"
    return extent, size, price


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --------------------------------------------------------------------------- holdings

@dataclass(frozen=True)
class _Unit:
    code: str
    level: str
    system: str | None  # code of the main unit above it (itself for a main)


def _units(network: dict) -> dict[str, _Unit]:
    raw = {u["code"]: u for u in network["units"]}

    def system_of(code: str) -> str | None:
        seen = set()
        while code and code not in seen:
            seen.add(code)
            unit = raw.get(code)
            if unit is None:
                return None
            if unit["level"] == "main":
                return code
            code = unit.get("parent")
        return None

    return {code: _Unit(code, u["level"], system_of(code)) for code, u in raw.items()}


class _Distributor:
    """Spreads copies over the units of one county system, deterministically."""

    MOBILE_CAP = 10  # the mobile library carries only a few catalogued copies

    def __init__(self, units: Sequence[_Unit], rng: random.Random) -> None:
        self.rng = rng
        by_level: dict[str, list[str]] = defaultdict(list)
        for unit in units:
            by_level[unit.level].append(unit.code)
        self.main = by_level["main"][0]
        self.branches = by_level["branch"]
        self.points = by_level["service_point"]
        self.rooms = by_level["study_room"]
        self.mobiles = by_level["mobile"]
        self.mobile_copies = 0

    def _pick(self, weights: dict[str, float]) -> str:
        codes = [c for c, w in weights.items() if w > 0]
        return self.rng.choices(codes, weights=[weights[c] for c in codes])[0]

    def _weights(self, item_type: str, allow_mobile: bool) -> dict[str, float]:
        w: dict[str, float] = {self.main: 0.0}
        if item_type == "children":
            w[self.main] = 1.5
            w.update({c: 0.8 for c in self.branches})
            w.update({c: 1.0 for c in self.points})
            w.update({c: 4.0 for c in self.rooms})
            mobile = 0.6
        elif item_type == "local_doc":
            w[self.main] = 6.0
            w.update({c: 0.4 for c in self.branches})
            mobile = 0.0
        elif item_type in {"rare_book", "audio"}:
            w[self.main] = 1.0
            mobile = 0.0
        elif item_type == "periodical":
            w[self.main] = 1.0
            w.update({c: 0.5 for c in self.branches})
            w.update({c: 2.0 for c in self.rooms})
            mobile = 0.0
        elif item_type == "large_print":
            w[self.main] = 1.5
            w.update({c: 0.8 for c in self.branches})
            w.update({c: 0.3 for c in self.points})
            mobile = 0.0
        else:
            w[self.main] = 1.2
            w.update({c: 1.0 for c in self.branches})
            w.update({c: 0.2 for c in self.points})
            w.update({c: 2.0 for c in self.rooms})
            mobile = 0.3
        if allow_mobile and self.mobile_copies < self.MOBILE_CAP:
            w.update({c: mobile for c in self.mobiles})
        return w

    def spread(self, work: DemoWork) -> list[str]:
        homes: list[str] = []
        first_to_main = {"children": 0.45, "local_doc": 1.0, "rare_book": 1.0, "audio": 1.0,
                         "periodical": 1.0, "large_print": 1.0}.get(work.item_type, 0.9)
        if self.rng.random() < first_to_main:
            homes.append(self.main)
        while len(homes) < work.copies:
            code = self._pick(self._weights(work.item_type, allow_mobile=not set(homes) & set(self.mobiles)))
            if code in self.mobiles:
                self.mobile_copies += 1
            homes.append(code)
        return homes


def _choose_system(unit_codes: Sequence[str], units: dict[str, _Unit]) -> str:
    counts = Counter(units[c].system for c in unit_codes if units[c].system)
    mains = [c for c in unit_codes if units[c].level == "main"]
    if not mains:
        raise ValueError("unit_codes must include a main unit (总馆)")
    return max(mains, key=lambda m: (counts[m], -mains.index(m)))


# --------------------------------------------------------------------------- records

def _cnmarc_100(today: datetime.date, work: DemoWork) -> str:
    audience = "a  " if work.item_type == "children" else "m  "
    government = "c" if work.item_type == "local_doc" and any(
        n.endswith(("委员会", "局", "政府")) for n in work.authors) else "y"
    data = (
        today.strftime("%Y%m%d") + "d" + f"{work.year:04d}" + "    " + audience + government + "0"
        + "chi" + "y" + "50  " + "    " + "ea"
    )
    assert len(data) == 36, data
    return data


def _marc21_008(today: datetime.date, work: DemoWork) -> str:
    place = MARC21_PLACE_CODES.get(work.place, "xxu")
    audience = "j" if work.item_type == "children" else " "
    fiction = "1" if work.clc.startswith("I") and not work.clc.startswith(("I0", "I1")) else "0"
    data = (
        today.strftime("%y%m%d") + "s" + f"{work.year:04d}" + "    " + f"{place:<3}" + "    " + audience
        + " " + "    " + " " + "0" + "0" + "0" + " " + fiction + " " + "eng" + " " + "d"
    )
    assert len(data) == 40, data
    return data


def _cnmarc_record(work: DemoWork, number: int, today: datetime.date, extent: str, size: str,
                   price: int, book_number: int, holdings: list[tuple[str, str]]) -> Record:
    record = Record(force_utf8=False, to_unicode=True)
    record.leader = Leader(CNMARC_LEADER)  # Record() would force MARC21's "4500" into 20-23
    record.add_field(Field(tag="001", data=f"DEMO{number:06d}"))
    record.add_field(Field(tag="005", data=today.strftime("%Y%m%d") + "000000.0"))
    sub010 = [Subfield("a", work.isbn)] if work.isbn else []
    sub010.append(Subfield("d", f"CNY{_yuan(price)}"))
    record.add_field(Field("010", Indicators(" ", " "), sub010))
    record.add_field(Field("100", Indicators(" ", " "), [Subfield("a", _cnmarc_100(today, work))]))
    translated = any(r.startswith("译") or r.endswith("译") for r in work.roles)
    record.add_field(Field("101", Indicators("1" if translated else "0", " "), [Subfield("a", "chi")]))
    record.add_field(Field("102", Indicators(" ", " "), [Subfield("a", "CN")]))

    sub200 = [Subfield("a", work.title)]
    if work.subtitle:
        sub200.append(Subfield("e", work.subtitle))
    groups = work.responsibility_groups()
    for i, (role, names) in enumerate(groups):
        sub200.append(Subfield("f" if i == 0 else "g", ", ".join(names) + role))
    sub200.append(Subfield("A", pinyin(work.title)))
    record.add_field(Field("200", Indicators("1", " "), sub200))
    if work.edition:
        record.add_field(Field("205", Indicators(" ", " "), [Subfield("a", work.edition)]))
    record.add_field(Field("210", Indicators(" ", " "), [
        Subfield("a", work.place), Subfield("c", work.publisher), Subfield("d", str(work.year))]))
    record.add_field(Field("215", Indicators(" ", " "), [Subfield("a", extent), Subfield("d", size)]))
    if work.series:
        record.add_field(Field("225", Indicators("2", " "), [Subfield("a", work.series)]))
    for heading in work.subjects:
        parts = [p for p in heading.split("-") if p]
        subs = [Subfield("a", parts[0])]
        for part in parts[1:]:
            code = "z" if part in _PERIODS or re.fullmatch(r"[0-9-]+", part) else "y" if part in _COUNTRIES else "x"
            subs.append(Subfield(code, part))
        record.add_field(Field("606", Indicators("0", " "), subs))
    record.add_field(Field("690", Indicators(" ", " "), [Subfield("a", work.clc), Subfield("v", "5")]))
    for i, (role, names) in enumerate(groups):
        for name in names:
            corporate = is_corporate(name)
            tag = ("71" if corporate else "70") + ("1" if i == 0 else "2")
            subs = [Subfield("a", name), Subfield("A", pinyin(name) if corporate else name_pinyin(name))]
            if code := RELATOR_CODES.get(role):
                subs.append(Subfield("4", code))
            record.add_field(Field(tag, Indicators("0" if corporate else " ", "2" if corporate else "0"), subs))
    record.add_field(Field("801", Indicators(" ", "0"), [
        Subfield("a", "CN"), Subfield("b", "DEMO"), Subfield("c", today.strftime("%Y%m%d"))]))
    for unit, barcode in holdings:
        record.add_field(Field("905", Indicators(" ", " "), [
            Subfield("a", unit), Subfield("b", barcode), Subfield("d", work.clc),
            Subfield("e", str(book_number)), Subfield("t", work.item_type), Subfield("p", f"CNY{_yuan(price)}"),
        ]))
    return record


def _marc21_record(work: DemoWork, number: int, today: datetime.date, extent: str, size: str,
                   price: int, book_number: int, holdings: list[tuple[str, str]]) -> Record:
    record = Record(force_utf8=True)
    record.leader = Leader(MARC21_LEADER)
    record.add_field(Field(tag="001", data=f"DEMO{number:06d}"))
    record.add_field(Field(tag="005", data=today.strftime("%Y%m%d") + "000000.0"))
    record.add_field(Field(tag="008", data=_marc21_008(today, work)))
    sub020 = [Subfield("a", work.isbn)] if work.isbn else []
    sub020.append(Subfield("c", f"${_yuan(price)}"))
    record.add_field(Field("020", Indicators(" ", " "), sub020))
    record.add_field(Field("084", Indicators(" ", " "), [Subfield("a", work.clc), Subfield("2", "clc")]))
    names = list(work.authors)
    if names:
        record.add_field(Field("100", Indicators("1", " "), [Subfield("a", names[0] + ","), Subfield("e", "author.")]))
    natural = [_natural_name(n) for n in names]
    if len(natural) > 3:
        statement = natural[0] + " ... [et al.]"
    elif len(natural) > 1:
        statement = ", ".join(natural[:-1]) + " and " + natural[-1]
    else:
        statement = natural[0] if natural else ""
    sub245 = [Subfield("a", work.title + (" :" if work.subtitle else (" /" if statement else ".")))]
    if work.subtitle:
        sub245.append(Subfield("b", work.subtitle + (" /" if statement else ".")))
    if statement:
        sub245.append(Subfield("c", statement + "."))
    record.add_field(Field("245", Indicators("1" if names else "0", _nonfiling(work.title)), sub245))
    if work.edition:
        record.add_field(Field("250", Indicators(" ", " "), [Subfield("a", work.edition)]))
    record.add_field(Field("264", Indicators(" ", "1"), [
        Subfield("a", work.place + " :"), Subfield("b", work.publisher + ","), Subfield("c", f"{work.year}.")]))
    record.add_field(Field("300", Indicators(" ", " "), [Subfield("a", extent + " ;"), Subfield("c", size + ".")]))
    if work.series:
        record.add_field(Field("490", Indicators("0", " "), [Subfield("a", work.series)]))
    for heading in work.subjects:
        parts = [p.strip() for p in heading.split(" -- ") if p.strip()]
        subs = [Subfield("a", parts[0])]
        for part in parts[1:]:
            if re.search(r"\d{4}|century", part):
                code = "y"
            elif part in _MARC21_FORMS:
                code = "v"
            elif part in _MARC21_TOPICS or not part[:1].isupper():
                code = "x"
            else:
                code = "z"
            subs.append(Subfield(code, part))
        subs[-1] = Subfield(subs[-1].code, subs[-1].value + ".")
        record.add_field(Field("650", Indicators(" ", "0"), subs))
    for name in names[1:]:
        record.add_field(Field("700", Indicators("1", " "), [Subfield("a", name + ".")]))
    call_number = f"{work.clc}/{book_number}"
    for unit, barcode in holdings:
        record.add_field(Field("952", Indicators(" ", " "), [
            Subfield("a", unit), Subfield("b", unit), Subfield("p", barcode), Subfield("o", call_number),
            Subfield("y", work.item_type), Subfield("g", _yuan(price)),
        ]))
    return record


def build_records(
    works: list[DemoWork],
    unit_codes: list[str],
    *,
    seed: int = 2026,
    today: datetime.date,
    network: dict | None = None,
) -> tuple[list[pymarc.Record], list[pymarc.Record]]:
    """Build (cnmarc_records, marc21_records) with holdings spread over `unit_codes`.

    Copies go only to units of one county system (the 总馆 in `unit_codes` with the most
    units under it), never to a 中心馆 or another system; `network` (default: network.yaml)
    supplies each unit's level and parent. Barcodes are 10 digits: a two-digit prefix per
    system (its 总馆's position in the network) and a running number.
    """
    network = network if network is not None else load_network()
    units = _units(network)
    unknown = [c for c in unit_codes if c not in units]
    if unknown:
        raise ValueError(f"unit codes not in the network: {unknown}")
    system = _choose_system(unit_codes, units)
    eligible = [units[c] for c in unit_codes if units[c].system == system and units[c].level != "center"]
    mains = [u["code"] for u in network["units"] if u["level"] == "main"]
    prefix = f"{mains.index(system) + 1:02d}"

    rng = random.Random(seed)
    distributor = _Distributor(eligible, rng)
    book_numbers: dict[str, int] = defaultdict(int)
    serial = 0
    cnmarc: list[Record] = []
    marc21: list[Record] = []
    for number, work in enumerate(works, start=1):
        work_rng = random.Random(f"{seed}:{number}:{work.title}")
        extent, size, price = _physical(work, work_rng)
        book_numbers[work.clc] += 1
        holdings = []
        for home in distributor.spread(work):
            serial += 1
            holdings.append((home, f"{prefix}{serial:08d}"))
        build = _cnmarc_record if work.flavour == "cnmarc" else _marc21_record
        record = build(work, number, today, extent, size, price, book_numbers[work.clc], holdings)
        (cnmarc if work.flavour == "cnmarc" else marc21).append(record)
    return cnmarc, marc21


# --------------------------------------------------------------------------- ISO 2709

def record_to_iso2709(record: pymarc.Record, encoding: str) -> bytes:
    """Serialise one record; lengths in the leader and directory count bytes in `encoding`."""
    leader = str(record.leader)
    if len(leader) != 24:
        raise ValueError(f"leader must be 24 characters, got {len(leader)}")
    if encoding.lower().replace("-", "") in {"utf8"}:
        leader = leader[:9] + "a" + leader[10:]
    elif leader[9] == "a":
        leader = leader[:9] + " " + leader[10:]
    marked = pymarc.Record()
    marked.leader = Leader(leader)  # set after construction: pymarc's constructor rewrites 20-23
    marked.fields = record.fields
    return serialise_iso2709(marked, encoding)


def write_iso2709(records: Iterable[pymarc.Record], path: Path, encoding: str) -> None:
    """Write records as ISO 2709: "gb18030" for the CNMARC demo file, "utf-8" for MARC21."""
    path = Path(path)
    with path.open("wb") as fh:
        for record in records:
            fh.write(record_to_iso2709(record, encoding))

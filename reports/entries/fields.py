"""The fields of the national public-library annual table (全国公共图书馆统计年报 / 文化和旅游统计
年报, table of 公共图书馆) that the system cannot compute, defined once: entered per unit and
year on the annual-fields form and shown as entered in the annual report.

``kind`` says how a value is written and kept:
- ``int``: a whole number (people, seats, computers, titles);
- ``money``: yuan, kept and sent over the API as integer fen (元 × 100), never as a float;
- ``decimal``: a number with at most ``scale`` decimals (m², TB), kept as an integer count of
  10^-scale units so both databases hold it exactly; the API sends it as a decimal string.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["int", "money", "decimal"]


@dataclass(frozen=True)
class Field:
    code: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    kind: Kind
    group: str  # the block of the table (and of the form) it belongs to
    scale: int = 0  # decimals kept (money: 2, i.e. fen)
    # Part of another field (其中): shown under it, never added to it.
    part_of: str | None = None

    @property
    def places(self) -> int:
        return 2 if self.kind == "money" else self.scale


GROUPS: dict[str, tuple[str, str]] = {
    "staff": ("从业人员", "Staff"),
    "premises": ("房屋与设施", "Premises and equipment"),
    "collection": ("数字资源与报刊", "E-resources and periodicals"),
    "income": ("收入", "Income"),
    "expenditure": ("支出", "Expenditure"),
}


def _f(code: str, zh: str, en: str, unit_zh: str, unit_en: str, kind: Kind, group: str, *, scale: int = 0,
       part_of: str | None = None) -> Field:
    return Field(code, zh, en, unit_zh, unit_en, kind, group, scale, part_of)


FIELDS: dict[str, Field] = {f.code: f for f in (
    # ---- 从业人员: the 在编 (on the establishment) and the contracted (合同/聘用) apart
    _f("staff_established", "在编人员", "Staff on the establishment (在编)", "人", "people", "int", "staff"),
    _f("staff_contract", "合同制（聘用）人员", "Contract staff (合同/聘用)", "人", "people", "int", "staff"),
    _f("staff_professional", "其中：专业技术人员", "of whom: professional and technical staff", "人", "people",
       "int", "staff", part_of="staff_established"),
    _f("staff_senior", "其中：高级职称", "of whom: senior titles", "人", "people", "int", "staff",
       part_of="staff_professional"),
    _f("volunteers", "志愿者", "Volunteers", "人", "people", "int", "staff"),
    # ---- 房屋与设施
    _f("floor_area", "实际使用房屋建筑面积", "Floor area in use", "平方米", "m²", "decimal", "premises", scale=2),
    _f("reading_room_area", "其中：书库和阅览室面积", "of which: stacks and reading rooms", "平方米", "m²",
       "decimal", "premises", scale=2, part_of="floor_area"),
    _f("seats", "阅览室坐席", "Reading seats", "个", "seats", "int", "premises"),
    _f("computers", "计算机", "Computers", "台", "computers", "int", "premises"),
    _f("computers_public", "其中：供读者使用的电子阅览终端", "of which: for the public", "台", "computers", "int",
       "premises", part_of="computers"),
    # ---- 数字资源与报刊
    _f("e_resources_tb", "数字资源总量", "Digital resources", "TB", "TB", "decimal", "collection", scale=3),
    _f("periodicals", "报刊订阅（期刊）", "Periodicals subscribed", "种", "titles", "int", "collection"),
    _f("newspapers", "报刊订阅（报纸）", "Newspapers subscribed", "种", "titles", "int", "collection"),
    # ---- 收入
    _f("income_fiscal", "财政拨款", "Government funding (财政拨款)", "元", "yuan", "money", "income"),
    _f("income_other", "其他收入", "Other income", "元", "yuan", "money", "income"),
    # ---- 支出
    _f("spend_staff", "人员支出", "Staff costs", "元", "yuan", "money", "expenditure"),
    _f("spend_acquisitions", "购书费（文献购置费）", "Acquisitions (文献购置费)", "元", "yuan", "money",
       "expenditure"),
    _f("spend_e_resources", "其中：数字资源购置费", "of which: digital resources", "元", "yuan", "money",
       "expenditure", part_of="spend_acquisitions"),
    _f("spend_other", "其他支出", "Other expenditure", "元", "yuan", "money", "expenditure"),
)}


def to_stored(field: Field, value: int | Decimal) -> int:
    """The integer kept for a value as the API sends it (money already in fen)."""
    if field.kind in ("int", "money"):
        return int(value)
    return int(Decimal(value).scaleb(field.scale))


def from_stored(field: Field, stored: int) -> int | Decimal:
    """The value as the API sends it: an integer (fen for money), or a Decimal with ``scale`` places."""
    if field.kind in ("int", "money"):
        return stored
    return Decimal(stored).scaleb(-field.scale)


__all__ = ["FIELDS", "GROUPS", "Field", "Kind", "from_stored", "to_stored"]

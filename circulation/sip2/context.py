"""What every SIP2 message handler shares: the call (message, machine, time, transaction), the
reader's standing as the patron status flags express it, and the Chinese lines a reader reads on
the machine's screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from circulation import repository as repo
from circulation.blocks import Block
from circulation.models import Loan, Patron
from circulation.network import Context
from circulation.patrons import get_patron
from circulation.policy import Rule
from circulation.sip2.accounts import Machine
from circulation.sip2.codec import Message, sip_datetime
from circulation.standing import accruing_fen, patron_blocks
from ils.auth.principal import Principal
from ils.auth.service import login_patron
from ils.errors import DomainError, NotFound, Unauthenticated

LANGUAGE = "019"  # SIP2's code for Chinese: every screen message this server writes is Chinese
CURRENCY = "CNY"
# The item type a reader's standing is judged by when no copy is in hand (patron status).
STANDING_ITEM_TYPE = "book"

SCREEN: dict[str, str] = {
    "PATRON_NOT_FOUND": "读者证号无效，请到服务台咨询",
    "ITEM_NOT_FOUND": "条码号无效，请将图书交到服务台",
    "RECORD_NOT_FOUND": "书目不存在，请到服务台咨询",
    "UNIT_NOT_FOUND": "取书地点不存在，请重新选择",
    "ITEM_WITHDRAWN": "此册已剔除，请将图书交到服务台",
    "ITEM_DAMAGED": "此册已登记为破损，请将图书交到服务台",
    "LOAN_NOT_FOUND": "此册未借出",
    "HOLD_NOT_FOUND": "没有该书的预约",
    "HOLD_NOT_ACTIVE": "该预约已完成、取消或过期",
    "HOLD_ALREADY_TRAPPED": "预约的图书已在途中或已上预约架",
    "PAYMENT_TOO_LARGE": "缴费金额超过欠款金额",
    "NOT_OWN_ACCOUNT": "只能办理本人的业务",
    "PERMISSION_DENIED": "自助机无权办理此业务，请到服务台",
    "UNIT_OUT_OF_SCOPE": "自助机无权办理此业务，请到服务台",
    "AUTH_LOCKED": "密码错误次数过多，请稍后再试或到服务台办理",
    "AUTH_RATE_LIMITED": "密码错误次数过多，请稍后再试或到服务台办理",
    "AUTH_BUSY": "系统繁忙，请稍后再试",
}
FALLBACK = "暂时无法办理，请到服务台咨询"
SYSTEM_FAULT = "系统故障，请到服务台办理"
NOT_LOGGED_IN = "自助机未登录"
ACCOUNT_DISABLED = "自助机账号已停用，请联系管理员"
BAD_PASSWORD = "读者密码错误"
MISSING_PATRON = "请出示读者证"
MISSING_ITEM = "请放置图书或扫描条码"


def screen_message(error: DomainError) -> str:
    """One line for the reader: every block of a refusal, else the code's own line."""
    details = [str(b.get("detail", "")) for b in error.blocks if b.get("detail")]
    if details:
        return "；".join(details)
    return SCREEN.get(error.code, FALLBACK)


def mask_name(name: str) -> str:
    """张三丰 → 张**: the screen of a machine in a public hall is read by whoever stands behind."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_card(card: str) -> str:
    return "…" + card[-4:] if len(card) > 4 else card


def shown_name(patron: Patron | None, password: bool | None) -> str:
    """The reader's name as a machine may show or print it: in full only when the machine sent
    the reader's password and it was right. A card number alone proves nothing (it is printed
    on the card, and an ID card number can be guessed), so it must not turn into a name."""
    if patron is None:
        return ""
    return patron.name if password is True else mask_name(patron.name)


@dataclass
class Call:
    """One message being answered."""

    message: Message
    machine: Machine | None
    now: datetime
    tz: ZoneInfo
    session: Session | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Session:
        assert self.session is not None, "this handler runs inside a transaction"
        return self.session

    @property
    def principal(self) -> Principal:
        assert self.machine is not None
        return self.machine.principal

    @property
    def unit_code(self) -> str:
        assert self.machine is not None
        return self.machine.unit_code

    @property
    def institution(self) -> str:
        return self.machine.institution_id if self.machine is not None else self.message.get("AO")

    @property
    def stamp(self) -> str:
        return sip_datetime(self.now, self.tz)

    @property
    def card(self) -> str:
        return self.message.get("AA").strip()

    @property
    def barcode(self) -> str:
        return self.message.get("AB").strip()

    def context(self) -> Context:
        if "context" not in self.extra:
            self.extra["context"] = Context.load(self.db, self.now)
        context: Context = self.extra["context"]
        return context


def find_patron(call: Call) -> Patron | None:
    try:
        return get_patron(call.db, call.card) if call.card else None
    except NotFound:
        return None


def password_ok(call: Call, patron: Patron | None) -> bool | None:
    """The reader's password (AD) against their OPAC account; None when the machine sent none
    (machines that identify readers by card alone send AD empty or not at all)."""
    password = call.message.get("AD")
    if not password:
        return None
    if patron is None:
        return False
    # Counted like any login, against the card and the machine (a lock or a busy server raises,
    # and the message is refused with the desk's line).
    try:
        login_patron(call.db, patron.card_number, password, machine=call.machine.login if call.machine else None)
    except Unauthenticated:
        return False
    return True


@dataclass
class Standing:
    """A reader's standing at the machine's unit: what the patron status flags are made of."""

    patron: Patron
    rule: Rule
    loans: Sequence[Loan]
    blocks: list[Block]
    owed_fen: int

    @property
    def codes(self) -> set[str]:
        return {b.code for b in self.blocks}

    @property
    def screen(self) -> str:
        return "；".join(b.detail for b in self.blocks)


def standing(call: Call, patron: Patron) -> Standing:
    ctx = call.context()
    rule = ctx.rule(patron.category_code, STANDING_ITEM_TYPE, ctx.unit_by_code(call.unit_code))
    loans = repo.open_loans(call.db, patron.id)
    blocks = patron_blocks(call.db, patron, rule, loans, ctx.rules_by_id, ctx.today)
    if rule.max_items and len(loans) >= rule.max_items:
        blocks.append(Block("PATRON_LOAN_LIMIT", f"已借 {len(loans)} 册，达到上限 {rule.max_items} 册"))
    owed = repo.owed_fen(call.db, patron.id) + accruing_fen(loans, ctx.rules_by_id, ctx.today)
    return Standing(patron, rule, loans, blocks, owed)


# Positions of the 14-character patron status (Y = denied / true, blank = no).
_STATUS_FLAGS: tuple[frozenset[str] | None, ...] = (
    None,  # 0 charge privileges denied: any block
    frozenset({"PATRON_INACTIVE", "PATRON_EXPIRED", "PATRON_BLOCKED", "PATRON_FINES_OVER_LIMIT",
               "PATRON_HAS_OVERDUE"}),  # 1 renewal privileges denied
    frozenset(),  # 2 recall privileges denied: no recalls in this system
    frozenset({"PATRON_INACTIVE", "PATRON_EXPIRED", "PATRON_BLOCKED", "PATRON_FINES_OVER_LIMIT",
               "PATRON_HAS_OVERDUE"}),  # 3 hold privileges denied
    frozenset(),  # 4 card reported lost: a lost card is a manual block, counted above
    frozenset({"PATRON_LOAN_LIMIT"}),  # 5 too many items charged
    frozenset({"PATRON_HAS_OVERDUE"}),  # 6 too many items overdue
    frozenset(),  # 7 too many renewals
    frozenset(),  # 8 too many claims of items returned
    frozenset(),  # 9 too many items lost
    frozenset({"PATRON_FINES_OVER_LIMIT"}),  # 10 excessive outstanding fines
    frozenset({"PATRON_FINES_OVER_LIMIT"}),  # 11 excessive outstanding fees
    frozenset(),  # 12 recall overdue
    frozenset(),  # 13 too many items billed
)
UNKNOWN_PATRON_STATUS = "YYYY" + " " * 10


def patron_status(found: Standing | None) -> str:
    if found is None:
        return UNKNOWN_PATRON_STATUS
    codes = found.codes
    return "".join(
        ("Y" if codes else " ") if flags is None else ("Y" if codes & flags else " ") for flags in _STATUS_FLAGS
    )

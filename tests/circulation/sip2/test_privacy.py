"""What a machine's answers tell about a reader: the name in full only to the reader who gave
their password, masked (张**) to anyone who only knows a card number; never their phone, email,
address or ID card number.

Each answer is checked as the bytes the server sent, so a name or number in any field (AE, DA,
the screen line AF, a field added later) is caught, not only the field the test looks at.
"""

from __future__ import annotations

import pytest

from circulation.sip2.client import Sip2Client
from circulation.sip2.codec import Message, parse
from tests.circulation.sip2.conftest import READER_PASSWORD, SelfCheck

NAME, MASKED = "张三丰", "张**"
ID_CARD = "530113199003070015"
PERSONAL = {"phone": "13812345678", "email": "zhang@example.cn", "address": "东川区铜都街道幸福路 8 号",
            "id_card_number": ID_CARD}


def _seed(selfcheck: SelfCheck) -> None:
    selfcheck.lib.reader("DC00000001", name=NAME, password=READER_PASSWORD, **PERSONAL)
    selfcheck.account("sc-td-1")


def _ask(machine: Sip2Client, code: str, fixed: list[str], fields: list[tuple[str, str]]) -> tuple[str, Message]:
    raw = machine.exchange_raw(machine.frame(code, fixed, fields))
    return raw.decode(machine.encoding), parse(raw, machine.encoding)


def _nothing_personal(text: str) -> None:
    for value in PERSONAL.values():
        assert value not in text and value[-8:] not in text


def _patron_status(machine: Sip2Client, card: str, password: str | None) -> tuple[str, Message]:
    fields = [("AO", ""), ("AA", card), ("AC", "")] + ([("AD", password)] if password is not None else [])
    return _ask(machine, "23", ["019", machine.now()], fields)


def _patron_information(machine: Sip2Client, card: str, password: str | None) -> tuple[str, Message]:
    fields = [("AO", ""), ("AA", card), ("AC", "")] + ([("AD", password)] if password is not None else [])
    return _ask(machine, "63", ["019", machine.now(), "Y" * 6 + " " * 4], fields)


def _patron_enable(machine: Sip2Client, card: str, password: str | None) -> tuple[str, Message]:
    fields = [("AO", ""), ("AA", card), ("AC", "")] + ([("AD", password)] if password is not None else [])
    return _ask(machine, "25", [machine.now()], fields)


ASKS = {"24": _patron_status, "64": _patron_information, "26": _patron_enable}
SHOWN = [  # (what the machine sends as the reader's password AD, the name it may show)
    (None, MASKED),  # a card-only machine: AD not sent
    ("", MASKED),  # AD sent empty
    ("wrong-password", MASKED),
    (READER_PASSWORD, NAME),
]


@pytest.mark.parametrize("answer", sorted(ASKS))
def test_patron_answers_give_the_full_name_only_with_the_readers_right_password(selfcheck: SelfCheck, answer):
    _seed(selfcheck)
    with selfcheck.logged_in("sc-td-1") as machine:
        for password, shown in SHOWN:
            text, message = ASKS[answer](machine, "DC00000001", password)
            assert message.code == answer and message.get("BL") == "Y"
            assert message.get("AE") == shown, password
            if shown == MASKED:
                assert NAME not in text and NAME[1:] not in text, password
            else:
                assert message.get("AF") == f"您好，{NAME}"
            _nothing_personal(text)


def test_a_reader_found_by_id_card_number_is_not_named_to_whoever_typed_it(selfcheck: SelfCheck):
    _seed(selfcheck)
    with selfcheck.logged_in("sc-td-1", encoding="utf-8") as machine:
        for ask in ASKS.values():
            text, message = ask(machine, ID_CARD, None)
            assert message.get("BL") == "Y" and message.get("AE") == MASKED and NAME not in text


def test_block_patron_answers_with_the_masked_name(selfcheck: SelfCheck):
    _seed(selfcheck)
    with selfcheck.logged_in("sc-td-1") as machine:
        text, message = _ask(machine, "01", ["N", machine.now()], [("AO", ""), ("AL", "读者证挂失"),
                                                                  ("AA", "DC00000001"), ("AC", "")])
        assert message.code == "24" and message.fixed["patron_status"][0] == "Y"
        assert message.get("AE") == MASKED and NAME not in text
        _nothing_personal(text)


def test_a_checkin_that_traps_a_hold_masks_the_waiting_readers_name_and_card(selfcheck: SelfCheck):
    """The hold slip (CY, DA) and the screen of a returns machine are read by whoever returned
    the copy, not by the reader it waits for."""
    lib = selfcheck.lib
    _seed(selfcheck)
    lib.title("围城", {"B1": "DC-TD"})
    lib.reader("DC00000002", name="李四")
    with selfcheck.logged_in("sc-td-1") as machine:
        assert machine.checkout("DC00000002", "B1").fixed["ok"] == "1"
        assert machine.hold("+", "DC00000001", "B1", pickup="DC-TD").fixed["ok"] == "1"
        text, message = _ask(machine, "09", ["N", machine.now(), machine.now()],
                             [("AP", ""), ("AO", ""), ("AB", "B1"), ("AC", "")])
        assert message.code == "10" and message.fixed["ok"] == "1" and message.get("CV") == "01"
        assert message.get("DA") == MASKED and message.get("CY") == "…0001"
        assert message.get("AF") == f"预约架：{MASKED}（…0001）"
        assert NAME not in text and "DC00000001" not in text
        _nothing_personal(text)


def test_answers_about_copies_and_payments_name_no_reader(selfcheck: SelfCheck):
    """Check-out, renew, renew all, item information, hold, fee paid and end session carry the
    card the machine sent and nothing else about the reader."""
    lib = selfcheck.lib
    _seed(selfcheck)
    lib.title("围城", {"B1": "DC-TD", "B2": "DC-TD"})
    with selfcheck.logged_in("sc-td-1") as machine:
        now, blank = machine.now(), " " * 18
        asked = [
            _ask(machine, "11", ["N", "N", now, blank], [("AO", ""), ("AA", "DC00000001"), ("AB", "B1"),
                                                         ("AD", READER_PASSWORD)]),
            _ask(machine, "29", ["N", "N", now, blank], [("AO", ""), ("AA", "DC00000001"), ("AB", "B1"),
                                                         ("AD", READER_PASSWORD)]),
            _ask(machine, "65", [now], [("AO", ""), ("AA", "DC00000001"), ("AD", READER_PASSWORD)]),
            _ask(machine, "17", [now], [("AO", ""), ("AB", "B1")]),
            _ask(machine, "15", ["+", now], [("AO", ""), ("AA", "DC00000001"), ("AB", "B2"),
                                             ("AD", READER_PASSWORD)]),
            _ask(machine, "37", [now, "01", "00", "CNY"], [("BV", "1.00"), ("AO", ""), ("AA", "DC00000001"),
                                                           ("AD", READER_PASSWORD)]),
            _ask(machine, "35", [now], [("AO", ""), ("AA", "DC00000001"), ("AD", READER_PASSWORD)]),
        ]
        assert [message.code for _, message in asked] == ["12", "30", "66", "18", "16", "38", "36"]
        for text, message in asked:
            assert NAME not in text and MASKED not in text and not message.has("AE"), message.code
            _nothing_personal(text)

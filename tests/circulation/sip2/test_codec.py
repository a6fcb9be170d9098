"""The SIP2 codec against messages real implementations send and check, and its own answers."""

from __future__ import annotations

import csv
from functools import cache

import pytest

from circulation.sip2.codec import (
    FORMAT_ERRORS,
    Framer,
    Response,
    Sip2FormatError,
    checksum,
    encode,
    money,
    parse,
    parse_money,
)
from tests.support.shared_data import shared_path


@cache
def _rows() -> list[dict[str, str]]:
    with shared_path("sip2", "sip2_messages.tsv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))


def _ids(kind: str) -> list[str]:
    try:
        return [row["id"] for row in _rows() if row["checksum_check"].split(" ")[0] == kind]
    except pytest.skip.Exception:  # collected without the shared data: one skipped case says why
        return ["missing"]


def _row(row_id: str) -> dict[str, str]:
    return next(row for row in _rows() if row["id"] == row_id)


@pytest.mark.shared_data
@pytest.mark.parametrize("row_id", _ids("valid"))
def test_a_message_whose_checksum_verifies_is_accepted_with_its_sequence_and_fields(row_id):
    row = _row(row_id)
    message = parse(row["message"].encode("utf-8"))
    assert message.code == row["code"]
    assert message.checksum == row["checksum"]
    assert message.sequence == (None if row["seq"] == "-" else row["seq"])
    assert all(len(key) == 2 for key, _ in message.fields)


@pytest.mark.shared_data
@pytest.mark.parametrize("row_id", _ids("INVALID"))
def test_a_message_whose_checksum_does_not_verify_is_refused(row_id):
    row = _row(row_id)
    with pytest.raises(Sip2FormatError) as refused:
        parse(row["message"].encode("utf-8"))
    assert refused.value.code == "SIP2_CHECKSUM_INVALID"


@pytest.mark.shared_data
@pytest.mark.parametrize("row_id", _ids("-"))
def test_a_message_without_checksum_is_parsed_or_refused_with_a_stable_code(row_id):
    """Many of these are deliberately malformed (a Go server's fuzzing inputs): each is either a
    message of its code or a refusal the server answers with 96 — never anything else."""
    row = _row(row_id)
    try:
        message = parse(row["message"].encode("utf-8"))
    except Sip2FormatError as refused:
        assert refused.code in FORMAT_ERRORS
    else:
        assert message.code == row["code"] and message.checksum is None


@pytest.mark.shared_data
def test_the_well_formed_requests_of_the_reference_implementations_all_parse():
    """SIPServer's session script and the requests jsip2 must produce: nothing there is refused."""
    reference = [row for row in _rows() if row["direction"].startswith("SC->ACS")
                 and row["repo"] in ("evergreen-library-system/SIPServer", "petkivim/jsip2")
                 and not row["checksum_check"].startswith("INVALID")]
    assert len(reference) >= 70
    for row in reference:
        assert parse(row["message"].encode("utf-8")).code == row["code"], row["id"]


def test_fields_of_a_checkout_are_read_by_id_in_order():
    message = parse(b"11YN20060329    203000                  AOUWOLS|AAdjfiander|AB1565921879|AC|")
    assert message.fixed == {"sc_renewal_policy": "Y", "no_block": "N", "transaction_date": "20060329    203000",
                             "nb_due_date": " " * 18}
    assert (message.get("AA"), message.get("AB"), message.get("AC"), message.has("AD")) == (
        "djfiander", "1565921879", "", False)


def test_checksum_is_over_the_encoded_bytes():
    assert checksum(b"97AZ") == "FEF5"
    assert parse(b"990 402.00AY1AZFCB4").sequence == "1"
    with pytest.raises(Sip2FormatError) as bad:
        parse(b"990 402.00AY1AZFCB5")
    assert bad.value.code == "SIP2_CHECKSUM_INVALID"


@pytest.mark.parametrize("frame", [
    b"9900302.00AY1AZZZZZ",  # the example: four letters, no hex
    b"2300120260101    120000AOx|AADC00000001|AZZZZZ",  # no sequence number
    b"2300120260101    120000AOx|AADC00000001|AY1AZ12",  # too short
    b"2300120260101    120000AOx|AADC00000001|AY1AZFCB45",  # too long
    b"2300120260101    120000AOx|AADC00000001|AY0AZ",  # empty
    b"941AY0AZ|",  # empty, then a bar (fsip2's answers with error detection off)
    b"2300120260101    120000AOx|AADC00000001AZZZZZ",  # no bar before it
    b"9900302.00AZFCB4|AOx|",  # not last: nothing would check it
    b"2300120260101    120000AZ1234",  # right after the fixed fields, wrong
])
def test_a_checksum_that_is_not_four_hex_digits_is_refused_as_a_bad_checksum(frame):
    with pytest.raises(Sip2FormatError) as bad:
        parse(frame)
    assert bad.value.code == "SIP2_CHECKSUM_INVALID"


def test_az_inside_a_value_is_not_taken_for_a_checksum_and_lower_case_hex_is_hex():
    message = parse("6300120260101    120000          AOx|AAAZ0001|ADPIZAZZ|AFAZ 阿兹特克|".encode())
    assert (message.get("AA"), message.get("AD"), message.checksum) == ("AZ0001", "PIZAZZ", None)
    assert parse(b"990 402.00AY1AZfcb4").checksum == "FCB4"


def test_a_sequence_number_that_is_not_one_digit_is_refused():
    frame = b"9900302.00|AYWRONG"
    with pytest.raises(Sip2FormatError) as bad:
        parse(frame)
    assert bad.value.code == "SIP2_SEQUENCE_INVALID"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chinese_titles_and_names_round_trip_in_both_encodings_with_checksums(encoding):
    response = Response("18", ["03", "00", "01", "20261123    170000"])
    response.add("AB", "B0001").add("AJ", "红楼梦｜脂砚斋重评石头记·𠀀").add("AF", "在架：铜都街道分馆")
    data = encode(response, encoding, sequence="7", error_detection=True)
    assert data.endswith(b"\r") and "红楼梦".encode(encoding) in data
    message = parse(data[:-1], encoding)
    assert message.get("AJ") == "红楼梦｜脂砚斋重评石头记·𠀀" and message.get("AF") == "在架：铜都街道分馆"
    assert (message.sequence, message.checksum) == ("7", data[-5:-1].decode())


def test_a_bar_or_line_break_inside_a_value_cannot_split_the_message():
    data = encode(Response("94", ["1"]).add("AF", "a|b\rc"), "utf-8")
    assert data.count(b"\r") == 1 and parse(data[:-1]).get("AF") == "a｜b c"


def test_bytes_that_are_not_text_in_the_accounts_encoding_are_refused():
    with pytest.raises(Sip2FormatError) as bad:
        parse("2300020260101    120000AA张三|".encode("gb18030"), "utf-8")
    assert bad.value.code == "SIP2_ENCODING_INVALID"
    # Before the account is known, a login is read whatever its bytes.
    assert parse(b"9300CN\xff\xfe|COx|").get("CO") == "x"


def test_the_framer_splits_at_cr_accepts_crlf_and_drops_an_overlong_frame_once():
    framer = Framer(limit=20)
    assert framer.feed(b"9300CNa|COb|\r\n99003") == [b"9300CNa|COb|"]
    assert framer.feed(b"02.00\r") == [b"9900302.00"]
    assert framer.feed(b"X" * 50) == [None]
    assert framer.feed(b"X" * 50) == []
    assert framer.feed(b"XX\r97\r") == [b"97"]


def test_money_is_yuan_with_two_decimals():
    assert (money(0), money(5), money(3000), money(-120)) == ("0.00", "0.05", "30.00", "-1.20")
    assert (parse_money("2.5"), parse_money("30.00"), parse_money("3"), parse_money("2.505"), parse_money("x")) == (
        250, 3000, 300, None, None)

"""SIP2 (3M Standard Interchange Protocol 2.00) messages as bytes and back.

A message is a two-digit code, fixed-length fields in a set order, then variable fields (a
two-letter id, the value, ``|``), optionally ended by ``AY`` (a sequence digit) and ``AZ`` (a
checksum of four hex digits). The checksum is taken over the *encoded bytes* from the first
character up to and including ``AZ``: their sum, low 16 bits, two's complement, upper-case hex.

Self-check machines in China talk UTF-8 or GB18030 (GBK); the account says which. The login
message arrives before the account is known, so it is decoded permissively.

The parser is lenient where real machines differ (a ``|`` right after the fixed fields, a
missing final ``|``, unknown field ids, ``AY``/``AZ`` with or without a ``|`` before them) and
strict where a wrong guess would act on the wrong copy or card (a bad checksum, fixed fields
cut short, a chunk that is not a field, bytes that are not text in the account's encoding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

ENCODINGS = ("utf-8", "gb18030")
MAX_MESSAGE_BYTES = 8192  # real requests are a few hundred bytes; anything longer is garbage
DATE_LENGTH = 18

# Field ids are two upper-case letters in the spec; vendors' extensions use digits too.
_FIELD_ID = re.compile(r"[A-Z0-9]{2}")
# SC Status as some machines send it: the print width in two characters instead of three
# ("990401.00"). The protocol version ("2.00") anchors the parse from its other end.
_SC_STATUS = re.compile(r"(.)(.{1,3})(\d\.\d\d)")
_CHECKSUM = re.compile(rb"AZ([0-9A-Fa-f]{4})$")
# An AZ field where the spec puts the checksum, whatever follows the id: last, after a "|" or
# the sequence number, or in the last six bytes as a four-character value ("…AOx|AZZZZZ",
# "…AY1AZ12", "…AY0AZ|"). A machine that sends one means it as a checksum; one that is not four
# hex digits cannot be checked and is refused like a wrong one, never read as a data field.
_CHECKSUM_FIELD = re.compile(rb"(?:\||AY\d)AZ[^|]*\|?$")
# AY is the last field before AZ, with or without a "|" before it ("990 402.00AY1AZFCB4").
_SEQUENCE = re.compile(rb"AY(\d)\|?$")
_BAD_SEQUENCE = re.compile(rb"(?:^|\|)AY([^|]*)\|?$")


class Sip2FormatError(Exception):
    """A frame that is not a SIP2 message this server can act on; ``code`` is stable."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


FORMAT_ERRORS: dict[str, str] = {
    "SIP2_EMPTY": "The frame holds no message.",
    "SIP2_TOO_LONG": f"The frame is longer than {MAX_MESSAGE_BYTES} bytes.",
    "SIP2_CHECKSUM_INVALID": "The AZ checksum is not four hex digits or does not match the bytes sent.",
    "SIP2_SEQUENCE_INVALID": "The AY sequence number is not one digit.",
    "SIP2_ENCODING_INVALID": "The bytes are not text in the account's encoding.",
    "SIP2_CODE_UNKNOWN": "The first two characters are not a known message code.",
    "SIP2_FIXED_FIELDS_SHORT": "The message ends before its fixed-length fields do.",
    "SIP2_FIELD_INVALID": "A variable-length part does not start with a two-letter field id.",
}


@dataclass(frozen=True)
class Spec:
    """A message type: its name and its fixed-length fields (name, width) in order."""

    code: str
    name: str
    fixed: tuple[tuple[str, int], ...] = ()


def _date(name: str = "transaction_date") -> tuple[str, int]:
    return (name, DATE_LENGTH)


_SPECS = (
    # Requests, self-check (SC) to library system (ACS).
    Spec("01", "block_patron", (("card_retained", 1), _date())),
    Spec("09", "checkin", (("no_block", 1), _date(), _date("return_date"))),
    Spec("11", "checkout", (("sc_renewal_policy", 1), ("no_block", 1), _date(), _date("nb_due_date"))),
    Spec("15", "hold", (("hold_mode", 1), _date())),
    Spec("17", "item_information", (_date(),)),
    Spec("19", "item_status_update", (_date(),)),
    Spec("23", "patron_status", (("language", 3), _date())),
    Spec("25", "patron_enable", (_date(),)),
    Spec("29", "renew", (("third_party_allowed", 1), ("no_block", 1), _date(), _date("nb_due_date"))),
    Spec("35", "end_patron_session", (_date(),)),
    Spec("37", "fee_paid", (_date(), ("fee_type", 2), ("payment_type", 2), ("currency_type", 3))),
    Spec("63", "patron_information", (("language", 3), _date(), ("summary", 10))),
    Spec("65", "renew_all", (_date(),)),
    Spec("93", "login", (("uid_algorithm", 1), ("pwd_algorithm", 1))),
    Spec("97", "request_acs_resend"),
    Spec("99", "sc_status", (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4))),
    # Responses, ACS to SC.
    Spec("10", "checkin_response", (("ok", 1), ("resensitize", 1), ("magnetic_media", 1), ("alert", 1), _date())),
    Spec("12", "checkout_response", (("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1),
                                     _date())),
    Spec("16", "hold_response", (("ok", 1), ("available", 1), _date())),
    Spec("18", "item_information_response", (("circulation_status", 2), ("security_marker", 2), ("fee_type", 2),
                                             _date())),
    Spec("20", "item_status_update_response", (("item_properties_ok", 1), _date())),
    Spec("24", "patron_status_response", (("patron_status", 14), ("language", 3), _date())),
    Spec("26", "patron_enable_response", (("patron_status", 14), ("language", 3), _date())),
    Spec("30", "renew_response", (("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1),
                                  _date())),
    Spec("36", "end_session_response", (("end_session", 1), _date())),
    Spec("38", "fee_paid_response", (("payment_accepted", 1), _date())),
    Spec("64", "patron_information_response", (
        ("patron_status", 14), ("language", 3), _date(), ("hold_items_count", 4), ("overdue_items_count", 4),
        ("charged_items_count", 4), ("fine_items_count", 4), ("recall_items_count", 4),
        ("unavailable_holds_count", 4))),
    Spec("66", "renew_all_response", (("ok", 1), ("renewed_count", 4), ("unrenewed_count", 4), _date())),
    Spec("94", "login_response", (("ok", 1),)),
    Spec("96", "request_sc_resend"),
    Spec("98", "acs_status", (
        ("online_status", 1), ("checkin_ok", 1), ("checkout_ok", 1), ("acs_renewal_policy", 1),
        ("status_update_ok", 1), ("offline_ok", 1), ("timeout_period", 3), ("retries_allowed", 3),
        _date("date_time_sync"), ("protocol_version", 4))),
)
SPECS: dict[str, Spec] = {s.code: s for s in _SPECS}


@dataclass(frozen=True)
class Message:
    """A parsed message. Variable fields keep their order and repeats (AF, AS … may repeat)."""

    code: str
    fixed: dict[str, str]
    fields: tuple[tuple[str, str], ...]
    sequence: str | None = None
    checksum: str | None = None

    @property
    def name(self) -> str:
        return SPECS[self.code].name

    def get(self, field_id: str, default: str = "") -> str:
        for key, value in self.fields:
            if key == field_id:
                return value
        return default

    def has(self, field_id: str) -> bool:
        return any(key == field_id for key, _ in self.fields)

    def all(self, field_id: str) -> list[str]:
        return [value for key, value in self.fields if key == field_id]


@dataclass
class Response:
    """A message to send: fixed field values in the spec's order, then variable fields."""

    code: str
    fixed: list[str]
    fields: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_id: str, value: str | int | None) -> Response:
        """Append a field; ``None`` leaves it out (an optional field with nothing to say)."""
        if value is not None:
            self.fields.append((field_id, str(value)))
        return self


# ---- checksum and trailer -------------------------------------------------------------------


def checksum(data: bytes) -> str:
    """The AZ value for ``data`` (everything up to and including the ``AZ`` id)."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


@dataclass(frozen=True)
class Trailer:
    body: bytes  # the message without AY/AZ
    sequence: str | None
    checksum: str | None


def carries_checksum(frame: bytes) -> bool:
    """Whether the machine sent an AZ field (good or bad): it is answered with one."""
    return (len(frame) >= 6 and frame[-6:-4] == b"AZ") or _CHECKSUM_FIELD.search(frame) is not None


def split_trailer(frame: bytes) -> Trailer:
    """Strip and check ``AY<digit>AZ<hex4>``: the checksum must be four hex digits matching the
    bytes it covers, and the sequence number one digit (with or without a checksum after it)."""
    body, sent = frame, None
    good = _CHECKSUM.search(frame)
    if good is not None:
        sent = good.group(1).decode("ascii").upper()
        expected = checksum(frame[:-4])
        if sent != expected:
            raise Sip2FormatError("SIP2_CHECKSUM_INVALID", f"checksum {sent} sent, {expected} computed")
        body = frame[:-6]
    elif carries_checksum(frame):
        value = frame[frame.rfind(b"AZ") + 2:][:10]
        raise Sip2FormatError("SIP2_CHECKSUM_INVALID", f"checksum {value!r} is not four hex digits")
    sequence = _SEQUENCE.search(body)
    if sequence is not None:
        return Trailer(body[:sequence.start()], sequence.group(1).decode("ascii"), sent)
    bad = _BAD_SEQUENCE.search(body)
    if bad is not None:
        raise Sip2FormatError("SIP2_SEQUENCE_INVALID", f"sequence number {bad.group(1)[:10]!r} is not one digit")
    return Trailer(body, None, sent)


# ---- text -----------------------------------------------------------------------------------


def decode_text(data: bytes, encoding: str | None) -> str:
    """Bytes to text in the account's encoding; ``None`` (before login) tries UTF-8, then
    GB18030, then Latin-1, which accepts any byte, so a login is always readable."""
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise Sip2FormatError("SIP2_ENCODING_INVALID", f"not {encoding}: {exc.reason} at byte {exc.start}") \
                from None
    for candidate in ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _fields(text: str) -> Iterator[tuple[str, str]]:
    for chunk in text.split("|"):
        if chunk == "":
            continue  # "||", a "|" right after the fixed fields, or the final "|"
        if len(chunk) < 2 or not _FIELD_ID.fullmatch(chunk[:2]):
            raise Sip2FormatError("SIP2_FIELD_INVALID", f"{chunk[:20]!r} is not a field")
        if chunk[:2] == "AZ":  # right after the fixed fields, or not last: a checksum nothing checked
            raise Sip2FormatError("SIP2_CHECKSUM_INVALID", f"AZ{chunk[2:12]!r} is not a checksum ending the message")
        yield chunk[:2], chunk[2:]


def parse(frame: bytes, encoding: str | None = None) -> Message:
    """One frame (without its terminator) to a message, or ``Sip2FormatError``."""
    if not frame.strip():
        raise Sip2FormatError("SIP2_EMPTY", "empty frame")
    if len(frame) > MAX_MESSAGE_BYTES:
        raise Sip2FormatError("SIP2_TOO_LONG", f"{len(frame)} bytes")
    trailer = split_trailer(frame)
    text = decode_text(trailer.body, encoding)
    spec = SPECS.get(text[:2])
    if spec is None:
        raise Sip2FormatError("SIP2_CODE_UNKNOWN", f"unknown message code {text[:2]!r}")
    position, fixed = 2, {}
    if spec.code == "99":
        status = _SC_STATUS.match(text, 2)
        if status is not None:
            fixed = {"status_code": status[1], "max_print_width": status[2].rjust(3, "0"),
                     "protocol_version": status[3]}
            return Message(spec.code, fixed, tuple(_fields(text[status.end():])), trailer.sequence, trailer.checksum)
    for name, width in spec.fixed:
        value = text[position:position + width]
        if len(value) < width or "|" in value:
            raise Sip2FormatError("SIP2_FIXED_FIELDS_SHORT", f"{spec.name}: {name} needs {width} characters")
        fixed[name] = value
        position += width
    return Message(spec.code, fixed, tuple(_fields(text[position:])), trailer.sequence, trailer.checksum)


def _clean(value: str) -> str:
    # A "|" inside a title would end the field early and a CR would end the message; readers
    # see the full-width bar, which reads the same.
    return value.replace("|", "｜").replace("\r", " ").replace("\n", " ")


def encode(response: Response, encoding: str, *, sequence: str | None = None, error_detection: bool = False) -> bytes:
    """The response as bytes with its terminating CR; with error detection, AY (when a sequence
    number is given) and the AZ checksum over the encoded bytes."""
    spec = SPECS[response.code]
    widths = [width for _, width in spec.fixed]
    if len(response.fixed) != len(widths) or any(len(v) != w for v, w in zip(response.fixed, widths)):
        raise ValueError(f"{spec.name}: fixed fields {response.fixed!r} do not fit {spec.fixed!r}")
    text = response.code + "".join(response.fixed) + "".join(f"{k}{_clean(v)}|" for k, v in response.fields)
    data = text.encode(encoding, errors="replace")
    if error_detection:
        if sequence is not None:
            data += f"AY{sequence}".encode("ascii")
        data += b"AZ"
        data += checksum(data).encode("ascii")
    return data + b"\r"


# ---- framing --------------------------------------------------------------------------------


class Framer:
    """Cuts a byte stream into frames at CR (a following LF, or a lone LF, is taken as part of
    the terminator). A frame growing past ``MAX_MESSAGE_BYTES`` is dropped up to its terminator
    and reported once as ``None``, so a machine sending garbage gets one refusal, not thousands,
    and the memory held per connection stays bounded."""

    def __init__(self, limit: int = MAX_MESSAGE_BYTES):
        self.limit = limit
        self._buffer = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | None]:
        frames: list[bytes | None] = []
        self._buffer += data
        while True:
            cut = min((i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i != -1), default=-1)
            if cut == -1:
                break
            frame = bytes(self._buffer[:cut])
            del self._buffer[:cut + 1]
            if self._discarding:
                self._discarding = False
                continue
            if frame:
                frames.append(frame if len(frame) <= self.limit else None)
        if len(self._buffer) > self.limit:
            if not self._discarding:
                frames.append(None)
            self._discarding = True
            self._buffer.clear()
        return frames


# ---- values ---------------------------------------------------------------------------------


def sip_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """``YYYYMMDD    HHMMSS`` in the network's local time (the four blanks say: local time)."""
    return moment.astimezone(tz).strftime("%Y%m%d    %H%M%S")


def sip_due(day: date) -> str:
    """A due day as SIP2 time: the end of that day, local time."""
    return datetime.combine(day, time(23, 59, 59)).strftime("%Y%m%d    %H%M%S")


def yes_no(value: bool) -> str:
    return "Y" if value else "N"


def money(fen: int) -> str:
    """Fen as SIP2 writes amounts: yuan with two decimals."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def parse_money(text: str) -> int | None:
    """An amount in yuan ("2.5", "2.50", "3") as fen; None if it is not one."""
    match = re.fullmatch(r"\s*(\d{1,9})(?:\.(\d{1,2}))?\s*", text)
    if match is None:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def count4(value: int) -> str:
    return f"{min(value, 9999):04d}"


def frames_of(messages: Iterable[bytes]) -> bytes:
    """Requests joined as a machine sends them (tests and the bench)."""
    return b"".join(m if m.endswith(b"\r") else m + b"\r" for m in messages)

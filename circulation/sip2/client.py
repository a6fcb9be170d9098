"""A small blocking SIP2 client: what a self-check machine sends, for the tests, the load bench
and checking a deployment by hand (``python -c`` against a running server)."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from circulation.sip2.codec import Framer, Message, Response, encode, parse, sip_datetime

BLANK_DATE = " " * 18


class Sip2Error(Exception):
    """The server closed the connection or sent no terminated answer."""


class Sip2Client:
    """One machine's connection. ``error_detection`` adds AY/AZ to every request, with a
    sequence number counting 0-9 as machines do."""

    def __init__(self, host: str, port: int, *, encoding: str = "utf-8", error_detection: bool = False,
                 timeout: float = 30.0, tz: ZoneInfo | None = None, source: str | None = None):
        """``source``: the local address to connect from (a machine at another address)."""
        self.encoding, self.error_detection = encoding, error_detection
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.sequence = 0
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self._framer = Framer(limit=1 << 20)
        self._pending: list[bytes] = []

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Sip2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- raw ----------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive_raw(self) -> bytes:
        """The next answer, without its terminator."""
        while not self._pending:
            data = self.sock.recv(65536)
            if not data:
                raise Sip2Error("the server closed the connection")
            self._pending.extend(f for f in self._framer.feed(data) if f is not None)
        return self._pending.pop(0)

    def exchange_raw(self, data: bytes) -> bytes:
        self.send_raw(data)
        return self.receive_raw()

    # ---- messages -------------------------------------------------------------------------------

    def frame(self, code: str, fixed: list[str], fields: list[tuple[str, str]]) -> bytes:
        sequence = None
        if self.error_detection:
            sequence = str(self.sequence)
            self.sequence = (self.sequence + 1) % 10
        return encode(Response(code, fixed, fields), self.encoding, sequence=sequence,
                      error_detection=self.error_detection)

    def ask(self, code: str, fixed: list[str], fields: list[tuple[str, str]]) -> Message:
        return parse(self.exchange_raw(self.frame(code, fixed, fields)), self.encoding)

    def now(self) -> str:
        return sip_datetime(datetime.now(timezone.utc), self.tz)

    def login(self, login: str, password: str, location: str = "") -> Message:
        # The login message goes out in ASCII whatever the account's encoding.
        return self.ask("93", ["0", "0"], [("CN", login), ("CO", password), ("CP", location)])

    def sc_status(self) -> Message:
        return self.ask("99", ["0", "080", "2.00"], [])

    def patron_status(self, card: str, password: str = "") -> Message:
        return self.ask("23", ["019", self.now()], [("AO", ""), ("AA", card), ("AC", ""), ("AD", password)])

    def patron_information(self, card: str, summary: str = "          ", password: str = "") -> Message:
        return self.ask("63", ["019", self.now(), summary.ljust(10)[:10]],
                        [("AO", ""), ("AA", card), ("AC", ""), ("AD", password)])

    def checkout(self, card: str, barcode: str, *, renewal_policy: bool = False, password: str = "") -> Message:
        fields = [("AO", ""), ("AA", card), ("AB", barcode), ("AC", "")] + ([("AD", password)] if password else [])
        return self.ask("11", ["Y" if renewal_policy else "N", "N", self.now(), BLANK_DATE], fields)

    def checkin(self, barcode: str) -> Message:
        return self.ask("09", ["N", self.now(), self.now()], [("AP", ""), ("AO", ""), ("AB", barcode), ("AC", "")])

    def renew(self, card: str, barcode: str, *, third_party: bool = False) -> Message:
        return self.ask("29", ["Y" if third_party else "N", "N", self.now(), BLANK_DATE],
                        [("AO", ""), ("AA", card), ("AB", barcode), ("AC", "")])

    def renew_all(self, card: str) -> Message:
        return self.ask("65", [self.now()], [("AO", ""), ("AA", card), ("AC", "")])

    def item_information(self, barcode: str) -> Message:
        return self.ask("17", [self.now()], [("AO", ""), ("AB", barcode), ("AC", "")])

    def hold(self, mode: str, card: str, barcode: str, pickup: str = "", hold_type: str = "2") -> Message:
        fields = [("BS", pickup)] if pickup else []
        fields += [("BY", hold_type), ("AO", ""), ("AA", card), ("AB", barcode), ("AC", "")]
        return self.ask("15", [mode, self.now()], fields)

    def fee_paid(self, card: str, amount: str, *, payment_type: str = "00", currency: str = "CNY",
                 transaction: str = "") -> Message:
        return self.ask("37", [self.now(), "01", payment_type, currency],
                        [("BV", amount), ("AO", ""), ("AA", card), ("BK", transaction)])

    def block_patron(self, card: str, reason: str, *, retained: bool = False) -> Message:
        return self.ask("01", ["Y" if retained else "N", self.now()], [("AO", ""), ("AL", reason), ("AA", card),
                                                                        ("AC", "")])

    def end_session(self, card: str) -> Message:
        return self.ask("35", [self.now()], [("AO", ""), ("AA", card)])

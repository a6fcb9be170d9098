"""Answering SIP2 messages: one frame in, one frame out, one transaction per message.

``handle`` never raises. A frame it cannot read (bad checksum, garbage, too long, an unknown
code) is answered with 96 (request SC resend); a message it can read but not carry out (no
login, a refusal, a fault of the database) gets that message's own negative answer with the
reason in Chinese on the screen line (AF). A machine that did not hear an answer sends the
same message with the same sequence number again: it gets the same answer, and the check-out
or payment is not done twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from circulation.sip2 import accounts
from circulation.sip2 import item_messages as items
from circulation.sip2 import patron_messages as patrons
from circulation.sip2.accounts import Machine
from circulation.sip2.codec import Message, Response, Sip2FormatError, carries_checksum, encode, parse, yes_no
from circulation.sip2.context import (
    ACCOUNT_DISABLED,
    NOT_LOGGED_IN,
    SYSTEM_FAULT,
    Call,
    screen_message,
)
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import get_database
from ils.errors import DomainError

log = logging.getLogger("ils.sip2")

PROTOCOL_VERSION = "2.00"
DEFAULT_ENCODING = "utf-8"  # before login, and for a refusal of a login
# How often a logged-in connection re-reads its account, so disabling or removing an account
# (or moving the machine to another unit) reaches machines that stay connected for days.
ACCOUNT_RECHECK_SECONDS = 30.0
# Supported messages (BX), in the spec's order: patron status, checkout, checkin, block patron,
# SC/ACS status, resend, login, patron information, end patron session, fee paid, item
# information, item status update (no), patron enable (no: blocks are lifted at the desk), hold,
# renew, renew all.
SUPPORTED_MESSAGES = "YYYYYYYYYYYNNYYY"
TIMEOUT_PERIOD = "100"  # tenths of a second the machine waits for an answer before retrying
RETRIES_ALLOWED = "003"


@dataclass
class Connection:
    """What one machine's connection remembers between messages."""

    peer: str
    machine: Machine | None = None
    checked_at: float = 0.0
    last_request: tuple[str, bytes] | None = None  # (sequence number, frame) of the last answered message
    last_response: bytes | None = None
    revoked: bool = False  # the account was disabled or removed while connected


@dataclass(frozen=True)
class Handler:
    run: Callable[[Call], Response]
    refuse: Callable[[Call, str], Response]
    writes: bool
    reads: bool = True  # False: answered from the message alone, no transaction


class NeedsDatabase(Exception):
    """Raised by ``answer_at_once`` where answering would take a database transaction."""


HANDLERS: dict[str, Handler] = {
    "23": Handler(patrons.patron_status_request, patrons.refuse_patron_status, writes=False),
    "63": Handler(patrons.patron_information, patrons.refuse_patron_information, writes=False),
    "01": Handler(patrons.block_patron, patrons.refuse_patron_status, writes=True),
    "25": Handler(patrons.patron_enable, patrons.refuse_patron_enable, writes=False),
    "35": Handler(patrons.end_patron_session, patrons.refuse_end_session, writes=False, reads=False),
    "37": Handler(patrons.fee_paid, patrons.refuse_fee_paid, writes=True),
    "11": Handler(items.checkout, items.refuse_checkout, writes=True),
    "09": Handler(items.checkin, items.refuse_checkin, writes=True),
    "29": Handler(items.renew, items.refuse_renew, writes=True),
    "65": Handler(items.renew_all, items.refuse_renew_all, writes=True),
    "17": Handler(items.item_information, items.refuse_item_information, writes=False),
    "19": Handler(items.item_status_update, items.refuse_item_status_update, writes=False, reads=False),
    "15": Handler(items.hold, items.refuse_hold, writes=True),
}


# ---- login and status ---------------------------------------------------------------------------


def _login(connection: Connection, call: Call) -> Response:
    login, password = call.message.get("CN"), call.message.get("CO")
    address, reason = connection.peer.rsplit(":", 1)[0], "wrong login or password"
    try:
        with get_database().session(write=False) as session:
            machine = accounts.authenticate(session, login, password, address=address) if login else None
    except DomainError as exc:  # locked after too many wrong passwords, or too many logins at once
        machine, reason = None, exc.code
    connection.machine, connection.checked_at, connection.revoked = machine, time.monotonic(), False
    if machine is None:
        log.warning("SIP2 login refused for %r from %s: %s", login, connection.peer, reason)
    return Response("94", ["1" if machine is not None else "0"])


def _sc_status(call: Call) -> Response:
    """The ACS status. Before login the machine is told the service is not online for it."""
    online = call.machine is not None
    flags = [yes_no(online)] * 4 + ["N", "N"]  # no item status updates, no offline transactions
    response = Response("98", [*flags, TIMEOUT_PERIOD, RETRIES_ALLOWED, call.stamp, PROTOCOL_VERSION])
    response.add("AO", call.institution)
    response.add("AM", call.machine.unit_name if call.machine is not None else "")
    response.add("BX", SUPPORTED_MESSAGES if online else "N" * len(SUPPORTED_MESSAGES))
    if call.machine is not None:
        response.add("AN", call.machine.location)
    return response.add("AF", "系统正常" if online else NOT_LOGGED_IN)


def _resend() -> Response:
    return Response("96", [])


# ---- one frame ----------------------------------------------------------------------------------


def _answer(connection: Connection, response: Response, *, sequence: str | None, checks: bool) -> bytes:
    machine = connection.machine
    detection = checks or (machine is not None and machine.error_detection)
    encoding = machine.encoding if machine is not None else DEFAULT_ENCODING
    # The resend request has no sequence number of its own (spec: 96).
    sequence = None if response.code == "96" else (sequence if sequence is not None else "0" if detection else None)
    return encode(response, encoding, sequence=sequence, error_detection=detection)


def _recheck(connection: Connection, call: Call, offline: bool) -> None:
    machine = connection.machine
    if machine is None or time.monotonic() - connection.checked_at < ACCOUNT_RECHECK_SECONDS:
        return
    if offline:
        raise NeedsDatabase
    with get_database().session(write=False) as session:
        connection.machine = accounts.still_active(session, machine.account_id)
    connection.checked_at = time.monotonic()
    call.machine = connection.machine
    if connection.machine is None:
        connection.revoked = True
        log.warning("SIP2 account %r was disabled or removed; %s must log in again", machine.login, connection.peer)


def _run(handler: Handler, call: Call) -> Response:
    """The handler in one transaction: committed when it answers, rolled back when it refuses
    (a domain error) or fails, so a refusal never leaves half a check-out behind."""
    if not handler.reads:
        return handler.run(call)
    try:
        with get_database().session(write=handler.writes) as session:
            call.session = session
            return handler.run(call)
    except DomainError as exc:
        return handler.refuse(call, screen_message(exc))
    except Exception:
        log.exception("SIP2 message %s from %s failed", call.message.code, call.machine and call.machine.login)
        return handler.refuse(call, SYSTEM_FAULT)
    finally:
        call.session = None


def _respond(connection: Connection, message: Message, call: Call, offline: bool) -> Response:
    if message.code == "93":
        if offline:
            raise NeedsDatabase
        return _login(connection, call)
    _recheck(connection, call, offline)
    if message.code == "99":
        return _sc_status(call)
    handler = HANDLERS.get(message.code)
    if handler is None:  # a response code, or a message this server does not take
        return _resend()
    if call.machine is None:
        return handler.refuse(call, ACCOUNT_DISABLED if connection.revoked else NOT_LOGGED_IN)
    if offline and handler.reads:
        raise NeedsDatabase
    return _run(handler, call)


def handle(connection: Connection, frame: bytes | None) -> bytes | None:
    """Answer one frame (None: a frame too long to keep). Never raises."""
    try:
        return _handle(connection, frame, offline=False)
    except Exception:  # a bug must cost one answer, never the connection or the server
        log.exception("SIP2 frame from %s could not be answered", connection.peer)
        return encode(_resend(), DEFAULT_ENCODING)


def answer_at_once(connection: Connection, frame: bytes | None) -> bytes | None:
    """The answer if it needs no database (a refusal of garbage, a resend, an SC status, an end
    of session), else raises ``NeedsDatabase``. The server answers these on its event loop, so a
    machine's status heartbeat is never queued behind other machines' check-outs (a machine whose
    status goes unanswered for its timeout takes itself out of service)."""
    try:
        return _handle(connection, frame, offline=True)
    except NeedsDatabase:
        raise
    except Exception:
        log.exception("SIP2 frame from %s could not be answered", connection.peer)
        return encode(_resend(), DEFAULT_ENCODING)


def _handle(connection: Connection, frame: bytes | None, *, offline: bool) -> bytes | None:
    if frame is None:
        log.info("SIP2 frame over the length limit from %s", connection.peer)
        return _answer(connection, _resend(), sequence=None, checks=False)
    machine = connection.machine
    try:
        message = parse(frame, machine.encoding if machine is not None else None)
    except Sip2FormatError as exc:
        log.info("SIP2 frame refused from %s: %s", connection.peer, exc.code)
        return _answer(connection, _resend(), sequence=None, checks=carries_checksum(frame))
    if message.code in ("97", "96"):
        # The machine did not get (or could not read) the last answer: the same bytes again.
        return connection.last_response or _answer(connection, _resend(), sequence=None, checks=carries_checksum(frame))
    if message.sequence is not None and connection.last_request == (message.sequence, frame) \
            and connection.last_response is not None:
        return connection.last_response
    call = Call(message, machine, get_clock().now(), get_settings().tz)
    response = _respond(connection, message, call, offline)
    carried = message.checksum is not None or message.sequence is not None
    answer = _answer(connection, response, sequence=message.sequence, checks=carried)
    if message.code != "93":  # a login answer is never replayed: it would skip the password check
        connection.last_request = (message.sequence, frame) if message.sequence is not None else None
        connection.last_response = answer
    return answer

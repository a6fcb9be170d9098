"""Limits on guessing passwords, shared by every way of logging in: the API's token, the desk's
and the OPAC's login forms, a self-check machine's SIP2 login (93) and the reader's password a
machine sends along (AD).

Wrong passwords are counted in the database, so every app process (and the SIP2 server) sees
the same counts: per account (``staff:NAME``, ``card:NUMBER``, ``sip2:LOGIN``) and per source
(the client's address, an IPv6 /64 counted as one; a self-check machine for the readers'
passwords it sends). ``ILS_LOGIN_MAX_FAILURES`` wrong passwords for an account within
``ILS_LOGIN_WINDOW_MINUTES`` lock it for ``ILS_LOGIN_LOCKOUT_MINUTES``; the same for a source
with ``ILS_LOGIN_MAX_FAILURES_PER_ADDRESS``. While locked, a login is refused before its
password is even checked, right or wrong, so a lock also costs an attacker no hashing of ours.
A right password clears its account's count.

Names that have no account are counted too: otherwise the answer (locked or not) would tell
which usernames and card numbers exist. Loopback addresses are not counted per address: they
are a local proxy (nginx without forwarded headers, stunnel in front of SIP2), and counting them
would let one client lock out everyone behind it; per-account counts still apply to them.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ils.auth import repository as repo
from ils.clock import get_clock
from ils.config import get_settings
from ils.db import get_database
from ils.errors import Throttled

log = logging.getLogger("ils.auth")

_KEY_CHARS = 150


def account_key(kind: str, name: str) -> str:
    """``staff``, ``card`` or ``sip2`` and the name typed in."""
    return f"{kind}:{name.strip()[:_KEY_CHARS]}"


def machine_source(login: str) -> str:
    """The source of a reader's password checked at a self-check machine: the machine."""
    return f"machine:{login[:_KEY_CHARS]}"


def address_source(address: str | None) -> str | None:
    """The key a client address is counted under; None for loopback or no address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:  # not an address (a test client's name): counted as it is
        return f"addr:{address[:_KEY_CHARS]}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        # One subscriber gets a whole /64: counting single addresses would count nothing.
        return f"addr:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"addr:{ip}"


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def check_password(session: Session, account: str, source: str | None, verify: Callable[[], bool]) -> bool:
    """``verify()`` (the password check) under the limits: refused with AUTH_LOCKED or
    AUTH_RATE_LIMITED while the account or the source is locked, counted when it fails,
    the account's count cleared when it succeeds."""
    settings = get_settings()
    now = get_clock().now()
    keys = [account] if source is None else [account, source]
    found = repo.counts(session, keys)
    if source is not None and (row := found.get(source)) and row.locked_until and row.locked_until > now:
        raise Throttled("AUTH_RATE_LIMITED", "too many wrong passwords from this address; try again later",
                        retry_after=_seconds(row.locked_until, now))
    if (row := found.get(account)) and row.locked_until and row.locked_until > now:
        raise Throttled("AUTH_LOCKED", "too many wrong passwords for this account; try again later",
                        retry_after=_seconds(row.locked_until, now))
    ok = verify()
    if ok:
        if account in found:
            _write(session, lambda s: repo.clear(s, [account]))
        return True
    limits = [(account, settings.login_max_failures)]
    if source is not None:
        limits.append((source, settings.login_max_failures_per_address))
    window = timedelta(minutes=settings.login_window_minutes)
    lockout = timedelta(minutes=settings.login_lockout_minutes)

    def count(s: Session) -> None:
        for key, most in limits:
            if most and repo.count_failure(s, key, now, window) >= most:
                repo.lock(s, key, now + lockout, now)
                log.warning("logins locked for %s until %s: %d wrong passwords", key, now + lockout, most)

    _write(session, count)
    return False


def _write(session: Session, work: Callable[[Session], object]) -> None:
    """Write the counts in a transaction of their own, so the refusal that follows (which rolls
    the request's transaction back) cannot undo them. Except where the caller already holds
    SQLite's one write lock (a SIP2 check-out checking the reader's password): a second
    transaction would wait on it until the busy timeout, so the counts go into the caller's."""
    database = get_database()
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and bind is database.write_engine and session.in_transaction():
        work(session)
        return
    with database.session(write=True) as own:
        work(own)


def unlock(session: Session, keys: list[str]) -> int:
    """Forget the counts and locks of these keys (``ils unlock-login``)."""
    return repo.clear(session, keys)


def purge(session: Session, now: datetime) -> int:
    return repo.purge_counts(session, now, timedelta(minutes=get_settings().login_window_minutes))

"""Guessing passwords is limited: per account and per client address, counted in the database
(so every process shares the counts), for every way of logging in over HTTP; and a process runs
only a few argon2 checks at once, so a flood of bogus logins cannot exhaust its memory."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ils.auth import security
from ils.auth.limits import address_source
from ils.auth.models import LoginThrottle
from ils.config import get_settings
from ils.errors import Throttled
from tests.support.concurrency import at_once
from tests.support.factories import make_user
from tests.support.live_server import live_server

# The checks are timed against their bound and their wait: at the production cost.
pytestmark = pytest.mark.real_argon2

WRONG = {"username": "alice", "password": "not-the-password"}
RIGHT = {"username": "alice", "password": "password-123"}


def _token(client, body) -> httpx.Response:
    return client.post("/api/v1/auth/token", json=body)


def _set(monkeypatch, **values: object) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"ILS_{name.upper()}", str(value))
    get_settings.cache_clear()


def test_an_account_is_locked_after_five_wrong_passwords_even_for_the_right_one(client, db, clock):
    make_user(db, "alice", "admin")
    assert [_token(client, WRONG).status_code for _ in range(5)] == [401] * 5
    locked = _token(client, RIGHT)
    assert locked.status_code == 429
    assert locked.json()["error"] == "AUTH_LOCKED"
    assert locked.headers["Retry-After"] == "900" and locked.json()["retry_after"] == 900
    clock.advance(minutes=14)
    assert _token(client, RIGHT).headers["Retry-After"] == "60"
    clock.advance(minutes=1, seconds=1)
    assert _token(client, RIGHT).status_code == 200


def test_after_a_lock_the_account_gets_its_five_tries_again(client, db, clock):
    make_user(db, "alice", "admin")
    for _ in range(5):
        _token(client, WRONG)
    clock.advance(minutes=16)
    assert [_token(client, WRONG).status_code for _ in range(5)] == [401] * 5
    assert _token(client, WRONG).status_code == 429


def test_a_right_password_clears_the_accounts_count(client, db):
    make_user(db, "alice", "admin")
    for _ in range(4):
        _token(client, WRONG)
    assert _token(client, RIGHT).status_code == 200
    assert [_token(client, WRONG).status_code for _ in range(4)] == [401] * 4
    assert _token(client, RIGHT).status_code == 200


def test_wrong_passwords_older_than_the_window_are_not_counted(client, db, clock):
    make_user(db, "alice", "admin")
    for _ in range(4):
        _token(client, WRONG)
    clock.advance(minutes=16)
    for _ in range(4):
        _token(client, WRONG)
    assert _token(client, RIGHT).status_code == 200


def test_names_without_an_account_are_locked_like_real_ones(client, db):
    # Otherwise "locked" would tell which usernames and cards exist.
    for _ in range(5):
        _token(client, {"username": "nobody", "password": "whatever-1"})
    assert _token(client, {"username": "nobody", "password": "whatever-1"}).json()["error"] == "AUTH_LOCKED"
    for _ in range(5):
        _token(client, {"card_number": "DC99999999", "password": "whatever-1"})
    assert _token(client, {"card_number": "DC99999999", "password": "x"}).json()["error"] == "AUTH_LOCKED"


def test_limits_are_configurable(client, db, monkeypatch):
    _set(monkeypatch, login_max_failures=2, login_lockout_minutes=1)
    make_user(db, "alice", "admin")
    assert [_token(client, WRONG).status_code for _ in range(3)] == [401, 401, 429]
    assert _token(client, RIGHT).headers["Retry-After"] == "60"


def test_an_address_is_limited_across_accounts(db, monkeypatch):
    from ils.app import create_app

    _set(monkeypatch, login_max_failures_per_address=6)
    make_user(db, "alice", "admin")
    with TestClient(create_app(), client=("203.0.113.7", 50000)) as guesser, \
            TestClient(create_app(), client=("198.51.100.20", 50000)) as colleague:
        for n in range(6):
            assert _token(guesser, {"username": f"user{n}", "password": "guess-guess"}).status_code == 401
        refused = _token(guesser, RIGHT)
        assert refused.status_code == 429 and refused.json()["error"] == "AUTH_RATE_LIMITED"
        assert int(refused.headers["Retry-After"]) == 900
        # The account itself is not locked: from elsewhere it logs in.
        assert _token(colleague, RIGHT).status_code == 200


def test_the_desk_and_opac_forms_count_with_the_api(client, db):
    make_user(db, "alice", "admin")
    for _ in range(3):
        page = client.post("/desk/login", data={"username": "alice", "password": "nope-nope", "next": "/desk"})
        assert page.status_code == 401
    for _ in range(2):
        assert _token(client, WRONG).status_code == 401
    locked = client.post("/desk/login", data={"username": "alice", "password": "password-123", "next": "/desk"},
                         follow_redirects=False)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert "已暂时锁定" in locked.text
    assert _token(client, RIGHT).json()["error"] == "AUTH_LOCKED"
    for _ in range(5):
        client.post("/opac/login", data={"card": "DC00000009", "password": "nope-nope", "next": "/opac/account"})
    opac = client.post("/opac/login", data={"card": "DC00000009", "password": "nope-nope", "next": "/opac/account"})
    assert opac.status_code == 429 and "已暂时锁定" in opac.text


def test_a_wrong_current_password_counts_as_a_wrong_login(client, db):
    # A stolen session must not become a way to guess the password behind it.
    make_user(db, "alice", "admin")
    headers = {"Authorization": f"Bearer {_token(client, RIGHT).json()['access_token']}"}
    for _ in range(5):
        response = client.post("/api/v1/auth/password", headers=headers,
                               json={"current_password": "guess-guess", "new_password": "new-password-1"})
        assert response.json()["error"] == "PASSWORD_WRONG"
    locked = client.post("/api/v1/auth/password", headers=headers,
                         json={"current_password": "password-123", "new_password": "new-password-1"})
    assert locked.status_code == 429 and locked.json()["error"] == "AUTH_LOCKED"


def test_loopback_is_not_counted_per_address_and_ipv6_counts_per_64():
    assert address_source("127.0.0.1") is None and address_source("::1") is None
    assert address_source("::ffff:127.0.0.1") is None
    assert address_source("::ffff:203.0.113.5") == "addr:203.0.113.5"
    assert address_source("2001:db8:1:2::5") == address_source("2001:db8:1:2:ffff::9") == "addr:2001:db8:1:2::/64"
    assert address_source("2001:db8:1:3::5") != address_source("2001:db8:1:2::5")


def test_at_most_the_bound_of_password_checks_run_at_once(db, monkeypatch):
    """Sixteen checks at once, a bound of three: never more than three argon2 computations are
    in progress, and with a long enough wait every check is answered."""
    _set(monkeypatch, login_max_hashing=3, login_hashing_wait_seconds=60)
    running, peak, lock = 0, 0, threading.Lock()
    real = security._hasher

    class Watched:  # the real argon2 hasher, watched for how many of its checks overlap
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hash_: str, password: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                return real.verify(hash_, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(security, "_hasher", Watched())
    stored = security.hash_password("the-password")
    results = at_once(lambda n: security.verify_password(stored, f"guess-{n}"), 16)
    assert results == [False] * 16
    assert peak == 3


def test_a_check_that_waits_too_long_is_refused_busy(db, monkeypatch):
    _set(monkeypatch, login_max_hashing=1, login_hashing_wait_seconds=0.05)
    stored = security.hash_password("the-password")
    results = at_once(lambda n: security.verify_password(stored, f"guess-{n}"), 8, refused=Throttled)
    busy = [r for r in results if isinstance(r, Throttled)]
    assert busy and all(r.code == "AUTH_BUSY" and r.http_status == 503 and r.retry_after == 1 for r in busy)
    assert results.count(False) >= 1


# ---- many clients against the real service ------------------------------------------------------

def _post_all(base: str, bodies: list[dict], headers: list[dict] | None = None) -> list[httpx.Response]:
    def one(n: int) -> httpx.Response:
        return httpx.post(f"{base}/api/v1/auth/token", json=bodies[n], headers=(headers or [{}] * len(bodies))[n],
                          timeout=60)
    return at_once(one, len(bodies))


def test_wrong_passwords_sent_at_once_are_all_counted(db):
    """Twenty-four wrong passwords for one account at the same moment, through the service's
    thread pool: each is counted (no lost update between concurrent transactions)."""
    make_user(db, "alice", "admin")
    env = {"ILS_LOGIN_MAX_FAILURES": "1000", "ILS_LOGIN_MAX_HASHING": "8"}
    with live_server(db.url, extra_env=env) as base:
        answers = _post_all(base, [WRONG] * 24)
    assert Counter(a.status_code for a in answers) == {401: 24}
    with db.session(write=False) as s:
        assert s.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == "staff:alice")) == 24


def test_a_flood_of_guesses_at_once_ends_locked_and_answered(db):
    make_user(db, "alice", "admin")
    with live_server(db.url) as base:
        answers = _post_all(base, [WRONG] * 20)
        codes = Counter(a.status_code for a in answers)
        assert set(codes) <= {401, 429, 503}, codes  # every one answered, none a 500
        assert codes[401] >= 5
        assert httpx.post(f"{base}/api/v1/auth/token", json=RIGHT).json()["error"] == "AUTH_LOCKED"


def test_parallel_bogus_logins_beyond_the_bound_are_refused_not_queued(db):
    """Sixteen bogus logins at once on a service that checks one password at a time and waits
    a tenth of a second for it: the ones that cannot get a turn are refused with AUTH_BUSY and
    Retry-After instead of piling up argon2's 64 MiB each."""
    env = {"ILS_LOGIN_MAX_HASHING": "1", "ILS_LOGIN_HASHING_WAIT_SECONDS": "0.1"}
    with live_server(db.url, extra_env=env) as base:
        answers = _post_all(base, [{"username": f"bogus{n}", "password": "guess-guess"} for n in range(16)])
        codes = Counter(a.status_code for a in answers)
        assert set(codes) <= {401, 503}, codes
        busy = [a for a in answers if a.status_code == 503]
        assert busy, codes
        assert all(a.json()["error"] == "AUTH_BUSY" and a.headers["Retry-After"] == "1" for a in busy)
        assert httpx.get(f"{base}/api/v1/health").status_code == 200


def test_the_served_app_believes_the_address_and_scheme_its_proxy_forwards(db):
    """`ils serve` believes X-Forwarded-For and X-Forwarded-Proto from nginx on the same machine:
    wrong passwords from one client address lock that address (in whichever worker answers),
    not the proxy's; a page that came over HTTPS gets Secure cookies."""
    make_user(db, "alice", "admin")
    env = {"ILS_LOGIN_MAX_FAILURES_PER_ADDRESS": "4"}
    with live_server(db.url, workers=2, extra_env=env) as base:
        guesser = {"X-Forwarded-For": "203.0.113.5"}
        for n in range(4):
            response = httpx.post(f"{base}/api/v1/auth/token", headers=guesser,
                                  json={"username": f"user{n}", "password": "guess-guess"})
            assert response.status_code == 401
        refused = httpx.post(f"{base}/api/v1/auth/token", headers=guesser, json=RIGHT)
        assert refused.status_code == 429 and refused.json()["error"] == "AUTH_RATE_LIMITED"
        other = httpx.post(f"{base}/api/v1/auth/token", headers={"X-Forwarded-For": "203.0.113.6"}, json=RIGHT)
        assert other.status_code == 200
        # The scheme too: a page the proxy received over HTTPS sets Secure cookies.
        form = {"username": "alice", "password": "password-123", "next": "/desk"}
        over_https = httpx.post(f"{base}/desk/login", data=form, headers={"X-Forwarded-Proto": "https",
                                                                          "X-Forwarded-For": "203.0.113.6"})
        assert over_https.status_code == 303 and "; Secure" in over_https.headers["set-cookie"]
        plain = httpx.post(f"{base}/desk/login", data=form, headers={"X-Forwarded-For": "203.0.113.6"})
        assert plain.status_code == 303 and "Secure" not in plain.headers["set-cookie"]
    with db.session(write=False) as s:
        keys = set(s.scalars(select(LoginThrottle.key)))
    assert "addr:203.0.113.5" in keys and not any(k.startswith("addr:127.") for k in keys)


def test_the_lock_is_shared_by_processes(db):
    make_user(db, "alice", "admin")
    with live_server(db.url) as one, live_server(db.url) as other:
        for base in (one, other, one, other, one):
            assert httpx.post(f"{base}/api/v1/auth/token", json=WRONG).status_code == 401
        # No cache between the count and the check: the next login anywhere is refused at once.
        assert httpx.post(f"{other}/api/v1/auth/token", json=RIGHT).json()["error"] == "AUTH_LOCKED"

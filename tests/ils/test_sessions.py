"""A login is a session: logout ends it, a new password ends every session of the account, and
a token whose session has ended (or that names none) is refused — at once in the process that
ended it, within a few seconds in the others."""

from __future__ import annotations

import time

import httpx
import jwt
from sqlalchemy import select

from ils.auth.models import AuthSession
from ils.auth.service import SESSION_SECONDS, create_patron_account
from ils.web.pages import STAFF_COOKIE, csrf_token
from tests.support.factories import login, make_network, make_user
from tests.support.library import library
from tests.support.live_server import live_server

SECRET = "test-secret-key-with-enough-length-1234567890"  # tests/conftest.py


def _me(client, headers) -> httpx.Response:
    return client.get("/api/v1/auth/me", headers=headers)


def test_logout_ends_the_token(client, db):
    make_user(db, "alice", "admin")
    headers = login(client, "alice")
    assert _me(client, headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = _me(client, headers)
    assert refused.status_code == 401 and refused.json()["error"] == "AUTH_INVALID"
    assert client.get("/api/v1/users", headers=headers).status_code == 401


def test_logout_ends_only_that_login(client, db):
    make_user(db, "alice", "admin")
    desk, laptop = login(client, "alice"), login(client, "alice")
    client.post("/api/v1/auth/logout", headers=desk)
    assert _me(client, desk).status_code == 401
    assert _me(client, laptop).status_code == 200


def test_a_login_is_kept_as_a_session_row_with_its_address(client, db):
    make_user(db, "alice", "admin")
    token = login(client, "alice")["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    with db.session(write=False) as s:
        row = s.get(AuthSession, claims["sid"])
    assert row is not None and row.kind == "staff" and row.revoked_at is None
    assert row.address == "testclient"  # the TestClient's peer


def test_a_self_signed_token_without_a_session_is_refused(client, db):
    # The attack: the key known, a token made by hand for sub=admin.
    make_user(db, "admin", "admin")
    forged = jwt.encode({"sub": "admin", "kind": "staff", "iat": 1_700_000_000, "exp": 2_000_000_000}, SECRET,
                        algorithm="HS256")
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json()["error"] == "AUTH_INVALID"
    invented = jwt.encode({"sub": "admin", "kind": "staff", "sid": "made-up", "exp": 2_000_000_000}, SECRET,
                          algorithm="HS256")
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {invented}"}).status_code == 401


def test_a_session_is_not_valid_for_another_account(client, db):
    make_user(db, "alice", "admin")
    make_user(db, "bob", "cataloguer")
    token = login(client, "bob")["Authorization"].removeprefix("Bearer ")
    sid = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})["sid"]
    swapped = jwt.encode({"sub": "alice", "kind": "staff", "sid": sid, "exp": 2_000_000_000}, SECRET, algorithm="HS256")
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {swapped}"}).status_code == 401


def test_password_change_ends_every_session_of_the_account(client, db):
    make_user(db, "alice", "admin")
    make_user(db, "bob", "admin")
    first, second, bobs = login(client, "alice"), login(client, "alice"), login(client, "bob")
    changed = client.post("/api/v1/auth/password", headers=first,
                          json={"current_password": "password-123", "new_password": "a-new-password-456"})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"sessions_ended": 2}
    assert _me(client, first).status_code == 401 and _me(client, second).status_code == 401
    assert _me(client, bobs).status_code == 200  # another account keeps its login
    old = client.post("/api/v1/auth/token", json={"username": "alice", "password": "password-123"})
    assert old.status_code == 401
    assert _me(client, login(client, "alice", "a-new-password-456")).status_code == 200


def test_password_change_needs_the_current_password(client, db):
    make_user(db, "alice", "admin")
    headers = login(client, "alice")
    wrong = client.post("/api/v1/auth/password", headers=headers,
                        json={"current_password": "not-it-at-all", "new_password": "a-new-password-456"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "PASSWORD_WRONG"
    assert _me(client, headers).status_code == 200  # nothing changed, nobody logged out
    short = client.post("/api/v1/auth/password", headers=headers,
                        json={"current_password": "password-123", "new_password": "short"})
    assert short.status_code == 422 and short.json()["error"] == "PASSWORD_TOO_SHORT"
    same = client.post("/api/v1/auth/password", headers=headers,
                       json={"current_password": "password-123", "new_password": "password-123"})
    assert same.status_code == 422 and same.json()["error"] == "PASSWORD_UNCHANGED"
    assert client.post("/api/v1/auth/token", json={"username": "alice", "password": "password-123"}).status_code == 200


def test_a_reader_changes_their_own_password(client, db):
    make_network(db)
    with db.session() as s:
        create_patron_account(s, "DC00000001", "张三", "reader-pass-1", clock_now(), "DC-TD")
    token = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "reader-pass-1"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    changed = client.post("/api/v1/auth/password", headers=headers,
                          json={"current_password": "reader-pass-1", "new_password": "reader-pass-2"})
    assert changed.status_code == 200 and changed.json()["sessions_ended"] == 1
    assert _me(client, headers).status_code == 401
    again = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "reader-pass-2"})
    assert again.status_code == 200


def clock_now():
    from ils.clock import get_clock

    return get_clock().now()


def _desk_login(client, username: str) -> str:
    response = client.post("/desk/login", data={"username": username, "password": "password-123", "next": "/desk"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.cookies[STAFF_COOKIE]


def _only(client, **cookies: str) -> None:
    """The browser holds exactly these cookies (a copy kept from before the logout)."""
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)


def test_desk_logout_ends_the_cookie_even_if_a_copy_was_kept(client, db):
    # The issue: a desk cookie kept after logout went on working for 12 hours.
    make_network(db)
    make_user(db, "lib", "librarian", ("DC-TD",))
    kept = _desk_login(client, "lib")
    _only(client, ils_staff=kept, ils_unit="DC-TD")
    assert client.get("/desk", follow_redirects=False).status_code == 200
    out = client.post("/desk/logout", data={"csrf": csrf_token(kept)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/desk/login"
    _only(client, ils_staff=kept, ils_unit="DC-TD")
    again = client.get("/desk", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/desk/login")


def test_opac_logout_ends_the_readers_cookie(client, db):
    library(client, db).reader("DC00000001", password="reader-pass-1")
    response = client.post("/opac/login", data={"card": "DC00000001", "password": "reader-pass-1",
                                                "next": "/opac/account"}, follow_redirects=False)
    assert response.status_code == 303
    kept = response.cookies["ils_reader"]
    _only(client, ils_reader=kept)
    assert client.get("/opac/account", follow_redirects=False).status_code == 200
    out = client.post("/opac/logout", data={"csrf": csrf_token(kept)}, follow_redirects=False)
    assert out.status_code == 303
    _only(client, ils_reader=kept)
    again = client.get("/opac/account", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/opac/login")


def test_admin_password_reset_ends_the_accounts_sessions(client, db):
    from ils.auth.service import reset_staff_password

    make_user(db, "alice", "cataloguer")
    headers = login(client, "alice")
    with db.session() as s:
        assert reset_staff_password(s, "alice", "reset-by-admin-1", clock_now()) == 1
    assert _me(client, headers).status_code == 401
    assert _me(client, login(client, "alice", "reset-by-admin-1")).status_code == 200


def test_old_sessions_are_forgotten_by_the_daily_housekeeping(client, db, clock):
    from ils.auth.service import forget_old_logins

    make_user(db, "alice", "admin")
    login(client, "alice")
    clock.advance(hours=12 + 25)
    with db.session() as s:
        forgotten, _ = forget_old_logins(s, clock.now())
        left = s.scalars(select(AuthSession)).all()
    assert forgotten == 1 and left == []


def test_logout_reaches_another_process_within_seconds(db):
    """Two `ils serve` processes on one database: a logout through one is refused there at
    once, and by the other (which had the session in its cache) within SESSION_SECONDS."""
    make_user(db, "alice", "admin")
    with live_server(db.url) as one, live_server(db.url) as other:
        token = httpx.post(f"{one}/api/v1/auth/token", json={"username": "alice", "password": "password-123"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert httpx.get(f"{other}/api/v1/auth/me", headers=headers).status_code == 200
        assert httpx.post(f"{one}/api/v1/auth/logout", headers=headers).status_code == 204
        ended = time.monotonic()
        assert httpx.get(f"{one}/api/v1/auth/me", headers=headers).status_code == 401
        while httpx.get(f"{other}/api/v1/auth/me", headers=headers).status_code == 200:
            assert time.monotonic() - ended < SESSION_SECONDS + 3, "the other process still accepts the token"
            time.sleep(0.2)
        assert httpx.get(f"{other}/api/v1/auth/me", headers=headers).json()["error"] == "AUTH_INVALID"

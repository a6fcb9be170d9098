"""Who may do what: authentication on every non-public route, roles, unit scope, API keys."""

from __future__ import annotations

import pytest

from ils.app import PUBLIC_ROUTES, create_app
from tests.support.factories import login, make_network, make_user, staff


def _routes():
    # Every documented route: the OpenAPI document is what integrators see.
    for path, operations in create_app().openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


@pytest.mark.parametrize("method,path", sorted(set(_routes())))
def test_every_non_public_route_requires_credentials(client, method, path):
    url = path.replace("{code}", "DC").replace("{record_id}", "1").replace("{barcode}", "X1").replace("{key_id}", "1")
    response = client.request(method, url)
    if (method, path) in PUBLIC_ROUTES:
        assert response.status_code != 401
    else:
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} without credentials"
        assert response.json()["error"] == "AUTH_REQUIRED"


def test_wrong_password_is_401_with_stable_code(client, db):
    make_user(db, "alice", "admin")
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["error"] == "AUTH_INVALID"


def test_password_is_stored_hashed(db):
    from sqlalchemy import select

    from ils.auth.models import StaffUser

    make_user(db, "alice", "admin", password="s3cret-password")
    with db.session(write=False) as s:
        stored = s.scalar(select(StaffUser.password_hash))
    assert "s3cret-password" not in stored and stored.startswith("$argon2")


def test_token_expires_with_the_clock(client, db, clock):
    make_user(db, "alice", "admin")
    headers = login(client, "alice")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.advance(hours=13)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "AUTH_INVALID"


def test_tampered_token_is_refused(client, db):
    make_user(db, "alice", "admin")
    token = login(client, "alice")["Authorization"]
    response = client.get("/api/v1/auth/me", headers={"Authorization": token[:-2] + "xx"})
    assert response.status_code == 401


def test_librarian_scope_covers_their_branch_and_its_points(client, db):
    make_network(db)
    headers = staff(client, db, "librarian", ("DC-TD",))
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["role"] == "librarian"
    assert me["units"] == ["DC-TD", "DC-TD-01"]


def test_librarian_needs_a_unit(client, db):
    make_network(db)
    headers = staff(client, db, "admin")
    response = client.post("/api/v1/users", json={"username": "bob", "password": "password-123", "role": "librarian"},
                           headers=headers)
    assert response.status_code == 422 and response.json()["error"] == "UNIT_REQUIRED"


def test_reader_logs_in_with_card_number(client, db):
    from ils.auth.service import create_patron_account
    from ils.clock import get_clock

    make_network(db)
    with db.session() as s:
        create_patron_account(s, "DC00000001", "李秀英", "reader-pass-1", get_clock().now(), "DC")
    response = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": "reader-pass-1"})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["kind"] == "patron" and me["scopes"] == []
    # A reader is not staff: staff routes stay closed.
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_api_key_acts_within_its_scopes_and_stops_when_revoked(client, db):
    make_network(db)
    admin = staff(client, db, "admin")
    created = client.post("/api/v1/api-keys", json={"name": "SIP2 网关", "scopes": ["records:read"]}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ils_")
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()
    assert me["kind"] == "api_key" and me["scopes"] == ["records:read"]
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 403
    listed = client.get("/api/v1/api-keys", headers=admin).json()
    assert all(k["key"] is None for k in listed)
    client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_api_key_with_unknown_scope_is_refused(client, db):
    admin = staff(client, db, "admin")
    response = client.post("/api/v1/api-keys", json={"name": "x", "scopes": ["everything"]}, headers=admin)
    assert response.status_code == 422 and response.json()["error"] == "SCOPE_INVALID"


def test_opening_the_service_in_a_browser_lands_on_the_catalogue_and_the_api_docs_stay_at_docs(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/opac"
    assert client.get("/docs").status_code == 200


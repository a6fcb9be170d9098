"""Password hashing (argon2), signed tokens (JWT HS256) and API key secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ils.errors import Unauthenticated

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user"
# and "wrong password" alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_token(secret: str, *, subject: str, kind: str, now: datetime, minutes: int, **claims: Any) -> str:
    payload = {"sub": subject, "kind": kind, "iat": int(now.timestamp()),
               "exp": int((now + timedelta(minutes=minutes)).timestamp()), **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def read_token(secret: str, token: str, now: datetime) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
    except jwt.PyJWTError as exc:
        raise Unauthenticated("AUTH_INVALID", "the token is not valid") from exc
    # Expiry is checked against the injected clock, not the wall clock.
    if int(claims.get("exp", 0)) <= int(now.timestamp()):
        raise Unauthenticated("AUTH_INVALID", "the token has expired")
    return claims


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, prefix stored in clear, sha256 of the secret stored)."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return f"ils_{prefix}_{secret}", prefix, hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "ils":
        return None
    return parts[1], parts[2]


def api_secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), stored_hash)

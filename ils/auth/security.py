"""Password hashing (argon2), signed tokens (JWT HS256) and API key secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ils.config import get_settings
from ils.errors import Throttled, Unauthenticated

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user"
# and "wrong password" alike.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    # Hashing is done for staff (new accounts, new passwords): it waits for a slot, never refused.
    slots = _hashing_slots()
    with slots:
        return _hasher.hash(password)


# Each argon2 check takes 64 MiB (the hasher's memory cost) for its duration: sixteen bogus
# logins at once took a server from 554 MB to 1.45 GB. So a process runs at most
# ILS_LOGIN_MAX_HASHING of them at once; a login that finds them all busy waits a few seconds
# and is then refused (AUTH_BUSY, 503), which bounds both the memory and the queue.
_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _hashing_slots() -> threading.BoundedSemaphore:
    global _slots
    size = get_settings().login_max_hashing
    with _slots_lock:
        if _slots is None or _slots[0] != size:  # the setting changed (tests): a new bound from now on
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


def verify_password(password_hash: str | None, password: str) -> bool:
    slots = _hashing_slots()
    if not slots.acquire(timeout=get_settings().login_hashing_wait_seconds):
        raise Throttled("AUTH_BUSY", "too many logins are being checked at once; try again in a moment",
                        retry_after=1, http_status=503)
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
    finally:
        slots.release()


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

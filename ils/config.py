"""Configuration, only from ``ILS_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ILS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded database, keys and indexes live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: sqlite file ils.sqlite3 under the data directory.",
    )
    timezone: str = Field(default="Asia/Shanghai", description="Timezone of the network's calendars.")
    secret_key: str | None = Field(
        default=None,
        description="Signs login tokens: at least 32 random characters. When unset, a key is generated once and "
                    "kept in the data directory.",
    )
    token_minutes: int = Field(default=12 * 60, description="Lifetime of a login token.")
    login_max_failures: int = Field(
        default=5, ge=0, description="Wrong passwords for one account within the window before it is locked; 0: no limit.",
    )
    login_max_failures_per_address: int = Field(
        default=30, ge=0, description="Wrong passwords from one client address (an IPv6 /64) within the window before "
                                      "it may not log in; 0: no limit. Loopback addresses are not counted.",
    )
    login_window_minutes: float = Field(default=15, gt=0, description="The window in which wrong passwords are counted.")
    login_lockout_minutes: float = Field(default=15, gt=0, description="How long a locked account or address waits.")
    login_max_hashing: int = Field(
        default=4, ge=1, description="Password checks (argon2, 64 MiB each) one process runs at once.",
    )
    login_hashing_wait_seconds: float = Field(
        default=5.0, ge=0, description="How long a login waits for a free password check before it is refused.",
    )
    admin_password: str | None = Field(default=None, description="Password `ils demo` gives the admin account.")
    search: Literal["embedded", "meilisearch"] = "embedded"
    meilisearch_url: str | None = None
    meilisearch_key: str | None = None
    webhook_urls: str = Field(default="", description="Comma-separated URLs that receive outbox events.")
    hold_local_priority: bool = Field(
        default=False,
        description="Serve holds collected in the same branch area as a returned copy before older holds elsewhere.",
    )
    sip2_port: int | None = Field(
        default=None, description="Port of the SIP2 server for self-check machines; `ils serve` starts it when set.",
    )
    # Loopback by default, like `ils serve`: SIP2 carries readers' and machines' passwords in the
    # clear, so listening on the branch network (0.0.0.0, or behind stunnel) is a deliberate setting.
    sip2_host: str = Field(default="127.0.0.1", description="Address the SIP2 server listens on.")
    sip2_login_seconds: float = Field(
        default=30.0, gt=0, description="A SIP2 connection that has not logged in within this many seconds is closed.",
    )
    sip2_max_per_address: int = Field(
        default=8, ge=0, description="SIP2 connections open at once from one address (127.0.0.1 and ::1: no limit); "
                                     "0: no limit.",
    )
    log_level: str = "INFO"
    # A vendor delivery of tens of thousands of records is well under this in ISO 2709; a whole
    # catalogue's migration is a file on the server for `ils import-marc`, which has no limit.
    max_upload_mb: int = Field(
        default=100, ge=1,
        description="Largest request body of a MARC or gate counter upload (POST /api/v1/records/import, "
                    "/api/v1/visits/import), in MiB.",
    )
    import_max_issues: int = Field(
        default=1000, ge=1,
        description="Rejected records (and, apart, warnings) an import keeps with their position; all are counted.",
    )

    _key: str | None = PrivateAttr(default=None)  # the resolved signing key, checked once

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ils.sqlite3').as_posix()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def webhooks(self) -> list[str]:
        return [u.strip() for u in self.webhook_urls.split(",") if u.strip()]

    def resolved_secret_key(self) -> str:
        """The token signing key; generated on first use and kept so restarts keep sessions valid.
        Refuses a placeholder or short key (outside ``ils demo``): anyone who reads the example
        file could sign a token for any account with it."""
        if self._key is not None:
            return self._key
        if self.secret_key:
            problem = secret_key_problem(self.secret_key)
            if problem and not demo_mode():
                from ils.errors import DomainError

                raise DomainError("SECRET_KEY_WEAK", f"ILS_SECRET_KEY {problem}. {MAKE_A_KEY}", http_status=503)
            self._key = self.secret_key
            return self._key
        path = self.data_dir / "secret.key"
        if path.exists():
            self._key = path.read_text().strip()
            return self._key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        self._key = key
        return key


MIN_KEY_LENGTH = 32
MAKE_A_KEY = ('Make one with  python3 -c "import secrets; print(secrets.token_urlsafe(48))"  and put it in '
              "ILS_SECRET_KEY, or leave ILS_SECRET_KEY unset to have one generated into ILS_DATA_DIR/secret.key")
# Words of the example files and tutorials; a key made by a generator never contains them.
_PLACEHOLDERS = ("changeme", "replaceme", "example", "sample", "placeholder", "dummy", "default", "insecure",
                 "yoursecret", "secretkeyhere")
_MIN_DISTINCT = 10


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` must not sign tokens (a placeholder, too short, too repetitive), or None."""
    folded = "".join(c for c in key.lower() if c.isalnum())
    for word in _PLACEHOLDERS:
        if word in folded:
            return f"looks like a placeholder (it contains {word!r})"
    if len(key) < MIN_KEY_LENGTH:
        return f"is {len(key)} characters long; it needs at least {MIN_KEY_LENGTH}"
    if len(set(key)) < _MIN_DISTINCT:
        return f"uses only {len(set(key))} different characters; it needs random ones"
    return None


# Set by `ils demo` (and inherited by the process it serves from): the demo network runs on a
# laptop with whatever key it finds, so a weak one is allowed there and only there.
DEMO_MODE_ENV = "ILS_DEMO_MODE"


def demo_mode() -> bool:
    return os.environ.get(DEMO_MODE_ENV) == "1"


@lru_cache
def get_settings() -> Settings:
    return Settings()

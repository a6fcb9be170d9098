"""Configuration, only from ``ILS_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
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
        description="Signs login tokens. When unset, a key is generated once and kept in the data directory.",
    )
    token_minutes: int = Field(default=12 * 60, description="Lifetime of a login token.")
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
    log_level: str = "INFO"
    # A vendor delivery of tens of thousands of records is well under this in ISO 2709; a whole
    # catalogue's migration is a file on the server for `ils import-marc`, which has no limit.
    max_upload_mb: int = Field(
        default=100, ge=1, description="Largest request body of a MARC upload (POST /api/v1/records/import), in MiB.",
    )
    import_max_issues: int = Field(
        default=1000, ge=1,
        description="Rejected records (and, apart, warnings) an import keeps with their position; all are counted.",
    )

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
        """The token signing key; generated on first use and kept so restarts keep sessions valid."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()

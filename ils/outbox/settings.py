"""The outbox relay's settings, from ``ILS_*`` environment variables like every other setting.

Kept beside the relay rather than in ``ils.config.Settings`` so the relay's knobs travel with
it; both read the same environment and ``.env`` file.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OutboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ILS_", env_file=".env", extra="ignore")

    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0,
        description="How long the relay waits on a webhook receiver to connect, read or answer before giving up "
                    "on that message (it is retried with back-off).",
    )
    outbox_lease_seconds: float = Field(
        default=60.0, gt=0,
        description="How long a relay owns the messages it claimed; a relay that dies leaves them to another "
                    "relay after this long. Keep it well above the webhook timeout: a relay starts no message once "
                    "half of it is spent.",
    )

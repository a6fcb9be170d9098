from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, examples=["admin"], description="Staff username")
    card_number: str | None = Field(default=None, description="Reader card number, instead of username")
    password: str = Field(examples=["correct horse battery staple"])


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    kind: Literal["staff", "patron"]
    role: str | None = None
    units: list[str] | None = Field(description="Units a librarian serves; null = all units")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="At least 8 characters")


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(description="Logins of the account that ended, this one included: log in again")


class PrincipalRead(BaseModel):
    kind: str
    name: str
    role: str | None
    scopes: list[str]
    units: list[str] | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$", examples=["td_librarian"])
    password: str = Field(min_length=8)
    role: Literal["admin", "cataloguer", "librarian", "manager"]
    units: list[str] = Field(default_factory=list, examples=[["DC-TD"]])
    display_name: str | None = None


class UserRead(BaseModel):
    username: str
    display_name: str | None
    role: str
    units: list[str]
    active: bool


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["自助借还机 SIP2 网关"])
    scopes: list[str] = Field(examples=[["records:read"]])
    units: list[str] = Field(default_factory=list, description="Units the key may act for; empty = all")


class ApiKeyRead(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    units: list[str]
    created_at: datetime
    revoked_at: datetime | None
    key: str | None = Field(default=None, description="The full key; shown only once, at creation")

"""Who is acting, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field

from ils.errors import Forbidden

ROLES = ("admin", "cataloguer", "librarian", "manager")

# Scopes are the unit of permission; roles and API keys are sets of them.
SCOPES: dict[str, str] = {
    "units:write": "create and change units of the network",
    "users:admin": "manage staff accounts and API keys",
    "records:read": "read records and items with staff detail",
    "records:write": "create and edit bibliographic records, import MARC",
    "items:write": "create and change items (copies)",
    "stats:read": "read statistics",
    "patrons:read": "look up patrons (readers) by card or ID card",
    "patrons:write": "register patrons, change them, block them, set proxies",
    "policies:write": "change the loan rules and return policies",
    "circulation:write": "check out, check in, renew, and place or change holds for any patron",
    "circulation:override": "lend or renew despite an overridable block, giving a reason",
    "transits:write": "receive copies in transit and send copies between units",
}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "cataloguer": frozenset({"records:read", "records:write", "items:write"}),
    "librarian": frozenset({"records:read", "items:write", "patrons:read", "patrons:write", "circulation:write",
                            "circulation:override", "transits:write"}),
    "manager": frozenset({"records:read", "stats:read"}),
}


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" | "patron" | "api_key"
    id: int
    name: str
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # Units this principal may act for; None means every unit of the network.
    unit_codes: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """How the audit trail names the actor."""
        return f"{self.kind}:{self.name}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden("PERMISSION_DENIED", f"{self.label} lacks the permission {scope!r}")

    def require_unit(self, unit_code: str) -> None:
        if self.unit_codes is not None and unit_code not in self.unit_codes:
            raise Forbidden(
                "UNIT_OUT_OF_SCOPE", f"{self.label} does not serve unit {unit_code!r}",
                extra={"unit": unit_code},
            )

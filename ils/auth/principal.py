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
    "distribution:write": "allocate copies to units and send them there (统一配送)",
    "stats:read": "read statistics",
    "stats:write": "enter the figures the system cannot measure, submit annual reports",
    "patrons:read": "look up patrons (readers) by card or ID card",
    "patrons:write": "register patrons, change them, block them, set proxies",
    "policies:write": "change the loan rules and return policies",
    "circulation:write": "check out, check in, renew, and place or change holds for any patron",
    "circulation:override": "lend or renew despite an overridable block, giving a reason",
    "transits:write": "receive copies in transit and send copies between units",
}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "cataloguer": frozenset({"records:read", "records:write", "items:write", "distribution:write"}),
    "librarian": frozenset({"records:read", "items:write", "patrons:read", "patrons:write", "circulation:write",
                            "circulation:override", "transits:write", "stats:read", "stats:write"}),
    "manager": frozenset({"records:read", "stats:read", "stats:write"}),
}


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" | "patron" | "api_key" | "sip2" (a self-check machine) | "system" (a job)
    id: int
    name: str
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # Units this principal serves (see ils.auth.gate for what it may do for others); None means
    # every unit of the network.
    unit_codes: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """How the audit trail names the actor."""
        return self.name if self.kind == "system" else f"{self.kind}:{self.name}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden("PERMISSION_DENIED", f"{self.label} lacks the permission {scope!r}")


def job(name: str = "system") -> Principal:
    """The principal of work the system does by itself (``ils daily``, the demo's history): every
    permission, every unit, named ``name`` in the event log."""
    return Principal("system", 0, name, None, frozenset(SCOPES), None)

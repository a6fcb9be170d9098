"""Blocks: the reasons a check-out, renewal or hold is refused, each with a stable code.

A use case gathers every block that applies (not just the first) so the desk shows them all at
once. An overridable block may be overridden by staff holding ``circulation:override``, who name
the codes they override and why; the override is kept on the loan and in the event log. A block
that is not overridable (the copy is on loan to someone else, the card is closed) never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ils.auth.principal import Principal
from ils.errors import Conflict, Forbidden, InvalidInput

# code: (overridable, what it means)
BLOCKS: dict[str, tuple[bool, str]] = {
    "PATRON_INACTIVE": (False, "The card is suspended or closed."),
    "PATRON_EXPIRED": (True, "The card has expired; renew it at the desk."),
    "PATRON_BLOCKED": (True, "A librarian has blocked the patron (the reason is given)."),
    "PATRON_FINES_OVER_LIMIT": (True, "The patron owes at least the fine limit of the loan rule."),
    "PATRON_HAS_OVERDUE": (True, "The patron has overdue loans."),
    "PATRON_LOAN_LIMIT": (True, "The patron has as many loans as the rule allows."),
    "PATRON_ITEM_TYPE_LIMIT": (True, "The patron has as many loans of this item type as the rule allows."),
    "PATRON_NOT_PROXY": (False, "The card presented is not a proxy of the patron."),
    "ITEM_NOT_FOR_LOAN": (True, "The loan rule lends no copies of this type to this patron (reference only)."),
    "ITEM_ON_LOAN": (False, "The copy is on loan to another patron; check it in first."),
    "ITEM_ALREADY_ON_LOAN_TO_PATRON": (False, "The patron already has this copy; renew it instead."),
    "ITEM_NOT_LOANABLE": (True, "The copy's status (processing, damaged, lost, missing) does not allow lending."),
    "ITEM_WITHDRAWN": (False, "The copy is withdrawn from the collection."),
    "ITEM_ON_HOLD_FOR_OTHER": (True, "The copy is trapped for another patron's hold."),
    "LOAN_NOT_FOUND": (False, "The copy is not on loan."),
    "RENEW_LIMIT_REACHED": (True, "The loan has been renewed as often as the rule allows."),
    "RENEW_HOLD_WAITING": (True, "Another patron is waiting for this title."),
    "RENEW_NOT_OWN_LOAN": (False, "Readers renew only their own loans."),
    # Overridable: a librarian may renew early for a reader about to travel.
    "RENEW_TOO_EARLY": (True, "The rule allows a renewal only from a number of days before the due day; "
                              "`on` is the first day it is possible."),
    "HOLD_NOT_ALLOWED": (True, "The loan rule allows this patron no holds on the title's copies."),
    "HOLD_NO_COPIES": (False, "The title has no copy that can fill a hold."),
    "HOLD_ALREADY_PLACED": (False, "The patron already has an active hold on this title."),
    "HOLD_ALREADY_ON_LOAN": (True, "The patron has a copy of this title on loan."),
}


@dataclass(frozen=True)
class Block:
    code: str
    detail: str
    on: date | None = None  # the day the block lifts by itself, where there is one (RENEW_TOO_EARLY)

    @property
    def overridable(self) -> bool:
        return BLOCKS[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"code": self.code, "detail": self.detail, "overridable": self.overridable}
        if self.on is not None:
            found["on"] = self.on.isoformat()
        return found


@dataclass(frozen=True)
class Override:
    codes: frozenset[str]
    reason: str | None


NO_OVERRIDE = Override(frozenset(), None)


def settle(blocks: list[Block], override: Override, principal: Principal, action: str) -> list[dict[str, str]]:
    """Refuse when a block stands; return the overrides to record when every block is overridden.

    A block stands if it is not overridable or not named in ``override.codes``. Naming codes
    needs the permission and a reason; naming a code that is not raised is harmless (the desk
    may send what it showed a moment ago).
    """
    if override.codes:
        if "circulation:override" not in principal.scopes:
            raise Forbidden("OVERRIDE_NOT_PERMITTED", f"{principal.label} may not override blocks",
                            blocks=[b.to_dict() for b in blocks])
        if not (override.reason or "").strip():
            raise InvalidInput("OVERRIDE_REASON_REQUIRED", "say why the block is overridden")
    standing = [b for b in blocks if not b.overridable or b.code not in override.codes]
    if standing:
        raise Conflict(f"{action.upper()}_BLOCKED", "; ".join(b.detail for b in blocks),
                       blocks=[b.to_dict() for b in blocks])
    return [{"code": b.code, "by": principal.label, "reason": override.reason or ""} for b in blocks]

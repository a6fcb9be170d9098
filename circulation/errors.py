"""Stable error codes of circulation."""

from __future__ import annotations

from circulation.blocks import BLOCKS

CODES: dict[str, str] = {
    "PATRON_NOT_FOUND": "No patron has that card number or ID card number.",
    "PATRON_CARD_TAKEN": "That card number is already issued.",
    "PATRON_ID_CARD_TAKEN": "Another patron is registered with that ID card number.",
    "PATRON_ID_CARD_INVALID": "The ID card number is not 18 characters with a valid check character.",
    "PATRON_CATEGORY_UNKNOWN": "No patron category has that code.",
    "PATRON_BLOCK_NOT_FOUND": "The patron has no block with that id.",
    "PATRON_PROXY_SELF": "A patron cannot be their own proxy.",
    "PATRON_PROXY_NOT_FOUND": "That patron is not a proxy of this one.",
    "POLICY_NOT_FOUND": "No loan rule covers the situation; the network needs a default rule (all *).",
    "POLICY_RULE_NOT_FOUND": "No loan rule has that id.",
    "UNIT_LEVEL_INVALID": "The unit level is not one of the known levels.",
}

CODES.update({
    "CHECKOUT_BLOCKED": "The check-out is refused; `blocks` lists every reason, overridable or not.",
    "RENEW_BLOCKED": "The renewal is refused; `blocks` lists every reason.",
    "HOLD_BLOCKED": "The hold is refused; `blocks` lists every reason.",
    "OVERRIDE_NOT_PERMITTED": "Overriding blocks needs the circulation:override permission.",
    "OVERRIDE_REASON_REQUIRED": "An override needs a reason.",
    "ITEM_WITHDRAWN": "The copy is withdrawn; it cannot be checked in or lent.",
    "ITEM_DAMAGED": "The copy is marked damaged; mark it available before it circulates.",
    "LOAN_NOT_FOUND": "The copy is not on loan.",
    "HOLD_NOT_FOUND": "No hold has that id.",
    "HOLD_NOT_ACTIVE": "The hold is fulfilled, cancelled or expired.",
    "HOLD_ALREADY_TRAPPED": "A copy is already trapped for the hold; it cannot be suspended.",
    "HOLD_TARGET_MISSING": "Give record_id or barcode, not both and not neither.",
    "NOT_OWN_ACCOUNT": "A reader may act only on their own card.",
    "PAYMENT_TOO_LARGE": "The payment is more than the patron owes.",
})

# Block codes appear inside a refusal's `blocks`; they are stable codes too.
CODES.update({code: f"(block{', overridable' if overridable else ''}) {meaning}"
              for code, (overridable, meaning) in BLOCKS.items() if code not in CODES})

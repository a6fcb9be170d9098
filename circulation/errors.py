"""Stable error codes of circulation."""

from __future__ import annotations

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

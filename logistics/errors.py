"""Stable error codes of logistics."""

from __future__ import annotations

CODES: dict[str, str] = {
    "TRANSIT_NOT_FOUND": "The copy has no open transit.",
    "TRANSIT_ALREADY_OPEN": "The copy is already travelling; receive or cancel that transit first.",
    "TRANSIT_SAME_UNIT": "A transit must go to another unit than the one the copy is at.",
    "RETURN_POLICY_INVALID": "The return policy is not home or float, or names an unknown system or float group.",
    "FLOAT_GROUP_NOT_FOUND": "No float group has that code.",
    "ROUTE_NOT_FOUND": "No route has that code.",
    "ROUTE_INVALID": "The route calls at a unit twice in a row, or lists an exception day twice.",
}

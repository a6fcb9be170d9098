"""Stable error codes of logistics."""

from __future__ import annotations

CODES: dict[str, str] = {
    "TRANSIT_NOT_FOUND": "The copy has no open transit.",
    "TRANSIT_ALREADY_OPEN": "The copy is already travelling; receive or cancel that transit first.",
    "TRANSIT_SAME_UNIT": "A transit must go to another unit than the one the copy is at.",
    "RETURN_POLICY_INVALID": "The return policy is not home or float, or names an unknown system or float group.",
    "FLOAT_GROUP_NOT_FOUND": "No float group has that code.",
    "ROUTE_NOT_FOUND": "No route has that code.",
    "ROUTE_IN_USE": "The route has runs or crates on record; switch it off (active: false) instead of deleting it.",
    "DISTRIBUTION_INVALID": "The plan names no units, a unit twice, a unit without population, bad quotas, "
                            "or copies that are not on hand to send.",
    "DISTRIBUTION_NOT_FOUND": "No distribution plan has that id.",
    "DISTRIBUTION_EXECUTED": "The plan was executed already.",
    "CRATE_NOT_PACKING": "The crate is closed, on its way, or being packed at another unit.",
    "CRATE_NOT_CLOSED": "The crate must be closed (and not yet received) for this.",
    "CRATE_WRONG_DESTINATION": "The crate goes to another unit than the copy's next hop.",
    "CRATE_WRONG_UNIT": "The crate or copy is not at this unit (the answer names where it goes).",
    "CRATE_ITEM_ELSEWHERE": "The copy is already packed in another crate.",
    "CRATE_NOT_FOUND": "The crate has no trip.",
    "RUN_NOT_SCHEDULED": "The route does not run on that day.",
    "RUN_WRONG_ROUTE": "The route does not call at the crate's unit and then at its destination.",
    "CRATE_TRANSITION_INVALID": "A crate trip cannot change from its status to the one asked.",
    "ROUTE_INVALID": "The route calls at a unit twice in a row, or lists an exception day twice.",
}

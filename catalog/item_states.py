"""The item (copy) state machine: every status change goes through ``check_transition``.

Circulation and logistics drive most changes (loans, transits, the hold shelf); staff set the
rest by hand (damaged, missing, withdrawn, back on the shelf). A transition not in the table
is refused with ITEM_TRANSITION_INVALID, so a copy on loan cannot be put back on the shelf by
a status edit, and a withdrawn copy never comes back by accident.
"""

from __future__ import annotations

from ils.errors import Conflict

TRANSITIONS: dict[str, frozenset[str]] = {
    "processing": frozenset({"available", "in_transit", "withdrawn"}),
    "available": frozenset({"on_loan", "in_transit", "on_hold_shelf", "lost", "missing", "damaged", "withdrawn",
                            "processing"}),
    "on_loan": frozenset({"available", "in_transit", "on_hold_shelf", "lost", "missing"}),
    "in_transit": frozenset({"available", "on_hold_shelf", "on_loan", "missing", "damaged"}),
    "on_hold_shelf": frozenset({"available", "on_loan", "in_transit", "missing"}),
    "lost": frozenset({"available", "in_transit", "withdrawn"}),
    "missing": frozenset({"available", "in_transit", "withdrawn"}),
    "damaged": frozenset({"available", "processing", "withdrawn"}),
    "withdrawn": frozenset(),
}

# What staff may set by hand through PATCH /items/{barcode}; the rest belongs to circulation
# and logistics use cases.
MANUAL = frozenset({"available", "processing", "damaged", "missing", "withdrawn"})


def check_transition(current: str, new: str) -> None:
    if new != current and new not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (final)"
        raise Conflict("ITEM_TRANSITION_INVALID", f"a copy that is {current} cannot become {new} (allowed: {allowed})",
                       extra={"status": current})

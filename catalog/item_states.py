"""The item (copy) state machine: every status change goes through ``check_transition``.

Two tables. ``TRANSITIONS`` holds every change a use case makes through ``move_item``, with the
use case beside it; ``STAFF_TRANSITIONS`` is the part of it a librarian may make by hand
(PATCH /items/{barcode}): damaged, missing from the shelf, withdrawn, processing, back on the
shelf. A copy on loan, in transit or on a hold shelf stands for a row elsewhere (a loan, a
transit, a trapped hold) that has to change with it, so it leaves that status only through
circulation's and logistics' use cases (check-in, lost, claims returned, receive, missing in
transit, check-out, a hold's cancel or expiry), never by a status edit: the edit is refused
with the code in ``TIES`` that says which of those to use instead. A withdrawn copy never
comes back.
"""

from __future__ import annotations

from ils.errors import Conflict

TRANSITIONS: dict[str, frozenset[str]] = {
    "processing": frozenset({
        "available",   # staff: ready for the shelf; distribution: already at its unit; check-in
        "in_transit",  # distribution: sent to the unit it is bought for
        "withdrawn",   # staff
    }),
    "available": frozenset({
        "on_loan",        # check-out
        "in_transit",     # check-in away from home, trapped for a hold elsewhere, distribution
        "on_hold_shelf",  # trapped for a hold collected here
        "missing",        # staff: not on the shelf
        "damaged",        # staff; a crate arrived with it damaged
        "withdrawn",      # staff
        "processing",     # staff: back to the workroom (relabel, repair)
    }),
    "on_loan": frozenset({
        "available",      # check-in: shelved here
        "in_transit",     # check-in: sent home, on, or to a hold's pickup unit
        "on_hold_shelf",  # check-in: trapped for a hold collected here
        "lost",           # the reader reports it lost
        "missing",        # claims returned
    }),
    "in_transit": frozenset({
        "available",      # received at its destination
        "on_hold_shelf",  # received at (or trapped on its way for) a hold's pickup unit
        "on_loan",        # lent on its way
        "missing",        # missing in transit
        "damaged",        # arrived damaged
    }),
    "on_hold_shelf": frozenset({
        "available",   # the hold is cancelled or expires and no one else wants it here
        "on_loan",     # collected
        "in_transit",  # the pickup unit changed, it strayed, or the next reader or home is elsewhere
    }),
    "lost": frozenset({
        "available",  # found: check-in or check-out (the lost charge is waived); staff, with no loan
        "withdrawn",  # staff, with no loan still on a reader's record
    }),
    "missing": frozenset({
        "available",  # found: check-in or check-out; staff, back on the shelf with no loan
        "lost",       # a claimed-returned loan is reported lost after all
        "withdrawn",  # staff
    }),
    "damaged": frozenset({
        "available",   # staff: repaired; a check-out over the block
        "processing",  # staff: sent for repair
        "withdrawn",   # staff
    }),
    "withdrawn": frozenset(),
}

# What a staff status edit may do: a part of TRANSITIONS, and nothing out of the statuses that
# belong to circulation and logistics.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    "processing": frozenset({"available", "withdrawn"}),
    "available": frozenset({"processing", "missing", "damaged", "withdrawn"}),
    "on_loan": frozenset(),
    "in_transit": frozenset(),
    "on_hold_shelf": frozenset(),
    "lost": frozenset({"available", "withdrawn"}),
    "missing": frozenset({"available", "withdrawn"}),
    "damaged": frozenset({"available", "processing", "withdrawn"}),
    "withdrawn": frozenset(),
}

# What staff may set by hand through PATCH /items/{barcode}; the rest belongs to circulation
# and logistics use cases.
MANUAL = frozenset().union(*STAFF_TRANSITIONS.values())

# What ties a copy to a reader or a journey, and the code a status edit is refused with: each
# says what to do instead. Circulation and logistics name the tie (see catalog.items.on_status_edit);
# the three statuses in STATUS_TIES are one by themselves.
TIES: dict[str, tuple[str, str]] = {
    "loan": ("ITEM_ON_LOAN_CHECK_IN_FIRST",
             "copy {barcode} is on loan: check it in first, or mark it lost or claims returned"),
    "lost": ("ITEM_LOST_CHECK_IN_FIRST",
             "copy {barcode} is lost on a reader's record: check it in when it turns up (that closes the loan "
             "and waives the charge)"),
    "claimed_returned": ("ITEM_CLAIMED_RETURNED_CHECK_IN_FIRST",
                         "copy {barcode} is missing after its reader claimed it returned: check it in when it turns "
                         "up (that closes the loan), or mark it lost"),
    "transit": ("ITEM_IN_TRANSIT_RECEIVE_FIRST",
                "copy {barcode} is in transit: receive it (check it in) where it is, or mark it missing in transit"),
    "hold": ("ITEM_ON_HOLD_SHELF_CANCEL_HOLD_FIRST",
             "copy {barcode} is on the hold shelf for a reader: lend it to them, or cancel the hold first"),
}
STATUS_TIES: dict[str, str] = {"on_loan": "loan", "in_transit": "transit", "on_hold_shelf": "hold"}


def check_transition(current: str, new: str, *, staff: bool = False) -> None:
    """Refuse a change the table does not hold; ``staff``: by hand, the narrower table."""
    table = STAFF_TRANSITIONS if staff else TRANSITIONS
    if new != current and new not in table.get(current, frozenset()):
        allowed = ", ".join(sorted(table.get(current, ()))) or ("none by hand" if staff else "none (final)")
        raise Conflict("ITEM_TRANSITION_INVALID", f"a copy that is {current} cannot become {new} (allowed: {allowed})",
                       extra={"status": current})


def tie_refusal(tie: str, barcode: str, status: str) -> Conflict:
    """The refusal of a status edit on a copy tied to a reader or a journey."""
    code, detail = TIES[tie]
    return Conflict(code, detail.format(barcode=barcode), extra={"status": status})

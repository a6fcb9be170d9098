"""The item state machine: one test per allowed transition, and the refusals that matter."""

from __future__ import annotations

import pytest

from typing import get_args

from catalog.errors import CODES
from catalog.item_states import MANUAL, STAFF_TRANSITIONS, STATUS_TIES, TIES, TRANSITIONS, check_transition
from catalog.models import ITEM_STATUSES
from catalog.schemas import ItemUpdate
from ils.errors import Conflict

ALL = sorted((c, n) for c, targets in TRANSITIONS.items() for n in targets)
BY_HAND = sorted((c, n) for c, targets in STAFF_TRANSITIONS.items() for n in targets)


def test_every_status_has_a_row_and_every_target_is_a_status():
    assert set(TRANSITIONS) == set(STAFF_TRANSITIONS) == set(ITEM_STATUSES)
    assert all(targets <= set(ITEM_STATUSES) for targets in TRANSITIONS.values())
    assert set(BY_HAND) <= set(ALL)  # staff make only changes the use cases' table holds
    assert MANUAL == set(get_args(ItemUpdate.model_fields["status"].annotation))


def test_a_copy_lent_travelling_or_on_a_hold_shelf_leaves_only_through_circulation():
    for status in ("on_loan", "in_transit", "on_hold_shelf"):
        assert STAFF_TRANSITIONS[status] == frozenset() and TRANSITIONS[status]
        assert STATUS_TIES[status] in TIES
    assert all(code in CODES for code, _ in TIES.values())


@pytest.mark.parametrize("current,new", ALL)
def test_allowed_transition(current, new):
    check_transition(current, new)


@pytest.mark.parametrize("current,new", BY_HAND)
def test_allowed_by_hand(current, new):
    check_transition(current, new, staff=True)


@pytest.mark.parametrize("current,new", sorted(set(ALL) - set(BY_HAND)))
def test_only_a_use_case_makes(current, new):
    with pytest.raises(Conflict) as caught:
        check_transition(current, new, staff=True)
    assert caught.value.code == "ITEM_TRANSITION_INVALID"


@pytest.mark.parametrize("current,new", [
    ("on_loan", "damaged"),       # a copy on loan is checked in first
    ("on_loan", "withdrawn"),
    ("withdrawn", "available"),   # withdrawal is final
    ("processing", "on_loan"),    # not yet on the shelf
    ("lost", "on_loan"),
    ("on_hold_shelf", "missing"),  # the hold is released first, then the copy is looked for
    ("lost", "in_transit"),        # a copy found is checked in (available) before it travels
])
def test_refused_transition(current, new):
    with pytest.raises(Conflict) as caught:
        check_transition(current, new)
    assert caught.value.code == "ITEM_TRANSITION_INVALID"


def test_staying_in_a_status_is_not_a_transition():
    for status in ITEM_STATUSES:
        check_transition(status, status)


def test_staff_cannot_revive_a_withdrawn_copy_through_the_api(client, db):
    from catalog.importer import ImportOptions, import_marc
    from tests.support.factories import make_network, staff
    from tests.support.marc import cnmarc, iso2709

    make_network(db)
    import_marc(db, iso2709([cnmarc("围城", holdings=[("DC", "W1")])]), ImportOptions(filename="w.iso"))
    headers = staff(client, db, "librarian", ("DC",))
    assert client.patch("/api/v1/items/W1", headers=headers, json={"status": "withdrawn"}).status_code == 200
    refused = client.patch("/api/v1/items/W1", headers=headers, json={"status": "available"})
    assert refused.status_code == 409 and refused.json()["error"] == "ITEM_TRANSITION_INVALID"
    assert client.get("/api/v1/items/W1", headers=headers).json()["status"] == "withdrawn"
    # The change that happened is on the append-only event table; the refused one is not.
    from sqlalchemy import select

    from ils.events import Event

    with db.session(write=False) as s:
        events = [(e.kind, e.subject, e.actor, e.unit_code, e.before, e.after) for e in s.scalars(select(Event))]
    assert events == [("item.status", "item:W1", "staff:librarian-dc", "DC", {"status": "available"},
                       {"status": "withdrawn"})]

"""The loan, hold and transit state tables: every designed transition is allowed, every other
one is refused with the table's stable code."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import pytest

from circulation.models import HOLD_STATES, HOLD_STATUSES, LOAN_STATES, LOAN_STATUSES
from ils.errors import Conflict
from logistics.models import TRANSIT_STATES, TRANSIT_STATUSES

MACHINES = [(LOAN_STATES, LOAN_STATUSES), (HOLD_STATES, HOLD_STATUSES), (TRANSIT_STATES, TRANSIT_STATUSES)]
CASES = [(machine, a, b) for machine, statuses in MACHINES for a, b in product(statuses, statuses)]


@dataclass
class Row:
    status: str


@pytest.mark.parametrize(("machine", "current", "new"), CASES,
                         ids=[f"{m.name}:{a}->{b}" for m, a, b in CASES])
def test_each_transition_is_allowed_exactly_when_the_table_says(machine, current, new):
    row = Row(current)
    if new in machine.transitions[current]:
        assert machine.move(row, new) == current and row.status == new
    else:
        with pytest.raises(Conflict) as refused:
            machine.move(row, new)
        assert refused.value.code == f"{machine.name.upper()}_TRANSITION_INVALID"
        assert row.status == current


def test_every_status_has_a_row_in_its_table_and_final_states_go_nowhere():
    for machine, statuses in MACHINES:
        assert set(machine.transitions) == set(statuses)
    assert not LOAN_STATES.transitions["returned"]
    assert not any(HOLD_STATES.transitions[s] for s in ("fulfilled", "cancelled", "expired"))
    assert not TRANSIT_STATES.transitions["received"] and not TRANSIT_STATES.transitions["cancelled"]
    # A lost loan is settled only by the copy coming back.
    assert LOAN_STATES.transitions["lost"] == {"returned"}

"""Property: whatever order desks and staff act in — check-out (over blocks or not), check-in
anywhere, holds placed and cancelled, lost, claims returned, transits received or given up,
days passing with the hold shelf expiring, and staff status edits — every action is either done
or refused with a stable code (never a 500), and ``circulation.audit`` finds nothing wrong after
each one.

A staff status edit is refused exactly when the copy is tied to a reader or a journey (a loan
not returned, a trapped hold, an open transit), with the code that says what to do instead;
otherwise it does what the staff table allows, and no waiting hold keeps pointing at a copy it
took off the shelf. Hypothesis drives the HTTP API, which runs each action as one use case in
one transaction, on SQLite and PostgreSQL; a failure is shrunk to the shortest sequence that
shows it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.item_states import MANUAL, STAFF_TRANSITIONS, TIES
from catalog.models import Item
from circulation import audit
from circulation.blocks import BLOCKS
from circulation.models import ACTIVE_HOLD, TRAPPED_HOLD, Hold, Loan
from ils.clock import FixedClock, set_clock
from ils.config import get_settings
from ils.db import Database
from ils.network.models import Unit
from logistics.models import Transit
from tests.support.db import reset
from tests.support.library import Library, library

CARDS = ["DC00000001", "DC00000002", "DC00000003"]
COPIES = {"B1": "DC-TD", "B2": "DC-TD", "B3": "DC-WL"}
UNITS = ["DC-TD", "DC-WL", "DC-TD-01", "DC"]
TIE_CODES = {code for code, _ in TIES.values()}
EVERY_OVERRIDE = {"override": sorted(code for code, (overridable, _) in BLOCKS.items() if overridable),
                  "override_reason": "测试"}
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # a Monday, as in tests/conftest.py

cards, barcodes, units = st.sampled_from(CARDS), st.sampled_from(sorted(COPIES)), st.sampled_from(UNITS)


def _tied(s: Session, item_id: int) -> bool:
    """What the audit would find broken if the copy's status were changed by hand."""
    loan = s.scalar(select(func.count()).select_from(Loan).where(Loan.item_id == item_id, Loan.status != "returned"))
    hold = s.scalar(select(func.count()).select_from(Hold).where(Hold.item_id == item_id,
                                                                 Hold.status.in_(TRAPPED_HOLD)))
    transit = s.scalar(select(func.count()).select_from(Transit).where(Transit.item_id == item_id,
                                                                       Transit.status == "open"))
    return bool(loan or hold or transit)


def _machine(client: Any, db: Database, outcomes: Counter[str]) -> type[RuleBasedStateMachine]:
    class DesksAndStaff(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            reset(db)
            self.clock = FixedClock(T0)
            set_clock(self.clock)
            self.lib: Library = library(client, db, loan_days=7, max_items=2, hold_shelf_days=2,
                                        fine_per_day_fen=10, fine_limit_fen=500)
            self.record = self.lib.title("红楼梦", COPIES)
            for card in CARDS:
                self.lib.reader(card, expires_on="2099-12-31")

        def act(self, name: str, method: str, path: str, body: dict[str, Any] | None = None) -> str | None:
            """One request, one use case, one transaction: done (None) or refused with a stable
            code. A 500 raises out of the test client and fails the test."""
            response = client.request(method, f"/api/v1{path}", headers=self.lib.desk, json=body)
            if response.status_code in (200, 201):
                outcomes[f"{name}: done"] += 1
                return None
            assert response.status_code == 409, f"{method} {path} {body}: {response.status_code} {response.text}"
            code = response.json()["error"]
            outcomes[f"{name}: {code}"] += 1
            return str(code)

        @rule(card=cards, barcode=barcodes, unit=units, override=st.booleans())
        def check_out(self, card: str, barcode: str, unit: str, override: bool) -> None:
            self.act("check-out", "POST", "/circulation/checkout",
                     {"card": card, "barcode": barcode, "unit": unit, **(EVERY_OVERRIDE if override else {})})

        @rule(barcode=barcodes, unit=units)
        def check_in(self, barcode: str, unit: str) -> None:
            self.act("check-in", "POST", "/circulation/checkin", {"barcode": barcode, "unit": unit})

        def one_of(self, query: Any, pick: int) -> Any:
            """A row of ``query`` (say, the copies now travelling), or None: the actions that
            only make sense for some copies mostly pick one of those, so few steps are wasted."""
            with db.session(write=False) as s:
                rows = s.execute(query).all()
            return rows[pick % len(rows)] if rows else None

        @rule(pick=st.integers(min_value=0, max_value=9), unit=st.none() | units)
        def receive(self, pick: int, unit: str | None) -> None:
            """At its destination (unit None), or scanned at some other unit on the way."""
            row = self.one_of(select(Item.barcode, Unit.code).join(Transit, Transit.item_id == Item.id)
                              .join(Unit, Unit.id == Transit.to_unit_id).where(Transit.status == "open")
                              .order_by(Item.barcode), pick)
            if row is not None:
                self.act("receive", "POST", "/transits/receive", {"barcode": row[0], "unit": unit or row[1]})

        @rule(pick=st.integers(min_value=0, max_value=9))
        def give_up_in_transit(self, pick: int) -> None:
            row = self.one_of(select(Item.barcode).where(Item.status == "in_transit").order_by(Item.barcode), pick)
            if row is not None:
                self.act("missing in transit", "POST", "/transits/missing", {"barcode": row[0]})

        @rule(pick=st.integers(min_value=0, max_value=9), lost=st.booleans())
        def lost_or_claimed_returned(self, pick: int, lost: bool) -> None:
            row = self.one_of(select(Item.barcode).join(Loan, Loan.item_id == Item.id)
                              .where(Loan.status.in_(("open", "claimed_returned"))).order_by(Item.barcode), pick)
            if row is not None:
                self.act("lost/claims returned", "POST",
                         "/circulation/lost" if lost else "/circulation/claims-returned", {"barcode": row[0]})

        @rule(card=cards, pickup=units, barcode=st.none() | barcodes)
        def place_hold(self, card: str, pickup: str, barcode: str | None) -> None:
            target = {"barcode": barcode} if barcode else {"record_id": self.record}
            self.act("place hold", "POST", "/holds", {"card": card, "pickup_unit": pickup, **target})

        @rule(pick=st.integers(min_value=0, max_value=20))
        def cancel_hold(self, pick: int) -> None:
            with db.session(write=False) as s:
                active = list(s.scalars(select(Hold.id).where(Hold.status.in_(ACTIVE_HOLD)).order_by(Hold.id)))
            if active:
                self.act("cancel hold", "DELETE", f"/holds/{active[pick % len(active)]}")

        @rule(days=st.integers(min_value=1, max_value=4))
        def days_pass(self, days: int) -> None:
            self.clock.advance(days=days)  # the desk's token outlives the run (see the test)
            self.act("expire shelf", "POST", "/holds/expire")

        @rule(barcode=barcodes, status=st.sampled_from(sorted(MANUAL - {"available"})))
        def staff_takes_off_the_shelf(self, barcode: str, status: str) -> None:
            self.staff_edit(barcode, status)

        @rule(barcode=barcodes)
        def staff_puts_back_on_the_shelf(self, barcode: str) -> None:
            self.staff_edit(barcode, "available")

        def staff_edit(self, barcode: str, status: str) -> None:
            with db.session(write=False) as s:
                item = s.scalars(select(Item).where(Item.barcode == barcode)).one()
                before, item_id, tied = item.status, item.id, _tied(s, item.id)
            refused = self.act("staff edit", "PATCH", f"/items/{barcode}", {"status": status})
            with db.session(write=False) as s:
                after = s.scalar(select(Item.status).where(Item.id == item_id))
                pointing = list(s.scalars(select(Hold.id).where(Hold.status == "waiting",
                                                                Hold.target_item_id == item_id)))
            if status == before:
                assert refused is None and after == before
            elif tied:
                assert refused in TIE_CODES and after == before, (before, status, refused)
            elif status in STAFF_TRANSITIONS[before]:
                assert refused is None and after == status, (before, status, refused)
            else:
                assert refused == "ITEM_TRANSITION_INVALID" and after == before, (before, status, refused)
            if refused is None and after != "available":
                assert pointing == [], f"holds {pointing} still point at {barcode}, which is {after}"

        @invariant()
        def books_balance(self) -> None:
            with db.session(write=False) as s:
                assert audit.check(s) == []

    return DesksAndStaff


def test_any_order_of_desk_and_staff_actions_keeps_the_audit_clean(client, db, monkeypatch):
    # Days pass in every sequence; logging in again after each (argon2) would be most of the run.
    monkeypatch.setenv("ILS_TOKEN_MINUTES", str(365 * 24 * 60))
    get_settings.cache_clear()
    outcomes: Counter[str] = Counter()
    run_state_machine_as_test(
        _machine(client, db, outcomes),
        settings=settings(max_examples=10, stateful_step_count=30, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
    print(sorted(outcomes.items()))
    # The sequences reached what the property is about: copies lent and returned, and edits
    # made by hand (each refusal of a tied copy is checked where it happens, and every code has
    # its own test in tests/catalog/test_item_status_edits.py).
    assert outcomes["check-out: done"] and outcomes["check-in: done"] and outcomes["staff edit: done"]

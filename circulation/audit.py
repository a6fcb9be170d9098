"""Invariants of circulation, checked against the database as it stands.

``check(session)`` reads loans, holds, transits, copies and the event table and returns one
line per violation; an empty list means the books balance. It proves what the unique indexes
and the lock order are meant to guarantee — no copy lent twice, no copy trapped for two holds,
one journey at a time — and the cross-table agreements no constraint can express: a copy's
status matches its loans, transits and holds, readers stay within their loan limits, and the
audit trail has exactly one check-out (and one check-in) event per loan.

Tests and benchmarks run it after hammering the service from many clients at once. Operators
may run it on a live database (it only reads) after an incident, a restore or a data migration,
to find copies whose status no longer tells the truth before a reader is turned away for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from catalog.public import Item
from circulation.models import TRAPPED_HOLD, CirculationRule, Hold, Loan
from ils.events import Event
from logistics.public import Transit


def check(session: Session) -> list[str]:
    """Every violation found, as a sentence naming the copy, loan or hold concerned."""
    return [
        *_one_active_loan_per_copy(session),
        *_one_trapped_hold_per_copy(session),
        *_copy_status_matches_loans(session),
        *_copy_status_matches_transits(session),
        *_trapped_holds_match_their_copy(session),
        *_loan_limits_kept(session),
        *_loans_have_their_events(session),
    ]


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in sorted(values))


def _one_active_loan_per_copy(session: Session) -> list[str]:
    rows = session.execute(
        select(Item.barcode, func.count()).join(Loan, Loan.item_id == Item.id)
        .where(Loan.status != "returned").group_by(Item.barcode).having(func.count() > 1)
    )
    return [f"copy {barcode} has {n} loans not returned" for barcode, n in rows]


def _one_trapped_hold_per_copy(session: Session) -> list[str]:
    problems = [
        f"hold {hold_id} is {status} but has no copy"
        for hold_id, status in session.execute(
            select(Hold.id, Hold.status).where(Hold.status.in_(TRAPPED_HOLD), Hold.item_id.is_(None)))
    ]
    rows = session.execute(
        select(Item.barcode, func.count()).join(Hold, Hold.item_id == Item.id)
        .where(Hold.status.in_(TRAPPED_HOLD)).group_by(Item.barcode).having(func.count() > 1)
    )
    problems += [f"copy {barcode} is trapped for {n} holds at once" for barcode, n in rows]
    return problems


def _copy_status_matches_loans(session: Session) -> list[str]:
    open_loans = (select(Loan.item_id, func.count().label("n")).where(Loan.status == "open")
                  .group_by(Loan.item_id).subquery())
    n = func.coalesce(open_loans.c.n, 0)
    rows = session.execute(
        select(Item.barcode, Item.status, n).outerjoin(open_loans, open_loans.c.item_id == Item.id)
        .where(or_(and_(Item.status == "on_loan", n != 1), and_(Item.status != "on_loan", n > 0)))
    )
    problems = [f"copy {barcode} is {status} with {count} open loans" for barcode, status, count in rows]
    # A lost loan keeps the copy lost, a claimed-returned one keeps it missing, until it turns up.
    for loan_status, item_status in (("lost", "lost"), ("claimed_returned", "missing")):
        rows = session.execute(
            select(Item.barcode, Item.status, Loan.id).join(Loan, Loan.item_id == Item.id)
            .where(Loan.status == loan_status, Item.status != item_status)
        )
        problems += [f"copy {barcode} is {status} but its loan {loan_id} is {loan_status}"
                     for barcode, status, loan_id in rows]
    return problems


def _copy_status_matches_transits(session: Session) -> list[str]:
    open_transits = (select(Transit.item_id, func.count().label("n")).where(Transit.status == "open")
                     .group_by(Transit.item_id).subquery())
    n = func.coalesce(open_transits.c.n, 0)
    rows = session.execute(
        select(Item.barcode, Item.status, n).outerjoin(open_transits, open_transits.c.item_id == Item.id)
        .where(or_(n > 1, and_(Item.status == "in_transit", n != 1), and_(Item.status != "in_transit", n > 0)))
    )
    return [f"copy {barcode} is {status} with {count} open transits" for barcode, status, count in rows]


def _trapped_holds_match_their_copy(session: Session) -> list[str]:
    journey = exists().where(
        Transit.item_id == Hold.item_id, Transit.status == "open",
        Transit.reference == literal("hold:") + cast(Hold.id, String),
    )
    problems = [
        f"hold {hold_id} is in_transit but copy {barcode} has no open transit for it"
        for hold_id, barcode in session.execute(
            select(Hold.id, Item.barcode).join(Item, Item.id == Hold.item_id)
            .where(Hold.status == "in_transit", ~journey))
    ]
    problems += [
        f"hold {hold_id} is ready but copy {barcode} is {status} at unit {unit_id}, not on the hold shelf at "
        f"unit {pickup_id}"
        for hold_id, barcode, status, unit_id, pickup_id in session.execute(
            select(Hold.id, Item.barcode, Item.status, Item.current_unit_id, Hold.pickup_unit_id)
            .join(Item, Item.id == Hold.item_id)
            .where(Hold.status == "ready",
                   or_(Item.status != "on_hold_shelf", Item.current_unit_id != Hold.pickup_unit_id)))
    ]
    # The converse: a copy left on a hold shelf for nobody is never collected nor reshelved.
    waiting_reader = exists().where(Hold.item_id == Item.id, Hold.status == "ready")
    problems += [
        f"copy {barcode} is on the hold shelf but no ready hold is for it"
        for (barcode,) in session.execute(select(Item.barcode).where(Item.status == "on_hold_shelf", ~waiting_reader))
    ]
    return problems


def _loan_limits_kept(session: Session) -> list[str]:
    """No reader holds more open loans than the most generous rule allows, overrides aside.

    An approximation: the limit that applied to a loan depends on the reader's category, the
    copy's type and the lending unit, and rules may change later. The largest ``max_items`` of
    all rules bounds every one of them, so exceeding it proves a limit was broken, while a
    breach of a tighter rule goes unseen. Loans lent over a block (their ``overrides`` say who
    allowed it) are left out of the count: each loan lent without one was lent while the reader
    had fewer loans than the limit, so those alone never exceed it. Lowering every rule's limit
    below what readers already hold would make this report readers who did nothing wrong.
    """
    limit = session.scalar(select(func.max(CirculationRule.max_items)))
    if limit is None:
        return []
    crowded = list(session.scalars(
        select(Loan.patron_id).where(Loan.status == "open").group_by(Loan.patron_id).having(func.count() > limit)))
    if not crowded:
        return []
    # Whether a JSON list is empty cannot be asked the same way of SQLite and PostgreSQL.
    plain: Counter[int] = Counter()
    for patron_id, overrides in session.execute(
            select(Loan.patron_id, Loan.overrides).where(Loan.status == "open", Loan.patron_id.in_(crowded))):
        if not overrides:
            plain[patron_id] += 1
    return [f"patron {patron_id} has {n} open loans lent without an override, over the limit of {limit}"
            for patron_id, n in sorted(plain.items()) if n > limit]


def _loans_have_their_events(session: Session) -> list[str]:
    """One ``loan.checkout`` event per loan; one ``loan.checkin`` event per returned loan and
    none for a loan still out. Events are read into Python because querying inside JSON
    differs between SQLite and PostgreSQL."""
    counts: Counter[tuple[str, int]] = Counter()
    for kind, after in session.execute(
            select(Event.kind, Event.after).where(Event.kind.in_(("loan.checkout", "loan.checkin")))):
        loan_id = (after or {}).get("loan_id")
        if loan_id is not None:  # a check-in of a copy that was not on loan names no loan
            counts[(kind, loan_id)] += 1
    loans = {loan_id: status for loan_id, status in session.execute(select(Loan.id, Loan.status))}
    problems: list[str] = []
    for loan_id, status in sorted(loans.items()):
        checkouts, checkins = counts[("loan.checkout", loan_id)], counts[("loan.checkin", loan_id)]
        if checkouts != 1:
            problems.append(f"loan {loan_id} has {checkouts} loan.checkout events")
        expected = 1 if status == "returned" else 0
        if checkins != expected:
            problems.append(f"loan {loan_id} is {status} and has {checkins} loan.checkin events")
    unknown = {loan_id for _, loan_id in counts if loan_id not in loans}
    if unknown:
        problems.append(f"events name loans that do not exist: {_ids(unknown)}")
    return problems

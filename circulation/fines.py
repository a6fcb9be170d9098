"""Fines and payments, in fen. Most networks set no daily rate, so no overdue fine is ever
charged; a lost copy is charged at the rule's share of its price (赔偿)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from circulation import repository as repo
from circulation.models import Fine, Loan, Patron, Payment
from circulation.policy import Rule
from ils.auth import gate
from ils.auth.principal import Principal
from ils.errors import InvalidInput
from ils.events import record_event


def charge_overdue(session: Session, loan: Loan, rule: Rule | None, returned_on: date,
                   now: datetime) -> Fine | None:
    if rule is None or not rule.fine_per_day_fen or returned_on <= loan.due_on:
        return None
    days = (returned_on - loan.due_on).days
    fine = Fine(patron_id=loan.patron_id, loan_id=loan.id, kind="overdue", amount_fen=days * rule.fine_per_day_fen,
                paid_fen=0, waived_fen=0, created_at=now, note=f"超期 {days} 天")
    session.add(fine)
    return fine


def charge_lost(session: Session, loan: Loan, rule: Rule | None, price_fen: int | None,
                now: datetime) -> Fine | None:
    percent = rule.lost_fee_percent if rule is not None else 100
    amount = (price_fen or 0) * percent // 100
    if amount <= 0:
        return None
    fine = Fine(patron_id=loan.patron_id, loan_id=loan.id, kind="lost", amount_fen=amount, paid_fen=0,
                waived_fen=0, created_at=now, note="遗失赔偿")
    session.add(fine)
    return fine


def waive_lost(session: Session, loan: Loan) -> None:
    """The lost copy turned up: what was not yet paid of its charge is waived."""
    fine = repo.lost_fine(session, loan.id)
    if fine is not None:
        fine.waived_fen = fine.amount_fen - fine.paid_fen


def pay(session: Session, patron: Patron, amount_fen: int, method: str, unit_id: int, unit_code: str,
        principal: Principal, now: datetime) -> Payment:
    """Take a payment at one's own desk and settle the oldest fines first. Money stays within a
    system: a reader of another system pays at a desk of their own."""
    gate.check(session, principal, "payment.take", desk=unit_id, home=patron.unit_id)
    actor = principal.label
    fines = repo.open_fines(session, patron.id)
    owed = sum(f.amount_fen - f.paid_fen - f.waived_fen for f in fines)
    if amount_fen > owed:
        raise InvalidInput("PAYMENT_TOO_LARGE", f"the patron owes {owed} fen, less than {amount_fen}",
                           extra={"owed_fen": owed})
    left = amount_fen
    for fine in fines:
        part = min(left, fine.amount_fen - fine.paid_fen - fine.waived_fen)
        fine.paid_fen += part
        left -= part
        if left == 0:
            break
    payment = Payment(patron_id=patron.id, amount_fen=amount_fen, unit_id=unit_id, paid_at=now, received_by=actor,
                      method=method)
    session.add(payment)
    session.flush()
    record_event(session, "fine.paid", f"patron:{patron.card_number}", actor=actor, now=now, unit_code=unit_code,
                 before={"owed_fen": owed}, after={"owed_fen": owed - amount_fen, "payment_id": payment.id})
    return payment

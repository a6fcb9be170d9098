"""A patron's standing: the blocks that come from the patron, whatever the copy.

Shared by check-out, renewal and holds, so a reader is told the same thing at every desk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy.orm import Session

from circulation import repository as repo
from circulation.blocks import Block
from circulation.models import Loan, Patron
from circulation.policy import Rule


def accruing_fen(loans: Iterable[Loan], rules_by_id: Mapping[int, Rule], today: date) -> int:
    """Overdue fines still growing on open loans (charged for real when the copy comes back)."""
    total = 0
    for loan in loans:
        rule = rules_by_id.get(loan.rule_id) if loan.rule_id is not None else None
        if rule is not None and rule.fine_per_day_fen and loan.status == "open" and loan.due_on < today:
            total += (today - loan.due_on).days * rule.fine_per_day_fen
    return total


def patron_blocks(session: Session, patron: Patron, rule: Rule, loans: Iterable[Loan],
                  rules_by_id: Mapping[int, Rule], today: date, *, skip_loan_id: int | None = None) -> list[Block]:
    blocks: list[Block] = []
    if patron.status != "active":
        blocks.append(Block("PATRON_INACTIVE", f"读者证状态为 {patron.status} (card {patron.status})"))
    if patron.expires_on < today:
        blocks.append(Block("PATRON_EXPIRED", f"读者证已于 {patron.expires_on} 过期 (card expired)"))
    for entry in repo.active_blocks(session, patron.id):
        blocks.append(Block("PATRON_BLOCKED", f"读者被暂停借阅：{entry.reason}"))
    loans = list(loans)
    if rule.fine_limit_fen is not None:
        owed = repo.owed_fen(session, patron.id) + accruing_fen(loans, rules_by_id, today)
        if owed >= rule.fine_limit_fen:
            blocks.append(Block("PATRON_FINES_OVER_LIMIT",
                                f"欠款 {owed / 100:.2f} 元，达到限额 {rule.fine_limit_fen / 100:.2f} 元"))
    overdue = [loan for loan in loans if loan.status == "open" and loan.due_on < today and loan.id != skip_loan_id]
    if overdue:
        blocks.append(Block("PATRON_HAS_OVERDUE", f"有 {len(overdue)} 册超期未还"))
    return blocks

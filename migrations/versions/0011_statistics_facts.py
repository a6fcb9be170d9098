"""What statistics count by, as typed columns (issue 12): an event's local day, and for an event
about a loan the copy's owning unit, the reader's home unit, item type, reader category, reader
and loan; a loan's owning and home unit and reader category as they were when it was made; when
a copy was withdrawn and from which status.

Rows written before this migration are filled in from what is known now: the loan and reader ids
from the events' own JSON, the owning and home units and the category from the copy and the
reader as they are today (a copy redistributed since is credited to its new owner), a copy's
withdrawal from the last event that withdrew it (or its last change, where none says).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BATCH = 5000
LOAN_KINDS = ("loan.checkout", "loan.checkin", "loan.renew", "loan.lost", "loan.claims_returned", "loan.found")


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('owner_unit_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('home_unit_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('item_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('patron_category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('patron_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('loan_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('home_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('patron_category', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_loan_owner_unit_id_unit'), 'unit', ['owner_unit_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_loan_home_unit_id_unit'), 'unit', ['home_unit_id'], ['id'])
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_from', sa.String(length=20), nullable=True))
    _backfill()
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_kind_day_unit', ['kind', 'day', 'unit_code'], unique=False)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import json
        return json.loads(value) or {}
    return value or {}


def _backfill() -> None:
    bind = op.get_bind()
    tz = ZoneInfo(os.environ.get("ILS_TIMEZONE", "Asia/Shanghai"))
    # Loans: the copy's owner, the reader's home unit and category, as they are now.
    bind.execute(sa.text(
        "UPDATE loan SET owner_unit_id = (SELECT owning_unit_id FROM item WHERE item.id = loan.item_id), "
        "home_unit_id = (SELECT unit_id FROM patron WHERE patron.id = loan.patron_id), "
        "patron_category = (SELECT category_code FROM patron WHERE patron.id = loan.patron_id)"))
    codes = dict(bind.execute(sa.text("SELECT id, code FROM unit")).all())
    loans = {row.id: row for row in bind.execute(sa.text(
        "SELECT id, patron_id, item_type, owner_unit_id, home_unit_id, patron_category FROM loan"))}
    patrons = {row.id: row for row in bind.execute(sa.text("SELECT id, unit_id, category_code FROM patron"))}
    cards = {row.card_number: row.id for row in bind.execute(sa.text("SELECT id, card_number FROM patron"))}
    update = sa.text(
        "UPDATE event SET day = :day, owner_unit_code = :owner, home_unit_code = :home, item_type = :item_type, "
        "patron_category = :category, patron_id = :patron_id, loan_id = :loan_id WHERE id = :id")
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, occurred_at, kind, after FROM event WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            break
        params = []
        for row in rows:
            after = _json(row.after)
            values: dict[str, Any] = {"id": row.id, "day": _aware(row.occurred_at).astimezone(tz).date(),
                                      "owner": None, "home": None, "item_type": None, "category": None,
                                      "patron_id": None, "loan_id": None}
            loan = loans.get(after.get("loan_id")) if row.kind in LOAN_KINDS else None
            if loan is not None:
                values.update(owner=codes.get(loan.owner_unit_id), home=codes.get(loan.home_unit_id),
                              item_type=loan.item_type, category=loan.patron_category, patron_id=loan.patron_id,
                              loan_id=loan.id)
            elif row.kind.startswith("hold.") and after.get("card") in cards:
                patron = patrons[cards[after["card"]]]
                values.update(home=codes.get(patron.unit_id), category=patron.category_code, patron_id=patron.id)
            params.append(values)
        bind.execute(update, params)
        last = rows[-1].id
    # A withdrawn copy: when the last event withdrawing it was written, else its last change.
    withdrawn = bind.execute(sa.text(
        "SELECT id, barcode, updated_at FROM item WHERE status = 'withdrawn'")).all()
    for item in withdrawn:
        event = bind.execute(sa.text(
            "SELECT occurred_at, before FROM event WHERE subject = :subject AND kind = 'item.status' "
            "ORDER BY id DESC"), {"subject": f"item:{item.barcode}"}).first()
        when, status = item.updated_at, None
        if event is not None:
            when, status = event.occurred_at, _json(event.before).get("status")
        bind.execute(sa.text("UPDATE item SET withdrawn_at = :at, withdrawn_from = :status WHERE id = :id"),
                     {"at": _aware(when), "status": status, "id": item.id})


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_kind_day_unit')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_from')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loan_home_unit_id_unit'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_loan_owner_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('patron_category')
        batch_op.drop_column('home_unit_id')
        batch_op.drop_column('owner_unit_id')
    with op.batch_alter_table('event', schema=None) as batch_op:
        for column in ('loan_id', 'patron_id', 'patron_category', 'item_type', 'home_unit_code', 'owner_unit_code',
                       'day'):
            batch_op.drop_column(column)

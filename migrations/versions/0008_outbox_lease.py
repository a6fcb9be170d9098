"""Outbox lease: which relay has claimed a message for delivery, and until when.

The relay claims a batch in one short transaction, delivers with no transaction open, and
marks the outcome in another; a relay that dies between the two leaves its rows to whichever
relay finds the lease run out.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:40:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', ils.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')

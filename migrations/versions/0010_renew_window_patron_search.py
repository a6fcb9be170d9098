"""The earliest renewal of a loan rule (days before the due day; null: at any time), and the
indexes the desk's reader search by name and phone uses.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('circulation_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renew_days_before_due', sa.Integer(), nullable=True))
    with op.batch_alter_table('patron', schema=None) as batch_op:
        batch_op.create_index('ix_patron_name', ['name'], unique=False,
                              postgresql_ops={'name': 'text_pattern_ops'})
        batch_op.create_index('ix_patron_phone', ['phone'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('patron', schema=None) as batch_op:
        batch_op.drop_index('ix_patron_phone')
        batch_op.drop_index('ix_patron_name')
    with op.batch_alter_table('circulation_rule', schema=None) as batch_op:
        batch_op.drop_column('renew_days_before_due')

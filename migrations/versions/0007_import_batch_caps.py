"""Import reports that stay small: the count of every warning, and why an import stopped early.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warned', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('stop_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stop_code', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('stop_message', sa.Text(), nullable=True))
    # Reports written before this revision kept every warning as a row: count them.
    op.execute(
        "UPDATE import_batch SET warned = (SELECT count(*) FROM import_issue "
        "WHERE import_issue.batch_id = import_batch.id AND import_issue.severity = 'warning')"
    )


def downgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('stop_message')
        batch_op.drop_column('stop_code')
        batch_op.drop_column('stop_index')
        batch_op.drop_column('warned')

"""event table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 03:14:21.724870
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_kind_time', ['kind', 'occurred_at'], unique=False)
        batch_op.create_index('ix_event_subject', ['subject', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_subject')
        batch_op.drop_index('ix_event_kind_time')

    op.drop_table('event')

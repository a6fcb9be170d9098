"""Login sessions (a token names its session, so logout and a password change end it) and the
wrong-password counts per account and per address that lock logins for a while.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_session',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('staff', 'patron')", name=op.f('ck_auth_session_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_session'))
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index('ix_auth_session_account', ['kind', 'account_id'], unique=False)
        batch_op.create_index('ix_auth_session_expires_at', ['expires_at'], unique=False)

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_session_expires_at')
        batch_op.drop_index('ix_auth_session_account')

    op.drop_table('auth_session')

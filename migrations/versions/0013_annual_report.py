"""Submitted annual reports (issue 12, part 4): a unit's year, frozen as submitted; a system's
own evaluation targets (part 6).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'annual_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('sheets', sa.JSON(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_by', sa.String(length=100), nullable=True),
        sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reopened_by', sa.String(length=100), nullable=True),
        sa.Column('reopen_reason', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'reopened')", name=op.f('ck_annual_report_status')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_annual_report_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_report')),
    )
    with op.batch_alter_table('annual_report', schema=None) as batch_op:
        batch_op.create_index('uq_annual_report_unit_year', ['unit_id', 'year'], unique=True)
    op.create_table(
        'indicator_target',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('system_id', sa.Integer(), nullable=False),
        sa.Column('indicator', sa.String(length=40), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('target', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('target >= 0', name=op.f('ck_indicator_target_target')),
        sa.ForeignKeyConstraint(['system_id'], ['unit.id'], name=op.f('fk_indicator_target_system_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_target')),
    )
    with op.batch_alter_table('indicator_target', schema=None) as batch_op:
        batch_op.create_index('uq_indicator_target', ['system_id', 'indicator', 'level'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('indicator_target', schema=None) as batch_op:
        batch_op.drop_index('uq_indicator_target')
    op.drop_table('indicator_target')
    with op.batch_alter_table('annual_report', schema=None) as batch_op:
        batch_op.drop_index('uq_annual_report_unit_year')
    op.drop_table('annual_report')

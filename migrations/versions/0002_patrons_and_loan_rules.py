"""patrons and loan rules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:07:13.942624
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('circulation_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_category', sa.String(length=32), nullable=False),
    sa.Column('item_type', sa.String(length=20), nullable=False),
    sa.Column('unit_level', sa.String(length=20), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('loan_days', sa.Integer(), nullable=False),
    sa.Column('max_items', sa.Integer(), nullable=False),
    sa.Column('max_items_of_type', sa.Integer(), nullable=True),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.Column('hold_blocks_renewal', sa.Boolean(), nullable=False),
    sa.Column('holds_allowed', sa.Boolean(), nullable=False),
    sa.Column('hold_shelf_days', sa.Integer(), nullable=False),
    sa.Column('fine_per_day_fen', sa.Integer(), nullable=False),
    sa.Column('fine_limit_fen', sa.Integer(), nullable=True),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint('fine_per_day_fen >= 0', name=op.f('ck_circulation_rule_fine')),
    sa.CheckConstraint('loan_days > 0 AND max_items >= 0 AND renewals >= 0 AND hold_shelf_days > 0', name=op.f('ck_circulation_rule_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_rule')),
    sa.UniqueConstraint('patron_category', 'item_type', 'unit_level', 'unit_code', name=op.f('uq_circulation_rule_patron_category_item_type_unit_level_unit_code'))
    )
    op.create_table('patron_category',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('valid_months', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_patron_category'))
    )
    op.create_table('patron',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=32), nullable=False),
    sa.Column('id_card_number', sa.String(length=18), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('deposit_fen', sa.Integer(), nullable=False),
    sa.Column('credit_exempt', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name=op.f('ck_patron_status')),
    sa.CheckConstraint('deposit_fen >= 0', name=op.f('ck_patron_deposit_fen')),
    sa.ForeignKeyConstraint(['category_code'], ['patron_category.code'], name=op.f('fk_patron_category_code_patron_category')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_patron_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron')),
    sa.UniqueConstraint('card_number', name=op.f('uq_patron_card_number')),
    sa.UniqueConstraint('id_card_number', name=op.f('uq_patron_id_card_number'))
    )
    with op.batch_alter_table('patron', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patron_unit_id'), ['unit_id'], unique=False)

    op.create_table('patron_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('lifted_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['patron_id'], ['patron.id'], name=op.f('fk_patron_block_patron_id_patron'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron_block'))
    )
    with op.batch_alter_table('patron_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patron_block_patron_id'), ['patron_id'], unique=False)

    op.create_table('patron_proxy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint('patron_id <> proxy_id', name=op.f('ck_patron_proxy_not_self')),
    sa.ForeignKeyConstraint(['patron_id'], ['patron.id'], name=op.f('fk_patron_proxy_patron_id_patron'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proxy_id'], ['patron.id'], name=op.f('fk_patron_proxy_proxy_id_patron'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron_proxy')),
    sa.UniqueConstraint('patron_id', 'proxy_id', name=op.f('uq_patron_proxy_patron_id_proxy_id'))
    )
    with op.batch_alter_table('patron_proxy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patron_proxy_patron_id'), ['patron_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patron_proxy_proxy_id'), ['proxy_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('patron_proxy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patron_proxy_proxy_id'))
        batch_op.drop_index(batch_op.f('ix_patron_proxy_patron_id'))

    op.drop_table('patron_proxy')
    with op.batch_alter_table('patron_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patron_block_patron_id'))

    op.drop_table('patron_block')
    with op.batch_alter_table('patron', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patron_unit_id'))

    op.drop_table('patron')
    op.drop_table('patron_category')
    op.drop_table('circulation_rule')

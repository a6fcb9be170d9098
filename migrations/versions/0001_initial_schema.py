"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 02:07:37.707406
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=True),
    sa.Column('flavour', sa.String(length=10), nullable=True),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('started_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('items_created', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_pending', ['delivered_at', 'available_at', 'id'], unique=False)

    op.create_table('record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flavour', sa.String(length=10), nullable=False),
    sa.Column('marc', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('responsibility', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('isbn', sa.String(length=13), nullable=True),
    sa.Column('publisher', sa.String(length=500), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=3), nullable=True),
    sa.Column('edition', sa.String(length=200), nullable=True),
    sa.Column('series', sa.String(length=500), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('clc', sa.String(length=60), nullable=True),
    sa.Column('call_number', sa.String(length=100), nullable=True),
    sa.Column('title_pinyin', sa.Text(), nullable=True),
    sa.Column('author_pinyin', sa.Text(), nullable=True),
    sa.Column('price_fen', sa.Integer(), nullable=True),
    sa.Column('match_key', sa.String(length=700), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint("flavour IN ('marc21', 'cnmarc')", name=op.f('ck_record_flavour')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_clc'), ['clc'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_isbn'), ['isbn'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_match_key'), ['match_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_year'), ['year'], unique=False)

    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'cataloguer', 'librarian', 'manager')", name=op.f('ck_staff_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('system_id', sa.Integer(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('stops', sa.JSON(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('center', 'main', 'branch', 'service_point', 'study_room', 'mobile')", name=op.f('ck_unit_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.ForeignKeyConstraint(['system_id'], ['unit.id'], name=op.f('fk_unit_system_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_unit_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_system_id'), ['system_id'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('unit_codes', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', ils.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], name=op.f('fk_api_key_created_by_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix'))
    )
    op.create_table('import_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_issue_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_issue'))
    )
    with op.batch_alter_table('import_issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_issue_batch_id'), ['batch_id'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('owning_unit_id', sa.Integer(), nullable=False),
    sa.Column('current_unit_id', sa.Integer(), nullable=False),
    sa.Column('call_number', sa.String(length=100), nullable=True),
    sa.Column('call_number_sort', sa.String(length=200), nullable=True),
    sa.Column('item_type', sa.String(length=20), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("item_type IN ('book', 'periodical', 'children', 'large_print', 'braille', 'audio', 'local_doc', 'rare_book')", name=op.f('ck_item_item_type')),
    sa.CheckConstraint("status IN ('processing', 'available', 'on_loan', 'in_transit', 'on_hold_shelf', 'lost', 'missing', 'damaged', 'withdrawn')", name=op.f('ck_item_status')),
    sa.CheckConstraint('price_fen IS NULL OR price_fen >= 0', name=op.f('ck_item_price_fen')),
    sa.ForeignKeyConstraint(['current_unit_id'], ['unit.id'], name=op.f('fk_item_current_unit_id_unit')),
    sa.ForeignKeyConstraint(['owning_unit_id'], ['unit.id'], name=op.f('fk_item_owning_unit_id_unit')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_item_record_id_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('barcode', name=op.f('uq_item_barcode'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_current_unit_id'), ['current_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_owning_unit_id'), ['owning_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_record_id'), ['record_id'], unique=False)
        batch_op.create_index('ix_item_unit_callno', ['owning_unit_id', 'call_number_sort'], unique=False)

    op.create_table('patron_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_patron_account_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron_account')),
    sa.UniqueConstraint('card_number', name=op.f('uq_patron_account_card_number'))
    )
    op.create_table('record_isbn',
    sa.Column('isbn', sa.String(length=13), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_isbn_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('isbn', name=op.f('pk_record_isbn'))
    )
    with op.batch_alter_table('record_isbn', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_isbn_record_id'), ['record_id'], unique=False)

    op.create_table('record_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('index', sa.Integer(), nullable=True),
    sa.Column('control_number', sa.String(length=100), nullable=True),
    sa.Column('merged', sa.Boolean(), nullable=False),
    sa.Column('marc', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_record_source_batch_id_import_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_source_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_source'))
    )
    with op.batch_alter_table('record_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_source_record_id'), ['record_id'], unique=False)

    op.create_table('record_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('marc', sa.JSON(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('changed_at', ils.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_version_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_version')),
    sa.UniqueConstraint('record_id', 'version', name=op.f('uq_record_version_record_id_version'))
    )
    op.create_table('staff_user_unit',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_staff_user_unit_unit_id_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_user_unit_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'unit_id', name=op.f('pk_staff_user_unit'))
    )
    op.create_table('unit_closed_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_closed_date_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_closed_date')),
    sa.UniqueConstraint('unit_id', 'day', name=op.f('uq_unit_closed_date_unit_id_day'))
    )


def downgrade() -> None:
    op.drop_table('unit_closed_date')
    op.drop_table('staff_user_unit')
    op.drop_table('record_version')
    with op.batch_alter_table('record_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_source_record_id'))

    op.drop_table('record_source')
    with op.batch_alter_table('record_isbn', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_isbn_record_id'))

    op.drop_table('record_isbn')
    op.drop_table('patron_account')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_unit_callno')
        batch_op.drop_index(batch_op.f('ix_item_record_id'))
        batch_op.drop_index(batch_op.f('ix_item_owning_unit_id'))
        batch_op.drop_index(batch_op.f('ix_item_current_unit_id'))

    op.drop_table('item')
    with op.batch_alter_table('import_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_issue_batch_id'))

    op.drop_table('import_issue')
    op.drop_table('api_key')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_system_id'))
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))

    op.drop_table('unit')
    op.drop_table('staff_user')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_year'))
        batch_op.drop_index(batch_op.f('ix_record_match_key'))
        batch_op.drop_index(batch_op.f('ix_record_isbn'))
        batch_op.drop_index(batch_op.f('ix_record_clc'))

    op.drop_table('record')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_pending')

    op.drop_table('outbox_message')
    op.drop_table('import_batch')

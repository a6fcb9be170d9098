"""What the system cannot measure, entered (issue 12, part 3): reader activities and their types
(seeded with 讲座, 展览, 培训, 阅读推广, 送书下乡, 其他), gate counts of visits per unit and day or
hour, and the fields of the national annual table per unit and year.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ils.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The types every library starts with; admins add more (PUT /api/v1/activity-types/{code}).
ACTIVITY_TYPES = [
    ("lecture", "讲座", "lecture", 10),
    ("exhibition", "展览", "exhibition", 20),
    ("training", "培训", "training", 30),
    ("reading_promotion", "阅读推广", "reading promotion", 40),
    ("books_to_villages", "送书下乡", "books to the villages", 50),
    ("other", "其他", "other", 90),
]


def upgrade() -> None:
    activity_type = op.create_table(
        'activity_type',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name_zh', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_activity_type')),
    )
    op.bulk_insert(activity_type, [{"code": code, "name_zh": zh, "name_en": en, "position": position, "active": True}
                                   for code, zh, en, position in ACTIVITY_TYPES])
    op.create_table(
        'activity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type_code', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('organiser_unit_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('attendance', sa.Integer(), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=True),
        sa.Column('created_at', ils.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('updated_at', ils.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('attendance >= 0', name=op.f('ck_activity_attendance')),
        sa.CheckConstraint("audience IN ('children', 'teens', 'adults', 'elderly', 'families', 'all')",
                           name=op.f('ck_activity_audience')),
        sa.ForeignKeyConstraint(['organiser_unit_id'], ['unit.id'], name=op.f('fk_activity_organiser_unit_id_unit')),
        sa.ForeignKeyConstraint(['type_code'], ['activity_type.code'],
                                name=op.f('fk_activity_type_code_activity_type')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_activity_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_organiser_held', ['organiser_unit_id', 'held_on'], unique=False)
        batch_op.create_index('ix_activity_unit_held', ['unit_id', 'held_on'], unique=False)

    op.create_table(
        'visit_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('hour', sa.SmallInteger(), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('in_count', sa.Integer(), nullable=True),
        sa.Column('out_count', sa.Integer(), nullable=True),
        sa.Column('both_count', sa.Integer(), nullable=True),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('entered_at', ils.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('entered_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint("source IN ('import', 'manual')", name=op.f('ck_visit_count_source')),
        sa.CheckConstraint('hour IS NULL OR (hour >= 0 AND hour <= 23)', name=op.f('ck_visit_count_hour')),
        sa.CheckConstraint('in_count IS NULL OR in_count >= 0', name=op.f('ck_visit_count_in_count')),
        sa.CheckConstraint('out_count IS NULL OR out_count >= 0', name=op.f('ck_visit_count_out_count')),
        sa.CheckConstraint('both_count IS NULL OR both_count >= 0', name=op.f('ck_visit_count_both_count')),
        sa.CheckConstraint('in_count IS NOT NULL OR both_count IS NOT NULL', name=op.f('ck_visit_count_counted')),
        sa.CheckConstraint("source = 'import' OR hour IS NULL", name=op.f('ck_visit_count_manual_daily')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_visit_count_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_count')),
    )
    with op.batch_alter_table('visit_count', schema=None) as batch_op:
        batch_op.create_index('ix_visit_count_unit_day', ['unit_id', 'day'], unique=False)
        # NULL hours are never equal in a unique index: the daily rows have an index of their own.
        batch_op.create_index('uq_visit_count_hour', ['unit_id', 'day', 'hour', 'source'], unique=True,
                              sqlite_where=sa.text('hour IS NOT NULL'), postgresql_where=sa.text('hour IS NOT NULL'))
        batch_op.create_index('uq_visit_count_day', ['unit_id', 'day', 'source'], unique=True,
                              sqlite_where=sa.text('hour IS NULL'), postgresql_where=sa.text('hour IS NULL'))

    op.create_table(
        'unit_annual_field',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('field_code', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('entered_at', ils.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('entered_by', sa.String(length=100), nullable=False),
        sa.CheckConstraint('value >= 0', name=op.f('ck_unit_annual_field_value')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_annual_field_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_annual_field')),
    )
    with op.batch_alter_table('unit_annual_field', schema=None) as batch_op:
        batch_op.create_index('uq_unit_annual_field', ['unit_id', 'year', 'field_code'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('unit_annual_field', schema=None) as batch_op:
        batch_op.drop_index('uq_unit_annual_field')
    op.drop_table('unit_annual_field')
    with op.batch_alter_table('visit_count', schema=None) as batch_op:
        batch_op.drop_index('uq_visit_count_day', sqlite_where=sa.text('hour IS NULL'),
                            postgresql_where=sa.text('hour IS NULL'))
        batch_op.drop_index('uq_visit_count_hour', sqlite_where=sa.text('hour IS NOT NULL'),
                            postgresql_where=sa.text('hour IS NOT NULL'))
        batch_op.drop_index('ix_visit_count_unit_day')
    op.drop_table('visit_count')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_unit_held')
        batch_op.drop_index('ix_activity_organiser_held')
    op.drop_table('activity')
    op.drop_table('activity_type')

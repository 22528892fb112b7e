"""tenders answered together: tenders, items, pledges, alerts; members' reserved groups

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:20:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('ocid', sa.String(length=200), nullable=True),
    sa.Column('release_date', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('buyer', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('deadline', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('questions_deadline', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivery_place_name', sa.String(length=200), nullable=True),
    sa.Column('delivery_place_id', sa.Integer(), nullable=True),
    sa.Column('delivery_schedule', sa.String(length=300), nullable=True),
    sa.Column('value_amount', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('reserved', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('lead_member_id', sa.Integer(), nullable=True),
    sa.Column('alerted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('formed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=True),
    sa.Column('won_quantity', sa.Float(), nullable=True),
    sa.Column('outcome_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delivery_place_id'], ['places.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_member_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cluster_id', 'ocid'),
    sa.UniqueConstraint('code')
    )
    op.create_table('tender_alerts',
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tender_id', 'member_id')
    )
    op.create_table('tender_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('max_price', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tender_id', 'position')
    )
    op.create_table('tender_pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('price', sa.Float(), nullable=True),
    sa.Column('pledged_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivery_share', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['tender_items.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'member_id')
    )
    with op.batch_alter_table('tender_pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_pledges_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_groups', storage.models.WordList(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('reserved_groups')

    with op.batch_alter_table('tender_pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_pledges_member_id'))

    op.drop_table('tender_pledges')
    op.drop_table('tender_items')
    op.drop_table('tender_alerts')
    op.drop_table('tenders')

"""the cluster directory: institutions, searches, introductions, public page

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:06:24
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cluster_products',
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.JSON(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cluster_id', 'product_id')
    )
    op.create_table('contact_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('reach', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('trapped', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_messages', schema=None) as batch_op:
        batch_op.create_index('ix_contact_messages_address', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_contact_messages_cluster', ['cluster_id', 'created_at'], unique=False)

    op.create_table('institutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('folded_name', sa.String(length=200), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('place_name', sa.String(length=200), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('checked_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cluster_id', 'folded_name')
    )
    op.create_table('directory_introductions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('searcher_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('answer', sa.Boolean(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['searcher_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('directory_introductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_introductions_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_introductions_searcher_id'), ['searcher_id'], unique=False)

    op.create_table('directory_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('folded', sa.String(length=200), nullable=False),
    sa.Column('place_name', sa.String(length=200), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('shown', sa.Integer(), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directory_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_searches_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_directory_searches_misses', ['cluster_id', 'found', 'created_at'], unique=False)

    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story', sa.Text(), nullable=True))

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('business_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('capacity', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('capacity')
        batch_op.drop_column('business_name')
        batch_op.drop_column('listed')

    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.drop_column('story')

    with op.batch_alter_table('directory_searches', schema=None) as batch_op:
        batch_op.drop_index('ix_directory_searches_misses')
        batch_op.drop_index(batch_op.f('ix_directory_searches_member_id'))

    op.drop_table('directory_searches')
    with op.batch_alter_table('directory_introductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_introductions_searcher_id'))
        batch_op.drop_index(batch_op.f('ix_directory_introductions_member_id'))

    op.drop_table('directory_introductions')
    op.drop_table('institutions')
    with op.batch_alter_table('contact_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_messages_cluster')
        batch_op.drop_index('ix_contact_messages_address')

    op.drop_table('contact_messages')
    op.drop_table('cluster_products')

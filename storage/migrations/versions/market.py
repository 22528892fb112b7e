"""marketplace: listings, matches (introductions) and reported deals

Revision ID: market
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "market"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('market_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('product_name', sa.String(length=100), nullable=False),
    sa.Column('product_key', sa.String(length=120), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('price', sa.Float(), nullable=True),
    sa.Column('price_unit', sa.String(length=16), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('place_name', sa.String(length=100), nullable=False),
    sa.Column('place_key', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('radius_km', sa.Float(), nullable=False),
    sa.Column('anywhere', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'number')
    )
    op.create_index('ix_market_listings_due', 'market_listings', ['status', 'expires_at'], unique=False)
    op.create_index('ix_market_listings_reach', 'market_listings', ['product_key', 'kind', 'status', 'radius_km'], unique=False)
    op.create_index('ix_market_listings_match', 'market_listings', ['product_key', 'kind', 'status', 'latitude', 'longitude'], unique=False)
    op.create_table('market_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=True),
    sa.Column('seller_answer', sa.Boolean(), nullable=True),
    sa.Column('buyer_answer', sa.Boolean(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('introduced_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('follow_up_sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['market_listings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['market_listings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('offer_id', 'request_id')
    )
    op.create_index(op.f('ix_market_matches_buyer_id'), 'market_matches', ['buyer_id'], unique=False)
    op.create_index('ix_market_matches_due', 'market_matches', ['introduced_at', 'follow_up_sent_at'], unique=False)
    op.create_index(op.f('ix_market_matches_seller_id'), 'market_matches', ['seller_id'], unique=False)
    op.create_table('market_deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('made', sa.Boolean(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('price', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['match_id'], ['market_matches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('match_id', 'member_id')
    )
    op.create_index(op.f('ix_market_deals_cluster_id'), 'market_deals', ['cluster_id'], unique=False)
    op.create_index(op.f('ix_market_deals_member_id'), 'market_deals', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_table("market_deals")
    op.drop_table("market_matches")
    op.drop_table("market_listings")

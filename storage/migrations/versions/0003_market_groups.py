"""market matches remember the group of offers the buyer was told of

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('market_matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grouped_at', storage.models.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('market_matches', schema=None) as batch_op:
        batch_op.drop_column('grouped_at')

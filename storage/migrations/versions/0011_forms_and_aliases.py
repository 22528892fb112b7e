"""marketplace beyond Kenya: a listing's form (dried, smoked...), other names of places

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:26:20.325478
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('market_listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form', sa.String(length=16), nullable=True))

    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', storage.models.NameList(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_column('aliases')

    with op.batch_alter_table('market_listings', schema=None) as batch_op:
        batch_op.drop_column('form')


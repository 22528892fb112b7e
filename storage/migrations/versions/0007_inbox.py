"""the dashboard's inbox: messages the bot did not understand, and when a coordinator answered

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NOT_UNDERSTOOD = sa.text("not_understood")


def upgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_understood', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('answered_at', storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_index('ix_inbound_not_understood', 'inbound_messages', ['received_at'],
                    sqlite_where=NOT_UNDERSTOOD, postgresql_where=NOT_UNDERSTOOD)


def downgrade() -> None:
    op.drop_index('ix_inbound_not_understood', table_name='inbound_messages')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('answered_at')
        batch_op.drop_column('not_understood')

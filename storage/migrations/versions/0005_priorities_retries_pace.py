"""replies before bulk (outbox priority), handling retried (inbound attempts), one pace per channel

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:30:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PENDING = sa.text("status IN ('queued', 'sending')")
UNHANDLED = sa.text("status = 'received'")


def upgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), server_default='1',
                                      nullable=False))
    op.drop_index('ix_outbox_pending', table_name='outbound_messages')
    op.create_index('ix_outbox_pending', 'outbound_messages', ['channel', 'priority', 'id'],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('retry_at', storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_index('ix_inbound_unhandled', 'inbound_messages', ['received_at'],
                    sqlite_where=UNHANDLED, postgresql_where=UNHANDLED)
    op.create_table(
        'send_pace',
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('next_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('channel'))


def downgrade() -> None:
    op.drop_table('send_pace')
    op.drop_index('ix_inbound_unhandled', table_name='inbound_messages')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
        batch_op.drop_column('attempts')
    op.drop_index('ix_outbox_pending', table_name='outbound_messages')
    op.create_index('ix_outbox_pending', 'outbound_messages', ['channel', 'id'],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('priority')

"""the dispatcher's outbox indexes hold only messages still to send

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PENDING = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    op.drop_index('ix_outbox_due', table_name='outbound_messages')
    op.drop_index('ix_outbox_recipient', table_name='outbound_messages')
    op.create_index('ix_outbox_pending', 'outbound_messages', ['channel', 'id'],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index('ix_outbox_pending_recipient', 'outbound_messages',
                    ['channel', 'address', 'id'], sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index('ix_outbox_pending_recipient', table_name='outbound_messages')
    op.drop_index('ix_outbox_pending', table_name='outbound_messages')
    op.create_index('ix_outbox_recipient', 'outbound_messages', ['channel', 'address', 'id'])
    op.create_index('ix_outbox_due', 'outbound_messages', ['channel', 'status', 'not_before'])

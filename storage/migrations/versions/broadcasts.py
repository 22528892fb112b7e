"""broadcasts

Revision ID: broadcasts
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "broadcasts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("cluster_ids", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("send_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbound_messages") as batch_op:
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbound_messages_broadcast_id", ["broadcast_id"])
        batch_op.create_foreign_key("fk_outbound_messages_broadcast_id", "broadcasts",
                                    ["broadcast_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch_op:
        batch_op.drop_constraint("fk_outbound_messages_broadcast_id", type_="foreignkey")
        batch_op.drop_index("ix_outbound_messages_broadcast_id")
        batch_op.drop_column("broadcast_id")
    op.drop_table("broadcasts")

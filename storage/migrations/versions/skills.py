"""skills needs, alert thresholds, trainings and invitations

Revision ID: skills
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = "skills"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skill_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("wording", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cluster_id", "member_id", "topic"),
    )
    op.create_index(op.f("ix_skill_needs_cluster_id"), "skill_needs", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_skill_needs_member_id"), "skill_needs", ["member_id"], unique=False)
    op.create_table(
        "skill_thresholds",
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cluster_id"),
    )
    op.create_table(
        "skill_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cluster_id", "skill"),
    )
    op.create_table(
        "skill_trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("starts_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_skill_trainings_cluster_id"), "skill_trainings", ["cluster_id"],
                    unique=False)
    op.create_table(
        "skill_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=3), nullable=True),
        sa.Column("invited_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["training_id"], ["skill_trainings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("training_id", "member_id"),
    )
    op.create_index(op.f("ix_skill_invitations_member_id"), "skill_invitations", ["member_id"],
                    unique=False)
    op.create_index(op.f("ix_skill_invitations_training_id"), "skill_invitations",
                    ["training_id"], unique=False)


def downgrade() -> None:
    op.drop_table("skill_invitations")
    op.drop_table("skill_trainings")
    op.drop_table("skill_alerts")
    op.drop_table("skill_thresholds")
    op.drop_table("skill_needs")

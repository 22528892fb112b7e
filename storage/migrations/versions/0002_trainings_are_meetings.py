"""trainings are meetings about a skill

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), nullable=False,
                                      server_default='meeting'))
        batch_op.add_column(sa.Column('skill', sa.String(length=64), nullable=True))
    # Trainings keep their codes (six characters: no four-character meeting code can clash); those
    # already held are closed by the reminders job within a minute.
    op.execute("INSERT INTO meetings (cluster_id, organiser_id, code, title, place, starts_at, "
               "status, created_at, updated_at, kind, skill) "
               "SELECT cluster_id, created_by, code, topic, place, starts_at, 'scheduled', "
               "created_at, created_at, 'training', skill FROM skill_trainings")
    op.execute("INSERT INTO meeting_invitations (meeting_id, member_id, answer, answered_at, "
               "created_at) "
               "SELECT m.id, i.member_id, i.answer, i.answered_at, i.invited_at "
               "FROM skill_invitations i JOIN skill_trainings t ON t.id = i.training_id "
               "JOIN meetings m ON m.code = t.code AND m.kind = 'training'")
    with op.batch_alter_table('skill_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_invitations_training_id'))
        batch_op.drop_index(batch_op.f('ix_skill_invitations_member_id'))
    op.drop_table('skill_invitations')
    with op.batch_alter_table('skill_trainings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_trainings_cluster_id'))
    op.drop_table('skill_trainings')


def downgrade() -> None:
    op.create_table('skill_trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=True),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('starts_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('skill_trainings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_trainings_cluster_id'), ['cluster_id'], unique=False)
    op.create_table('skill_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=3), nullable=True),
    sa.Column('invited_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['training_id'], ['skill_trainings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('training_id', 'member_id')
    )
    with op.batch_alter_table('skill_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_invitations_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_invitations_training_id'), ['training_id'], unique=False)
    # Codes of trainings were unique for good: a reused one (a later meeting's) keeps the newest.
    op.execute("INSERT INTO skill_trainings (code, cluster_id, skill, topic, starts_at, place, "
               "created_by, created_at) "
               "SELECT code, cluster_id, skill, title, starts_at, place, organiser_id, created_at "
               "FROM meetings m WHERE kind = 'training' AND id = (SELECT max(id) FROM meetings "
               "WHERE code = m.code AND kind = 'training')")
    op.execute("INSERT INTO skill_invitations (training_id, member_id, answer, invited_at, "
               "answered_at) "
               "SELECT t.id, i.member_id, i.answer, i.created_at, i.answered_at "
               "FROM meeting_invitations i JOIN meetings m ON m.id = i.meeting_id "
               "JOIN skill_trainings t ON t.code = m.code AND t.starts_at = m.starts_at "
               "WHERE m.kind = 'training'")
    op.execute("DELETE FROM meetings WHERE kind = 'training'")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('skill')
        batch_op.drop_column('kind')

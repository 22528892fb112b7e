"""Skills needs, alert thresholds per cluster, trainings and invitations: tables and queries."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, Member, Membership, utcnow

DEFAULT_THRESHOLD = 5  # members asking for one skill before its coordinators are told


class SkillNeed(Base):
    """A member's need in one of their clusters: a catalog skill, or their words when unknown.

    `topic` is what makes a need distinct per member: the skill slug, or `~` and the folded
    words, so asking twice for the same thing keeps one row."""

    __tablename__ = "skill_needs"
    __table_args__ = (UniqueConstraint("cluster_id", "member_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(120))
    wording: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillThreshold(Base):
    """How many members must need a skill before the cluster's coordinators are told."""

    __tablename__ = "skill_thresholds"

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True)
    members: Mapped[int] = mapped_column(Integer, default=DEFAULT_THRESHOLD)


class SkillAlert(Base):
    """The coordinators of a cluster were told that a skill reached the threshold (once)."""

    __tablename__ = "skill_alerts"
    __table_args__ = (UniqueConstraint("cluster_id", "skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(64))
    members: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillTraining(Base):
    """A training a coordinator announced for a skill (or for needs in members' own words)."""

    __tablename__ = "skill_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillInvitation(Base):
    """A member invited to a training, and their answer: None until they say yes or no."""

    __tablename__ = "skill_invitations"
    __table_args__ = (UniqueConstraint("training_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(
        ForeignKey("skill_trainings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str | None] = mapped_column(String(3))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()


def live_member():
    """Needs and answers of members who deleted their data do not count."""
    return Member.deleted_at.is_(None)


# --- Needs ----------------------------------------------------------------------------------

def add_need(session: Session, *, cluster_id: int, member_id: int, skill: str | None,
             topic: str, wording: str) -> bool:
    """Records a need; False when the member had already asked for it in that cluster."""
    known = select(SkillNeed.id).where(SkillNeed.cluster_id == cluster_id,
                                       SkillNeed.member_id == member_id, SkillNeed.topic == topic)
    if session.scalar(known) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SkillNeed(cluster_id=cluster_id, member_id=member_id, skill=skill,
                                  topic=topic, wording=wording))
    except IntegrityError:  # the same need arrived twice at once
        return False
    return True


def skill_counts(session: Session, cluster_id: int) -> dict[str, int]:
    """skill slug -> how many distinct members of the cluster need it."""
    rows = session.execute(
        select(SkillNeed.skill, func.count(SkillNeed.member_id.distinct()))
        .join(Member, Member.id == SkillNeed.member_id)
        .where(SkillNeed.cluster_id == cluster_id, SkillNeed.skill.is_not(None), live_member())
        .group_by(SkillNeed.skill))
    return dict(rows.all())


def wordings(session: Session, cluster_id: int) -> list[tuple[str | None, int, str]]:
    """(skill slug or None, member id, words as typed) of the cluster's needs, oldest first."""
    rows = session.execute(
        select(SkillNeed.skill, SkillNeed.member_id, SkillNeed.wording)
        .join(Member, Member.id == SkillNeed.member_id)
        .where(SkillNeed.cluster_id == cluster_id, live_member())
        .order_by(SkillNeed.id))
    return [tuple(row) for row in rows]


def members_needing(session: Session, cluster_id: int, skill: str) -> list[Member]:
    """The members of the cluster who need a catalog skill."""
    return list(session.scalars(
        select(Member).join(SkillNeed, SkillNeed.member_id == Member.id)
        .where(SkillNeed.cluster_id == cluster_id, SkillNeed.skill == skill, live_member())
        .order_by(Member.id).distinct()))


def members_by_id(session: Session, member_ids: set[int]) -> list[Member]:
    if not member_ids:
        return []
    return list(session.scalars(
        select(Member).where(Member.id.in_(member_ids), live_member()).order_by(Member.id)))


def clusters_with_needs(session: Session) -> list[int]:
    return list(session.scalars(
        select(SkillNeed.cluster_id).distinct().order_by(SkillNeed.cluster_id)))


# --- Thresholds and alerts ------------------------------------------------------------------

def threshold(session: Session, cluster_id: int) -> int:
    """How many members must need a skill before the coordinators are told (default 5)."""
    stored = session.get(SkillThreshold, cluster_id)
    return stored.members if stored else DEFAULT_THRESHOLD


def set_threshold(session: Session, cluster_id: int, members: int) -> None:
    stored = session.get(SkillThreshold, cluster_id)
    if stored is None:
        session.add(SkillThreshold(cluster_id=cluster_id, members=members))
    else:
        stored.members = members
    session.flush()


def alerted(session: Session, cluster_id: int) -> set[str]:
    """The skills the cluster's coordinators have already been told about."""
    return set(session.scalars(select(SkillAlert.skill).where(SkillAlert.cluster_id == cluster_id)))


def mark_alerted(session: Session, cluster_id: int, skill: str, members: int) -> bool:
    """Remembers that the coordinators were told; False when another process just did."""
    try:
        with session.begin_nested():
            session.add(SkillAlert(cluster_id=cluster_id, skill=skill, members=members))
    except IntegrityError:
        return False
    return True


def coordinators(session: Session, cluster_id: int) -> list[Member]:
    return list(session.scalars(
        select(Member).join(Membership, Membership.member_id == Member.id)
        .where(Membership.cluster_id == cluster_id, Membership.role == "coordinator",
               live_member())
        .order_by(Member.id)))


# --- Trainings and invitations --------------------------------------------------------------

def code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(SkillTraining.id).where(SkillTraining.code == code)) is not None


def add_training(session: Session, *, code: str, cluster_id: int, skill: str | None, topic: str,
                 starts_at: datetime, place: str, created_by: int) -> SkillTraining:
    training = SkillTraining(code=code, cluster_id=cluster_id, skill=skill, topic=topic,
                             starts_at=starts_at, place=place, created_by=created_by)
    session.add(training)
    session.flush()
    return training


def training_by_code(session: Session, code: str) -> SkillTraining | None:
    return session.scalar(select(SkillTraining).where(SkillTraining.code == code))


def upcoming_trainings(session: Session, cluster_id: int, skill: str,
                       now: datetime) -> list[SkillTraining]:
    """Trainings of the cluster for a catalog skill that have not started yet, soonest first."""
    return list(session.scalars(
        select(SkillTraining)
        .where(SkillTraining.cluster_id == cluster_id, SkillTraining.skill == skill,
               SkillTraining.starts_at > now)
        .order_by(SkillTraining.starts_at)))


def invitation(session: Session, training_id: int, member_id: int) -> SkillInvitation | None:
    return session.scalar(select(SkillInvitation).where(
        SkillInvitation.training_id == training_id, SkillInvitation.member_id == member_id))


def invite(session: Session, training_id: int, member_id: int) -> SkillInvitation:
    """The member's invitation to the training, created when they have none."""
    found = invitation(session, training_id, member_id)
    if found is None:
        found = SkillInvitation(training_id=training_id, member_id=member_id)
        session.add(found)
        session.flush()
    return found


def answer(session: Session, training_id: int, member_id: int, yes: bool) -> None:
    """Records the member's yes or no (an answer may be changed until the training starts)."""
    found = invite(session, training_id, member_id)
    found.answer, found.answered_at = ("yes" if yes else "no"), utcnow()


def open_invitations(session: Session, member_id: int, code: str | None,
                     now: datetime) -> list[tuple[SkillTraining, SkillInvitation]]:
    """(training, invitation) the member may answer: the one with `code` whatever its answer,
    or without a code those not answered yet; only trainings that have not started."""
    query = (select(SkillTraining, SkillInvitation)
             .join(SkillInvitation, SkillInvitation.training_id == SkillTraining.id)
             .where(SkillInvitation.member_id == member_id, SkillTraining.starts_at > now))
    if code:
        query = query.where(SkillTraining.code == code)
    else:
        query = query.where(SkillInvitation.answer.is_(None))
    return [tuple(row) for row in session.execute(query.order_by(SkillInvitation.id))]


def invitees(session: Session, training_id: int) -> list[tuple[Member, str | None]]:
    """(member, answer) of everyone invited to the training, in the order they were invited."""
    rows = session.execute(
        select(Member, SkillInvitation.answer)
        .join(SkillInvitation, SkillInvitation.member_id == Member.id)
        .where(SkillInvitation.training_id == training_id, live_member())
        .order_by(SkillInvitation.id))
    return [tuple(row) for row in rows]

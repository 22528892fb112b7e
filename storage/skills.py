"""Skills needs and alert thresholds per cluster: tables and queries. Trainings are meetings
(storage/meetings.py)."""
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


def members_needing(session: Session, cluster_id: int, skill: str) -> list[int]:
    """Ids of the members of the cluster who need a catalog skill."""
    return list(session.scalars(
        select(SkillNeed.member_id).join(Member, Member.id == SkillNeed.member_id)
        .where(SkillNeed.cluster_id == cluster_id, SkillNeed.skill == skill, live_member())
        .distinct().order_by(SkillNeed.member_id)))


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

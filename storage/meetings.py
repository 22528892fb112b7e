"""Meetings' tables and queries: the meeting, who is invited and their answers, the reminders.

A training is a meeting about a skill (`kind` "training"), to which the members who asked for
the skill are invited rather than the whole cluster."""
import secrets
from datetime import datetime, timedelta

from sqlalchemy import (ForeignKey, Index, Integer, Select, String, UniqueConstraint, delete, func,
                        literal, select, text, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.models import Base, Cluster, Member, Membership, UTCDateTime, utcnow
from storage.outbox import route_columns

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V: codes are read aloud and typed on keypads.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CODE_LENGTH = 4  # the marketplace's codes have 6 characters, so a code names one thing
REMINDER_LEADS = (timedelta(hours=24), timedelta(hours=2))
OVER_AFTER = timedelta(hours=12)  # a meeting this long past its start is held: its code is free
ANSWERS = ("yes", "no")


class Meeting(Base):
    """A meeting a coordinator called for one cluster; `code` is unique among scheduled ones."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_scheduled_code", "code", unique=True,
              sqlite_where=text("status = 'scheduled'"),
              postgresql_where=text("status = 'scheduled'")),
        Index("ix_meetings_cluster", "cluster_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # cancelled, held
    kind: Mapped[str] = mapped_column(String(12), default="meeting", server_default="meeting")
    skill: Mapped[str | None] = mapped_column(String(64))  # a training's catalog skill
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cluster: Mapped[Cluster] = relationship(lazy="joined")


class Invitation(Base):
    """A member invited to a meeting, and their answer (None until they give one)."""

    __tablename__ = "meeting_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str | None] = mapped_column(String(3))
    answered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(lazy="joined")


class Reminder(Base):
    """A reminder due `lead_minutes` before a meeting; `sent_at` once sent (or skipped)."""

    __tablename__ = "meeting_reminders"
    __table_args__ = (UniqueConstraint("meeting_id", "lead_minutes"),
                      Index("ix_meeting_reminders_due", "sent_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()

    meeting: Mapped[Meeting] = relationship(lazy="joined")


# --- Who is invited --------------------------------------------------------------------------

def audience(cluster_id: int, organiser_id: int | None,
             member_ids: list[int] | None = None) -> Select:
    """Ids of the cluster's members a new invitation reaches: not opted out, not deleted, with a
    channel, and not the organiser; only those of `member_ids` when given."""
    m = Member.__table__.c
    channel, _ = route_columns()
    query = (select(m.id)
             .where(m.id.in_(select(Membership.member_id)
                             .where(Membership.cluster_id == cluster_id)),
                    ~m.opted_out, m.deleted_at.is_(None), channel.is_not(None),
                    m.id != (organiser_id or 0)))
    return query if member_ids is None else query.where(m.id.in_(member_ids))


def audience_size(session: Session, cluster_id: int, organiser_id: int | None) -> int:
    return session.scalar(select(func.count()).select_from(
        audience(cluster_id, organiser_id).subquery()))


def invitees(meeting_id: int, answers: tuple[str | None, ...] | None = None,
             language: str | None = None, other_languages: tuple[str, ...] = ()) -> Select:
    """Ids of the meeting's invitees, with one of `answers` (None: not answered) when given, and
    speaking `language` (None: any language but `other_languages`)."""
    i = Invitation
    query = select(i.member_id).where(i.meeting_id == meeting_id)
    if answers is not None:
        given = [a for a in answers if a is not None]
        condition = i.answer.in_(given) if given else None
        if None in answers:
            condition = i.answer.is_(None) if condition is None else condition | i.answer.is_(None)
        query = query.where(condition)
    if language is not None:
        query = query.where(i.member_id.in_(select(Member.id).where(Member.language == language)))
    elif other_languages:
        query = query.where(i.member_id.in_(select(Member.id).where(
            Member.language.is_(None) | Member.language.not_in(other_languages))))
    return query


def invitee_count(session: Session, meeting_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Invitation)
                          .where(Invitation.meeting_id == meeting_id))


# --- Scheduling, moving, cancelling ----------------------------------------------------------

def schedule(session: Session, *, cluster_id: int, organiser_id: int, title: str, place: str,
             starts_at: datetime, now: datetime, kind: str = "meeting", skill: str | None = None,
             member_ids: list[int] | None = None) -> tuple[Meeting, int]:
    """Creates the meeting with a free code, invites its audience (only `member_ids` of it when
    given) and plans the reminders; returns the meeting and how many members are invited."""
    for _ in range(50):
        meeting = Meeting(cluster_id=cluster_id, organiser_id=organiser_id, code=new_code(),
                          title=title, place=place, starts_at=starts_at, status="scheduled",
                          kind=kind, skill=skill, created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(meeting)
        except IntegrityError:
            continue  # the code is taken by another scheduled meeting: draw another
        break
    else:
        raise RuntimeError("no free meeting code")
    rows = audience(cluster_id, organiser_id, member_ids).with_only_columns(
        literal(meeting.id), Member.__table__.c.id, literal(now, UTCDateTime()))
    # Counted with RETURNING: the rowcount of INSERT ... SELECT is -1 on some drivers.
    table = Invitation.__table__
    invited = len(session.execute(table.insert().from_select(
        ["meeting_id", "member_id", "created_at"], rows).returning(table.c.id)).all())
    plan_reminders(session, meeting, now)
    return meeting, invited


def new_code() -> str:
    """Four characters with at least one letter and one digit, so a code never reads as a word."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not code.isalpha() and not code.isdigit():
            return code


def plan_reminders(session: Session, meeting: Meeting, now: datetime) -> None:
    """Replaces the meeting's reminders by those still ahead of `now` for its start."""
    session.execute(delete(Reminder).where(Reminder.meeting_id == meeting.id))
    for lead in REMINDER_LEADS:
        due = meeting.starts_at - lead
        if due > now:
            session.add(Reminder(meeting_id=meeting.id, due_at=due,
                                 lead_minutes=int(lead.total_seconds() // 60)))
    session.flush()


def move(session: Session, meeting: Meeting, starts_at: datetime, now: datetime,
         place: str | None = None) -> None:
    """Gives the meeting a new start (and place, when given); its reminders are planned again
    for it."""
    meeting.starts_at = starts_at
    meeting.place = place or meeting.place
    meeting.updated_at = now
    plan_reminders(session, meeting, now)


def cancel(session: Session, meeting: Meeting, now: datetime) -> None:
    meeting.status = "cancelled"
    meeting.updated_at = now
    session.execute(delete(Reminder).where(Reminder.meeting_id == meeting.id,
                                           Reminder.sent_at.is_(None)))


def close_past(session: Session, now: datetime) -> int:
    """Marks meetings long begun as held, which frees their codes."""
    return session.execute(
        update(Meeting).where(Meeting.status == "scheduled", Meeting.starts_at < now - OVER_AFTER)
        .values(status="held", updated_at=now)).rowcount


# --- Finding meetings ------------------------------------------------------------------------

def by_code(session: Session, code: str) -> Meeting | None:
    """The scheduled meeting with this code, else the latest one that had it."""
    return session.scalar(
        select(Meeting).where(Meeting.code == code.upper())
        .order_by((Meeting.status == "scheduled").desc(), Meeting.id.desc()).limit(1))


def upcoming(session: Session, cluster_ids: list[int], now: datetime,
             limit: int = 5) -> list[Meeting]:
    """The next scheduled meetings of these clusters, soonest first."""
    return list(session.scalars(
        select(Meeting).where(Meeting.cluster_id.in_(cluster_ids), Meeting.status == "scheduled",
                              Meeting.starts_at > now)
        .order_by(Meeting.starts_at).limit(limit)))


def open_invitations(session: Session, member_id: int, now: datetime,
                     code: str | None = None) -> list[Invitation]:
    """The member's invitations to scheduled meetings not begun yet (the one with `code`)."""
    query = (select(Invitation).join(Meeting, Meeting.id == Invitation.meeting_id)
             .where(Invitation.member_id == member_id, Meeting.status == "scheduled",
                    Meeting.starts_at > now))
    if code:
        query = query.where(Meeting.code == code.upper())
    return list(session.scalars(query.order_by(Invitation.id)))


def open_to_cluster(session: Session, cluster_ids: list[int], code: str,
                    now: datetime) -> Meeting | None:
    """The scheduled meeting of these clusters with this code, not begun yet: a member of the
    cluster may answer it without an invitation (they joined later, or asked too late)."""
    return session.scalar(select(Meeting).where(
        Meeting.cluster_id.in_(cluster_ids), Meeting.code == code.upper(),
        Meeting.status == "scheduled", Meeting.starts_at > now))


def upcoming_trainings(session: Session, cluster_id: int, skill: str,
                       now: datetime) -> list[Meeting]:
    """The cluster's scheduled trainings for a catalog skill, not begun yet, soonest first."""
    return list(session.scalars(
        select(Meeting).where(Meeting.cluster_id == cluster_id, Meeting.kind == "training",
                              Meeting.skill == skill, Meeting.status == "scheduled",
                              Meeting.starts_at > now)
        .order_by(Meeting.starts_at)))


def invitation(session: Session, meeting_id: int, member_id: int) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.meeting_id == meeting_id,
                                                   Invitation.member_id == member_id))


def invite(session: Session, meeting_id: int, member_id: int, now: datetime) -> Invitation:
    """The member's invitation to the meeting, created when they have none."""
    found = invitation(session, meeting_id, member_id)
    if found is None:
        found = Invitation(meeting_id=meeting_id, member_id=member_id, created_at=now)
        session.add(found)
        session.flush()
    return found


def record_answer(invitation: Invitation, yes: bool, now: datetime) -> None:
    invitation.answer = "yes" if yes else "no"
    invitation.answered_at = now


# --- Attendance ------------------------------------------------------------------------------

def answer_counts(session: Session, meeting_id: int) -> dict[str | None, int]:
    """How many invitees answered yes, no, or nothing (None)."""
    rows = session.execute(select(Invitation.answer, func.count()).where(
        Invitation.meeting_id == meeting_id).group_by(Invitation.answer)).all()
    counts = {"yes": 0, "no": 0, None: 0}
    counts.update(dict(rows))
    return counts


def names(session: Session, meeting_id: int, answer: str | None,
          limit: int | None = None) -> list[str]:
    """Names of the invitees with this answer, in the order they gave it."""
    i = Invitation
    query = (select(Member.name, Member.telegram_username).join(i, i.member_id == Member.id)
             .where(i.meeting_id == meeting_id,
                    i.answer.is_(None) if answer is None else i.answer == answer)
             .order_by(i.answered_at, Member.name, Member.id).limit(limit))
    return [name or (f"@{username}" if username else "?")
            for name, username in session.execute(query)]


def languages_of(session: Session, member_ids: Select) -> list[str | None]:
    """The reply languages among these members (None for those who never chose one)."""
    return list(session.scalars(
        select(Member.language).where(Member.id.in_(member_ids)).distinct()))


# --- Reminders -------------------------------------------------------------------------------

def due_reminders(session: Session, now: datetime) -> list[Reminder]:
    """Reminders whose time has come and that are not sent, locked until commit (another
    process running the job skips them)."""
    return list(session.scalars(
        select(Reminder).where(Reminder.sent_at.is_(None), Reminder.due_at <= now)
        .order_by(Reminder.meeting_id, Reminder.lead_minutes)
        .with_for_update(skip_locked=True, of=Reminder)).unique())


def mark_sent(reminder: Reminder, now: datetime) -> None:
    reminder.sent_at = now

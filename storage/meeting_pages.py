"""What the dashboard's meetings and skills pages read of a cluster's meetings and trainings:
each with its answers counted, one meeting found by id or code, and who was invited."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.meetings import Invitation, Meeting
from storage.models import LARGEST_ID, Member


@dataclass(frozen=True)
class Counted:
    """A meeting and how many of its invited said yes, no, or nothing yet."""

    meeting: Meeting
    yes: int
    no: int
    waiting: int

    @property
    def invited(self) -> int:
        return self.yes + self.no + self.waiting


@dataclass(frozen=True)
class Invitee:
    """One member invited to a meeting, and their answer (None: not given)."""

    member_id: int
    name: str | None
    telegram_username: str | None
    phone: str | None
    answer: str | None


def counted(session: Session, cluster_id: int, now: datetime, *, upcoming: bool,
            kind: str | None = None, limit: int = 100) -> list[Counted]:
    """The cluster's meetings (of one `kind` when given) with their answers counted: upcoming
    ones (scheduled, not begun) soonest first, or the others (held, cancelled, begun) latest
    first."""
    ahead = (Meeting.status == "scheduled") & (Meeting.starts_at > now)
    answered = lambda value: func.count(case((Invitation.answer == value, 1)))  # noqa: E731
    query = (select(Meeting, answered("yes"), answered("no"),
                    func.count(case((Invitation.answer.is_(None) & Invitation.id.is_not(None),
                                     1))))
             .outerjoin(Invitation, Invitation.meeting_id == Meeting.id)
             .where(Meeting.cluster_id == cluster_id, ahead if upcoming else ~ahead)
             .group_by(Meeting.id)
             .order_by(Meeting.starts_at if upcoming else Meeting.starts_at.desc(),
                       Meeting.id.desc())
             .limit(limit))
    if kind is not None:
        query = query.where(Meeting.kind == kind)
    return [Counted(meeting, yes, no, waiting)
            for meeting, yes, no, waiting in session.execute(query)]


def find(session: Session, cluster_id: int, key: str) -> Meeting | None:
    """The cluster's meeting with this id, or with this code (the scheduled one, else the
    latest that had it); None for any other cluster's."""
    by_id = key.isdigit() and int(key) <= LARGEST_ID
    condition = Meeting.id == int(key) if by_id else Meeting.code == key.upper()[:8]
    return session.scalar(
        select(Meeting).where(Meeting.cluster_id == cluster_id, condition)
        .order_by((Meeting.status == "scheduled").desc(), Meeting.id.desc()).limit(1))


def invitees(session: Session, meeting_id: int) -> list[Invitee]:
    """Everyone invited to the meeting, those who answered in the order they did, then by
    name."""
    rows = session.execute(
        select(Member.id, Member.name, Member.telegram_username, Member.phone, Invitation.answer)
        .join(Invitation, Invitation.member_id == Member.id)
        .where(Invitation.meeting_id == meeting_id)
        .order_by(Invitation.answered_at, Member.name, Member.id))
    return [Invitee(*row) for row in rows]


"""The figures of a cluster's dashboard home page, each one query filtered by the cluster."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from storage.market import Listing, MarketMatch
from storage.meetings import Invitation, Meeting
from storage.models import InboundMessage, Member, Membership, OutboundMessage
from storage.skills import SkillNeed

FAILED = ("failed", "undelivered", "undeliverable")


@dataclass(frozen=True)
class DayCount:
    day: date
    inbound: int
    outbound: int


@dataclass(frozen=True)
class UpcomingMeeting:
    code: str
    title: str
    kind: str
    skill: str | None
    starts_at: datetime
    yes: int
    no: int
    waiting: int


def in_cluster(cluster_id: int):
    """Ids of the cluster's members who have not deleted their data."""
    return (select(Membership.member_id).join(Member, Member.id == Membership.member_id)
            .where(Membership.cluster_id == cluster_id, Member.deleted_at.is_(None)))


def member_count(session: Session, cluster_id: int) -> int:
    return session.scalar(select(func.count()).select_from(in_cluster(cluster_id).distinct()
                                                           .subquery())) or 0


def members_by_role(session: Session, cluster_id: int) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Membership.role, func.count(func.distinct(Membership.member_id)))
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.cluster_id == cluster_id, Member.deleted_at.is_(None))
        .group_by(Membership.role).order_by(func.count().desc(), Membership.role))
    return [(role, count) for role, count in rows]


def members_by_place(session: Session, cluster_id: int, limit: int = 8) -> list[tuple[str, int]]:
    place = func.coalesce(Member.place_name, "")
    rows = session.execute(
        select(place, func.count()).where(Member.id.in_(in_cluster(cluster_id)))
        .group_by(place).order_by(func.count().desc(), place).limit(limit))
    return [(name, count) for name, count in rows]


def new_members(session: Session, cluster_id: int, since: datetime) -> int:
    return session.scalar(select(func.count(func.distinct(Membership.member_id)))
                          .join(Member, Member.id == Membership.member_id)
                          .where(Membership.cluster_id == cluster_id,
                                 Member.deleted_at.is_(None), Membership.created_at >= since)) or 0


def messages_per_day(session: Session, cluster_id: int, first: date, last: date) -> list[DayCount]:
    """Messages in and out each day from `first` to `last` (UTC days), days without any too."""
    since = datetime.combine(first, time.min, tzinfo=timezone.utc)
    members = in_cluster(cluster_id)
    inbound = dict(session.execute(
        select(func.date(InboundMessage.received_at), func.count())
        .where(InboundMessage.member_id.in_(members), InboundMessage.received_at >= since)
        .group_by(func.date(InboundMessage.received_at))).all())
    outbound = dict(session.execute(
        select(func.date(OutboundMessage.created_at), func.count())
        .where(OutboundMessage.member_id.in_(members), OutboundMessage.created_at >= since)
        .group_by(func.date(OutboundMessage.created_at))).all())
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [DayCount(day, count_on(inbound, day), count_on(outbound, day)) for day in days]


def count_on(counts: dict, day: date) -> int:
    """A count grouped by day: SQLite gives the day as text, PostgreSQL as a date."""
    return counts.get(day, counts.get(day.isoformat(), 0))


def failed_sends(session: Session, cluster_id: int, since: datetime) -> list[tuple[str, int]]:
    """Why sends to the cluster's members failed lately, the most common reason first."""
    return failure_reasons(session, OutboundMessage.member_id.in_(in_cluster(cluster_id)),
                           OutboundMessage.created_at >= since)


def failure_reasons(session: Session, *where, limit: int = 10) -> list[tuple[str, int]]:
    """Why the outbox rows `where` selects failed, the most common reason first."""
    reason = func.coalesce(OutboundMessage.error, OutboundMessage.status)
    rows = session.execute(
        select(reason, func.count()).where(*where, OutboundMessage.status.in_(FAILED))
        .group_by(reason).order_by(func.count().desc(), reason).limit(limit))
    return [(text, count) for text, count in rows]


def upcoming_meetings(session: Session, cluster_id: int, now: datetime,
                      limit: int = 5) -> list[UpcomingMeeting]:
    def answers(given) -> object:
        return func.count(case((and_(Invitation.id.is_not(None), given), 1)))

    rows = session.execute(
        select(Meeting, answers(Invitation.answer == "yes"), answers(Invitation.answer == "no"),
               answers(Invitation.answer.is_(None)))
        .outerjoin(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Meeting.cluster_id == cluster_id, Meeting.status == "scheduled",
               Meeting.starts_at >= now)
        .group_by(Meeting.id).order_by(Meeting.starts_at).limit(limit))
    return [UpcomingMeeting(m.code, m.title, m.kind, m.skill, m.starts_at, yes, no, waiting)
            for m, yes, no, waiting in rows]


def open_needs(session: Session, cluster_id: int,
               limit: int = 8) -> list[tuple[str | None, str, int]]:
    """(skill slug or None, a wording, members) of the most asked-for needs."""
    rows = session.execute(
        select(SkillNeed.skill, func.min(SkillNeed.wording), func.count())
        .where(SkillNeed.cluster_id == cluster_id, SkillNeed.member_id.in_(in_cluster(cluster_id)))
        .group_by(SkillNeed.skill, SkillNeed.topic)
        .order_by(func.count().desc()).limit(limit))
    return [(skill, wording, count) for skill, wording, count in rows]


def market_counts(session: Session, cluster_id: int, now: datetime) -> dict[str, int]:
    """Open offers and requests, and the matches and introductions among them."""
    live = and_(Listing.cluster_id == cluster_id, Listing.status == "open",
                Listing.expires_at > now)
    offers = session.scalar(select(func.count()).where(live, Listing.kind == "sell")) or 0
    requests = session.scalar(select(func.count()).where(live, Listing.kind == "buy")) or 0
    matched = (select(func.count()).select_from(MarketMatch)
               .join(Listing, Listing.id == MarketMatch.offer_id).where(live))
    matches = session.scalar(matched) or 0
    introduced = session.scalar(matched.where(MarketMatch.introduced_at.is_not(None))) or 0
    return {"offers": offers, "requests": requests, "matches": matches, "introduced": introduced}

"""The dashboard's inbox: what members of a cluster sent that the bot did not understand (the
engine marks those `not_understood`), newest first, and which a coordinator has answered."""
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import InboundMessage, Member
from storage.overview import in_cluster


@dataclass(frozen=True)
class Counts:
    """How many messages the bot did not understand, and how many of them were answered."""

    total: int
    answered: int

    @property
    def waiting(self) -> int:
        return self.total - self.answered


def not_understood(cluster_id: int):
    """The condition on inbound messages: not understood, from a member of the cluster."""
    return InboundMessage.not_understood & InboundMessage.member_id.in_(in_cluster(cluster_id))


def page_of(session: Session, cluster_id: int, number: int,
            size: int) -> list[tuple[InboundMessage, Member]]:
    """Page `number` (from 1) of the messages and their senders, newest first."""
    rows = session.execute(
        select(InboundMessage, Member).join(Member, Member.id == InboundMessage.member_id)
        .where(not_understood(cluster_id))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .offset((number - 1) * size).limit(size))
    return [(message, member) for message, member in rows]


def counts(session: Session, cluster_id: int) -> Counts:
    total, answered = session.execute(
        select(func.count(), func.count(InboundMessage.answered_at))
        .where(not_understood(cluster_id))).one()
    return Counts(total or 0, answered or 0)


def message_of(session: Session, cluster_id: int, inbound_id: int) -> InboundMessage | None:
    """The message, locked, when it is one the bot did not understand from a member of the
    cluster; None for any other id."""
    return session.scalar(select(InboundMessage)
                          .where(InboundMessage.id == inbound_id, not_understood(cluster_id))
                          .with_for_update())


def mark_answered(message: InboundMessage) -> None:
    message.answered_at = datetime.now(timezone.utc)

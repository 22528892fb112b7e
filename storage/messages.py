"""Inbound messages: stored first, de-duplicated by channel and provider id."""
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import InboundMessage

# Built once, with the values passed at execution: a statement built with its values costs more
# to prepare than the insert itself.
STORE = {name: dialect.insert(InboundMessage.__table__)
         .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
         .returning(InboundMessage.__table__.c.id)
         for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def store_inbound(session: Session, **fields) -> int | None:
    """Stores an inbound message and returns its id; None when the same channel + provider id
    was stored before. One statement, no savepoint: it is on every webhook's path."""
    return session.execute(STORE[session.get_bind().dialect.name], fields).scalar()


def mark_inbound(message: InboundMessage, status: str, member_id: int | None) -> None:
    message.status = status
    message.member_id = member_id
    message.handled_at = datetime.now(timezone.utc)


def pending_inbound_ids(session: Session) -> list[int]:
    """Messages accepted but not yet handled (e.g. the process stopped in between)."""
    return list(
        session.scalars(
            select(InboundMessage.id).where(InboundMessage.status == "received").order_by(InboundMessage.id)
        )
    )

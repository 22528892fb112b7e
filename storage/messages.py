"""Inbound messages: stored first, de-duplicated by channel and provider id."""
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import InboundMessage


def store_inbound(session: Session, **fields) -> InboundMessage | None:
    """Stores an inbound message; None when the same channel + provider id was stored before."""
    message = InboundMessage(**fields)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


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

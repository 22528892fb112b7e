"""Inbound messages: stored first, de-duplicated by channel and provider id."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import Row, and_, bindparam, literal_column, or_, select
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


INBOUND = InboundMessage.__table__.c
TAKE = (InboundMessage.__table__.update()
        .where(INBOUND.id == bindparam("inbound_id"), INBOUND.status == "received")
        .values(status=bindparam("status"), member_id=bindparam("member_id"),
                handled_at=bindparam("moment"))
        .returning(INBOUND.text, INBOUND.provider_id, INBOUND.choice, INBOUND.received_at,
                   INBOUND.extra))


def take(session: Session, inbound_id: int, member_id: int | None,
         status: str = "handled") -> Row | None:
    """Marks a message handled (or `ignored`) and from whom, in the handling's transaction, and
    returns what it says; None when another worker has taken it (found once that worker's
    transaction ends)."""
    return session.execute(TAKE, {"inbound_id": inbound_id, "member_id": member_id,
                                  "status": status, "moment": datetime.now(timezone.utc)}).first()


def mark_not_understood(session: Session, inbound_id: int) -> None:
    """For a coordinator to answer from the dashboard."""
    session.execute(InboundMessage.__table__.update().where(INBOUND.id == inbound_id)
                    .values(not_understood=True))


def mark_inbound(message: InboundMessage, status: str, member_id: int | None) -> None:
    message.status = status
    message.member_id = member_id
    message.handled_at = datetime.now(timezone.utc)


def unhandled_inbound(session: Session, lease: float, limit: int = 200) -> list[Row]:
    """(id, channel, address) of messages accepted and not handled that are due: a handling that
    failed at its retry time, any other once its lease is over (`lease` s after it came: the
    process that took it has stopped, or is far behind). Oldest first."""
    moment = datetime.now(timezone.utc)
    m = InboundMessage
    unhandled = m.status == literal_column("'received'")  # as the partial index says it
    due = or_(and_(m.retry_at.is_(None), m.received_at <= moment - timedelta(seconds=lease)),
              m.retry_at <= moment)
    return list(session.execute(select(m.id, m.channel, m.address).where(unhandled, due)
                                .order_by(m.id).limit(limit)))


def record_failure(session: Session, inbound_id: int, retry_after: tuple[float, ...]) -> bool:
    """Counts a failed handling of a message still unhandled; True when it is to be tried again
    (after the next of `retry_after`, in seconds), False when the tries are used up."""
    message = session.get(InboundMessage, inbound_id, with_for_update=True)
    if message is None or message.status != "received":
        return True  # another process handled it meanwhile: nothing to apologise for
    message.attempts += 1
    if message.attempts > len(retry_after):
        return False
    message.retry_at = datetime.now(timezone.utc) + timedelta(
        seconds=retry_after[message.attempts - 1])
    return True

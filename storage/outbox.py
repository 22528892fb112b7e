"""The outbox: messages queued in the sender's transaction, claimed and recorded by dispatchers."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import (JSON, ColumnElement, Integer, Select, String, bindparam, case, cast, func, literal,
                        literal_column, null, select, update)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from storage.models import OUTBOX_PENDING_STATUSES, Member, OutboundMessage, UTCDateTime

PENDING = OUTBOX_PENDING_STATUSES
FRESH_STATISTICS_AFTER = 1000  # rows queued at once
# Provider statuses in the order a message goes through them; a callback only moves forward.
PROGRESS = {"queued": 0, "accepted": 0, "scheduled": 0, "sending": 1, "sent": 2,
            "delivered": 3, "undelivered": 3, "failed": 3, "read": 4}
# Kinds that still go to a member who has just opted out: the confirmation itself.
FINAL_KINDS = ("final",)
# What is sent first: answers to a member who is waiting, then notices, then bulk.
ANSWER, NOTICE, BULK = 0, 1, 2
# Why a dispatcher with no sender for a channel ends a message `undeliverable`.
NOT_CONFIGURED = "channel not configured"


def now() -> datetime:
    return datetime.now(timezone.utc)


def queue(session: Session, *, channel: str, address: str, member_id: int | None, text: str,
          choices: list[dict] | None = None, kind: str = "reply",
          not_before: datetime | None = None) -> OutboundMessage:
    """Adds a message to the outbox, in the caller's transaction; replies go before the rest."""
    message = OutboundMessage(channel=channel, address=address, member_id=member_id, text=text,
                              choices=choices or [], kind=kind, priority=priority_of(kind),
                              not_before=not_before or now())
    session.add(message)
    return message


def queue_all(session: Session, messages: list[dict]) -> None:
    """Adds messages (channel, address, member_id, text, choices, kind: a turn's replies) to the
    outbox in one statement, in order, without an object each: on every message's path."""
    if messages:
        moment = now()
        session.execute(OutboundMessage.__table__.insert(), [
            {**message, "priority": priority_of(message["kind"]), "not_before": moment}
            for message in messages])


def priority_of(kind: str) -> int:
    """Replies (and a goodbye) go before notices."""
    return ANSWER if kind in ("reply", *FINAL_KINDS) else NOTICE


def pending(message=OutboundMessage) -> ColumnElement[bool]:
    """The message is still to send, written with literal values: SQLite uses the partial
    indexes on pending messages only when the query repeats their condition, not with bound
    values."""
    return message.status.in_([literal_column(f"'{status}'") for status in PENDING])


def queued_for(session: Session, channel: str, address: str) -> list[OutboundMessage]:
    return list(session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.channel == channel, OutboundMessage.address == address,
               pending(), OutboundMessage.status == "queued")
        .order_by(OutboundMessage.id)))


def route(member: Member) -> tuple[str, str] | None:
    """(channel, address) for a message the member did not ask for (a broadcast): Telegram when
    they have it, as it costs nothing; SMS when they prefer it or Telegram is out of reach."""
    if member.opted_out or member.deleted_at:
        return None
    if member.telegram_id and not member.telegram_blocked and not (member.prefers_sms and member.phone):
        return "telegram", str(member.telegram_id)
    if member.phone and not member.sms_unreachable:
        return "sms", member.phone
    return None


def route_columns():
    """`route` as SQL: (channel, address) columns of `members`, NULL channel when unreachable."""
    m = Member.__table__.c
    telegram = (m.telegram_id.is_not(None) & ~m.telegram_blocked
                & ~(m.prefers_sms & m.phone.is_not(None)))
    sms = m.phone.is_not(None) & ~m.sms_unreachable
    channel = case((telegram, literal("telegram")), (sms, literal("sms")), else_=null())
    address = case((telegram, cast(m.telegram_id, String)), else_=m.phone)
    return channel, address


def queue_to_members(session: Session, member_ids: Select, text: str, kind: str = "broadcast",
                     not_before: datetime | None = None, broadcast_id: int | None = None) -> int:
    """Queues one message per member of `member_ids` (a select of ids), each on their cheapest
    reachable channel, in one INSERT ... SELECT: a 100,000-member broadcast never loads members."""
    m, o = Member.__table__.c, OutboundMessage.__table__
    channel, address = route_columns()
    moment = not_before or now()
    rows = (select(channel, address, m.id, literal(text), literal([], JSON), literal(kind),
                   literal(BULK), literal("queued"), literal(0), literal(moment, UTCDateTime()),
                   literal(now(), UTCDateTime()), literal(now(), UTCDateTime()),
                   literal(broadcast_id, Integer()))
            .where(m.id.in_(member_ids), ~m.opted_out, m.deleted_at.is_(None), channel.is_not(None))
            .order_by(m.id))
    columns = ["channel", "address", "member_id", "text", "choices", "kind", "priority", "status",
               "attempts", "not_before", "created_at", "updated_at", "broadcast_id"]
    inserted = session.execute(o.insert().from_select(columns, rows).returning(o.c.id))
    count = len(inserted.all())  # rowcount is not reliable for INSERT ... SELECT on every driver
    if count >= FRESH_STATISTICS_AFTER and session.get_bind().dialect.name == "postgresql":
        # Until autovacuum samples the new rows, PostgreSQL plans the dispatcher's claims for
        # a queue it thinks is empty and scans every pending row per claim (75 ms, not 8 ms).
        session.execute(sql_text("ANALYZE outbound_messages"))
    return count


def queue_to_member(session: Session, member: Member, text: str, kind: str = "broadcast",
                    not_before: datetime | None = None) -> OutboundMessage | None:
    """Queues a message on the member's cheapest reachable channel; None when there is none."""
    where = route(member)
    if where is None:
        return None
    return queue(session, channel=where[0], address=where[1], member_id=member.id, text=text,
                 kind=kind, not_before=not_before)


def fall_back_to_sms(session: Session, failed: "Claimed") -> OutboundMessage | None:
    """Sends a broadcast that Telegram could not deliver by SMS instead, when the member has it."""
    member = session.get(Member, failed.member_id) if failed.member_id else None
    if member is None or member.opted_out or not member.phone or member.sms_unreachable:
        return None
    message = queue(session, channel="sms", address=member.phone, member_id=member.id,
                    text=failed.text, kind=failed.kind)
    message.broadcast_id, message.priority = failed.broadcast_id, BULK
    return message


@dataclass(frozen=True)
class Claimed:
    """A message a dispatcher holds until its lease ends; `member_opted_out` is read at claim."""

    id: int
    channel: str
    address: str
    text: str
    choices: list
    kind: str
    attempts: int
    member_id: int | None
    broadcast_id: int | None
    member_opted_out: bool


def claim(session: Session, channel: str, limit: int, worker: str, lease: timedelta) -> list[Claimed]:
    """Takes up to `limit` due messages of a channel, answers first, then notices, then bulk:
    only the oldest pending one per recipient and priority, so each recipient gets them in order
    (an answer may overtake a broadcast). A message whose lease ran out (its dispatcher died) is
    due again. PostgreSQL skips rows another dispatcher is claiming; SQLite runs one statement."""
    moment = now()
    claimed = session.execute(CLAIM, {"claim_channel": channel, "moment": moment,
                                      "claim_limit": limit, "lease_until": moment + lease,
                                      "worker": worker})
    return sorted((Claimed(*row[:-1], member_opted_out=bool(row[-1])) for row in claimed),
                  key=lambda c: c.id)


def claim_statement():
    """The statement `claim` runs, built once: building it cost more than running it."""
    o, earlier = OutboundMessage, aliased(OutboundMessage)
    opted_out = select(Member.opted_out).where(Member.id == o.member_id).scalar_subquery()
    moment = bindparam("moment", type_=UTCDateTime)
    not_first = (select(earlier.id)
                 .where(earlier.channel == o.channel, earlier.address == o.address,
                        earlier.id < o.id, earlier.priority <= o.priority, pending(earlier))
                 .exists())
    due = ((o.status == "queued") & (o.not_before <= moment)) | (
        (o.status == "sending") & (o.lease_until < moment))
    ids = (select(o.id).where(o.channel == bindparam("claim_channel"), pending(o), due, ~not_first)
           .order_by(o.priority, o.id).limit(bindparam("claim_limit", type_=Integer))
           .with_for_update(skip_locked=True))
    return (update(o).where(o.id.in_(ids.scalar_subquery()))
            .values(status="sending", lease_until=bindparam("lease_until", type_=UTCDateTime),
                    claimed_by=bindparam("worker"))
            .returning(o.id, o.channel, o.address, o.text, o.choices, o.kind, o.attempts,
                       o.member_id, o.broadcast_id, opted_out)
            .execution_options(synchronize_session=False))


CLAIM = claim_statement()


def release_all(session: Session, channel: str) -> int:
    """Puts every claimed message of a channel back in the queue (one dispatcher, at start)."""
    return session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.channel == channel, pending(), OutboundMessage.status == "sending")
        .values(status="queued", lease_until=None, claimed_by=None)).rowcount


def mark_sent(session: Session, sent: list[tuple[int, str | None]]) -> None:
    """Records (message id, provider id) pairs as sent, in one round trip."""
    if not sent:
        return
    table = OutboundMessage.__table__
    session.connection().execute(
        table.update().where(table.c.id == bindparam("message_id")).values(
            status="sent", provider_id=bindparam("sent_provider_id"), sent_at=now(), updated_at=now(),
            lease_until=None, attempts=table.c.attempts + 1, error=None),
        [{"message_id": i, "sent_provider_id": p} for i, p in sent])


def retry_later(session: Session, message_id: int, delay: float, error: str, *, attempt: bool) -> None:
    """Queues the message again after `delay` seconds; `attempt` counts it towards the limit."""
    session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status="queued", not_before=now() + timedelta(seconds=delay), lease_until=None,
        error=error, attempts=OutboundMessage.attempts + (1 if attempt else 0)))


def mark_failed(session: Session, message_id: int, status: str, error: str) -> None:
    """Ends a message that will not be sent: failed, undeliverable or cancelled, with why."""
    session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id).values(
        status=status, error=error[:500], lease_until=None))


def advance_status(session: Session, channel: str, provider_id: str, status: str,
                   error: str | None = None) -> OutboundMessage | None:
    """Applies a provider's status callback, only forward (callbacks come out of order)."""
    message = session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.channel == channel, OutboundMessage.provider_id == provider_id)
        .with_for_update())
    if message is None or status not in PROGRESS:
        return None
    if PROGRESS[status] > PROGRESS.get(message.status, 0):
        message.status = status
        if error:
            message.error = error
    return message


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (for progress and tests)."""
    rows = session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
    return dict(rows.all())


# PostgreSQL's own clock, so processes on several machines keep one pace.
ADD_PACE = sql_text("INSERT INTO send_pace (channel, next_at) VALUES (:channel, now())"
                    " ON CONFLICT DO NOTHING")
RESERVE_SLOT = sql_text(
    "UPDATE send_pace SET next_at = GREATEST(next_at, now()) + make_interval(secs => :gap)"
    " WHERE channel = :channel RETURNING EXTRACT(EPOCH FROM next_at - now())::float8 - :gap")


def reserve_slot(session: Session, channel: str, gap: float) -> float:
    """Seconds to wait before sending the channel's next message: `gap` after the one any
    process reserved last (PostgreSQL; the row is locked by the update until commit)."""
    delay = session.execute(RESERVE_SLOT, {"channel": channel, "gap": gap}).scalar()
    if delay is None:  # the channel's first message
        session.execute(ADD_PACE, {"channel": channel})
        delay = session.execute(RESERVE_SLOT, {"channel": channel, "gap": gap}).scalar_one()
    return delay

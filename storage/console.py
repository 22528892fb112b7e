"""The outbox as the terminal and the web simulator read it while no channel is configured: what
the bot sends other phones is shown there, since nothing can deliver it anywhere else."""
from sqlalchemy import func, not_, select, update
from sqlalchemy.orm import Session

from storage.models import Member, OutboundMessage
from storage.outbox import FINAL_KINDS, NOT_CONFIGURED, now

PHONE_CHANNELS = ("sms", "telegram")
SHOWN = "not sent: shown in the terminal or simulator (no channel configured)"


def last_id(session: Session) -> int:
    """The newest outbox row's id (0 when empty): where a session of the terminal starts."""
    return session.scalar(select(func.max(OutboundMessage.id))) or 0


def unsent(after_id: int):
    """Messages for SMS and Telegram addresses queued after `after_id` that are due and were
    not sent: still queued, or ended by a dispatcher that had no channel to send them by."""
    o = OutboundMessage
    opted_out = select(Member.opted_out).where(Member.id == o.member_id).scalar_subquery()
    return ((o.id > after_id) & o.channel.in_(PHONE_CHANNELS) & (o.not_before <= now())
            & ((o.status == "queued") | ((o.status == "undeliverable") & (o.error == NOT_CONFIGURED)))
            & (o.member_id.is_(None) | o.kind.in_(FINAL_KINDS) | not_(func.coalesce(opted_out, False))))


def take_for_phones(session: Session, after_id: int) -> list[OutboundMessage]:
    """Marks the unsent messages for phones queued after `after_id` delivered (to this
    machine's screen, as the error says) and returns them in the order they were queued. A
    message a dispatcher holds at that moment is left to it; it ends undeliverable, and the
    next look takes it."""
    taken = session.scalars(
        update(OutboundMessage).where(unsent(after_id))
        .values(status="delivered", error=SHOWN, updated_at=now())
        .returning(OutboundMessage)
        .execution_options(synchronize_session=False))
    return sorted(taken, key=lambda message: message.id)


def held_by_dispatcher(session: Session, after_id: int) -> int:
    """How many messages for phones queued after `after_id` a dispatcher is ending right now."""
    o = OutboundMessage
    return session.scalar(select(func.count()).select_from(o).where(
        o.id > after_id, o.channel.in_(PHONE_CHANNELS), o.status == "sending"))

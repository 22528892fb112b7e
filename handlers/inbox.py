"""A coordinator's answer to a message the bot did not understand: it goes to the member on the
channel they wrote on (their cheapest other one when that is out of reach), through the outbox."""
from sqlalchemy.orm import Session

from storage import audit, inbox, outbox
from storage.audit import Actor
from storage.models import InboundMessage, Member

ANSWERED, UNREACHABLE, GONE = "answered", "unreachable", "gone"


def answer(session: Session, cluster_id: int, inbound_id: int, actor: Actor, text: str) -> str:
    """Queues `text` to the sender of the message and marks it answered, audited ("inbox.answer").
    Returns ANSWERED; GONE when the message is no unanswered one of the cluster's members;
    UNREACHABLE (nothing queued) when the member opted out or has no channel left."""
    message = inbox.message_of(session, cluster_id, inbound_id)
    if message is None or message.answered_at is not None:
        return GONE
    member = session.get(Member, message.member_id)
    where = own_channel(message, member)
    if where is None:
        return UNREACHABLE
    queued = outbox.queue(session, channel=where[0], address=where[1], member_id=member.id,
                          text=text, kind="notice")
    inbox.mark_answered(message)
    session.flush()
    audit.record(session, action="inbox.answer", actor=actor, cluster_id=cluster_id,
                 inbound_id=message.id, member_id=member.id, outbound_id=queued.id)
    return ANSWERED


def own_channel(message: InboundMessage, member: Member) -> tuple[str, str] | None:
    """(channel, address) to answer on: where the member wrote from (their own chat, not a
    group), unless they can no longer be reached there; None when they cannot be reached."""
    cheapest = outbox.route(member)
    if cheapest is None:
        return None
    reachable = {"telegram": not member.telegram_blocked, "sms": not member.sms_unreachable}
    if reachable.get(message.channel, True):
        return message.channel, message.address
    return cheapest

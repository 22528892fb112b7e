"""Messages the bot starts (reminders, alerts, introductions): in each member's language, on
their cheapest reachable channel, queued in the caller's transaction."""
from sqlalchemy.orm import Session

from locales.i18n import translate
from storage import outbox
from storage.models import Member


def notify(session: Session, member: Member, msgid: str, /, kind: str = "notice", **values) -> bool:
    """Queues `msgid` translated for the member; False when they cannot be reached (opted out,
    deleted, no reachable channel)."""
    text = translate(member.language, msgid, **values)
    return outbox.queue_to_member(session, member, text, kind=kind) is not None

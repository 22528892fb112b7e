"""The audit log of coordinator and operator actions."""
from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEntry, Member

# Who acts: a member (a coordinator, by SMS or Telegram), or a name such as "cli", "quick start"
# or, from the dashboard, "web:EMAIL".
Actor = Member | str


def record(session: Session, *, action: str, actor: Actor, cluster_id: int | None = None,
           **details: Any) -> None:
    """Writes who did what, in the caller's transaction."""
    if isinstance(actor, Member):
        entry = AuditEntry(actor_member_id=actor.id, actor=actor.phone or str(actor.telegram_id),
                           action=action, cluster_id=cluster_id, details=details)
    else:
        entry = AuditEntry(actor=actor, action=action, cluster_id=cluster_id, details=details)
    session.add(entry)


def member_id(actor: Actor) -> int | None:
    """The id of the member who acts; None for an operator named by a string."""
    return actor.id if isinstance(actor, Member) else None

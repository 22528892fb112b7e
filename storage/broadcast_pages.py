"""The dashboard's broadcasts pages: a cluster's broadcasts with who sent them (the audit row
`handlers.broadcasts.send` writes for each cluster is what ties a broadcast to a cluster and a
sender), and how the sending of each went."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.broadcasts import Broadcast
from storage.models import AuditEntry, Member, OutboundMessage, Product
from storage import overview

SENT = "broadcast.send"  # the audit action of a broadcast sent or scheduled


@dataclass(frozen=True)
class Sent:
    """A broadcast of the cluster, and who sent it: a dashboard user's email or the name of
    the coordinator who sent it by SMS or Telegram (never their phone number)."""

    broadcast: Broadcast
    actor: str
    coordinator: str | None

    @property
    def sender(self) -> str:
        if self.coordinator is not None:
            return self.coordinator
        return self.actor.removeprefix("web:")


def history(session: Session, cluster_id: int, limit: int = 50,
            broadcast_id: int | None = None) -> list[Sent]:
    """The cluster's broadcasts, newest first (only `broadcast_id`'s when given)."""
    query = (select(Broadcast, AuditEntry.actor, Member.name,
                    AuditEntry.actor_member_id.is_not(None))
             .join(AuditEntry, AuditEntry.details["broadcast_id"].as_integer() == Broadcast.id)
             .outerjoin(Member, Member.id == AuditEntry.actor_member_id)
             .where(AuditEntry.action == SENT, AuditEntry.cluster_id == cluster_id)
             .order_by(Broadcast.id.desc()).limit(limit))
    if broadcast_id is not None:
        query = query.where(Broadcast.id == broadcast_id)
    return [Sent(broadcast, actor, (name or "-") if by_member else None)
            for broadcast, actor, name, by_member in session.execute(query)]


def of_cluster(session: Session, cluster_id: int, broadcast_id: int) -> Sent | None:
    """The broadcast when it was sent to the cluster; None for any other."""
    found = history(session, cluster_id, 1, broadcast_id)
    return found[0] if found and cluster_id in found[0].broadcast.cluster_ids else None


def failure_reasons(session: Session, broadcast_id: int) -> list[tuple[str, int]]:
    """Why the broadcast's messages failed, the most common reason first."""
    return overview.failure_reasons(session, OutboundMessage.broadcast_id == broadcast_id)


def catalog(session: Session) -> list[Product]:
    """Every product of the catalog (BROADCAST's product filter takes any of them)."""
    return list(session.scalars(select(Product)))

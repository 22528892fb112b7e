"""Who may act as a coordinator of a cluster, the polite refusal for others, the audit trail,
and granting or taking back the role."""
from sqlalchemy.orm import Session

from handlers.turn import Choice, Turn
from locales.i18n import fold
from storage import audit, clusters, members
from storage.audit import Actor
from storage.models import Cluster

ROLE = "coordinator"


def coordinated(turn: Turn) -> list[Cluster]:
    """The clusters the member coordinates."""
    return [m.cluster for m in turn.member.memberships if m.role == ROLE]


def pick(turn: Turn, slug_or_name: str | None) -> list[Cluster] | None:
    """The clusters a coordinator's command is about: the one named (slug or name), else all
    they coordinate. Says a polite refusal and returns None when they may not act there."""
    mine = coordinated(turn)
    if slug_or_name:
        wanted = fold(slug_or_name)
        named = [c for c in mine if wanted in (fold(c.slug), fold(c.name))]
        if not named:
            refuse(turn)
            return None
        return named
    if not mine:
        refuse(turn)
        return None
    return mine


def named_cluster(turn: Turn, words: list[str]) -> tuple[str | None, list[str]]:
    """The cluster (slug or name, any cluster's: `pick` refuses others) the command's words
    start with, if they name one, and the words after it."""
    for cluster in clusters.all_clusters(turn.session):
        for name in sorted({cluster.slug, cluster.name}, key=len, reverse=True):
            size = len(name.split())
            if fold(" ".join(words[:size])) == fold(" ".join(name.split())):
                return name, words[size:]
    return None, words


def begin(turn: Turn, mode: str, chosen: list[Cluster]) -> None:
    """Starts a coordinator's conversation about the clusters chosen (`pick`): the one cluster
    when there is one, else `ask_cluster` asks which later."""
    turn.data = {"mode": mode, "cluster_ids": [c.id for c in chosen]}
    if len(chosen) == 1:
        turn.data["cluster"] = chosen[0].id


def ask_cluster(turn: Turn, flow: str, step: str, question: str,
                preface: str | None = None) -> None:
    """Asks which of the coordinator's clusters (of those the command named, if it did) the
    command is for."""
    allowed = turn.data.get("cluster_ids")
    mine = [c for c in coordinated(turn) if allowed is None or c.id in allowed]
    turn.ask(flow, step, question, [Choice(str(c.id), c.name) for c in mine], free_text=False,
             preface=preface)


def refuse(turn: Turn) -> None:
    turn.say(turn._("Sorry, only a coordinator of that cluster can do this."))


def record(turn: Turn, action: str, cluster: Cluster | None, **details) -> None:
    """Writes the coordinator's action to the audit log, in the same transaction."""
    audit.record(turn.session, action=action, actor=turn.member,
                 cluster_id=cluster.id if cluster else None, **details)


def add(session: Session, cluster: Cluster, actor: Actor, *, phone: str | None = None,
        telegram_id: int | None = None) -> bool:
    """Makes the member with this phone or Telegram id (created if new) a coordinator of the
    cluster, audited; False when they already were one."""
    member = members.get_or_create(session, phone=phone, telegram_id=telegram_id)
    granted = members.add_role(session, member, cluster.id, ROLE)
    if granted:
        audit.record(session, action="coordinator.add", actor=actor, cluster_id=cluster.id,
                     member_id=member.id, member=address(phone, telegram_id))
    return granted


def remove(session: Session, cluster: Cluster, actor: Actor, *, phone: str | None = None,
           telegram_id: int | None = None) -> bool:
    """Takes the coordinator role in the cluster from the member with this phone or Telegram id
    (their other roles stay) and drops a question about the cluster they had open (a broadcast
    to confirm, say), audited; False when they were no coordinator of it."""
    member = members.find(session, phone=phone, telegram_id=telegram_id)
    if member is None or not clusters.remove_role(session, member, cluster.id, ROLE):
        return False
    clusters.drop_conversations(session, cluster.id, member.id)
    audit.record(session, action="coordinator.remove", actor=actor, cluster_id=cluster.id,
                 member_id=member.id, member=address(phone, telegram_id))
    return True


def address(phone: str | None, telegram_id: int | None) -> str:
    """How operators write who a member is: the phone, else `tg:` and the Telegram id."""
    return phone or f"tg:{telegram_id}"

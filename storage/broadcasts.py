"""Broadcasts: who a coordinator's message is for, when it goes, and how its sending went."""
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage import outbox
from storage.models import (Base, Member, MemberProduct, Membership, OutboundMessage, Place,
                            utcnow)

FINAL = ("sent", "delivered", "undelivered", "failed", "undeliverable", "cancelled", "read")


class Broadcast(Base):
    """One broadcast: the text per language, its audience (clusters and filters), when it goes.

    status: scheduled -> sending -> done, or missed (too late after downtime) or cancelled."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    cluster_ids: Mapped[list[Any]] = mapped_column()
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # language -> text; "" is the default text: for members with no text in their language
    texts: Mapped[dict[str, Any]] = mapped_column()
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    queued: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def audience(cluster_ids: list[int], filters: dict) -> Any:
    """A select of the ids of members a broadcast reaches: in any of the clusters, matching every
    filter (role, place, language, product), registered; each member once."""
    query = (select(Membership.member_id).join(Member, Member.id == Membership.member_id)
             .where(Membership.cluster_id.in_(cluster_ids), Member.registered))
    if filters.get("role"):
        query = query.where(Membership.role == filters["role"])
    if filters.get("language"):
        query = query.where(Member.language == filters["language"])
    if filters.get("place"):
        place = filters["place"].casefold()
        query = query.outerjoin(Place, Place.id == Member.place_id).where(
            (func.lower(Member.place_name) == place) | (func.lower(Place.name) == place))
    if filters.get("product_id"):
        query = query.where(Member.id.in_(select(MemberProduct.member_id).where(
            MemberProduct.product_id == filters["product_id"])))
    return query.distinct()


def reach(session: Session, cluster_ids: list[int], filters: dict) -> dict[str, int]:
    """How many members the broadcast reaches per channel (sms, telegram), without sending."""
    channel, _ = outbox.route_columns()
    ids = audience(cluster_ids, filters).scalar_subquery()
    rows = session.execute(
        select(channel, func.count()).select_from(Member.__table__)
        .where(Member.id.in_(ids), ~Member.opted_out, Member.deleted_at.is_(None), channel.is_not(None))
        .group_by(channel))
    return {name: count for name, count in rows.all()}


def create(session: Session, *, coordinator_id: int | None, cluster_ids: list[int], filters: dict,
           texts: dict[str, str], send_at: datetime | None = None, grace_seconds: int = 3600,
           fallback: str | None = None) -> Broadcast:
    """A broadcast of `texts` (language -> text, "" the first text written); members with no
    text in their language get the `fallback` language's (see `default_text`)."""
    texts = {**texts, "": default_text(texts, fallback)}
    broadcast = Broadcast(coordinator_id=coordinator_id, cluster_ids=cluster_ids, filters=filters,
                          texts=texts, send_at=send_at or utcnow(), grace_seconds=grace_seconds)
    session.add(broadcast)
    session.flush()
    return broadcast


def default_text(texts: dict[str, str], fallback: str | None = None) -> str:
    """The text for members with none in their language: in the language the coordinator chose,
    else in English when the broadcast has it (after their own, the language members are
    likeliest to read; not the cluster's first language, which may be no more theirs), else the
    first text written."""
    if fallback in texts:
        return texts[fallback]
    return texts.get("en") or texts.get("") or next(iter(texts.values()))


def queue(session: Session, broadcast: Broadcast) -> int:
    """Writes the broadcast's outbox rows: each member gets the text in their language, else the
    default text."""
    texts = broadcast.texts
    fallback = texts[""]
    members = audience(broadcast.cluster_ids, broadcast.filters)
    count = 0
    for language, text in texts.items():
        if language:
            count += outbox.queue_to_members(
                session, members.where(Member.language == language), text,
                broadcast_id=broadcast.id)
    others = members.where(Member.language.is_(None) | Member.language.not_in(
        [lang for lang in texts if lang]))
    count += outbox.queue_to_members(session, others, fallback, broadcast_id=broadcast.id)
    broadcast.status, broadcast.queued = "sending", count
    return count


def due(session: Session, now: datetime) -> list[Broadcast]:
    """Scheduled broadcasts whose time has come (locked, so one job takes each)."""
    return list(session.scalars(
        select(Broadcast).where(Broadcast.status == "scheduled", Broadcast.send_at <= now)
        .order_by(Broadcast.id).with_for_update(skip_locked=True)))


def progress(session: Session, broadcast_id: int) -> dict[str, int]:
    """Outbox rows of the broadcast per status."""
    return progress_of(session, [broadcast_id])[broadcast_id]


def progress_of(session: Session, broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    """Outbox rows per status of each broadcast, in one query."""
    counts: dict[int, dict[str, int]] = {i: {} for i in broadcast_ids}
    rows = session.execute(
        select(OutboundMessage.broadcast_id, OutboundMessage.status, func.count())
        .where(OutboundMessage.broadcast_id.in_(broadcast_ids))
        .group_by(OutboundMessage.broadcast_id, OutboundMessage.status))
    for broadcast_id, status, count in rows:
        counts[broadcast_id][status] = count
    return counts


def finished_sending(session: Session) -> list[Broadcast]:
    """Broadcasts being sent whose every message has reached a final status."""
    pending = (select(OutboundMessage.id)
               .where(OutboundMessage.broadcast_id == Broadcast.id,
                      OutboundMessage.status.in_(outbox.PENDING)).exists())
    return list(session.scalars(
        select(Broadcast).where(Broadcast.status == "sending", ~pending)
        .with_for_update(skip_locked=True)))


def late(broadcast: Broadcast, now: datetime) -> bool:
    return now - broadcast.send_at > timedelta(seconds=broadcast.grace_seconds)


def mark(session: Session, broadcast_id: int, status: str) -> None:
    session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(status=status))

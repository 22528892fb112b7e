"""The dashboard's members pages: a cluster's members found by search and filters, one member of
the cluster by id, and their conversation with the bot, newest first. Every query is filtered
by the cluster; members who deleted their data are not found."""
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from storage.models import (InboundMessage, Member, MemberProduct, Membership, OutboundMessage,
                            Product)
from storage.overview import FAILED, in_cluster

MIN_PHONE_DIGITS = 3  # fewer digits in a search match too many numbers to mean one


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; an empty value narrows nothing."""

    search: str = ""
    phones: bool = False  # whether the search matches phone numbers too (never for viewers)
    role: str = ""
    place: str = ""
    product_id: int | None = None
    language: str = ""
    opted_out: bool | None = None


@dataclass(frozen=True)
class Said:
    """One message of a member's conversation: `in` (they sent it) or `out` (they got it)."""

    way: str
    at: datetime
    channel: str
    text: str
    status: str
    error: str | None


def matching(cluster_id: int, filters: Filters) -> Select:
    """A select of the cluster's members that match every filter."""
    memberships = select(Membership.member_id).where(Membership.cluster_id == cluster_id)
    if filters.role:
        memberships = memberships.where(Membership.role == filters.role)
    query = select(Member).where(Member.id.in_(memberships), Member.deleted_at.is_(None))
    if filters.search:
        query = query.where(or_(*searched(filters)))
    if filters.place:
        query = query.where(Member.place_name == filters.place)
    if filters.product_id is not None:
        query = query.where(Member.id.in_(select(MemberProduct.member_id).where(
            MemberProduct.product_id == filters.product_id)))
    if filters.language:
        query = query.where(Member.language == filters.language)
    if filters.opted_out is not None:
        query = query.where(Member.opted_out.is_(filters.opted_out))
    return query


def searched(filters: Filters) -> list:
    """The conditions a search matches: the name; the phone too when `filters.phones`
    (`0722 000 002` finds +254722000002: the leading 0 of a national number is dropped)."""
    conditions = [func.lower(Member.name).contains(filters.search.lower(), autoescape=True)]
    digits = re.sub(r"\D", "", filters.search).lstrip("0")
    if filters.phones and len(digits) >= MIN_PHONE_DIGITS:
        conditions.append(Member.phone.contains(digits, autoescape=True))
    return conditions


def page_of(session: Session, cluster_id: int, filters: Filters, number: int,
            size: int) -> tuple[list[Member], int]:
    """The members on page `number` (from 1), by name, and how many match in all."""
    query = matching(cluster_id, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(query.order_by(*BY_NAME).offset((number - 1) * size).limit(size))
    return list(found), total


def every_match(session: Session, cluster_id: int, filters: Filters) -> list[Member]:
    """Every member that matches, by name (the CSV export)."""
    return list(session.scalars(matching(cluster_id, filters).order_by(*BY_NAME)))


BY_NAME = (Member.name.is_(None), func.lower(Member.name), Member.id)  # nameless ones last


def opted_out_count(session: Session, cluster_id: int) -> int:
    return session.scalar(select(func.count()).where(
        Member.id.in_(in_cluster(cluster_id)), Member.opted_out)) or 0


def languages(session: Session, cluster_id: int) -> list[tuple[str, int]]:
    """(language code, members) of the cluster's members who have one, most first."""
    rows = session.execute(
        select(Member.language, func.count()).where(
            Member.id.in_(in_cluster(cluster_id)), Member.language.is_not(None))
        .group_by(Member.language).order_by(func.count().desc(), Member.language))
    return [(code, count) for code, count in rows]


def products(session: Session, cluster_id: int) -> list[tuple[Product, int]]:
    """(catalog product, members dealing in it) among the cluster's members, by slug."""
    counted = (select(MemberProduct.product_id, func.count(func.distinct(MemberProduct.member_id))
                      .label("members"))
               .where(MemberProduct.member_id.in_(in_cluster(cluster_id)),
                      MemberProduct.product_id.is_not(None))
               .group_by(MemberProduct.product_id).subquery())
    rows = session.execute(select(Product, counted.c.members)
                           .join(counted, counted.c.product_id == Product.id)
                           .order_by(Product.slug))
    return [(product, count) for product, count in rows]


def member_of(session: Session, cluster_id: int, member_id: int) -> Member | None:
    """The member with this id when they are in the cluster; None for anyone else."""
    return session.scalar(select(Member).where(Member.id == member_id,
                                               Member.id.in_(in_cluster(cluster_id))))


def conversation(session: Session, member_id: int, number: int, size: int) -> list[Said]:
    """Page `number` (from 1) of what the member sent and got, newest first."""
    moments = union_all(
        select(literal("in").label("way"), InboundMessage.id.label("id"),
               InboundMessage.received_at.label("at"))
        .where(InboundMessage.member_id == member_id),
        select(literal("out"), OutboundMessage.id, OutboundMessage.created_at)
        .where(OutboundMessage.member_id == member_id)).subquery()
    # At one moment the reply comes after what it answers: `out` first, newest first.
    rows = session.execute(select(moments.c.way, moments.c.id)
                           .order_by(moments.c.at.desc(), moments.c.way.desc(), moments.c.id.desc())
                           .offset((number - 1) * size).limit(size)).all()
    inbound = by_id(session, InboundMessage, [i for way, i in rows if way == "in"])
    outbound = by_id(session, OutboundMessage, [i for way, i in rows if way == "out"])
    return [said_in(inbound[i]) if way == "in" else said_out(outbound[i]) for way, i in rows]


def by_id(session: Session, model, ids: list[int]) -> dict:
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def said_in(message: InboundMessage) -> Said:
    return Said("in", message.received_at, message.channel, message.text or message.choice or "",
                message.status, None)


def said_out(message: OutboundMessage) -> Said:
    return Said("out", message.created_at, message.channel, message.text, message.status,
                message.error)


@dataclass(frozen=True)
class Counts:
    """How many messages a member sent and got, and how many sent to them failed."""

    sent: int
    got: int
    failed: int

    @property
    def total(self) -> int:
        return self.sent + self.got


def conversation_counts(session: Session, member_id: int) -> Counts:
    sent = session.scalar(select(func.count()).where(InboundMessage.member_id == member_id)) or 0
    got, failed = session.execute(select(
        func.count(), func.count().filter(OutboundMessage.status.in_(FAILED)))
        .where(OutboundMessage.member_id == member_id)).one()
    return Counts(sent, got or 0, failed or 0)

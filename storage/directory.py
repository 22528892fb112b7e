"""The cluster directory's tables: support institutions, members' searches (FIND; a search that
found nothing is a miss coordinators read), introductions asked from a search, the products a
cluster shows on its public page, and what visitors of that page wrote."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text,
                        UniqueConstraint, func, select)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.models import Base, Member, Place, utcnow

CATEGORIES = ("training", "finance", "extension", "transport", "cold_storage", "inputs",
              "standards", "research")


class Institution(Base):
    """A support institution of a cluster (a training provider, a bank, a cold store...): its
    contact is public. `folded_name` keeps one row per name per cluster (an import updates it).
    `categories` are CATEGORIES slugs; `services` what it offers, as written."""

    __tablename__ = "institutions"
    __table_args__ = (UniqueConstraint("cluster_id", "folded_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    folded_name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    services: Mapped[list[Any]] = mapped_column(default=list)
    place_name: Mapped[str | None] = mapped_column(String(200))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[list[Any]] = mapped_column(default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime | None] = mapped_column()  # when it was last found accurate
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    place: Mapped[Place | None] = relationship(lazy="joined")


class DirectorySearch(Base):
    """One FIND: what was looked for, the results in their order (["member", id] or
    ["institution", id]) and how many were shown (MORE shows the next ones). `found` False is
    a miss."""

    __tablename__ = "directory_searches"
    __table_args__ = (Index("ix_directory_searches_misses", "cluster_id", "found", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(String(200))  # what the member looked for, as written
    folded: Mapped[str] = mapped_column(String(200))  # the same, folded: misses are counted by it
    place_name: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)  # where distances were measured from
    longitude: Mapped[float | None] = mapped_column(Float)
    results: Mapped[list[Any]] = mapped_column(default=list)
    shown: Mapped[int] = mapped_column(Integer, default=0)
    found: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirectoryIntroduction(Base):
    """A member chose a listed member among FIND's results: that member is asked YES or NO
    with `code`; after YES both get each other's contact."""

    __tablename__ = "directory_introductions"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    searcher_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                             index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    query: Mapped[str] = mapped_column(String(200))
    answer: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()

    searcher: Mapped[Member] = relationship(foreign_keys=[searcher_id])
    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class ClusterProduct(Base):
    """A product the cluster shows on its public page, with the months it is in season
    (1-12; empty: all year), in the order coordinators put them."""

    __tablename__ = "cluster_products"

    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"),
                                            primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            primary_key=True)
    months: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class ContactMessage(Base):
    """What a visitor of the public page wrote to the cluster's coordinators. `address` is where
    the post came from (too many from one are refused); `trapped` when the field people leave
    empty was filled: kept, relayed to no one."""

    __tablename__ = "contact_messages"
    __table_args__ = (Index("ix_contact_messages_address", "address", "created_at"),
                      Index("ix_contact_messages_cluster", "cluster_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    reach: Mapped[str] = mapped_column(String(200))  # how to reach them: phone, email
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(64))
    trapped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Miss:
    """What members looked for and did not find, counted over the searches folded alike:
    `query` as it was first written, how many times, and the last time."""

    query: str
    count: int
    last: datetime


def misses(session: Session, cluster_id: int, since: datetime | None = None) -> list[Miss]:
    """The cluster's misses (searches that found nothing, since `since` when given) grouped by
    their folded text, most asked first (then the most recent)."""
    where = [DirectorySearch.cluster_id == cluster_id, DirectorySearch.found.is_(False)]
    if since is not None:
        where.append(DirectorySearch.created_at >= since)
    grouped = (select(DirectorySearch.folded, func.count().label("count"),
                      func.max(DirectorySearch.created_at).label("last"),
                      func.min(DirectorySearch.id).label("first"))
               .where(*where).group_by(DirectorySearch.folded).subquery())
    rows = session.execute(
        select(DirectorySearch.query, grouped.c.count, grouped.c.last)
        .join(grouped, DirectorySearch.id == grouped.c.first)
        .order_by(grouped.c.count.desc(), grouped.c.last.desc(), grouped.c.folded))
    return [Miss(query, count, last) for query, count, last in rows]


def institutions_of(session: Session, cluster_id: int) -> list[Institution]:
    """The cluster's institutions in the order of their names (their places loaded)."""
    return list(session.scalars(select(Institution).where(Institution.cluster_id == cluster_id)
                                .order_by(Institution.folded_name, Institution.id)).unique())


def institution_named(session: Session, cluster_id: int, folded_name: str) -> Institution | None:
    """The cluster's institution whose folded name is `folded_name`, if any."""
    return session.scalar(select(Institution).where(Institution.cluster_id == cluster_id,
                                                    Institution.folded_name == folded_name))

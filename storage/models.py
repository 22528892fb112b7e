"""SQLAlchemy models: the whole schema in one place."""
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


LARGEST_ID = 2**31 - 1  # ids are 32-bit integers: a larger one, typed or guessed, names nothing


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class WordList(TypeDecorator):
    """A short list of words kept as one text (`youth;women`): unlike JSON, PostgreSQL can
    compare it, so rows that have one can still be read with DISTINCT."""

    impl = String(100)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else ";".join(value)

    def process_result_value(self, value, dialect):
        return None if value is None else [word for word in value.split(";") if word]


class NameList(WordList):
    """A list of names of any length kept as one text (`Ksm;Kisumu City`)."""

    impl = Text
    cache_ok = True


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="KES")
    country: Mapped[str] = mapped_column(String(2), default="KE")
    languages: Mapped[list[Any]] = mapped_column(default=lambda: ["en"])
    timezone: Mapped[str] = mapped_column(String(64), default="Africa/Nairobi")
    story: Mapped[str | None] = mapped_column(Text)  # told on the public page, by coordinators
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Place(Base):
    """A known place: a cluster's own (cluster_id set) or the shared gazetteer of a country."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("country", "cluster_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    admin1: Mapped[str | None] = mapped_column(String(200))
    admin2: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Other names people use for it (`Ksm`, `Homabay`, a town's names in other languages)
    aliases: Mapped[list[str] | None] = mapped_column(NameList)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(5))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    place_name: Mapped[str | None] = mapped_column(String(200))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    telegram_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    prefers_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # In the cluster directory (FIND, the public page): None until the member is asked.
    listed: Mapped[bool | None] = mapped_column(Boolean)
    business_name: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[str | None] = mapped_column(String(100))  # as written: "200kg a week"
    # Groups a tender may be reserved for (storage.tenders.RESERVED_GROUPS) the member declared
    # they belong to, asked only with their consent; None: never asked.
    reserved_groups: Mapped[list[Any] | None] = mapped_column(WordList())
    deleted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin",
        order_by="Membership.id",  # the order they were joined in, on every database
    )
    products: Mapped[list["MemberProduct"]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )
    place: Mapped[Place | None] = relationship(lazy="joined")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "cluster_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="memberships")
    cluster: Mapped[Cluster] = relationship(lazy="joined")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(8))

    names: Mapped[list["ProductName"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin"
    )


class ProductName(Base):
    """One alias of a product in one language; `folded` is what matching compares."""

    __tablename__ = "product_names"
    __table_args__ = (UniqueConstraint("product_id", "language", "folded"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(100))
    folded: Mapped[str] = mapped_column(String(100), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="names")


class MemberProduct(Base):
    """A product a member deals in: a catalog product, or the words they typed when unknown."""

    __tablename__ = "member_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    raw_name: Mapped[str] = mapped_column(String(100))

    member: Mapped[Member] = relationship(back_populates="products")
    product: Mapped[Product | None] = relationship(lazy="joined")


class Conversation(Base):
    """The open question of a member: which flow, which step, the answers so far."""

    __tablename__ = "conversations"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


INBOUND_UNHANDLED = "status = 'received'"
INBOUND_NOT_UNDERSTOOD = "not_understood"


class InboundMessage(Base):
    """A message in: stored first (`received`), then `handled`, or `ignored` (no one to answer),
    or `failed` (the member was told). A handling that fails is tried again at `retry_at`.
    One the bot did not understand (it answered with the hint) is `not_understood`: it waits
    in the dashboard's inbox until a coordinator answers it (`answered_at`)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        Index("ix_inbound_unhandled", "received_at", sqlite_where=text(INBOUND_UNHANDLED),
              postgresql_where=text(INBOUND_UNHANDLED)),
        Index("ix_inbound_not_understood", "received_at",
              sqlite_where=text(INBOUND_NOT_UNDERSTOOD),
              postgresql_where=text(INBOUND_NOT_UNDERSTOOD)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    choice: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column()
    not_understood: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answered_at: Mapped[datetime | None] = mapped_column()


OUTBOX_PENDING_STATUSES = ("queued", "sending")  # still to send
OUTBOX_PENDING = "status IN ({})".format(", ".join(f"'{s}'" for s in OUTBOX_PENDING_STATUSES))


class OutboundMessage(Base):
    """The outbox: every message out is a row here before any network call.

    status: queued -> sending (claimed by a dispatcher until lease_until) -> sent -> delivered,
    or undelivered / failed / undeliverable / cancelled, with the reason in `error`.
    """

    __tablename__ = "outbound_messages"
    # Only the messages still to send are indexed for the dispatcher (partial indexes), so a
    # claim costs the same however many sent messages the outbox has kept.
    __table_args__ = (
        Index("ix_outbox_pending", "channel", "priority", "id",
              sqlite_where=text(OUTBOX_PENDING), postgresql_where=text(OUTBOX_PENDING)),
        Index("ix_outbox_pending_recipient", "channel", "address", "id",
              sqlite_where=text(OUTBOX_PENDING), postgresql_where=text(OUTBOX_PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    # Sent first: 0 answers to what a member just wrote, 1 a notice to one member, 2 bulk.
    priority: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(32), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """What a coordinator or an operator did, and to what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendPace(Base):
    """When a channel may send next, shared by every process on one database: providers count
    their limit per sending number, not per process."""

    __tablename__ = "send_pace"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[datetime] = mapped_column()


class User(Base):
    """A dashboard account: an officer, a partner institution or a researcher; not a member.
    An admin sees every cluster and the users; others see the clusters of their roles."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Written into the session cookie: a new password or a removal ends every open session.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roles: Mapped[list["UserRole"]] = relationship(back_populates="user",
                                                   cascade="all, delete-orphan")


class UserRole(Base):
    """What a user may do in one cluster: `coordinator` acts, `viewer` reads (phones masked)."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"),
                                            primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    user: Mapped[User] = relationship(back_populates="roles")
    cluster: Mapped[Cluster] = relationship()


class SignInFailure(Base):
    """A wrong password, kept a short while: too many for one account or from one address
    are answered 429, whichever process of the deployment they reach."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email", "email", "at"),
                      Index("ix_sign_in_failures_address", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AppSecret(Base):
    """A secret the processes of one deployment share, made on first use (the key that signs
    dashboard sessions, unless CLUSTERBOT_SECRET_KEY gives one)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))

"""Public tenders the cluster answers together: the tender and its items (each a catalog product
with a quantity), members' pledges, who was alerted. A tender's pledges that cover an item form
the consortium; pledges beyond the need are reserves, in the order they came."""
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, Member, Place, utcnow

STATUSES = ("planned", "active", "complete", "cancelled", "unsuccessful")  # OCDS tender status
RESERVED_GROUPS = ("youth", "women", "disability")  # set aside by law (Kenya's AGPO)
OUTCOMES = ("won", "lost")


class Tender(Base):
    """A tender of a public buyer. `code` is what members answer with (BID code); `ocid` and
    `release_date` say which OCDS release it was read from (a newer one updates it).
    `formed_at`: when pledges first covered every item; `closed_at`: when pledges stopped
    being taken (deadline, outcome, cancellation)."""

    __tablename__ = "tenders"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("cluster_id", "ocid"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(8))
    ocid: Mapped[str | None] = mapped_column(String(200))
    release_date: Mapped[datetime | None] = mapped_column()
    buyer: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="active")
    deadline: Mapped[datetime] = mapped_column()
    questions_deadline: Mapped[datetime | None] = mapped_column()
    delivery_place_name: Mapped[str | None] = mapped_column(String(200))
    delivery_place_id: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", ondelete="SET NULL"))
    delivery_schedule: Mapped[str | None] = mapped_column(String(300))
    value_amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    reserved: Mapped[list[Any]] = mapped_column(default=list)  # RESERVED_GROUPS it is for
    documents: Mapped[list[Any]] = mapped_column(default=list)  # links
    lead_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))  # chosen by a coordinator
    alerted_at: Mapped[datetime | None] = mapped_column()
    formed_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(8))  # OUTCOMES
    won_quantity: Mapped[float | None] = mapped_column(Float)
    outcome_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list["TenderItem"]] = relationship(
        back_populates="tender", cascade="all, delete-orphan", lazy="selectin",
        order_by="TenderItem.position")
    delivery_place: Mapped[Place | None] = relationship(lazy="joined")


class TenderItem(Base):
    """One thing the tender buys: a catalog product (None: an item no product was found for,
    kept as written and never pledged), quantity in `unit`, the most it pays per unit.
    With several items, members pledge one by `code-position` (BID K4P7-2 ...)."""

    __tablename__ = "tender_items"
    __table_args__ = (UniqueConstraint("tender_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger, default=1)
    description: Mapped[str] = mapped_column(String(300))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    max_price: Mapped[float | None] = mapped_column(Float)  # per unit, in the tender's currency

    tender: Mapped[Tender] = relationship(back_populates="items")
    pledges: Mapped[list["Pledge"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin",
        order_by="Pledge.pledged_at, Pledge.id")


class Pledge(Base):
    """What a member offers to supply of an item: quantity in the item's unit, their price per
    unit. `pledged_at` orders them (first come, first in the consortium; later ones beyond
    the need are reserves); a changed quantity keeps its place. `delivery_share`: what the member
    delivers of a won tender."""

    __tablename__ = "tender_pledges"
    __table_args__ = (UniqueConstraint("item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tender_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float | None] = mapped_column(Float)
    pledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivery_share: Mapped[float | None] = mapped_column(Float)

    item: Mapped[TenderItem] = relationship(back_populates="pledges")
    member: Mapped[Member] = relationship(lazy="joined")


class TenderAlert(Base):
    """A member was told of a tender: nobody is told twice."""

    __tablename__ = "tender_alerts"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"),
                                           primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

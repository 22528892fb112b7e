"""Public tenders the cluster answers together: the tender and its items (each a catalog product
with a quantity), members' pledges, who was alerted. A tender's pledges that cover an item form
the consortium; pledges beyond the need are reserves, in the order they came."""
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, SmallInteger, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.market import CODE_ALPHABET
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


# --- Queries ------------------------------------------------------------------------------------

EPSILON = 1e-6  # quantities are floats: 0.1 + 0.2 fills 0.3
CODE_LENGTH = 4  # short: typed on keypads as `BID K4P7 500kg`; with a second look-up on a clash


def new_code(session: Session) -> str:
    """A tender code no tender has: letters and digits that are not mistaken for each other
    (storage.market.CODE_ALPHABET)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if by_code(session, code) is None:
            return code


def by_code(session: Session, code: str) -> Tender | None:
    """The tender of `K4P7` (any case); `K4P7-2` names its item, see item_by_code."""
    code = code.strip().upper().split("-", 1)[0]
    return session.scalar(select(Tender).where(Tender.code == code)) if code else None


def by_ocid(session: Session, cluster_id: int, ocid: str) -> Tender | None:
    """The cluster's tender read from the OCDS releases of `ocid`."""
    return session.scalar(select(Tender).where(Tender.cluster_id == cluster_id,
                                               Tender.ocid == ocid))


def pledgeable(tender: Tender) -> list[TenderItem]:
    """The items members can pledge: those of a catalog product, in position order."""
    return [item for item in tender.items if item.product_id is not None]


def item_code(item: TenderItem) -> str:
    """What a member pledges the item with: the tender's code alone when it is the only
    pledgeable item, else `CODE-position`."""
    if len(pledgeable(item.tender)) == 1:
        return item.tender.code
    return f"{item.tender.code}-{item.position}"


def item_by_code(session: Session, code: str) -> TenderItem | None:
    """The pledgeable item `K4P7` (a tender with one) or `K4P7-2` names; None when the code
    names no tender, no pledgeable item, or a tender of several items without the position."""
    tender = by_code(session, code)
    if tender is None:
        return None
    _, dash, position = code.strip().partition("-")
    items = pledgeable(tender)
    if not dash:
        return items[0] if len(items) == 1 else None
    number = position.strip()
    return next((item for item in items if number.isdigit() and item.position == int(number)),
                None)


def of_cluster(session: Session, cluster_id: int) -> list[Tender]:
    """The cluster's tenders, the nearest deadline first."""
    return list(session.scalars(select(Tender).where(Tender.cluster_id == cluster_id)
                                .order_by(Tender.deadline, Tender.id)))


def pledged(item: TenderItem) -> float:
    """How much members have pledged of the item, reserves included."""
    return sum(pledge.quantity for pledge in item.pledges)


def covered(item: TenderItem) -> float:
    """How much of the item's quantity the pledges that count fill (at most all of it)."""
    return sum(share for _, share in shares(item))


def counts(pledge: Pledge, item: TenderItem) -> bool:
    """A pledge counts unless its price is above the item's highest price (which a newer release
    may have lowered after it was made) or it is for nothing."""
    return pledge.quantity > 0 and (item.max_price is None or pledge.price is None
                                    or pledge.price <= item.max_price + EPSILON)


@dataclass(frozen=True)
class Standing:
    """Where a pledge that counts stands: `share` is the part of the need it fills (0 for a
    reserve), `rank` its place among the reserves (None when it fills part of the need)."""

    pledge: Pledge
    share: float
    rank: int | None


def ordered(item: TenderItem) -> list[Pledge]:
    """The item's pledges in the order they came (a changed quantity keeps its place)."""
    return sorted(item.pledges, key=lambda p: (p.pledged_at, p.id or 0))


def standings(item: TenderItem) -> list[Standing]:
    """Each pledge of the item that counts and where it stands, in the order they came: a
    pledge fills part of the need while some is left; the later ones are reserves, numbered.
    The one rule of who is in a consortium, for BID, the bid sheet, reminders and outcomes."""
    found, filled, rank = [], 0.0, 0
    for pledge in ordered(item):
        if not counts(pledge, item):
            continue
        left = item.quantity - filled
        if left > EPSILON:
            share = min(pledge.quantity, left)
            filled += share
            found.append(Standing(pledge, share, None))
        else:
            rank += 1
            found.append(Standing(pledge, 0.0, rank))
    return found


def in_and_reserves(item: TenderItem) -> tuple[list[Pledge], list[Pledge]]:
    """(pledges in the consortium, reserves), of the pledges that count, in pledge order."""
    found = standings(item)
    return ([s.pledge for s in found if s.rank is None],
            [s.pledge for s in found if s.rank is not None])


def shares(item: TenderItem) -> list[tuple[Pledge, float]]:
    """(pledge, the part of the need it fills) of the pledges in the consortium, in order."""
    return [(s.pledge, s.share) for s in standings(item) if s.rank is None]

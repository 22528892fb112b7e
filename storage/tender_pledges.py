"""Members' pledges to tenders: who pledged what, and where each pledge stands. Pledges fill an
item's need in the order they came (a changed quantity keeps its place); a pledge that starts
when the need is already filled is a reserve, and reserves are numbered in the same order."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Membership
from storage.tenders import EPSILON, Pledge, Tender, TenderItem, pledgeable, standings


def pledge_of(session: Session, item_id: int, member_id: int) -> Pledge | None:
    return session.scalar(select(Pledge).where(Pledge.item_id == item_id,
                                               Pledge.member_id == member_id))


def in_cluster(session: Session, member_id: int, cluster_id: int) -> bool:
    """The member belongs to the cluster (any role)."""
    found = session.scalar(select(Membership.member_id).where(
        Membership.member_id == member_id, Membership.cluster_id == cluster_id).limit(1))
    return found is not None


def open_tenders(session: Session, cluster_ids: list[int], now: datetime,
                 limit: int = 3) -> list[Tender]:
    """The tenders of these clusters still taking pledges, the nearest deadline first."""
    if not cluster_ids:
        return []
    return list(session.scalars(
        select(Tender).where(Tender.cluster_id.in_(cluster_ids), Tender.status == "active",
                             Tender.closed_at.is_(None), Tender.outcome.is_(None),
                             Tender.deadline > now)
        .order_by(Tender.deadline, Tender.id).limit(limit)))


def taking_pledges(tender: Tender, now: datetime) -> bool:
    """Pledges are taken until the deadline, the outcome, a close or a cancellation."""
    return (tender.status == "active" and tender.closed_at is None and tender.outcome is None
            and tender.deadline > now)


def filled(item: TenderItem) -> float:
    """How much of the item's need the pledges fill."""
    return sum(s.share for s in standings(item))


def still_open(item: TenderItem) -> float:
    return max(item.quantity - filled(item), 0.0)


def covered(tender: Tender) -> bool:
    """Pledges fill the need of every item members can pledge."""
    items = pledgeable(tender)
    return bool(items) and all(still_open(item) <= EPSILON for item in items)


def weighted_price(item: TenderItem) -> float | None:
    """The average price of the shares that fill the need, weighted by share; None when no
    priced share."""
    priced = [(s.share, s.pledge.price) for s in standings(item)
              if s.share > 0 and s.pledge.price is not None]
    total = sum(share for share, _ in priced)
    return sum(share * price for share, price in priced) / total if total else None


def snapshot(tender: Tender) -> dict[tuple[int, int], tuple[float, int | None]]:
    """(item id, member id) -> (share, reserve rank) of every counting pledge: compared before
    and after a change to see who moved."""
    return {(item.id, s.pledge.member_id): (s.share, s.rank)
            for item in pledgeable(tender) for s in standings(item)}

"""What the dashboard's tenders page reads: a cluster's tenders (those still taking pledges
first, by deadline), one tender by its code, and how much of a tender its pledges cover."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import tenders as stored
from storage.tenders import Tender, TenderItem


def tenders_of(session: Session, cluster_id: int, limit: int) -> tuple[list[Tender], int]:
    """The cluster's tenders: those still taking pledges first, soonest deadline first, then
    the closed ones, latest deadline first (at most `limit`, their items and pledges loaded);
    and how many there are."""
    mine = Tender.cluster_id == cluster_id
    total = session.scalar(select(func.count()).select_from(Tender).where(mine)) or 0
    still_open = Tender.closed_at.is_(None)
    shown = list(session.scalars(select(Tender).where(mine, still_open)
                                 .order_by(Tender.deadline, Tender.id).limit(limit)))
    if len(shown) < limit:
        shown += session.scalars(select(Tender).where(mine, ~still_open)
                                 .order_by(Tender.deadline.desc(), Tender.id.desc())
                                 .limit(limit - len(shown)))
    return shown, total


def find(session: Session, cluster_id: int, code: str) -> Tender | None:
    """The cluster's tender with `code` (any case); None for another cluster's or none."""
    if not code.isalnum() or len(code) > 8:
        return None
    found = stored.by_code(session, code)
    return found if found is not None and found.cluster_id == cluster_id else None


def share(item: TenderItem) -> float:
    """The share of the item's need its pledges cover, 0..1."""
    return stored.covered(item) / item.quantity if item.quantity > 0 else 1.0


def covered(tender: Tender) -> float | None:
    """The share of the tender the pledges cover, 0..1: each pledgeable item's covered share,
    averaged over the items (their units differ). None when nothing in it can be pledged."""
    shares = [share(item) for item in stored.pledgeable(tender)]
    return sum(shares) / len(shares) if shares else None

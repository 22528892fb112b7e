"""What the dashboard's market page reads: a cluster's open listings, the matches and
introductions of its listings, and the deals reported; each member named only to the clusters
they belong to."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from storage.market import Listing, MarketDeal, MarketMatch
from storage.models import Member, Membership


@dataclass(frozen=True)
class MatchRow:
    """A match as the page lists it: the offer, the request and both sides' answers (True
    yes, False no, None not yet). A side's name is None when they are no member of the
    cluster ("" when they gave none)."""

    code: str
    created_at: datetime
    offer: Listing
    request: Listing
    seller: str | None
    buyer: str | None
    seller_answer: bool | None
    buyer_answer: bool | None
    introduced_at: datetime | None


@dataclass(frozen=True)
class DealRow:
    """What one side said came of an introduction."""

    code: str
    created_at: datetime
    offer: Listing
    by_seller: bool
    reporter: str | None
    made: bool
    quantity: float | None
    unit: str | None
    price: float | None
    currency: str | None


def open_listings(session: Session, cluster_id: int, kind: str, now: datetime,
                  limit: int) -> tuple[list[Listing], int]:
    """The cluster's open offers (`sell`) or requests (`buy`), newest first (at most `limit`,
    their posters loaded), and how many there are."""
    live = (Listing.cluster_id == cluster_id, Listing.kind == kind, Listing.status == "open",
            Listing.expires_at > now)
    total = session.scalar(select(func.count()).where(*live)) or 0
    found = session.scalars(select(Listing).options(joinedload(Listing.member)).where(*live)
                            .order_by(Listing.created_at.desc(), Listing.id.desc()).limit(limit))
    return list(found), total


def matches(session: Session, cluster_id: int, since: datetime,
            limit: int) -> tuple[list[MatchRow], int, int]:
    """Matches made since `since` of an offer or a request posted in the cluster, newest first
    (at most `limit`); how many there are, and how many became introductions."""
    offer, request = aliased(Listing), aliased(Listing)
    where = (MarketMatch.created_at >= since,
             or_(offer.cluster_id == cluster_id, request.cluster_id == cluster_id))

    def joined(query):
        return (query.join(offer, offer.id == MarketMatch.offer_id)
                .join(request, request.id == MarketMatch.request_id).where(*where))
    total, introduced = session.execute(joined(
        select(func.count(), func.count(MarketMatch.introduced_at)).select_from(MarketMatch))).one()
    found = list(session.scalars(joined(select(MarketMatch))
                                 .options(joinedload(MarketMatch.offer),
                                          joinedload(MarketMatch.request))
                                 .order_by(MarketMatch.created_at.desc(), MarketMatch.id.desc())
                                 .limit(limit)).unique())
    names = names_in(session, cluster_id, {i for m in found for i in (m.seller_id, m.buyer_id)})
    return [MatchRow(m.code, m.created_at, m.offer, m.request, names.get(m.seller_id),
                     names.get(m.buyer_id), m.seller_answer, m.buyer_answer, m.introduced_at)
            for m in found], total, introduced


def deals(session: Session, cluster_id: int, since: datetime, limit: int) -> list[DealRow]:
    """What members said came of their introductions since `since` (deals and no deals),
    newest first."""
    offer = aliased(Listing)
    rows = list(session.execute(
        select(MarketDeal, MarketMatch.code, MarketMatch.seller_id, offer)
        .join(MarketMatch, MarketMatch.id == MarketDeal.match_id)
        .join(offer, offer.id == MarketMatch.offer_id)
        .where(MarketDeal.cluster_id == cluster_id, MarketDeal.created_at >= since)
        .order_by(MarketDeal.created_at.desc(), MarketDeal.id.desc()).limit(limit)))
    names = names_in(session, cluster_id, {deal.member_id for deal, *_ in rows})
    return [DealRow(code, d.created_at, listing, d.member_id == seller_id,
                    names.get(d.member_id), d.made, d.quantity, d.unit, d.price, d.currency)
            for d, code, seller_id, listing in rows]


def names_in(session: Session, cluster_id: int, member_ids: set[int]) -> dict[int, str]:
    """member id -> name ("" when they gave none), for those of `member_ids` who belong to the
    cluster."""
    if not member_ids:
        return {}
    return {member_id: name or "" for member_id, name in session.execute(
        select(Member.id, Member.name).distinct()
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.cluster_id == cluster_id, Member.id.in_(member_ids)))}

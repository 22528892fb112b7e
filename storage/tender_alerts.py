"""Queries of the tenders' scheduled work: tenders to alert, remind or close, the members who
supply a tender's products, and the record that a member was told (nobody is told twice)."""
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from storage.market import Listing
from storage.models import Member, MemberProduct, Membership
from storage.tenders import Tender, TenderAlert, TenderItem


def open_tenders():
    """Tenders still taking pledges: active and not closed."""
    return select(Tender).where(Tender.status == "active", Tender.closed_at.is_(None))


def to_alert(session: Session, now: datetime) -> list[Tender]:
    """Open tenders whose suppliers have not been told yet, their deadline still ahead."""
    return list(session.scalars(
        open_tenders().where(Tender.alerted_at.is_(None), Tender.deadline > now)
        .order_by(Tender.id).with_for_update(skip_locked=True, of=Tender)))


def to_remind(session: Session, now: datetime, before: timedelta) -> list[Tender]:
    """Open tenders whose deadline is within `before` and not yet reminded of."""
    return list(session.scalars(
        open_tenders().where(Tender.reminded_at.is_(None), Tender.deadline > now,
                             Tender.deadline <= now + before)
        .order_by(Tender.id).with_for_update(skip_locked=True, of=Tender)))


def to_close(session: Session, now: datetime) -> list[Tender]:
    """Tenders past their deadline still taking pledges (whatever their status)."""
    return list(session.scalars(
        select(Tender).where(Tender.closed_at.is_(None), Tender.deadline <= now)
        .order_by(Tender.id).with_for_update(skip_locked=True, of=Tender)))


def suppliers(session: Session, tender: Tender) -> list[Member]:
    """Members of the tender's cluster, registered, not opted out nor deleted, who deal in one of
    its products (registered products, or an open SELL listing in the cluster) and were not yet
    told of it."""
    product_ids = [item.product_id for item in tender.items if item.product_id]
    if not product_ids:
        return []
    deals_in = exists().where(MemberProduct.member_id == Member.id,
                              MemberProduct.product_id.in_(product_ids))
    sells = exists().where(Listing.member_id == Member.id, Listing.kind == "sell",
                           Listing.status == "open", Listing.cluster_id == tender.cluster_id,
                           Listing.product_id.in_(product_ids))
    member_of = exists().where(Membership.member_id == Member.id,
                               Membership.cluster_id == tender.cluster_id)
    told = exists().where(TenderAlert.member_id == Member.id, TenderAlert.tender_id == tender.id)
    return list(session.scalars(
        select(Member).where(member_of, or_(deals_in, sells), ~told, Member.registered,
                             ~Member.opted_out, Member.deleted_at.is_(None))
        .order_by(Member.id)))


def supplied_items(session: Session, tender: Tender, member: Member) -> list[TenderItem]:
    """The tender's items whose product the member deals in (registered or selling)."""
    mine = {p.product_id for p in member.products if p.product_id}
    mine |= set(session.scalars(
        select(Listing.product_id).where(Listing.member_id == member.id, Listing.kind == "sell",
                                         Listing.status == "open",
                                         Listing.cluster_id == tender.cluster_id)))
    return [item for item in tender.items if item.product_id in mine]


def mark_alerted(session: Session, tender: Tender, member: Member, now: datetime) -> None:
    session.add(TenderAlert(tender_id=tender.id, member_id=member.id, sent_at=now))

"""What a cluster's public catalogue page reads and keeps: the products it shows with their
seasons, its listed members, the newest indicative price of a product, and the messages its
visitors write (with how many came from one address lately)."""
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import prices
from storage.directory import ClusterProduct, ContactMessage
from storage.models import Cluster, Member, Membership, Product


def shown_products(session: Session, cluster_id: int) -> list[tuple[Product, list[int]]]:
    """(product, months in season) the coordinators chose to show, in their order."""
    rows = session.execute(
        select(Product, ClusterProduct.months)
        .join(ClusterProduct, ClusterProduct.product_id == Product.id)
        .where(ClusterProduct.cluster_id == cluster_id)
        .order_by(ClusterProduct.position, Product.id))
    return [(product, list(months or [])) for product, months in rows]


def listed_members(session: Session, cluster_id: int, limit: int) -> tuple[list[Member], int]:
    """The cluster's members who said yes to being listed and may still be shown (registered,
    not opted out, not deleted), by the name they are listed under (at most `limit`), and how
    many there are in all."""
    listed = (Member.listed.is_(True), Member.registered, ~Member.opted_out,
              Member.deleted_at.is_(None),
              Member.id.in_(select(Membership.member_id)
                            .where(Membership.cluster_id == cluster_id)))
    total = session.scalar(select(func.count()).select_from(Member).where(*listed)) or 0
    shown_as = func.lower(func.coalesce(Member.business_name, Member.name, ""))
    members = session.scalars(select(Member).where(*listed).order_by(shown_as, Member.id)
                              .limit(limit))
    return list(members.unique()), total


def newest_price(session: Session, cluster: Cluster, product_id: int,
                 since: date) -> prices.MarketPrice | None:
    """The newest price of record of the product for the cluster (its own, or its country's
    shared ones, in its currency) observed on `since` or later; None when there is none."""
    scope = prices.Scope((cluster.id,), cluster.country, cluster.currency)
    found = prices.latest_by_market(session, scope, product_id)
    return found[0] if found and found[0].observed_on >= since else None


def posts_since(session: Session, address: str, since: datetime) -> int:
    """How many messages visitors sent from `address` since then (to any cluster)."""
    return session.scalar(select(func.count()).select_from(ContactMessage)
                          .where(ContactMessage.address == address,
                                 ContactMessage.created_at >= since)) or 0


def relayed_since(session: Session, cluster_id: int, since: datetime) -> int:
    """How many messages (not trapped) visitors sent the cluster since then."""
    return session.scalar(select(func.count()).select_from(ContactMessage)
                          .where(ContactMessage.cluster_id == cluster_id,
                                 ~ContactMessage.trapped,
                                 ContactMessage.created_at >= since)) or 0


def keep_message(session: Session, cluster_id: int, *, name: str, reach: str, text: str,
                 address: str, trapped: bool) -> ContactMessage:
    """Keeps what a visitor wrote, in the caller's transaction."""
    message = ContactMessage(cluster_id=cluster_id, name=name, reach=reach, text=text,
                             address=address, trapped=trapped)
    session.add(message)
    session.flush()
    return message

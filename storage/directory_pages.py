"""What the dashboard's directory page reads and changes: how many of a cluster's members agreed
to be listed, the story and the products (with their months in season) its public page shows,
and what visitors of that page wrote. The changes write their own audit rows."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit
from storage.audit import Actor
from storage.directory import ClusterProduct, ContactMessage
from storage.models import Cluster, Member, Membership, Product

MONTHS = range(1, 13)


@dataclass(frozen=True)
class Listing:
    """The cluster's members by what they said about the directory: listed (and reachable:
    the public page and FIND show them), said no, not asked yet."""

    listed: int
    declined: int
    unasked: int


@dataclass(frozen=True)
class Contacts:
    """The newest visitors' messages (none caught by the trap), how many there are, and how
    many the trap caught."""

    messages: list[ContactMessage]
    total: int
    trapped: int


def listing(session: Session, cluster_id: int) -> Listing:
    """How many of the cluster's registered members (not deleted) are listed, said no, or were
    never asked; an opted-out member counts as not listed."""
    members = (select(Member.listed, Member.opted_out).where(
        Member.registered.is_(True), Member.deleted_at.is_(None),
        Member.id.in_(select(Membership.member_id).where(Membership.cluster_id == cluster_id)))
        .subquery())
    rows = session.execute(select(members.c.listed, members.c.opted_out, func.count())
                           .group_by(members.c.listed, members.c.opted_out))
    counts = {"listed": 0, "declined": 0, "unasked": 0}
    for listed, opted_out, count in rows:
        key = "unasked" if listed is None else \
            "listed" if listed and not opted_out else "declined"
        counts[key] += count
    return Listing(**counts)


def shown_products(session: Session, cluster_id: int) -> list[tuple[ClusterProduct, Product]]:
    """The products the cluster's public page shows, in their order."""
    rows = session.execute(select(ClusterProduct, Product)
                           .join(Product, Product.id == ClusterProduct.product_id)
                           .where(ClusterProduct.cluster_id == cluster_id)
                           .order_by(ClusterProduct.position, Product.slug))
    return [(shown, product) for shown, product in rows]


def catalog(session: Session) -> list[Product]:
    """Every product of the catalog (the ones a cluster may show)."""
    return list(session.scalars(select(Product).order_by(Product.slug)))


def product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def show_product(session: Session, cluster: Cluster, actor: Actor, product: Product,
                 months: list[int]) -> bool:
    """Shows `product` on the cluster's public page in season in `months` (none: all year),
    after the others, or changes its months; audited `cluster.products`. False when nothing
    changed."""
    months = sorted(set(months) & set(MONTHS))
    shown = session.get(ClusterProduct, (cluster.id, product.id))
    if shown is not None and shown.months == months:
        return False
    if shown is None:
        last = session.scalar(select(func.max(ClusterProduct.position))
                              .where(ClusterProduct.cluster_id == cluster.id))
        shown = ClusterProduct(cluster_id=cluster.id, product_id=product.id,
                               position=0 if last is None else last + 1)
        session.add(shown)
    shown.months = months
    audit.record(session, action="cluster.products", actor=actor, cluster_id=cluster.id,
                 product=product.slug, months=months, shown=True)
    return True


def hide_product(session: Session, cluster: Cluster, actor: Actor, product: Product) -> bool:
    """Takes `product` off the cluster's public page; audited `cluster.products`. False when it
    was not shown."""
    shown = session.get(ClusterProduct, (cluster.id, product.id))
    if shown is None:
        return False
    session.delete(shown)
    audit.record(session, action="cluster.products", actor=actor, cluster_id=cluster.id,
                 product=product.slug, shown=False)
    return True


def set_story(session: Session, cluster: Cluster, actor: Actor, story: str) -> bool:
    """The cluster's story for its public page (empty: none); audited `cluster.story`. False
    when it is the same."""
    story_or_none = story or None
    if cluster.story == story_or_none:
        return False
    cluster.story = story_or_none
    audit.record(session, action="cluster.story", actor=actor, cluster_id=cluster.id,
                 story=story)
    return True


def contacts(session: Session, cluster_id: int, limit: int) -> Contacts:
    """The newest `limit` messages visitors wrote to the cluster, without the trapped ones."""
    counts = dict(session.execute(select(ContactMessage.trapped, func.count())
                                  .where(ContactMessage.cluster_id == cluster_id)
                                  .group_by(ContactMessage.trapped)).all())
    newest = session.scalars(select(ContactMessage)
                             .where(ContactMessage.cluster_id == cluster_id,
                                    ContactMessage.trapped.is_(False))
                             .order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
                             .limit(limit))
    return Contacts(list(newest), counts.get(False, 0), counts.get(True, 0))

"""Queries and changes on cluster networks and their places."""
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Cluster, Member, Place

DEFAULT_SLUG = "main"


def by_slug(session: Session, slug: str) -> Cluster | None:
    return session.scalar(select(Cluster).where(Cluster.slug == slug))


def all_clusters(session: Session) -> list[Cluster]:
    return list(session.scalars(select(Cluster).order_by(Cluster.id)))


def add(session: Session, *, slug: str, name: str, currency: str, country: str,
        languages: list[str], timezone: str) -> Cluster:
    cluster = Cluster(slug=slug, name=name, currency=currency, country=country,
                      languages=languages, timezone=timezone)
    session.add(cluster)
    session.flush()
    return cluster


def clusters_of(member: Member) -> list[Cluster]:
    seen: dict[int, Cluster] = {}
    for membership in member.memberships:
        seen.setdefault(membership.cluster_id, membership.cluster)
    return list(seen.values())


def languages_for(session: Session, member: Member) -> list[str]:
    """The languages of the member's clusters; before they join, those of every cluster."""
    chosen = clusters_of(member) or all_clusters(session)
    return list(dict.fromkeys(lang for cluster in chosen for lang in cluster.languages))


def places_for(session: Session, cluster: Cluster) -> list[Place]:
    """The cluster's own places and its country's gazetteer."""
    return list(session.scalars(
        select(Place)
        .where(or_(Place.cluster_id == cluster.id,
                   (Place.cluster_id.is_(None)) & (Place.country == cluster.country)))
        .order_by(Place.name)
    ))


def add_place(session: Session, *, country: str, name: str, cluster_id: int | None = None,
              admin1: str | None = None, admin2: str | None = None,
              latitude: float | None = None, longitude: float | None = None) -> Place:
    place = Place(country=country, name=name, cluster_id=cluster_id, admin1=admin1,
                  admin2=admin2, latitude=latitude, longitude=longitude)
    session.add(place)
    return place


def gazetteer_size(session: Session, country: str) -> int:
    return len(session.scalars(select(Place.id).where(Place.cluster_id.is_(None),
                                                      Place.country == country)).all())


def ensure_default(session: Session, country: str) -> Cluster:
    """The cluster a fresh install registers members into until an operator adds its own."""
    from bot.locality import currency_of, languages_of, timezone_of

    return by_slug(session, DEFAULT_SLUG) or add(
        session, slug=DEFAULT_SLUG, name="Cluster network", currency=currency_of(country),
        country=country, languages=languages_of(country), timezone=timezone_of(country))

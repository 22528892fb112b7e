"""Queries and changes on cluster networks and their places."""
from sqlalchemy import Row, bindparam, column, delete, distinct, func, inspect, or_, select, table
from sqlalchemy.orm import Session

from storage.broadcasts import Broadcast
from storage.models import Cluster, Conversation, Member, Membership, Place

# The quick start's cluster: made when a first member joins before an operator added one.
DEFAULT_SLUG = "main"
DEFAULT_NAME = "Cluster network"


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
    return list(session.scalars(select(Place).where(of_cluster(cluster)).order_by(Place.name)))


def place_rows(session: Session, cluster: Cluster) -> list[Row]:
    """places_for as plain rows (id, cluster_id, name, aliases, latitude, longitude): what the
    names of the places are worked out from, read fast."""
    return list(session.execute(
        select(Place.id, Place.cluster_id, Place.name, Place.aliases, Place.latitude,
               Place.longitude).where(of_cluster(cluster)).order_by(Place.name, Place.id)))


def places_version(session: Session, cluster: Cluster) -> tuple:
    """(how many, the last id, the length of all their other names) of the places `place_rows`
    reads: places are only added, and their other names changed (storage.seed), so this changes
    whenever what `place_rows` would read does, and costs one aggregate instead of the rows."""
    return tuple(session.execute(PLACES_VERSION, {"cluster_id": cluster.id,
                                                  "country": cluster.country}).one())


def of_cluster(cluster: Cluster):
    """SQL: the place is the cluster's own or in its country's gazetteer."""
    return own_or_gazetteer(cluster.id, cluster.country)


def own_or_gazetteer(cluster_id, country):
    """`of_cluster` for a cluster id and country given as values or as parameters."""
    return or_(Place.cluster_id == cluster_id,
               Place.cluster_id.is_(None) & (Place.country == country))


PLACES_VERSION = (  # built once, as it is asked on every listing
    select(func.count(Place.id), func.max(Place.id), func.sum(func.length(Place.aliases)))
    .where(own_or_gazetteer(bindparam("cluster_id"), bindparam("country"))))


def add_place(session: Session, *, country: str, name: str, cluster_id: int | None = None,
              admin1: str | None = None, admin2: str | None = None,
              latitude: float | None = None, longitude: float | None = None) -> Place:
    place = Place(country=country, name=name, cluster_id=cluster_id, admin1=admin1,
                  admin2=admin2, latitude=latitude, longitude=longitude)
    session.add(place)
    return place


def is_default(cluster: Cluster) -> bool:
    """The quick start made it and no operator has renamed it."""
    return cluster.slug == DEFAULT_SLUG and cluster.name == DEFAULT_NAME


def member_counts(session: Session) -> dict[int, int]:
    """Cluster id -> how many members (not deleted) it has, each counted once whatever their
    roles; a cluster with none is missing."""
    rows = session.execute(
        select(Membership.cluster_id, func.count(distinct(Membership.member_id)))
        .join(Member, Member.id == Membership.member_id)
        .where(Member.deleted_at.is_(None))
        .group_by(Membership.cluster_id))
    return dict(rows.all())


def rename(session: Session, cluster: Cluster, *, name: str | None = None,
           slug: str | None = None) -> dict[str, list[str]]:
    """Changes the name members see and/or the slug operators type; returns {field: [old, new]}
    for what changed (a slug taken by another cluster fails on flush)."""
    changes = {field: [getattr(cluster, field), value]
               for field, value in (("name", name), ("slug", slug))
               if value is not None and value != getattr(cluster, field)}
    for field, (_, value) in changes.items():
        setattr(cluster, field, value)
    session.flush()
    return changes


def owned_rows(session: Session, cluster: Cluster) -> dict[str, int]:
    """Table -> how many of its rows belong to the cluster and go with it (the database's
    ON DELETE CASCADE, read from the database itself so no table is forgotten)."""
    found = {}
    schema = inspect(session.connection())
    for name in sorted(schema.get_table_names()):
        for key in schema.get_foreign_keys(name):
            cascades = (key.get("options") or {}).get("ondelete", "").upper() == "CASCADE"
            if key["referred_table"] == Cluster.__tablename__ and cascades:
                [own] = key["constrained_columns"]
                found[name] = session.scalar(select(func.count()).select_from(table(name)).where(
                    column(own) == cluster.id))
    return found


def remove(session: Session, cluster: Cluster) -> dict[str, int]:
    """Deletes the cluster with what is its own (memberships, places, meetings, listings,
    prices, skills needs: the cascades); scheduled broadcasts to it alone are cancelled and
    conversations that were using it dropped. Members stay, without this cluster. Returns how
    many rows of each kind went."""
    gone = {name: count for name, count in owned_rows(session, cluster).items() if count}
    for broadcast in session.scalars(select(Broadcast).where(Broadcast.status == "scheduled")):
        if cluster.id in broadcast.cluster_ids:
            broadcast.cluster_ids = [i for i in broadcast.cluster_ids if i != cluster.id]
            if not broadcast.cluster_ids:
                broadcast.status = "cancelled"
                gone["scheduled broadcasts"] = gone.get("scheduled broadcasts", 0) + 1
    dropped = drop_conversations(session, cluster.id)
    if dropped:
        gone["conversations"] = dropped
    session.execute(delete(Cluster).where(Cluster.id == cluster.id))
    session.expunge(cluster)
    return gone


def drop_conversations(session: Session, cluster_id: int, member_id: int | None = None) -> int:
    """Ends the open conversations (of one member, or all) whose answers so far name the
    cluster, so no question about it is answered once it or the member's role there is gone;
    returns how many."""
    query = select(Conversation)
    if member_id is not None:
        query = query.where(Conversation.member_id == member_id)
    using = [c.member_id for c in session.scalars(query)
             if cluster_id in (c.data.get("cluster"), *(c.data.get("clusters") or ()),
                               *(c.data.get("cluster_ids") or ()))]
    if using:
        session.execute(delete(Conversation).where(Conversation.member_id.in_(using)))
    return len(using)


def remove_role(session: Session, member: Member, cluster_id: int, role: str) -> bool:
    """Takes `role` in the cluster from the member; False when they did not have it."""
    held = [m for m in member.memberships if m.cluster_id == cluster_id and m.role == role]
    for membership in held:
        member.memberships.remove(membership)
    session.flush()
    return bool(held)

"""Cluster networks as operators set them up: add, rename and remove one, each audited."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from locales.locality import currency_of, languages_of, timezone_of
from storage import audit, clusters
from storage.audit import Actor
from storage.models import Cluster


class SlugTaken(ValueError):
    """Another cluster has the slug."""


class HasMembers(ValueError):
    """The cluster has members, and its removal was not forced."""

    def __init__(self, count: int):
        super().__init__(f"{count} member(s)")
        self.count = count


@dataclass
class Removed:
    """What went with a removed cluster."""

    slug: str
    name: str
    members: int  # the members it had: they stay, without it
    gone: dict[str, int]  # kind of row -> how many went with it


def add(session: Session, actor: Actor, *, slug: str, name: str, country: str,
        currency: str | None = None, languages: list[str] | None = None,
        timezone: str | None = None) -> Cluster:
    """Creates a cluster network (audited); currency, languages and time zone default from the
    country. SlugTaken when a cluster has the slug."""
    if clusters.by_slug(session, slug):
        raise SlugTaken(slug)
    cluster = clusters.add(session, slug=slug, name=name, country=country,
                           currency=(currency or currency_of(country)).upper(),
                           languages=languages or languages_of(country),
                           timezone=timezone or timezone_of(country))
    audit.record(session, action="cluster.add", actor=actor, cluster_id=cluster.id,
                 slug=slug, name=cluster.name)
    return cluster


def rename(session: Session, cluster: Cluster, actor: Actor, *, name: str | None = None,
           slug: str | None = None) -> dict[str, list[str]]:
    """Changes the name members see and/or the slug operators type (audited when anything
    changed); returns {field: [old, new]} for what changed. SlugTaken when another cluster has
    the new slug."""
    if slug not in (None, cluster.slug) and clusters.by_slug(session, slug):
        raise SlugTaken(slug)
    changes = clusters.rename(session, cluster, name=name, slug=slug)
    if changes:
        audit.record(session, action="cluster.rename", actor=actor, cluster_id=cluster.id,
                     **changes)
    return changes


def remove(session: Session, cluster: Cluster, actor: Actor, *, force: bool = False) -> Removed:
    """Deletes the cluster with what is its own (see `storage.clusters.remove`), audited; its
    members stay. HasMembers when it has some and `force` is not given."""
    members = clusters.member_counts(session).get(cluster.id, 0)
    if members and not force:
        raise HasMembers(members)
    slug, name = cluster.slug, cluster.name
    gone = clusters.remove(session, cluster)
    audit.record(session, action="cluster.remove", actor=actor, slug=slug, name=name,
                 members=members, removed=gone)
    return Removed(slug, name, members, gone)

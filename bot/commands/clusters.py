"""`clusterbot cluster ...`: the cluster networks members join, as operators set them up."""
import re
import zoneinfo
from typing import Annotated

import phonenumbers
import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.common import (USAGE, cluster_named, fail, open_database, out, read_languages,
                                 reported)
from bot.settings import get_settings
from handlers import clusters
from storage import clusters as store
from storage.db import unit_of_work

app = typer.Typer(help="Cluster networks.", no_args_is_help=True)

SLUG = re.compile(r"[a-z0-9-]{2,64}")
CURRENCY = re.compile(r"[A-Za-z]{3}")
SLUG_HELP = "Short name: lower-case letters, digits and -."


@app.command("add")
@reported
def add(
    slug: Annotated[str, typer.Argument(help=SLUG_HELP)],
    name: Annotated[str, typer.Option(help="The network's name, as members see it.")],
    currency: Annotated[str | None, typer.Option(help="ISO code; default: the country's.")] = None,
    country: Annotated[str | None, typer.Option(
        help="ISO code; default: CLUSTERBOT_DEFAULT_COUNTRY.")] = None,
    languages: Annotated[str | None, typer.Option(
        help="Comma-separated, among en,sw,fr,pt; default: the country's.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA name; default: the country's.")] = None,
):
    """Create a cluster network."""
    settings = get_settings()
    country = (country or settings.default_country).strip().upper()
    check_slug(slug)
    name = check_name(name)
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise fail(f"unknown country code: {country}", USAGE)
    if currency is not None and not CURRENCY.fullmatch(currency):
        raise fail(f"the currency must be 3 letters: {currency}", USAGE)
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        raise fail(f"unknown time zone: {timezone}", USAGE)
    codes = read_languages(languages) if languages is not None else None
    factory = open_database(settings)
    try:
        with unit_of_work(factory) as session:
            cluster = clusters.add(session, "cli", slug=slug, name=name, country=country,
                                   currency=currency, languages=codes, timezone=timezone)
    except (clusters.SlugTaken, IntegrityError):  # IntegrityError: added by someone just now
        raise fail(f"cluster {slug} already exists") from None
    out.print(f"Cluster {slug} added: {cluster.name}, {cluster.country}, {cluster.currency}, "
              f"{','.join(cluster.languages)}, {cluster.timezone}.")
    note = quick_start_note(factory)
    if note:
        out.print(note)


@app.command("list")
@reported
def list_clusters():
    """Print every cluster network: slug, name, country, currency, languages, members.

    Members are counted once each, whatever their roles.
    """
    factory = open_database(get_settings())
    with unit_of_work(factory) as session:
        found = store.all_clusters(session)
        counts = store.member_counts(session)
        rows = [(c.slug, c.name, c.country, c.currency, ",".join(c.languages),
                 str(counts.get(c.id, 0))) for c in found]
    if not rows:
        return out.print(quick_start_note(factory))
    rows.insert(0, ("slug", "name", "country", "currency", "languages", "members"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        out.print("  ".join([*cells, row[-1].rjust(len("members"))]))
    note = quick_start_note(factory)
    if note:
        out.print(note)


@app.command("rename")
@reported
def rename(
    slug: Annotated[str, typer.Argument(help="The cluster's slug now.")],
    name: Annotated[str | None, typer.Option(help="The new name, as members see it.")] = None,
    new_slug: Annotated[str | None, typer.Option(
        "--slug", help=f"The new slug (coordinators type it in BROADCAST; the public page is "
                       f"/c/SLUG). {SLUG_HELP}")] = None,
):
    """Change the name members see and/or the slug.

    Members see the name in the registration's choices, the welcome and their profile.
    """
    if name is None and new_slug is None:
        raise fail("give --name, --slug or both", USAGE)
    if new_slug is not None:
        check_slug(new_slug)
    name = check_name(name) if name is not None else None
    try:
        with unit_of_work(open_database(get_settings())) as session:
            cluster = cluster_named(session, slug)
            changes = clusters.rename(session, cluster, "cli", name=name, slug=new_slug)
    except (clusters.SlugTaken, IntegrityError):  # IntegrityError: taken by someone just now
        raise fail(f"cluster {new_slug} already exists") from None
    if not changes:
        return out.print(f"Cluster {slug} is unchanged.")
    said = [f"{field} {old} -> {new}" for field, (old, new) in changes.items()]
    out.print(f"Cluster {slug} renamed: {'; '.join(said)}.")


@app.command("remove")
@reported
def remove(
    slug: Annotated[str, typer.Argument(help="The cluster's slug.")],
    force: Annotated[bool, typer.Option(
        help="Remove it even though it has members (they stay, without this cluster).")] = False,
):
    """Delete a cluster network and what is its own; refused while it has members, unless --force.

    What goes: the memberships (the members themselves stay), its places, meetings, market
    listings, prices and skills needs; scheduled broadcasts to it alone are cancelled, and
    questions about it that members had open are dropped.
    """
    factory = open_database(get_settings())
    try:
        with unit_of_work(factory) as session:
            removed = clusters.remove(session, cluster_named(session, slug), "cli", force=force)
            left = len(store.all_clusters(session))
    except clusters.HasMembers as e:
        raise fail(f"cluster {slug} has {e.count} member(s); --force removes it with their "
                   f"memberships (the members stay, without it)") from None
    gone = ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in removed.gone.items())
    out.print(f"Cluster {slug} ({removed.name}) removed" + (f", with {gone}" if gone else "")
              + (f"; its {removed.members} member(s) stay, without it." if removed.members
                 else "."))
    if not left:
        out.print(quick_start_note(factory))


def check_slug(slug: str) -> None:
    if not SLUG.fullmatch(slug):
        raise fail(f"the slug must be 2-64 of a-z, 0-9 and -: {slug}", USAGE)


def check_name(name: str) -> str:
    if not name.strip() or len(name.strip()) > 200:
        raise fail("the name must be 1-200 characters", USAGE)
    return name.strip()


def quick_start_note(factory: sessionmaker[Session]) -> str | None:
    """What an operator should know about the quick start's cluster: that the first member to
    join will create it, or that it is there under its made-up name; None when neither."""
    with unit_of_work(factory) as session:
        known = store.all_clusters(session)
    made = next((c for c in known if store.is_default(c)), None)
    if not known:
        return (f"No cluster network yet: the first member to join creates cluster "
                f"{store.DEFAULT_SLUG} ({store.DEFAULT_NAME}), and every member sees that "
                f"name. Add yours first: clusterbot cluster add SLUG --name NAME.")
    if made:
        return (f"Cluster {made.slug} ({made.name}) was created when a first member joined "
                f"before any cluster existed; members see it as a choice. Rename it (clusterbot "
                f"cluster rename {made.slug} --name NAME) or remove it (clusterbot cluster "
                f"remove {made.slug}).")
    return None

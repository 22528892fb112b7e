"""`clusterbot places ...`: a cluster's own places (landing beaches, villages, collection points)
beside the shipped gazetteer of markets, so members' places are found and distances known."""
from typing import Annotated

import typer
from sqlalchemy.exc import IntegrityError

from bot.commands.common import USAGE, cluster_named, fail, open_database, out, reported
from bot.settings import get_settings
from handlers import places
from storage import clusters
from storage.db import unit_of_work

app = typer.Typer(help="Places members work at, per cluster.", no_args_is_help=True)


@app.command("add")
@reported
def add(
    cluster: Annotated[str, typer.Argument(help="Slug of the cluster network.")],
    name: Annotated[str, typer.Argument(help="The place as members call it: `Dunga Beach`.")],
    latitude: Annotated[float | None, typer.Option(
        "--lat", help="Latitude in degrees (with --lon: distances to other places are known).")
    ] = None,
    longitude: Annotated[float | None, typer.Option("--lon", help="Longitude in degrees.")] = None,
):
    """Add a place of the cluster's own: members who name it are matched to it, and with
    coordinates, buyers and sellers near it find each other."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise fail("the name must be 1-200 characters", USAGE)
    if (latitude is None) != (longitude is None):
        raise fail("give both --lat and --lon, or neither", USAGE)
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise fail("--lat must be within -90..90 and --lon within -180..180", USAGE)
    try:
        with unit_of_work(open_database(get_settings())) as session:
            place = places.add(session, cluster_named(session, cluster), "cli", name, latitude,
                               longitude)
    except IntegrityError:
        raise fail(f"{cluster} already has a place named {name}") from None
    where = f" at {latitude:.5f}, {longitude:.5f}" if latitude is not None else ""
    out.print(f"Place added to {cluster}: {place.name}{where}.")


@app.command("list")
@reported
def list_places(
    cluster: Annotated[str, typer.Argument(help="Slug of the cluster network.")],
    everything: Annotated[bool, typer.Option(
        "--all", help="Also the shipped gazetteer of the cluster's country.")] = False,
):
    """Print the cluster's own places (and with --all the gazetteer), one a line: `Dunga Beach:
    -0.14460, 34.73690 (own)`."""
    with unit_of_work(open_database(get_settings())) as session:
        network = cluster_named(session, cluster)
        found = [p for p in clusters.places_for(session, network)
                 if everything or p.cluster_id == network.id]
    if not found:
        out.print(f"{cluster} has no places of its own yet (add one with `clusterbot places add`).")
    for place in found:
        where = (f"{place.latitude:.5f}, {place.longitude:.5f}" if place.latitude is not None
                 else "no coordinates")
        out.print(f"{place.name}: {where} ({'own' if place.cluster_id else 'gazetteer'})")

"""`clusterbot skills ...`: the skills members need, per cluster, and when coordinators are told."""
import sys
from typing import Annotated

import typer

from bot.commands.common import cluster_named, open_database, out, reported
from bot.settings import get_settings
from bot.spreadsheet import write
from handlers import skills
from storage import clusters
from storage import skills as store
from storage.db import unit_of_work

app = typer.Typer(help="Skills needs of members.", no_args_is_help=True)

CSV_HEADER = ["cluster", "skill", "members", "examples"]


@app.command("report")
@reported
def report(
    cluster: Annotated[str | None, typer.Option(
        help="Slug of one cluster network; default: every one.")] = None,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="CSV with the header cluster,skill,members,examples.")] = False,
):
    """Print what members need to learn, per cluster: how many members ask for each skill
    (each member counted once), most asked first, with the words they used. Needs that are
    not in the skills catalog are grouped when similar and shown as `other: their words`."""
    with unit_of_work(open_database(get_settings())) as session:
        if cluster:
            network = cluster_named(session, cluster)
            networks = [network]
        else:
            networks = clusters.all_clusters(session)
        tables = [(n, store.threshold(session, n.id), skills.needs_table(session, n.id))
                  for n in networks]
    if as_csv:
        return write_csv(tables)
    for network, threshold, table in tables:
        out.print(f"{network.slug} ({network.name}): coordinators are told at {threshold} members")
        if not table:
            out.print("  no needs yet")
        for row in table:
            words = "; ".join(examples(row))
            out.print(f"  {len(row.members):>4}  {row_name(row, 'en')}  ({words})")


def write_csv(tables) -> None:
    rows = ([network.slug, row.skill or f"other: {row.wording}", len(row.members),
             "; ".join(examples(row))]
            for network, _threshold, table in tables for row in table)
    write(sys.stdout, CSV_HEADER, rows)


def row_name(row: skills.NeedRow, lang: str) -> str:
    return skills.skill_name(row.skill, lang) if row.skill else f"other: {row.wording}"


def examples(row: skills.NeedRow) -> list[str]:
    """The words members used most for the need."""
    return [wording for wording, _ in row.wordings.most_common(skills.EXAMPLES)]


@app.command("threshold")
@reported
def threshold(
    members: Annotated[int, typer.Argument(
        min=skills.THRESHOLDS[0], max=skills.THRESHOLDS[1],
        help="How many members must need a skill.")],
    cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
):
    """Set how many members must need a skill before the cluster's coordinators are told
    (default 5). Skills already at the new threshold are told about now, once."""
    with unit_of_work(open_database(get_settings())) as session:
        told = skills.set_threshold(session, cluster_named(session, cluster), "cli", members)
    now = f"; told now about: {', '.join(told)}" if told else ""
    out.print(f"{cluster}: coordinators are told when {members} members need a skill{now}.")

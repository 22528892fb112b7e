"""`clusterbot institutions import` and `clusterbot directory misses`: the cluster directory's
support institutions from CSV, and what members looked for in it and did not find."""
import io
from datetime import timedelta
from pathlib import Path
from typing import IO, Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from bot.commands.common import cluster_named, err, fail, open_database, out, reported
from bot.settings import get_settings
from bot.spreadsheet import FileError, Header, ImportReport, Outcome, RowError, load_rows
from handlers import institutions
from storage import audit
from storage.audit import Actor
from storage.db import unit_of_work
from storage.directory import Miss, misses
from storage.models import Cluster, utcnow

institutions_app = typer.Typer(help="Support institutions of the cluster directory.",
                               no_args_is_help=True)
app = typer.Typer(help="The cluster directory.", no_args_is_help=True)

HEADER = Header(institutions.FIELDS)


@institutions_app.command("import")
@reported
def import_command(
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FILE.csv",
            help="UTF-8 CSV with the header name,category,services,place,phone,website,"
                 "languages,verified; lists separated by ;")],
        cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")]):
    """Load support institutions: new ones are added, known ones (same name) updated.

    A row gives the whole institution (an empty cell clears that value). category: training,
    finance, extension, transport, cold_storage, inputs, standards, research (or readable
    words: cold storage, ice, banks, microfinance...); place: matched with the cluster's
    places, else kept as written; phone: read in the cluster's country; website: http(s);
    languages: en, sw, fr, pt; verified: true/false (true: checked today). Each bad row is
    reported on stderr as `line N: reason` and skipped; the good rows load.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text") from None
    try:
        with unit_of_work(open_database(get_settings())) as session:
            report = import_institutions(session, cluster_named(session, cluster),
                                         io.StringIO(text, newline=""), "cli",
                                         file_name=file.name)
    except FileError as e:
        raise fail(f"{file}: {e}") from None
    for line, reason in report.errors:
        err.print(f"line {line}: {reason}")
    out.print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
              f"skipped {report.skipped}")


def import_institutions(session: Session, cluster: Cluster, file: IO[str], actor: Actor, *,
                        file_name: str) -> ImportReport:
    """Saves the institution of each good row of a CSV file, each in its own savepoint, and
    reports the bad rows by line number; audited. FileError when the header is wrong."""
    lines: dict[str, int] = {}  # folded name -> the line that gave it

    def load(line: int, cells: dict[str, str]) -> Outcome:
        folded = institutions.folded_name(cells["name"])
        if folded in lines:
            raise RowError(f"the name {cells['name']} is already on line {lines[folded]}")
        try:
            outcome = institutions.save(session, cluster, actor, cells)
        except institutions.InstitutionError as e:
            raise RowError(problems(e, cells)) from None
        lines[folded] = line
        return outcome

    report = load_rows(session, file, HEADER, load)
    audit.record(session, action="institutions.import", actor=actor, cluster_id=cluster.id,
                 file=file_name, added=report.added, updated=report.updated,
                 unchanged=report.unchanged, skipped=report.skipped)
    return report


def problems(error: institutions.InstitutionError, cells: dict[str, str]) -> str:
    """`category 'magic': Categories are ...; phone: ...`, in English."""
    return "; ".join(f"{name} {cells[name]!r}: {problem.rstrip('.')}" if cells.get(name) else
                     f"{name}: {problem.rstrip('.')}"
                     for name, problem in error.messages().items())


@app.command("misses")
@reported
def misses_command(
        cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
        days: Annotated[int | None, typer.Option(
            min=1, help="Only searches of the last N days; default: all.")] = None):
    """What members looked for with FIND and did not find, most asked first: the demand for
    suppliers and services the cluster lacks. One line each: how many times, the last day
    (in the cluster's time zone) and what was looked for, as first written."""
    since = utcnow() - timedelta(days=days) if days else None
    with unit_of_work(open_database(get_settings())) as session:
        network = cluster_named(session, cluster)
        found = misses(session, network.id, since)
        zone = ZoneInfo(network.timezone)
    if not found:
        out.print(f"No misses in the last {days} days." if days else "No misses.")
        return
    for line in table(found, zone):
        out.print(line)


def table(found: list[Miss], zone: ZoneInfo) -> list[str]:
    """The misses as aligned lines under a header."""
    width = max(len("times"), *(len(str(miss.count)) for miss in found))
    lines = [f"{'times':>{width}}  {'last':<10}  looked for"]
    for miss in found:
        lines.append(f"{miss.count:>{width}}  {miss.last.astimezone(zone):%Y-%m-%d}  "
                     f"{miss.query}")
    return lines

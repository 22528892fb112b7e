"""`clusterbot tender add|show|outcome` and `clusterbot tenders import|list`: public tenders
the cluster answers together, entered by hand or read from open contracting data (OCDS), their
bid sheet, and the buyer's answer."""
import io
import json
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from bot.commands.common import USAGE, cluster_named, err, fail, open_database, out, reported
from bot.settings import get_settings
from bot.spreadsheet import write
from handlers.quantities import read_quantity
from handlers.tenders import entry, ocds, outcome, sheet
from storage import tenders as stored
from storage.db import unit_of_work
from storage.models import Cluster, Member
from storage.tenders import Tender

app = typer.Typer(help="A public tender the cluster answers together.", no_args_is_help=True)
tenders_app = typer.Typer(help="Public tenders.", no_args_is_help=True)

STATUS_SHOWN = {sheet.IN: "", sheet.RESERVE: "  reserve",
                sheet.OVER_PRICE: "  over the highest price, not counted"}
CSV_HEADER = ["name", "phone", "place", "quantity", "unit", "price", "item", "product", "status",
              "counted", "delivery_share", "reserved_groups"]


def amount(value: float | None) -> str:
    """`1500`, `12.5`: a number as a spreadsheet reads it (empty for None)."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@app.command("add")
@reported
def add_command(
        cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")],
        buyer: Annotated[str, typer.Option(help="The public buyer, e.g. a county's department.")],
        title: Annotated[str, typer.Option(help="The tender's title.")],
        product: Annotated[str, typer.Option(help="A catalog product, in any language.")],
        quantity: Annotated[str, typer.Option(help="How much, e.g. 2t, 500kg, 300l.")],
        deadline: Annotated[str, typer.Option(
            help="When bids close: 2026-12-20 (that day's end) or 2026-12-20 10:00, in the "
                 "cluster's time zone.")],
        max_price: Annotated[str | None, typer.Option(
            help="The highest price per unit the buyer pays, e.g. 130/kg.")] = None,
        deliver_to: Annotated[str | None, typer.Option(
            help="Where the goods go: a known place, else kept as written.")] = None,
        questions_deadline: Annotated[str | None, typer.Option(
            help="When the buyer stops answering questions (a date, as --deadline).")] = None,
        reserved: Annotated[str | None, typer.Option(
            help="Groups the tender is reserved for: youth;women;disability.")] = None,
        document: Annotated[list[str] | None, typer.Option(
            help="A link to a tender document (may be repeated).")] = None):
    """Add a public tender of one product; prints its code alone on the last line (members
    pledge with BID CODE quantity)."""
    fields = {"buyer": buyer, "title": title, "product": product, "quantity": quantity,
              "deadline": deadline, "max_price": max_price or "", "deliver_to": deliver_to or "",
              "questions_deadline": questions_deadline or "", "reserved": reserved or "",
              "documents": " ".join(document or [])}
    with unit_of_work(open_database(get_settings())) as session:
        network = cluster_named(session, cluster)
        try:
            tender = entry.add(session, network, "cli", fields)
        except entry.TenderError as e:
            for name, problem in e.messages().items():
                err.print(f"{name.replace('_', '-')}: {problem}")
            raise typer.Exit(USAGE) from None
        lines = describe(session, network, tender) + sheet_lines(sheet.build(session, tender))
        code = tender.code
    for line in lines:
        out.print(line)
    out.print(code)


@tenders_app.command("import")
@reported
def import_command(
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FILE.json",
            help="An OCDS 1.1 release package or record package.")],
        cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")]):
    """Add or update tenders from open contracting data: each release's buyer, title, items
    (matched to catalog products by their description, in any language), value, deadline
    (tenderPeriod.endDate), questions deadline, delivery place and documents. The same release
    again changes nothing; a newer one (later date, same ocid) updates the tender and tells
    its pledgers. Items no product fits are kept, never pledged, and listed on stderr."""
    try:
        package = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise fail(f"{file} is not JSON: {e}") from None
    try:
        with unit_of_work(open_database(get_settings())) as session:
            report = ocds.import_package(session, cluster_named(session, cluster), "cli",
                                         package)
    except ocds.ReleaseError as e:
        raise fail(f"{file}: {e}") from None
    for ocid in report.added:
        out.print(f"added {report.codes[ocid]} {ocid}")
    for ocid in report.updated:
        out.print(f"updated {report.codes[ocid]} {ocid}")
    for line in report.unmapped:
        err.print(f"no product for the item {line}")
    for line in report.skipped:
        err.print(f"skipped {line}")
    out.print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged "
              f"{len(report.unchanged)}, skipped {len(report.skipped)}; items without a "
              f"product {len(report.unmapped)}")


@tenders_app.command("list")
@reported
def list_command(cluster: Annotated[str, typer.Option(help="Slug of the cluster network.")]):
    """The cluster's tenders, the nearest deadline first: code, deadline, status, how much of
    the quantity is covered, title."""
    with unit_of_work(open_database(get_settings())) as session:
        network = cluster_named(session, cluster)
        zone = ZoneInfo(network.timezone)
        lines = [f"{t.code}  {t.deadline.astimezone(zone):%Y-%m-%d %H:%M}  "
                 f"{state(t):<12} {covered_percent(t):>4}  {t.title}"
                 for t in stored.of_cluster(session, network.id)]
    for line in lines or ["No tenders."]:
        out.print(line)


@app.command("show")
@reported
def show_command(
        code: Annotated[str, typer.Argument(help="The tender's code.")],
        csv: Annotated[bool, typer.Option(
            "--csv", help="Print the bid sheet as CSV: one row per pledge.")] = False):
    """The tender, its pledges in the order they came (those in the consortium, then the
    reserves), what is covered and the weighted price; --csv prints the bid sheet."""
    with unit_of_work(open_database(get_settings())) as session:
        tender = tender_coded(session, code)
        bids = sheet.build(session, tender)
        if csv:
            buffer = io.StringIO()
            write(buffer, CSV_HEADER, csv_rows(bids))
            sys.stdout.write(buffer.getvalue())
            return
        network = session.get(Cluster, tender.cluster_id)
        lines = describe(session, network, tender) + sheet_lines(bids)
    for line in lines:
        out.print(line)


@app.command("outcome")
@reported
def outcome_command(
        code: Annotated[str, typer.Argument(help="The tender's code.")],
        result: Annotated[str, typer.Argument(metavar="won|lost")],
        quantity: Annotated[str | None, typer.Option(
            help="How much was won, when less than the tender's quantity, e.g. 1.5t.")] = None):
    """Record the buyer's answer: every pledger is told in their language; a won quantity is
    split into delivery shares in pledge order; the tender stops taking pledges."""
    if result.lower() not in ("won", "lost"):
        raise fail(f"the outcome is won or lost, not {result}", USAGE)
    won = result.lower() == "won"
    if quantity is not None and not won:
        raise fail("--quantity is for a won tender", USAGE)
    with unit_of_work(open_database(get_settings())) as session:
        tender = tender_coded(session, code)
        amount_won = won_quantity(tender, quantity) if quantity else None
        try:
            told = outcome.record(session, tender, "cli", won, amount_won)
        except outcome.OutcomeError as e:
            raise fail(e.msgid.rstrip(".")) from None
        shares = [f"{row.name}: {amount(row.share)} {row.unit}"
                  for _, row in sheet.build(session, tender).rows() if row.share]
        code = tender.code
    out.print(f"{code} {result.lower()}; {told} members told")
    for line in shares:
        out.print(line)


def won_quantity(tender: Tender, text: str) -> float:
    """`1.5t`, `1500` (in the item's unit) -> the amount in the item's unit; exits 2 when it is
    not one."""
    items = stored.pledgeable(tender)
    if len(items) != 1:
        raise fail("--quantity is only for a tender of one item", USAGE)
    found = read_quantity(text)
    if found is None or (found[1] is not None and found[1] != items[0].unit):
        raise fail(f"--quantity {text} is not a quantity in {items[0].unit}", USAGE)
    return found[0]


def tender_coded(session: Session, code: str) -> Tender:
    tender = stored.by_code(session, code)
    if tender is None:
        raise fail(f"no tender {code}")
    return tender


def state(tender: Tender) -> str:
    """`won`, `lost`, `closed`, `formed`, or the OCDS status."""
    if tender.outcome:
        return tender.outcome
    if tender.closed_at:
        return "closed"
    return "formed" if tender.formed_at else tender.status


def covered_percent(tender: Tender) -> str:
    items = stored.pledgeable(tender)
    need = sum(item.quantity for item in items)
    return f"{round(100 * sum(stored.covered(i) for i in items) / need)}%" if need else "-"


def describe(session: Session, cluster: Cluster, tender: Tender) -> list[str]:
    """The tender in a few lines, for an operator."""
    zone = ZoneInfo(cluster.timezone)
    lines = [f"{tender.code}  {tender.title}  ({state(tender)})", f"buyer: {tender.buyer}",
             f"deadline: {tender.deadline.astimezone(zone):%Y-%m-%d %H:%M} ({cluster.timezone})"]
    if tender.questions_deadline:
        asked_by = tender.questions_deadline.astimezone(zone)
        lines.append(f"questions until: {asked_by:%Y-%m-%d %H:%M}")
    if tender.delivery_place_name:
        lines.append(f"deliver to: {tender.delivery_place_name}"
                     + ("" if tender.delivery_place_id else " (not a known place)"))
    if tender.delivery_schedule:
        lines.append(f"delivery: {tender.delivery_schedule}")
    if tender.value_amount is not None:
        lines.append(f"value: {tender.currency or cluster.currency} {tender.value_amount:,.0f}")
    if tender.reserved:
        lines.append(f"reserved for: {', '.join(tender.reserved)}")
    lines += [f"document: {link}" for link in tender.documents or []]
    if tender.ocid:
        lines.append(f"ocid: {tender.ocid}")
    lead = session.get(Member, tender.lead_member_id) if tender.lead_member_id else None
    if lead:
        lines.append(f"lead: {lead.name}")
    if tender.outcome:
        lines.append(f"outcome: {tender.outcome}"
                     + (f" {amount(tender.won_quantity)}" if tender.won_quantity else ""))
    return lines


def sheet_lines(bids: sheet.Sheet) -> list[str]:
    """Each item's need, coverage and pledges; the reserved-group check; unmapped items."""
    currency = bids.tender.currency or ""
    lines = []
    for item in bids.items:
        line = (f"{item.code} {item.product}: need {amount(item.need)} {item.unit}, covered "
                f"{amount(item.covered)}, short {amount(item.short)}, pledged "
                f"{amount(item.pledged)}")
        if item.max_price is not None:
            line += f"; highest price {currency} {amount(item.max_price)}/{item.unit}"
        if item.weighted_price is not None:
            line += f"; weighted price {currency} {amount(item.weighted_price)}/{item.unit}"
        lines.append(line)
        for number, row in enumerate(item.rows, start=1):
            price = f"{currency} {amount(row.price)}/{row.unit}" if row.price is not None else "-"
            lines.append(f"  {number}. {row.name or '-'}  {row.phone or '-'}  {row.place or '-'}  "
                         f"{amount(row.quantity)} {row.unit}  {price}"
                         + STATUS_SHOWN[row.status]
                         + (f"  delivers {amount(row.share)}" if row.share else ""))
    if bids.reserved:
        verdict = {True: "yes", False: "no", None: "not known yet"}[bids.eligible]
        lines.append(f"reserved for {', '.join(bids.reserved)}: the consortium qualifies: "
                     f"{verdict} ({len(bids.qualifying)} qualify, {len(bids.not_qualifying)} do "
                     f"not, {len(bids.unknown)} never asked)")
    for item in bids.unmapped:
        lines.append(f"not pledgeable (no catalog product): {item.description} "
                     f"({amount(item.quantity)} {item.unit})")
    return lines


def csv_rows(bids: sheet.Sheet):
    for item, row in bids.rows():
        yield [row.name, row.phone, row.place, amount(row.quantity), row.unit, amount(row.price),
               item.code, item.product, row.status, amount(row.counted),
               amount(row.share), ";".join(row.groups) if row.groups is not None else ""]

"""`clusterbot prices ...`: load price history from CSV, and each cluster's price settings."""
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer
from sqlalchemy.orm import Session

from bot.commands.common import USAGE, err, fail, open_database, out, reported
from bot.settings import get_settings
from bot.spreadsheet import FileError, Header, ImportReport, Outcome, RowError
from bot.spreadsheet import load_rows as load_rows_of
from handlers import quantities
from handlers.matching import best, sure
from handlers.places import names as place_names
from handlers.prices import ALERT_LEAST, ALERT_MOST, change_settings
from storage import audit, catalog, clusters, prices
from storage.audit import Actor
from storage.db import unit_of_work
from storage.models import Place, utcnow

app = typer.Typer(help="Market prices.", no_args_is_help=True)

COLUMNS = ("date", "market", "commodity", "unit", "pricetype", "currency", "price")
HEADER = Header(COLUMNS, among_others=True)  # WFP files have more columns (admin1, usdprice...)
SOURCE = re.compile(r"[a-z0-9-]{1,16}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PriceFileError(FileError):
    """The file cannot be read as a price CSV at all."""


@dataclass
class Catalog:
    """What rows are matched against: commodities, products and places."""

    commodities: dict[str, str]  # WFP commodity -> product slug
    products: dict[str, object]  # slug -> Product
    places: dict[str, Place]  # exact name -> gazetteer place
    place_names: dict[str, int]  # folded name -> place id, for names written differently
    places_by_id: dict[int, Place]


@app.command("import")
@reported
def import_command(
        file: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FILE.csv",
            help="UTF-8 CSV with the columns date,market,commodity,unit,pricetype,currency,"
                 "price (and priceflag), as in the WFP food price data")],
        source: Annotated[str, typer.Option(help="Where the prices come from.")] = "wfp"):
    """Load prices of record: each row a product's price at a market on a date.

    Commodities are matched with the catalog's `wfp` names, markets with the gazetteer, and
    prices converted to one base unit (a `90 KG` bag price becomes a price per kg). Each bad
    row is reported on stderr as `line N: reason` and skipped. Loading the same file again
    changes nothing; a row whose price changed is updated.
    """
    if not SOURCE.fullmatch(source):
        raise fail(f"source must be 1-16 of a-z 0-9 -: {source}", USAGE)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text") from None
    try:
        with unit_of_work(open_database(get_settings())) as session:
            report = import_prices(session, io.StringIO(text, newline=""), "cli", source=source,
                                   file_name=file.name)
    except PriceFileError as e:
        raise fail(f"{file}: {e}") from None
    for line, reason in report.errors:
        err.print(f"line {line}: {reason}")
    out.print(f"loaded {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
              f"skipped {report.skipped}")


@app.command("settings")
@reported
def settings_command(
        slug: Annotated[str, typer.Argument(metavar="CLUSTER", help="The cluster's slug.")],
        alert_percent: Annotated[float | None, typer.Option(
            min=ALERT_LEAST, max=ALERT_MOST,
            help="Alert members when a price moves more than this percent.")] = None,
        digest_day: Annotated[str | None, typer.Option(
            help="Day of the weekly digest: mon, tue, ... sun.")] = None,
        digest_hour: Annotated[int | None, typer.Option(
            min=0, max=23, help="Hour of the weekly digest, in the cluster's time zone.")] = None):
    """Show a cluster's price settings; with options, change them first."""
    if digest_day is not None and digest_day.lower()[:3] not in DAYS:
        raise fail(f"digest day must be one of {', '.join(DAYS)}: {digest_day}", USAGE)
    day = DAYS.index(digest_day.lower()[:3]) if digest_day else None
    with unit_of_work(open_database(get_settings())) as session:
        cluster = clusters.by_slug(session, slug)
        if cluster is None:
            raise fail(f"no cluster has the slug {slug}")
        current = change_settings(session, cluster, "cli", alert_percent=alert_percent,
                                  digest_day=day, digest_hour=digest_hour)
        out.print(f"{cluster.slug}: alert at {current.alert_percent:g}%, digest on "
                  f"{DAYS[current.digest_day]} at {current.digest_hour:02d}:00 {cluster.timezone}")


def import_prices(session: Session, file: IO[str], actor: Actor, *, source: str,
                  file_name: str) -> ImportReport:
    """Loads the prices of record of a CSV file from `source` (new ones added, changed ones
    updated) and reports the bad rows by line number; audited. PriceFileError when the file is
    no price CSV at all."""
    report = load_rows(session, file, source)
    audit.record(session, action="prices.import", actor=actor, file=file_name, source=source,
                 loaded=report.added, updated=report.updated, skipped=report.skipped)
    return report


def load_rows(session: Session, file: IO[str], source: str) -> ImportReport:
    """Loads every good row (new ones added, changed ones updated) and reports the bad ones."""
    known = read_catalog(session)
    stored = prices.keyed_prices(session, source)
    seen, new = {}, []

    def load(line: int, cells: dict[str, str]) -> Outcome:
        price = read_row(known, cells)
        if price["source_key"] in seen:
            raise RowError(f"repeats line {seen[price['source_key']]}")
        outcome = keep(session, stored, new, price, source)
        seen[price["source_key"]] = line
        return outcome

    try:
        report = load_rows_of(session, file, HEADER, load)
    except FileError as e:
        raise PriceFileError(str(e)) from None
    prices.insert_prices(session, new)
    return report


def keep(session: Session, stored: dict, new: list, price: dict, source: str) -> Outcome:
    """Adds the row to the new ones (inserted together at the end), or updates the stored
    price when it changed."""
    if price["source_key"] not in stored:
        new.append({**price, "source": source, "cluster_id": None, "member_id": None,
                    "created_at": utcnow()})
        return "added"
    price_id, amount = stored[price["source_key"]]
    if abs(amount - price["amount"]) > 1e-9 * max(1.0, amount):
        prices.set_amount(session, price_id, price["amount"])
        return "updated"
    return "unchanged"


def read_catalog(session: Session) -> Catalog:
    products = {p.slug: p for p in prices.all_products(session)}
    commodities = {name: item.slug for item in catalog.load_products() for name in item.wfp}
    places = prices.places_by_name(session)
    return Catalog(commodities, products, places, place_names(places.values()),
                   {p.id: p for p in places.values()})


def read_row(known: Catalog, row: dict[str, str]) -> dict:
    """One row as an official price (per base unit); raises RowError with the first problem."""
    try:
        day = date.fromisoformat(row["date"])
    except ValueError:
        raise RowError(f"date {row['date']!r} is not YYYY-MM-DD") from None
    slug = known.commodities.get(row["commodity"])
    if slug is None or slug not in known.products:
        raise RowError(f"commodity {row['commodity']!r} is not mapped to a catalog product")
    product = known.products[slug]
    place = find_market(known, row["market"])
    size = quantities.read_quantity(row["unit"])
    if size is None or size[1] != product.unit or not size[0]:
        raise RowError(f"unit {row['unit']!r} cannot be converted to {product.unit} "
                       f"(the unit of {slug})")
    amount = read_amount(row["price"])
    currency = row["currency"].upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowError(f"currency {row['currency']!r} is not a 3-letter code")
    price_type = row.get("pricetype", "").lower()
    key = "|".join([row["date"], row["market"], row["commodity"], row["unit"],
                    row.get("pricetype", ""), row.get("priceflag", "")])
    return {"country": place.country, "product_id": product.id, "place_id": place.id,
            "market": place.name, "amount": amount / size[0], "unit": product.unit,
            "currency": currency, "observed_on": day, "source_key": key[:255],
            "price_type": price_type if price_type in ("retail", "wholesale") else None}


def find_market(known: Catalog, name: str) -> Place:
    """The gazetteer place of a market: by its exact name, else a sure fuzzy match."""
    place = known.places.get(name)
    if place is None:
        match = sure(best(name, known.place_names))
        place = known.places_by_id[match.key] if match else None
    if place is None:
        raise RowError(f"market {name!r} is not in the gazetteer")
    return place


def read_amount(text: str) -> float:
    try:
        amount = float(text)
    except ValueError:
        raise RowError(f"price {text!r} is not a number") from None
    if not 0 < amount < 1e12:
        raise RowError(f"price {text!r} is not a positive amount")
    return amount

"""Tenders from open contracting data (OCDS 1.1 release or record packages, as public buyers
publish them): each release's tender read into a tender of the cluster, its items matched to
catalog products by their description in any language. An item no product fits is kept as
written (never pledged) and reported, not guessed. A release already read changes nothing;
a newer release (a later `date`) of the same `ocid` updates the tender."""
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.products import catalog_names, read_one
from handlers.quantities import read_unit
from handlers.tenders import entry
from handlers.tenders.entry import ItemValues, TenderValues
from storage import audit
from storage import tenders as stored
from storage.audit import Actor
from storage.models import Cluster, Product, utcnow
from storage.tenders import STATUSES

# UN/CEFACT recommendation 20 codes -> (base unit, how many of it one is)
UNCEFACT = {"KGM": ("kg", 1.0), "TNE": ("kg", 1000.0), "GRM": ("kg", 0.001),
            "LTR": ("l", 1.0), "MLT": ("l", 0.001), "H87": ("piece", 1.0), "C62": ("piece", 1.0)}
PUNCTUATION = re.compile(r"[^\w\s'-]")
STATUS_OF = {"withdrawn": "cancelled"}  # OCDS codes outside storage.tenders.STATUSES


class ReleaseError(ValueError):
    """A release cannot be a tender (no ocid, no tender, no deadline...): the reason, in
    English (an operator's report)."""


@dataclass
class Reading:
    """A release read: the tender's values, and the items no product was found for (as
    `description: why`)."""

    values: TenderValues
    unmapped: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What an import did, release by release: ocids added, updated, unchanged; items kept
    without a product (`ocid: description (why)`); releases skipped (`ocid: reason`)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # ocid -> tender code


# --- The package ----------------------------------------------------------------------------

def releases_of(package: dict) -> list[dict]:
    """The newest release of each ocid in a release package (`releases`), or a record package
    (`records[]`: its `compiledRelease`, else its newest full release), in the package's
    order. ReleaseError when it is neither."""
    if not isinstance(package, dict):
        raise ReleaseError("not an OCDS release or record package (a JSON object)")
    if isinstance(package.get("releases"), list):
        found = [r for r in package["releases"] if isinstance(r, dict)]
    elif isinstance(package.get("records"), list):
        found = [release_of_record(r) for r in package["records"] if isinstance(r, dict)]
        found = [r for r in found if r]
    else:
        raise ReleaseError("not an OCDS release or record package: no releases or records")
    newest: dict[str, dict] = {}
    for release in found:
        ocid = str(release.get("ocid") or "")
        if ocid not in newest or date_of(release) >= date_of(newest[ocid]):
            newest[ocid] = release
    return list(newest.values())


def release_of_record(record: dict) -> dict | None:
    compiled = record.get("compiledRelease")
    if isinstance(compiled, dict):
        return {"ocid": record.get("ocid"), **compiled}
    full = [r for r in record.get("releases") or [] if isinstance(r, dict) and "tender" in r]
    return max(full, key=date_of) if full else None


def date_of(release: dict) -> datetime:
    """The release's date (the oldest possible when it has none)."""
    try:
        return moment(release.get("date")) or datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    except ReleaseError:
        return datetime.min.replace(tzinfo=ZoneInfo("UTC"))


def moment(text) -> datetime | None:
    """An OCDS date-time (`2026-12-20T10:00:00Z`, with its offset) in UTC."""
    if not text:
        return None
    try:
        found = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ReleaseError(f"{text!r} is not a date") from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=ZoneInfo("UTC"))
    return found.astimezone(ZoneInfo("UTC"))


# --- One release ----------------------------------------------------------------------------

def read_release(session: Session, cluster: Cluster, release: dict) -> Reading:
    """The tender a release gives; ReleaseError when it gives none."""
    tender = release.get("tender")
    if not release.get("ocid") or not isinstance(tender, dict):
        raise ReleaseError("no ocid or no tender")
    period = tender.get("tenderPeriod") or {}
    deadline = moment(period.get("endDate"))
    if deadline is None:
        raise ReleaseError("no tenderPeriod.endDate (the deadline)")
    status = STATUS_OF.get(tender.get("status"), tender.get("status") or "active")
    if status not in STATUSES:
        raise ReleaseError(f"unknown tender status {tender.get('status')!r}")
    reading = Reading(values=TenderValues(
        buyer=text(buyer_of(release), entry.MAX_BUYER) or "?",
        title=text(tender.get("title") or tender.get("description") or release["ocid"],
                   entry.MAX_TITLE),
        deadline=deadline, items=[], status=status,
        questions_deadline=moment((tender.get("enquiryPeriod") or {}).get("endDate")),
        delivery_schedule=schedule_of(tender), documents=documents_of(tender),
        ocid=str(release["ocid"])[:200], release_date=moment(release.get("date"))))
    value = tender.get("value") or {}
    reading.values.value_amount = number(value.get("amount"))
    reading.values.currency = (str(value.get("currency") or "")[:3] or cluster.currency).upper()
    reading.values.delivery_place_name, reading.values.delivery_place_id = place_of(
        session, cluster, release)
    names = catalog_names(session)
    for item in tender.get("items") or []:
        if isinstance(item, dict):
            read_item(session, names, item, reading)
    if not reading.values.items:
        raise ReleaseError("the tender has no items")
    return reading


def text(value, longest: int) -> str:
    return " ".join(str(value or "").split())[:longest]


def number(value) -> float | None:
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if found == found and abs(found) != float("inf") else None


def buyer_of(release: dict) -> str:
    """`buyer.name`, else the party with the role buyer (or procuringEntity)."""
    buyer = release.get("buyer") or {}
    if buyer.get("name"):
        return buyer["name"]
    for role in ("buyer", "procuringEntity"):
        for party in release.get("parties") or []:
            if role in (party.get("roles") or []) and party.get("name"):
                return party["name"]
    return ((release.get("tender") or {}).get("procuringEntity") or {}).get("name") or ""


def schedule_of(tender: dict) -> str | None:
    """`2027-01-15 to 2027-06-30` of the contract period, if it has one."""
    period = tender.get("contractPeriod") or {}
    start, end = (str(period.get(k) or "")[:10] for k in ("startDate", "endDate"))
    return f"{start} to {end}" if start and end else (start or end or None)


def documents_of(tender: dict) -> list[str]:
    links = [str(d.get("url") or "") for d in tender.get("documents") or [] if isinstance(d, dict)]
    good = [link for link in links if link.lower().startswith(("http://", "https://"))]
    return list(dict.fromkeys(good))[:entry.MAX_DOCUMENTS]


def place_of(session: Session, cluster: Cluster, release: dict) -> tuple[str | None, int | None]:
    """Where the goods go: the tender's or an item's delivery address or location, else the
    buyer's address; a known place of the cluster when one is named."""
    tender = release["tender"]
    addresses = list(tender.get("deliveryAddresses") or [])
    for item in tender.get("items") or []:
        addresses += [item.get("deliveryAddress")] + list(item.get("deliveryAddresses") or [])
        location = item.get("deliveryLocation") or {}
        addresses.append({"locality": location.get("description")})
    addresses += [party.get("address") for party in release.get("parties") or []
                  if "buyer" in (party.get("roles") or [])]
    written = None
    for address in filter(None, addresses):
        for key in ("locality", "region", "streetAddress"):
            words = text(address.get(key), entry.MAX_PLACE)
            if not words:
                continue
            name, place_id = entry.read_place(session, cluster, words)
            if place_id is not None:
                return name, place_id
            written = written or address_text(address)
    return written, None


def address_text(address: dict) -> str:
    parts = [text(address.get(k), 100) for k in ("streetAddress", "locality", "region")]
    return ", ".join(p for p in parts if p)[:entry.MAX_PLACE]


def read_item(session: Session, names: dict[str, int], item: dict, reading: Reading) -> None:
    """Adds the item to the reading; one no product fits (or whose unit is unknown or does not
    fit the product) is kept without a product and reported."""
    classification = item.get("classification") or {}
    description = text(item.get("description") or classification.get("description") or "?",
                       entry.MAX_DESCRIPTION)
    unit = item.get("unit") or {}
    base, size = unit_of(unit)
    quantity = number(item.get("quantity")) or 0.0
    price = number((unit.get("value") or {}).get("amount"))
    product_id = product_named(names, description)
    if product_id is None and classification.get("description"):
        product_id = product_named(names, text(classification["description"], 300))
    why = None
    if product_id is None:
        why = "no catalog product"
    elif base is None:
        why = f"unknown unit {unit.get('id') or unit.get('name')!r}"
    elif session.get(Product, product_id).unit != base:
        why = f"the product is sold by {session.get(Product, product_id).unit}, not {base}"
    elif quantity <= 0:
        why = "no quantity"
    if why:
        reading.unmapped.append(f"{description} ({why})")
        product_id = None
    reading.values.items.append(ItemValues(
        description=description, product_id=product_id,
        quantity=quantity * (size or 1.0),
        unit=base or text(unit.get("id") or unit.get("name") or "?", 16),
        max_price=price / size if price and size else None))


def product_named(names: dict[str, int], description: str) -> int | None:
    """The catalog product a description names (`Eggs, grade A`: one of its words is a
    product's name); None when none or several do."""
    found = read_one(names, description)
    return found if found is not None else read_one(names, PUNCTUATION.sub(" ", description))


def unit_of(unit: dict) -> tuple[str | None, float | None]:
    """(base unit, size) of an OCDS unit: its UN/CEFACT code, else its name (`kg`, `litres`)."""
    code = str(unit.get("id") or "").upper()
    if code in UNCEFACT:
        return UNCEFACT[code]
    found = read_unit(str(unit.get("name") or ""))
    if found and found[1]:
        return found
    return None, None


# --- Importing ------------------------------------------------------------------------------

def import_package(session: Session, cluster: Cluster, actor: Actor, package: dict,
                   now: datetime | None = None) -> Report:
    """Adds or updates the cluster's tenders from a package, each release in its own savepoint;
    audited `tenders.import`. A new tender past its deadline is skipped."""
    report = Report()
    now = now or utcnow()
    for release in releases_of(package):
        ocid = str(release.get("ocid") or "?")
        try:
            with session.begin_nested():
                outcome, tender, reading = save_release(session, cluster, actor, release, now)
        except ReleaseError as e:
            report.skipped.append(f"{ocid}: {e}")
            continue
        getattr(report, outcome).append(ocid)
        report.codes[ocid] = tender.code
        if outcome != "unchanged":
            report.unmapped += [f"{ocid}: {line}" for line in reading.unmapped]
    audit.record(session, action="tenders.import", actor=actor, cluster_id=cluster.id,
                 added=report.added, updated=report.updated, unchanged=len(report.unchanged),
                 skipped=report.skipped)
    return report


def save_release(session: Session, cluster: Cluster, actor: Actor, release: dict,
                 now: datetime):
    """("added" | "updated" | "unchanged", the tender, the reading) of one release."""
    existing = stored.by_ocid(session, cluster.id, str(release.get("ocid") or ""))
    released = moment(release.get("date"))
    if existing and (released is None or existing.release_date is not None
                     and existing.release_date >= released):
        return "unchanged", existing, None
    reading = read_release(session, cluster, release)
    if existing is None:
        if reading.values.deadline <= now:
            raise ReleaseError("its deadline has passed")
        return "added", entry.create(session, cluster, actor, reading.values), reading
    changes = entry.update(session, existing, actor, reading.values)
    return ("updated" if changes else "unchanged"), existing, reading

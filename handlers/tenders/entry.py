"""Tenders as coordinators enter them (the CLI, the dashboard's form) or as an OCDS release
gives them: each field read and checked, the tender saved with a new code, audited; a newer
release updates it and tells the members who pledged what changed."""
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.fields import FieldErrors, Problem
from handlers.labels import product_label, shorten
from handlers.market.showing import amount_label
from handlers.matching import best, sure
from handlers.notify import notify
from handlers.places import known
from handlers.products import catalog_names, read_one
from handlers.quantities import BASE_UNITS, MAX_PRICE, MAX_QUANTITY, read_price, read_quantity
from locales.i18n import N_, fold, translate
from storage import audit
from storage import tenders as stored
from storage.audit import Actor
from storage.models import Cluster, Member, Place, Product, utcnow
from storage.tenders import RESERVED_GROUPS, Pledge, Tender, TenderItem

FIELDS = ("buyer", "title", "product", "quantity", "deadline", "max_price", "deliver_to",
          "questions_deadline", "reserved", "documents", "description")
MAX_BUYER, MAX_TITLE, MAX_PLACE, MAX_DESCRIPTION, MAX_DOCUMENTS = 200, 300, 200, 300, 20
END_OF_DAY = time(23, 59)  # a deadline given as a day alone: that day's end, in the cluster

BUYER_MISSING = N_("Give the buyer's name.")
BUYER_LONG = N_("The buyer's name is longer than 200 characters.")
TITLE_MISSING = N_("Give the tender's title.")
TITLE_LONG = N_("The title is longer than 300 characters.")
PRODUCT_MISSING = N_("Give the product the tender buys.")
PRODUCT_UNKNOWN = N_("This product is not in the catalog.")
QUANTITY_BAD = N_("Give the quantity with its unit, for example 500kg or 2t.")
QUANTITY_UNIT = N_("The quantity's unit does not fit the product: it is sold by {unit}.")
DEADLINE_BAD = N_("Give the deadline as a date, for example 2026-12-20 or 2026-12-20 10:00.")
DEADLINE_PAST = N_("The deadline has passed.")
QUESTIONS_AFTER = N_("Questions must close before the deadline.")
PRICE_BAD = N_("Give the highest price per unit, for example 120/kg.")
PLACE_LONG = N_("The place is longer than 200 characters.")
RESERVED_UNKNOWN = N_("Reserved groups are youth, women and disability.")
DOCUMENTS_BAD = N_("Documents are links starting with http:// or https://.")


class TenderError(FieldErrors):
    """The tender cannot be saved: `problems` maps each bad field to a msgid saying why (with
    the values it takes in `values`)."""


@dataclass
class ItemValues:
    """One item of a tender, read: product None when no catalog product fits (kept, never
    pledged)."""

    description: str
    product_id: int | None
    quantity: float
    unit: str
    max_price: float | None = None


@dataclass
class TenderValues:
    """A tender's values, read and checked."""

    buyer: str
    title: str
    deadline: datetime
    items: list[ItemValues]
    status: str = "active"
    questions_deadline: datetime | None = None
    delivery_place_name: str | None = None
    delivery_place_id: int | None = None
    delivery_schedule: str | None = None
    value_amount: float | None = None
    currency: str | None = None
    reserved: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    ocid: str | None = None
    release_date: datetime | None = None

    def columns(self) -> dict:
        """The tender's column values (items aside)."""
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self) if f.name != "items"}


# --- Reading the fields ---------------------------------------------------------------------

def read(session: Session, cluster: Cluster, given: dict[str, str],
         now: datetime | None = None) -> TenderValues:
    """The tender's values from its text fields (FIELDS; a missing one is empty), each checked;
    TenderError with the problem of each bad field."""
    now = now or utcnow()
    text = {name: " ".join((given.get(name) or "").split()) for name in FIELDS}
    problems: dict[str, str] = {}
    values: dict = {}
    shown: dict[str, dict] = {}

    def take(name: str, reader) -> None:
        try:
            values[name] = reader(text[name])
        except Problem as e:
            problems[name] = e.msgid
            shown[name] = e.values

    take("buyer", lambda t: read_text(t, MAX_BUYER, BUYER_MISSING, BUYER_LONG))
    take("title", lambda t: read_text(t, MAX_TITLE, TITLE_MISSING, TITLE_LONG))
    take("product", lambda t: read_product(session, t))
    product = values.get("product")
    unit = product.unit if product else None
    take("quantity", lambda t: read_amount(t, unit))
    take("max_price", lambda t: read_max_price(t, unit))
    take("deadline", lambda t: read_deadline(t, cluster.timezone, now))
    take("questions_deadline", lambda t: read_moment(t, cluster.timezone) if t else None)
    take("deliver_to", lambda t: read_place(session, cluster, t))
    take("reserved", read_reserved)
    take("documents", read_documents)
    take("description", lambda t: read_text(t, MAX_DESCRIPTION, None, TITLE_LONG))
    asked_by, deadline = values.get("questions_deadline"), values.get("deadline")
    if asked_by and deadline and asked_by >= deadline:
        problems["questions_deadline"] = QUESTIONS_AFTER
    if problems:
        raise TenderError(problems, shown)
    place_name, place_id = values["deliver_to"]
    item = ItemValues(description=values["description"] or text["product"],
                      product_id=product.id, quantity=values["quantity"], unit=product.unit,
                      max_price=values["max_price"])
    return TenderValues(buyer=values["buyer"], title=values["title"], deadline=deadline,
                        items=[item], questions_deadline=asked_by, delivery_place_name=place_name,
                        delivery_place_id=place_id, currency=cluster.currency,
                        reserved=values["reserved"], documents=values["documents"])


def read_text(text: str, longest: int, missing: str | None, too_long: str) -> str:
    if not text and missing:
        raise Problem(missing)
    if len(text) > longest:
        raise Problem(too_long)
    return text


def read_product(session: Session, text: str) -> Product:
    """The catalog product `text` names, in any language, typos forgiven."""
    if not text:
        raise Problem(PRODUCT_MISSING)
    product_id = read_one(catalog_names(session), text)
    if product_id is None:
        raise Problem(PRODUCT_UNKNOWN)
    return session.get(Product, product_id)


def read_amount(text: str, unit: str | None) -> float:
    """`500kg`, `2t`, `500` (in the product's unit) -> the amount in the product's unit."""
    found = read_quantity(text) if text else None
    if found is None or not 0 < found[0] <= MAX_QUANTITY:
        raise Problem(QUANTITY_BAD)
    amount, written = found
    if written is not None and written not in BASE_UNITS:  # a bag of unknown size
        raise Problem(QUANTITY_BAD)
    if unit and written and written != unit:
        raise Problem(QUANTITY_UNIT, unit=unit)
    return amount


def read_max_price(text: str, unit: str | None) -> float | None:
    """`120/kg`, `KES 120`, `120` (per the product's unit) -> the price per unit."""
    if not text:
        return None
    found = read_price(text)
    if found is None or not 0 < found[0] <= MAX_PRICE:
        raise Problem(PRICE_BAD)
    amount, written = found
    if unit and written and written != unit:
        raise Problem(QUANTITY_UNIT, unit=unit)
    return amount


def read_moment(text: str, tz: str) -> datetime:
    """`2026-12-20` (that day's end), `2026-12-20 10:00`, `2026-12-20T10:00:00+03:00`: a
    moment, in the cluster's time zone unless it says its own."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Problem(DEADLINE_BAD) from None
    if len(text) <= len("2026-12-20"):
        moment = datetime.combine(moment.date(), END_OF_DAY)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(ZoneInfo("UTC"))


def read_deadline(text: str, tz: str, now: datetime) -> datetime:
    if not text:
        raise Problem(DEADLINE_BAD)
    moment = read_moment(text, tz)
    if moment <= now:
        raise Problem(DEADLINE_PAST)
    return moment


def read_place(session: Session, cluster: Cluster, text: str) -> tuple[str | None, int | None]:
    """(name, place id) of the cluster's known place `text` names (typos forgiven); else an
    address as written with the known place it names word for word (`County stores, Kisumu`),
    or None: a buyer's address need not be in the gazetteer."""
    if not text:
        return None, None
    if len(text) > MAX_PLACE:
        raise Problem(PLACE_LONG)
    names = known(session, cluster)
    match = sure(best(text, names))
    if match is None:
        return text, place_within(names, text)
    place = session.get(Place, match.key)
    return place.name, place.id


def place_within(names: dict[str, int], text: str) -> int | None:
    """The known place a run of the address's words names exactly, the longest run first."""
    words = fold(text).replace(",", " ").split()
    for length in range(min(3, len(words)), 0, -1):
        for start in range(len(words) - length + 1):
            place_id = names.get(" ".join(words[start:start + length]))
            if place_id is not None:
                return place_id
    return None


def read_reserved(text: str) -> list[str]:
    """`youth; women` -> the RESERVED_GROUPS named, in their order."""
    words = {word.strip().lower() for word in text.replace(",", ";").split(";") if word.strip()}
    if words - set(RESERVED_GROUPS):
        raise Problem(RESERVED_UNKNOWN)
    return [group for group in RESERVED_GROUPS if group in words]


def read_documents(text: str) -> list[str]:
    """Links separated by spaces or `;`."""
    links = list(dict.fromkeys(text.replace(";", " ").split()))
    if len(links) > MAX_DOCUMENTS or any(not link.lower().startswith(("http://", "https://"))
                                         for link in links):
        raise Problem(DOCUMENTS_BAD)
    return links


# --- Saving ---------------------------------------------------------------------------------

def add(session: Session, cluster: Cluster, actor: Actor, fields: dict[str, str],
        now: datetime | None = None) -> Tender:
    """Adds the tender the text fields give (one item: a catalog product and its quantity)
    with a new code; audited `tender.add`. TenderError when a field is bad, nothing written."""
    return create(session, cluster, actor, read(session, cluster, fields, now))


def create(session: Session, cluster: Cluster, actor: Actor, values: TenderValues) -> Tender:
    """Saves a tender of read values with a new code; audited `tender.add`."""
    tender = Tender(cluster_id=cluster.id, code=stored.new_code(session), **values.columns())
    tender.items = [TenderItem(position=position, **vars(item))
                    for position, item in enumerate(values.items, start=1)]
    session.add(tender)
    session.flush()
    audit.record(session, action="tender.add", actor=actor, cluster_id=cluster.id,
                 tender_id=tender.id, code=tender.code, buyer=tender.buyer, title=tender.title,
                 ocid=tender.ocid)
    return tender


# --- A newer release ------------------------------------------------------------------------

SHORT_TITLE = 24  # of a tender's title in an SMS: `K4P7 (Dried omena for school...)`
SHORT_PLEDGES = 40
# What a newer release can change, the most important first; a message names at most
# MOST_CHANGES of them (`deadline, quantity, highest price, +2`).
CHANGES = {"deadline": N_("deadline"), "quantity": N_("quantity"), "items": N_("items"),
           "max_price": N_("highest price"), "delivery": N_("delivery place"),
           "title": N_("title"), "questions_deadline": N_("questions deadline"),
           "documents": N_("documents"), "value": N_("value")}
MOST_CHANGES = 3
CHANGED = N_("Tender {code} ({title}) was changed by the buyer ({changes}). Deadline {when}. "
             "Your pledge: {pledged}.")
CANCELLED = N_("Tender {code} ({title}) was cancelled by the buyer: your pledge of {pledged} is "
               "released. Thank you.")
ENDED = ("cancelled", "unsuccessful")


def named(tender: Tender) -> dict[str, str]:
    """`code` and `title` (cut short): how a message names a tender."""
    return {"code": tender.code, "title": shorten(tender.title, SHORT_TITLE)}


def pledge_label(session: Session, pledges: list[Pledge], lang: str | None,
                 quantity=lambda pledge: pledge.quantity) -> str:
    """`500kg dagaa; 20 pcs eggs`: a member's pledges (or `quantity` of each) in `lang`."""
    parts = [f"{amount_label(quantity(p), p.item.unit, lang)} "
             f"{product_label(session, p.item.product_id, lang, p.item.description)}"
             for p in pledges]
    return shorten("; ".join(parts), SHORT_PLEDGES)


def pledges_by_member(tender: Tender) -> dict[Member, list[Pledge]]:
    """Each pledging member's pledges on the tender's items, in the order they first pledged."""
    found: dict[int, list[Pledge]] = {}
    for item in tender.items:
        for pledge in item.pledges:
            found.setdefault(pledge.member_id, []).append(pledge)
    ordered = sorted(found.values(), key=lambda ps: min((p.pledged_at, p.id) for p in ps))
    return {pledges[0].member: pledges for pledges in ordered}


def update(session: Session, tender: Tender, actor: Actor, values: TenderValues) -> list[str]:
    """Sets the tender to a newer release's values (items by position; an item no longer there
    is removed with its pledges) and, until its outcome is recorded, tells each pledger what
    changed, in their language: a cancelled tender releases their pledge and stops taking
    pledges. Returns what changed (CHANGES keys, and `status` when the tender ended); audited
    `tender.update` when something did."""
    before = pledges_by_member(tender)
    changes = changed_parts(tender, values)
    status = tender.status
    for name, value in values.columns().items():
        setattr(tender, name, value)
    set_items(tender, values.items)
    reopen_or_close(tender, changes)
    session.flush()
    if changes or values.status != status:
        audit.record(session, action="tender.update", actor=actor, cluster_id=tender.cluster_id,
                     tender_id=tender.id, code=tender.code, changed=changes,
                     status=tender.status)
    if changes and tender.outcome is None:  # after the outcome, a release is only a record
        tell_pledgers(session, tender, before, changes)
    return changes


def reopen_or_close(tender: Tender, changes: list[str]) -> None:
    """A cancelled tender stops taking pledges; a later deadline takes them again (and its
    reminder is sent again) unless the tender has an outcome."""
    now = utcnow()
    if tender.status in ENDED:
        tender.closed_at = tender.closed_at or now
    elif "deadline" in changes and tender.deadline > now and tender.outcome is None:
        tender.closed_at = None
        tender.reminded_at = None


def changed_parts(tender: Tender, values: TenderValues) -> list[str]:
    """The CHANGES keys of what `values` changes in the tender (status aside)."""
    changes = []
    simple = {"title": ("title",), "deadline": ("deadline",),
              "questions_deadline": ("questions_deadline",),
              "delivery": ("delivery_place_name",), "documents": ("documents",),
              "value": ("value_amount", "currency")}
    for change, names in simple.items():
        if any(getattr(tender, name) != getattr(values, name) for name in names):
            changes.append(change)
    old = [(i.description, i.product_id, i.unit) for i in tender.items]
    new = [(i.description, i.product_id, i.unit) for i in values.items]
    if old != new:
        changes.append("items")
    pairs = list(zip(tender.items, values.items))  # by position
    if any(before.quantity != after.quantity for before, after in pairs):
        changes.append("quantity")
    if any(before.max_price != after.max_price for before, after in pairs):
        changes.append("max_price")
    if values.status in ENDED and tender.status not in ENDED:
        changes.append("status")
    return changes


def set_items(tender: Tender, items: list[ItemValues]) -> None:
    """The tender's items become `items`, position by position (pledges kept on an item that
    stays)."""
    by_position = {item.position: item for item in tender.items}
    for position, values in enumerate(items, start=1):
        item = by_position.pop(position, None)
        if item is None:
            tender.items.append(TenderItem(position=position, **vars(values)))
        else:
            for name, value in vars(values).items():
                setattr(item, name, value)
    for item in by_position.values():
        tender.items.remove(item)


def tell_pledgers(session: Session, tender: Tender, before: dict[Member, list[Pledge]],
                  changes: list[str]) -> int:
    """Tells each member who had pledged what the buyer changed; how many were told."""
    told = 0
    for member, pledges in before.items():
        lang = member.language
        pledge = pledge_label(session, pledges, lang)
        if "status" in changes:
            told += notify(session, member, CANCELLED, kind="tender", pledged=pledge,
                           **named(tender))
            continue
        told += notify(session, member, CHANGED, kind="tender", **named(tender),
                       changes=changes_label(changes, lang),
                       when=short_when(tender.deadline, cluster_zone(session, tender)),
                       pledged=pledge)
    return told


def changes_label(changes: list[str], lang: str | None) -> str:
    """`deadline, quantity, highest price, +2` in `lang`: the most important changes first."""
    ordered = [change for change in CHANGES if change in changes]
    shown = [translate(lang, CHANGES[change]) for change in ordered[:MOST_CHANGES]]
    more = len(ordered) - MOST_CHANGES
    return ", ".join(shown + ([f"+{more}"] if more > 0 else []))


def short_when(moment: datetime, tz: str) -> str:
    """`18/12 10:00` in the cluster's time zone: short, and the same in every language (a
    weekday's name may take accents an SMS pays double for)."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%d/%m %H:%M")


def cluster_zone(session: Session, tender: Tender) -> str:
    cluster = session.get(Cluster, tender.cluster_id)
    return cluster.timezone if cluster else "UTC"

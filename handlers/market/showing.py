"""How a listing is shown to a member: its product, amount, price and place in one short line, in
their language."""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.labels import PER_UNIT, product_label, shorten, unit_label
from locales.i18n import N_, Plural, number, translate
from storage import market
from storage.market import Candidate, Listing

SHORT_PLACE = 16
SHORT_NAME = 24

CHOOSE_NEGOTIABLE = N_("Negotiable")
CHOOSE_ANYWHERE = N_("Anywhere")
# A quantity of a unit one counts (`30 pcs`, `vipande 30`), and the unit after a price
# (`KES 50/piece`, `KES 50/kipande`); kg and l are written as they are.
COUNTED = {"piece": Plural("{count} pc", "{count} pcs"),
           "bag": Plural("{count} bag", "{count} bags"),
           "crate": Plural("{count} crate", "{count} crates"),
           "debe": Plural("{count} debe", "{count} debes"),
           "basin": Plural("{count} basin", "{count} basins"),
           "bucket": Plural("{count} bucket", "{count} buckets"),
           "bunch": Plural("{count} bunch", "{count} bunches"),
           "carton": Plural("{count} carton", "{count} cartons")}
NEGOTIABLE = N_("price negotiable")
AT_MOST = N_("max {amount}")
# The form a listing says its product is kept in (Listing.form, read from locales/products.toml),
# after the product: `omena (dried)`.
FORMS = {"dried": N_("dried"), "smoked": N_("smoked"), "frozen": N_("frozen"),
         "fresh": N_("fresh"), "salted": N_("salted"), "fried": N_("fried"),
         "grilled": N_("grilled")}
FRAGMENTS = {CHOOSE_NEGOTIABLE, CHOOSE_ANYWHERE, *COUNTED.values(), *PER_UNIT.values(),
             NEGOTIABLE, *FORMS.values()}


def describe(session: Session, listing: Listing, lang: str | None,
             viewer: Listing | None = None) -> str:
    """`tilapia 50kg, KES 120/kg, Kisumu (12km)` in `lang`; `omena (dried) 200kg, ...` with
    the product's form."""
    product = shorten(product_label(session, listing.product_id, lang, listing.product_name),
                      SHORT_NAME)
    if listing.form in FORMS:
        product = f"{product} ({translate(lang, FORMS[listing.form])})"
    amount = amount_label(listing.quantity, listing.unit, lang)
    parts = [f"{product} {amount}",
             price_label(listing, lang) or translate(lang, NEGOTIABLE)]
    place = place_label(listing) or translate(lang, CHOOSE_ANYWHERE)
    distance = market.distance_km(listing, viewer) if viewer else None
    parts.append(shorten(place, SHORT_NAME) + (f" ({round(distance)}km)" if distance else ""))
    return ", ".join(parts)


def match_line(candidate: Candidate, code: str, lang: str) -> str:
    """`K7Q2M9 80kg KES 120/kg Kibuye 3km`: the counterpart listing, compact (a request's price
    as its maximum: `max KES 45/kg`; the form it says, `(dried)`, after the code)."""
    other = candidate.listing
    form = f"({translate(lang, FORMS[other.form])})" if other.form in FORMS else ""
    parts = [code, form, amount_label(other.quantity, other.unit, lang), price_label(other, lang),
             shorten(place_label(other) or "-", SHORT_PLACE)]
    if candidate.distance_km:
        parts.append(f"{round(candidate.distance_km)}km")
    return " ".join(p for p in parts if p)


def place_label(listing: Listing) -> str:
    """The place as members say it: `Kibuye`, not the gazetteer's `Kibuye (Kisumu)`."""
    return listing.place_name.split(" (")[0] if listing.place_id else listing.place_name


def amount_label(amount: float, unit: str, lang: str | None) -> str:
    """`50kg`, `1.5l`, `30 pcs` (`1,5l` in French, `vipande 30` in Swahili)."""
    if unit in COUNTED:
        return translate(lang, COUNTED[unit], count=amount)
    space = "" if len(unit) <= 2 else " "
    return f"{number(amount, lang)}{space}{unit}"


def price_label(listing: Listing, lang: str | None) -> str:
    """`KES 120/kg`, or `max KES 45/kg` on a request; empty when negotiable."""
    if listing.price is None:
        return ""
    unit = unit_label(listing.price_unit, lang)
    text = f"{listing.currency} {number(listing.price, lang)}/{unit}"
    return translate(lang, AT_MOST, amount=text) if listing.kind == "buy" else text


def short_date(moment: datetime) -> str:
    return moment.strftime("%d/%m")

"""Posting a listing whose parts are all known: saves it for a week, matches it, tells the poster
their matches and each other side of the new listing."""
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from handlers.market.bulk import GROUP_FOUND, group_text, mark_grouped, tell_group
from handlers.market.matchmaking import choose, fitting, record_matches, tell_match
from handlers.market.reading import listing_currency, listing_form, listing_price
from handlers.market.showing import describe, match_line, short_date
from handlers.turn import Turn
from locales.i18n import fold, keyword_word
from storage import clusters, market
from storage import products as catalog
from storage.market import Candidate, Listing, MarketMatch
from storage.models import Cluster, Member, Place

LISTING_DAYS = 7
DEFAULT_RADIUS_KM = market.DEFAULT_RADIUS_KM


def post(turn: Turn) -> None:
    """Saves the listing, matches it and tells both sides."""
    data, now = turn.data, datetime.now(timezone.utc)
    turn.end()
    cluster = turn.session.get(Cluster, data["cluster"])
    listing = save_listing(turn.session, turn.member, cluster, data, now)
    shared = [c.id for c in clusters.clusters_of(turn.member)]
    found = market.compatible(turn.session, listing, shared, now)
    chosen, bulk = fitting(*choose(listing, found), lambda shown, codes, group: posted_text(
        turn, listing, shown, codes, group)[-1])
    matches = [announce(turn.session, listing, match, other, now)
               for match, other in record_matches(turn.session, listing, chosen)]
    if bulk:
        mark_grouped(matches, now)
    for text in posted_text(turn, listing, chosen, [m.code for m in matches], bulk):
        turn.say(text)


def save_listing(session: Session, member: Member, cluster: Cluster, data: dict,
                 now: datetime) -> Listing:
    """Writes the listing, in its unit and the currency of its price, open for LISTING_DAYS."""
    product = product_of(session, data["product"])
    quantity = data["quantity"]
    unit = listing_unit(product, quantity["unit"])
    price, price_unit = listing_price(data.get("price"), quantity, unit)
    place = data["place"]
    known = session.get(Place, place["id"]) if place.get("id") else None
    anywhere = bool(data.get("anywhere"))
    radius = market.EVERYWHERE_KM if anywhere else data.get("radius") or DEFAULT_RADIUS_KM
    return market.add_listing(
        session, member_id=member.id, cluster_id=cluster.id, kind=data["kind"],
        product_id=product.id if product else None, product_name=data["product"]["name"],
        product_key=product_key(product, data["product"]["name"]),
        quantity=round(quantity["amount"], 3), unit=unit, price=price, price_unit=price_unit,
        currency=listing_currency(data.get("price"), cluster), form=listing_form(data),
        place_id=known.id if known else None,
        place_name=known.name if known else place["name"],
        place_key=f"p:{known.id}" if known else f"w:{' '.join(fold(place['name']).split())}",
        latitude=known.latitude if known else None, longitude=known.longitude if known else None,
        radius_km=radius, anywhere=anywhere, created_at=now,
        expires_at=now + timedelta(days=LISTING_DAYS))


def announce(session: Session, listing: Listing, match: MarketMatch, other: Listing,
             now: datetime) -> MarketMatch:
    """Tells the other side about the new listing, in their language; a buyer for whose request
    the new offer completes a group is told of the whole group instead."""
    if listing.kind == "buy" or not tell_group(session, listing, other, now):
        tell_match(session, listing, other, match)
    return match


def posted_text(turn: Turn, listing: Listing, chosen: list[Candidate], codes: list[str],
                bulk: bool) -> list[str]:
    """The poster's confirmation, then their matches, one short line each."""
    values = {"number": listing.number, "listing": describe(turn.session, listing, turn.lang),
              "until": short_date(listing.expires_at)}
    if not chosen:
        return [turn._("Posted #{number}: {listing}, until {until}. No match yet: we will tell "
                       "you when one comes.", **values)]
    posted = turn._("Posted #{number}: {listing}, until {until}.", **values)
    if bulk:
        return [posted, group_text(turn.lang, listing, chosen, codes, GROUP_FOUND)]
    lines = "\n".join(match_line(c, code, turn.lang) for c, code in zip(chosen, codes))
    return [posted, turn._("Matches for #{number}:\n{matches}\nReply {yes} and a code to swap "
                           "numbers.", number=listing.number, matches=lines,
                           yes=keyword_word("yes", turn.lang))]


def product_of(session: Session, product: dict) -> catalog.Product | None:
    return catalog.get(session, product["id"]) if product.get("id") else None


def listing_unit(product: catalog.Product | None, unit: str | None) -> str:
    """The unit a listing is kept in: the one written (handlers.quantities brings it to kg, l,
    piece, or leaves a container), else the product's own."""
    return unit or (product.unit if product else "piece")


def product_key(product: catalog.Product | None, typed: str) -> str:
    """What two listings must share to match: the catalog product, or the same words."""
    if product:
        return f"p:{product.id}"
    words = sorted({singular(w) for w in re.findall(r"\w+", fold(typed)) if not w.isdigit()})
    return "w:" + " ".join(words)[:110]


def singular(word: str) -> str:
    """`lamps` -> `lamp`, so `solar lamp` and `solar lamps` are one product (`glass` stays)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word

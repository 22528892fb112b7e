"""Matchmaking between listings: which of the compatible listings a new one is shown (the nearest
and cheapest three, or a group of offers that covers a request), and telling the other side of a
match, with the code to answer YES or NO. (Fuzzy matching of typed names is handlers.matching.)"""
from collections.abc import Callable

from sqlalchemy.orm import Session

from handlers.budget import SMS, fits_budget
from handlers.market.showing import describe
from handlers.notify import notify
from locales.i18n import N_, keyword_word
from storage import market, outbox
from storage.market import Candidate, Listing, MarketMatch
from storage.models import Member

SHOWN_MATCHES = 3
MAX_BULK = 4
DISTANCE_BAND_KM = 5  # places this close count as equally near, so price decides between them


def choose(listing: Listing, found: list[Candidate]) -> tuple[list[Candidate], bool]:
    """The best three; for a request no single offer covers, a group of offers that does."""
    ordered = sorted(found, key=lambda c: rank(listing, c))
    group = covering_group(listing, ordered)
    if group:
        return group, True
    return ordered[:SHOWN_MATCHES], False


def rank(listing: Listing, candidate: Candidate) -> tuple:
    """Nearest (in bands of a few km), then the best price for the poster, then the newest."""
    distance = candidate.distance_km
    band = int(distance // DISTANCE_BAND_KM) if distance is not None else 10**6
    price = candidate.listing.price
    if price is None:
        price_key = float("inf")
    else:
        price_key = price if listing.kind == "buy" else -price
    return band, price_key, -candidate.listing.created_at.timestamp(), -candidate.listing.id


def covering_group(listing: Listing, ordered: list[Candidate]) -> list[Candidate] | None:
    """For a request no single offer covers: the first offers, in order, that together cover it,
    when there are at most MAX_BULK of them."""
    if listing.kind != "buy" or not ordered or any(
            c.listing.quantity >= listing.quantity for c in ordered):
        return None
    group, total = [], 0.0
    for candidate in ordered:
        group.append(candidate)
        total += candidate.listing.quantity
        if total >= listing.quantity:
            break
    return group if total >= listing.quantity and len(group) <= MAX_BULK else None


def fitting(chosen: list[Candidate], bulk: bool,
            text_of: Callable[[list[Candidate], list[str], bool], str]
            ) -> tuple[list[Candidate], bool]:
    """As many of the chosen matches as `text_of(chosen, codes, bulk)` shows in two SMS; a group
    that does not fit gives way to the best three."""
    while chosen:
        if fits_budget(SMS, text_of(chosen, ["K7Q2M9"] * len(chosen), bulk), []):
            break
        chosen, bulk = (chosen[:SHOWN_MATCHES], False) if bulk else (chosen[:-1], False)
    return chosen, bulk


def record_matches(session: Session, listing: Listing,
                   candidates: list[Candidate]) -> list[tuple[MarketMatch, Listing]]:
    """Records the matches of a new listing with compatible ones: (the match, the other listing)
    for each candidate."""
    others = market.listings_of(session, [c.listing.id for c in candidates])
    pairs = [(listing, other, c.distance_km) if listing.kind == "sell" else
             (other, listing, c.distance_km) for other, c in zip(others, candidates)]
    return list(zip(market.add_matches(session, pairs), others))


def record_and_tell(session: Session, listing: Listing,
                    candidates: list[Candidate]) -> dict[int, MarketMatch]:
    """Records the matches and tells the other side of the new listing: other listing id ->
    the match."""
    recorded = record_matches(session, listing, candidates)
    for match, other in recorded:
        tell_match(session, listing, other, match)
    return {other.id: match for match, other in recorded}


def tell_match(session: Session, listing: Listing, other: Listing, match: MarketMatch) -> None:
    """Tells the poster of `other` about the new listing and the code to answer."""
    lang = other.member.language
    values = {"number": other.number, "listing": describe(session, listing, lang, other),
              "accept": f"{keyword_word('yes', lang)} {match.code}",
              "refuse": f"{keyword_word('no', lang)} {match.code}"}
    if other.kind == "sell":
        notify(session, other.member, N_("Buyer for your offer #{number}: {listing}. Reply "
                                         "{accept} to swap numbers, {refuse} to pass."),
               kind="market", **values)
    else:
        notify(session, other.member, N_("Seller for your request #{number}: {listing}. Reply "
                                         "{accept} to swap numbers, {refuse} to pass."),
               kind="market", **values)


def notify_text(session: Session, member: Member, text: str) -> bool:
    """Queues an already translated text (introductions and groups are built per reader)."""
    return outbox.queue_to_member(session, member, text, kind="market") is not None

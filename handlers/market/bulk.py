"""Buying in bulk: when no single offer has all a request asks for, a group of offers that together
do; the buyer is told of the group, and again when a new offer completes one."""
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.market.matchmaking import choose, fitting, notify_text, record_and_tell
from handlers.market.showing import amount_label, match_line
from locales.i18n import N_, keyword_word, number, translate
from storage import clusters, market
from storage.market import Candidate, Listing, MarketMatch

GROUP_FOUND = N_("No single offer has it all; these {count} together have {together}{cost}:\n"
                 "{matches}\nReply {yes} and a code for each.")
GROUP_COMPLETED = N_("A new offer completes your request #{number}: these {count} together have "
                     "{together}{cost}:\n{matches}\nReply {yes} and a code for each.")


def tell_group(session: Session, offer: Listing, request: Listing, now: datetime) -> bool:
    """Tells the buyer of the group of open offers that, with the new one, covers their request
    when no single offer does and no group they were told of still does; False when there is
    no such group (the buyer then hears of the new offer alone)."""
    if offer.quantity >= request.quantity:
        return False
    known = market.matches_of_request(session, request.id)
    if grouped_quantity(known, now) >= request.quantity:
        return False
    buyer = request.member
    shared = [c.id for c in clusters.clusters_of(buyer)]
    found = [c for c in market.compatible(session, request, shared, now, matched_too=True)
             if not refused(known.get(c.listing.id))]
    group, bulk = fitting(*choose(request, found), lambda shown, codes, _: group_text(
        buyer.language, request, shown, codes, GROUP_COMPLETED))
    if not bulk or offer.id not in {c.listing.id for c in group}:
        return False  # no group, or one that needs no new offer: nothing new to tell
    known |= record_and_tell(session, request, [c for c in group if c.listing.id not in known])
    matches = [known[c.listing.id] for c in group]
    mark_grouped(matches, now)
    return notify_text(session, buyer, group_text(buyer.language, request, group,
                                                  [m.code for m in matches], GROUP_COMPLETED))


def grouped_quantity(matches: dict[int, MarketMatch], now: datetime) -> float:
    """How much the still open offers of groups the buyer was told of hold together."""
    return sum(m.offer.quantity for m in matches.values()
               if m.grouped_at and not refused(m) and m.offer.status == "open"
               and m.offer.expires_at > now)


def refused(match: MarketMatch | None) -> bool:
    return match is not None and False in (match.seller_answer, match.buyer_answer)


def mark_grouped(matches: list[MarketMatch], now: datetime) -> None:
    for match in matches:
        match.grouped_at = now


def group_text(lang: str | None, request: Listing, group: list[Candidate], codes: list[str],
               msgid: str) -> str:
    """The offers that together cover `request`, their total quantity and cost, and codes."""
    offers = [c.listing for c in group]
    return translate(lang, msgid, number=request.number, count=len(offers),
                     together=amount_label(sum(o.quantity for o in offers), request.unit, lang),
                     cost=total_value(offers, lang),
                     matches="\n".join(match_line(c, code, lang) for c, code in zip(group, codes)),
                     yes=keyword_word("yes", lang))


def total_value(offers: list[Listing], lang: str | None) -> str:
    """`, KES 24,000` (what the offers cost together) when every offer has a comparable price,
    else nothing."""
    if not offers or any(o.price is None or o.price_unit != o.unit for o in offers):
        return ""
    value = sum(o.price * o.quantity for o in offers)
    return f", {offers[0].currency} {number(value, lang)}"

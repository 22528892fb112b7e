"""OFFERS, CLOSE and RENEW: a member's own open listings, by their short numbers."""
from datetime import datetime, timezone

from handlers import quantities
from handlers.budget import most_that_fit
from handlers.market.posting import LISTING_DAYS
from handlers.market.showing import describe, short_date
from handlers.turn import Turn
from locales.i18n import keyword_word
from storage import market
from storage.market import Listing

SHOWN_LISTINGS = 6


def offers(turn: Turn) -> None:
    """Lists the member's open listings with their short numbers."""
    turn.end()
    now = datetime.now(timezone.utc)
    mine = market.open_listings(turn.session, turn.member.id, now)
    if not mine:
        return turn.say(turn._("You have no open listings. Send {sell} or {buy} to post one.",
                               sell=keyword_word("sell", turn.lang),
                               buy=keyword_word("buy", turn.lang)))
    lines = [f"#{listing.number} {keyword_word(listing.kind, turn.lang)} "
             f"{describe(turn.session, listing, turn.lang)}, {short_date(listing.expires_at)}"
             for listing in mine[:SHOWN_LISTINGS]]
    unlisted = len(mine) - len(lines)  # beyond SHOWN_LISTINGS: only counted
    turn.say(most_that_fit(lambda shown, hidden: listings_text(turn, shown, hidden + unlisted),
                           lines, least=1))


def listings_text(turn: Turn, lines: list[str], hidden: int) -> str:
    """The member's listings, `+N` for the `hidden` others, and how to close or renew one."""
    listed = "\n".join(lines + ([f"+{hidden}"] if hidden else []))
    return turn._("Your listings:\n{listings}\n{close} number: close. {renew} number: 7 more "
                  "days.", listings=listed, close=keyword_word("close", turn.lang),
                  renew=keyword_word("renew", turn.lang))


def close(turn: Turn) -> None:
    """Closes one of the member's listings by its number."""
    listing = named_listing(turn, "close")
    if listing is not None:
        market.close(listing, datetime.now(timezone.utc))
        turn.say(turn._("Closed #{number}.", number=listing.number))


def renew(turn: Turn) -> None:
    """Keeps one of the member's listings open for another week."""
    listing = named_listing(turn, "renew")
    if listing is None:
        return
    if listing.status == "closed":
        return turn.say(turn._("#{number} is closed. Send {sell} or {buy} to post it again.",
                               number=listing.number, sell=keyword_word("sell", turn.lang),
                               buy=keyword_word("buy", turn.lang)))
    market.renew(listing, datetime.now(timezone.utc), LISTING_DAYS)
    turn.say(turn._("Renewed #{number} until {until}.", number=listing.number,
                    until=short_date(listing.expires_at)))


def named_listing(turn: Turn, keyword: str) -> Listing | None:
    """The listing whose number follows the keyword; says how to name one otherwise."""
    turn.end()
    words = turn.inbound.text.split()
    number = words[1].lstrip("#") if len(words) > 1 else ""
    found = quantities.whole_number(number, digits=6)
    listing = (market.listing_by_number(turn.session, turn.member.id, found)
               if found is not None else None)
    if listing is None:
        word = keyword_word(keyword, turn.lang)
        if number:
            turn.say(turn._("You have no listing #{number}. Send {offers} to see yours.",
                            number=number[:7], offers=keyword_word("offers", turn.lang)))
        else:
            usage = f"{word} 3"
            turn.say(turn._("Send {word} and the listing number, e.g. {usage}.", word=word,
                            usage=usage))
    return listing

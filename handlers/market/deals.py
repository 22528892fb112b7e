"""Deals that came of introductions: DEAL code quantity price, NO DEAL code, the follow-up that
asks for them, and the figures coordinators see with a bare DEAL."""
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from handlers import coordinators
from handlers.budget import most_that_fit
from handlers.labels import product_label, shorten, unit_label
from handlers.market.reading import Parsed, listing_price, read_answer
from handlers.market.showing import SHORT_PLACE, amount_label
from handlers.notify import notify
from handlers.turn import Turn
from locales.i18n import N_, keyword_word, number
from storage import market
from storage.market import Listing, MarketMatch
from storage.models import Cluster, Member

FOLLOW_UP_AFTER = timedelta(days=3)
TRADE_PERIOD = timedelta(days=30)


def deal(turn: Turn) -> None:
    """DEAL code quantity price: records a deal that came of an introduction. A coordinator's
    bare DEAL shows the deals reported in their clusters."""
    turn.end()
    words = turn.inbound.text.split()
    if len(words) == 1 and coordinators.coordinated(turn):
        return trade_report(turn)
    match = introduced_match(turn, words[1] if len(words) > 1 else None)
    if match is None:
        return
    quantity, price = read_deal(match.offer, " ".join(words[2:]))
    if quantity is None:
        return turn.say(deal_usage(turn, match.code))
    market.record_deal(turn.session, match, turn.member.id, True, quantity, price)
    text = amount_label(quantity, match.offer.unit, turn.lang)
    if price is not None:
        text += f", {match.offer.currency} {number(price, turn.lang)}/" \
                f"{unit_label(match.offer.unit, turn.lang)}"
    turn.say(turn._("Thanks! Deal recorded: {recorded}.", recorded=text))


def no_deal(turn: Turn) -> None:
    """NO DEAL code: records that the introduction led to no deal."""
    turn.end()
    words = turn.inbound.text.split()
    match = introduced_match(turn, words[2] if len(words) > 2 else None)
    if match is None:
        return
    market.record_deal(turn.session, match, turn.member.id, False)
    turn.say(turn._("Thanks, noted: no deal."))


def introduced_match(turn: Turn, code: str | None) -> MarketMatch | None:
    """The member's introduction with this code; says what is wrong otherwise."""
    match = market.by_code(turn.session, code.strip(".,!")[:8]) if code else None
    if match and match.introduced_at and turn.member.id in (match.seller_id, match.buyer_id):
        return match
    if code:
        turn.say(turn._("No introduction of yours has the code {code}.", code=code[:8].upper()))
    else:
        turn.say(deal_usage(turn, "K7Q2M9"))
    return None


def read_deal(offer: Listing, text: str) -> tuple[float | None, float | None]:
    """(quantity in the offer's unit, price per that unit or None) from `80kg 120`."""
    parsed, leftover = read_answer(text, Parsed())
    quantity = parsed.quantity
    if quantity is None or parsed.problem or leftover or quantity["unit"] not in (None, offer.unit):
        return None, None
    price, price_unit = listing_price(parsed.price, quantity, offer.unit)
    return quantity["amount"], (price if price_unit == offer.unit else None)


def deal_usage(turn: Turn, code: str) -> str:
    deal_code, no_deal_code = deal_commands(code, turn.lang)
    return turn._("Send {dealcode} quantity price, e.g. {sample}, or {nodeal}.",
                  dealcode=deal_code, sample=f"{deal_code} 50kg 120", nodeal=no_deal_code)


def deal_commands(code: str, lang: str | None) -> tuple[str, str]:
    """(`DEAL K7Q2M9`, `NO DEAL K7Q2M9`) in the member's language."""
    deal_code = f"{keyword_word('deal', lang)} {code}"
    return deal_code, f"{keyword_word('no', lang)} {deal_code}"


def follow_up(session: Session, now: datetime) -> int:
    """Asks both sides of introductions a few days old whether a deal happened."""
    sent = 0
    for match in market.due_follow_ups(session, now - FOLLOW_UP_AFTER):
        match.follow_up_sent_at = now
        for reader_id, other_id in ((match.seller_id, match.buyer_id),
                                    (match.buyer_id, match.seller_id)):
            reader, other = session.get(Member, reader_id), session.get(Member, other_id)
            deal_code, no_deal_code = deal_commands(match.code, reader.language)
            sent += notify(session, reader, N_(
                "Did you make a deal with {name} ({code})? Reply {dealcode} quantity price, or "
                "{nodeal}."), kind="market", name=other.name or "-", code=match.code,
                dealcode=deal_code, nodeal=no_deal_code)
    return sent


# --- What coordinators see --------------------------------------------------------------------

def trade_report(turn: Turn) -> None:
    """The deals members reported in each cluster the coordinator coordinates, last 30 days."""
    since = datetime.now(timezone.utc) - TRADE_PERIOD
    for cluster in coordinators.coordinated(turn):
        figures = market.trade_figures(turn.session, cluster.id, since)
        if not figures:
            turn.say(turn._("No deals reported in {cluster} in the last 30 days.",
                            cluster=cluster.name))
            continue
        lines = [figure_line(turn, figure) for figure in figures]
        turn.say(most_that_fit(lambda shown, hidden: report_text(turn, cluster, shown, hidden),
                               lines, least=1))


def report_text(turn: Turn, cluster: Cluster, lines: list[str], hidden: int) -> str:
    """The figures of one cluster, `+N` for the `hidden` products not shown."""
    return turn._("Deals reported in {cluster}, last 30 days:\n{figures}", cluster=cluster.name,
                  figures="\n".join(lines + ([f"+{hidden}"] if hidden else [])))


def figure_line(turn: Turn, figure: market.TradeFigure) -> str:
    """`tilapia 3x 240kg KES 28,800`: deals, quantity and value of one product."""
    name = product_label(turn.session, figure.product_id, turn.lang, figure.product)
    value = f" {figure.currency} {number(figure.value, turn.lang)}" if figure.value else ""
    return (f"{shorten(name, SHORT_PLACE)} {figure.deals}x "
            f"{amount_label(figure.quantity, figure.unit, turn.lang)}{value}")

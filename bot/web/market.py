"""A cluster's marketplace on the dashboard: open offers and requests, the matches and
introductions of the last 30 days with each side's answer, and the deals members reported.
Phone numbers are never shown here (they go to the two sides only, after both said YES)."""
from datetime import datetime, timezone

from starlette.responses import Response
from starlette.routing import Route

from bot.web.site import Page, Site
from handlers.labels import product_label, unit_label
from handlers.market.deals import TRADE_PERIOD
from handlers.market.showing import (CHOOSE_ANYWHERE, NEGOTIABLE, amount_label, place_label,
                                     price_label)
from locales.i18n import number
from storage import market, market_pages
from storage.market import Listing

LISTED = 50  # rows per table: the page stays small on a phone


def routes(site: Site) -> list[Route]:
    """The market page (it only reads: the market's actions belong to the members)."""
    def show(page: Page) -> Response:
        return site.render(page, page.request, "market.html", **context(page))

    return [Route("/dashboard/{slug}/market", site.page(show))]


def context(page: Page) -> dict:
    """The open listings, the matches and the deals of the last 30 days, in the reader's words."""
    session, cluster_id = page.session, page.cluster.id
    now = datetime.now(timezone.utc)
    since = now - TRADE_PERIOD
    offers, offer_count = market_pages.open_listings(session, cluster_id, "sell", now, LISTED)
    requests, request_count = market_pages.open_listings(session, cluster_id, "buy", now, LISTED)
    matches, match_count, introduced = market_pages.matches(session, cluster_id, since, LISTED)
    return dict(
        offers=[listing_row(page, listing) for listing in offers], offer_count=offer_count,
        requests=[listing_row(page, listing) for listing in requests],
        request_count=request_count, matches=[match_row(page, m) for m in matches],
        match_count=match_count, introduced=introduced,
        deals=[deal_row(page, d) for d in market_pages.deals(session, cluster_id, since, LISTED)],
        figures=[figure_row(page, f) for f in market.trade_figures(session, cluster_id, since)])


def listing_row(page: Page, listing: Listing) -> dict:
    """An open listing as its table shows it: what, how much, at what price, where, by whom."""
    return dict(listing_parts(page, listing), member=listing.member.name, ends=listing.expires_at)


def listing_parts(page: Page, listing: Listing) -> dict:
    """A listing's product, quantity, price and place, in the reader's language."""
    lang = page.language
    return dict(product=product(page, listing), amount=amount_label(listing.quantity,
                                                                    listing.unit, lang),
                price=price_label(listing, lang) or page._(NEGOTIABLE),
                place=place_label(listing) or page._(CHOOSE_ANYWHERE))


def match_row(page: Page, match: market_pages.MatchRow) -> dict:
    """A match: its offer and request, the two sides (named when of this cluster), answers."""
    return dict(code=match.code, made=match.created_at, product=product(page, match.offer),
                offer=listing_parts(page, match.offer), request=listing_parts(page, match.request),
                seller=match.seller, buyer=match.buyer, seller_answer=match.seller_answer,
                buyer_answer=match.buyer_answer, introduced_at=match.introduced_at)


def deal_row(page: Page, deal: market_pages.DealRow) -> dict:
    """What one side said came of an introduction: `20kg, KES 140/kg`, or no deal."""
    lang = page.language
    value = f"{deal.currency} {number(deal.price, lang)}/{unit_label(deal.unit, lang)}" \
        if deal.made and deal.price is not None else ""
    return dict(code=deal.code, said=deal.created_at, product=product(page, deal.offer),
                by_seller=deal.by_seller, reporter=deal.reporter, made=deal.made, price=value,
                amount=amount_label(deal.quantity, deal.unit, lang)
                if deal.made and deal.quantity is not None else "")


def figure_row(page: Page, figure: market.TradeFigure) -> dict:
    """One product's deals, quantity and value (as a coordinator's bare DEAL gives them)."""
    lang = page.language
    return dict(product=product_label(page.session, figure.product_id, lang, figure.product),
                deals=figure.deals, amount=amount_label(figure.quantity, figure.unit, lang),
                value=f"{figure.currency} {number(figure.value, lang)}" if figure.value else "")


def product(page: Page, listing: Listing) -> str:
    """The listing's product in the reader's language, or as typed outside the catalog."""
    return product_label(page.session, listing.product_id, page.language, listing.product_name)

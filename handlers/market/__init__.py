"""Marketplace: SELL and BUY listings matched on product, price and place within shared clusters;
introductions when both sides answer YES; OFFERS, CLOSE, RENEW; expiry and deal follow-ups.

This file is the capability's interface for handlers.routes and handlers.answers; the work is in
its parts: reading (a listing from a message), listings (the SELL/BUY questions), posting,
matchmaking, bulk (groups of offers), own_listings (OFFERS, CLOSE, RENEW), introductions, deals,
reminders (the scheduled jobs) and showing (how a listing is written)."""
from handlers.market.deals import deal, no_deal
from handlers.market.introductions import open_invitations
from handlers.market.listings import FLOW, buy, on_place, on_price, on_product, on_quantity, sell
from handlers.market.own_listings import close, offers, renew
from handlers.market.reminders import follow_up_job, listings_job

__all__ = ["FLOW", "STEPS", "KEYWORDS", "JOBS", "open_invitations", "no_deal", "listings_job",
           "follow_up_job"]

KEYWORDS = {"sell": sell, "buy": buy, "offers": offers, "close": close, "renew": renew,
            "deal": deal}
STEPS = {"ask_product": on_product, "ask_quantity": on_quantity, "ask_price": on_price,
         "ask_place": on_place}
# Stored by the scheduler as "module:function": these names stay importable from handlers.market.
JOBS = [("market-listings", "handlers.market:listings_job", {"trigger": "interval", "minutes": 15}),
        ("market-follow-ups", "handlers.market:follow_up_job",
         {"trigger": "interval", "minutes": 60})]

"""Marketplace: offers and requests, matched on product, price, quantity and place."""
from handlers.turn import Handler

FLOW = "market"
KEYWORDS: dict[str, Handler] = {}
STEPS: dict[str, Handler] = {}

"""Market prices: official prices, members' reports, price alerts and weekly digests."""
from handlers.turn import Handler

FLOW = "prices"
KEYWORDS: dict[str, Handler] = {}
STEPS: dict[str, Handler] = {}

"""Broadcasts: a coordinator's message to the members of their clusters, now or later."""
from handlers.turn import Handler

FLOW = "broadcasts"
KEYWORDS: dict[str, Handler] = {}
STEPS: dict[str, Handler] = {}

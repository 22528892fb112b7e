"""Routing as plain data: each capability module lists its keywords and its flow's steps."""
from handlers import (account, answers, broadcasts, help, market, meetings, menu, optout, prices,
                      profile, registration, skills)
from handlers.turn import Handler

CAPABILITIES = (registration, help, menu, profile, account, answers, broadcasts, meetings,
                prices, skills, market)

KEYWORDS: dict[str, Handler] = {
    keyword: handler for module in CAPABILITIES for keyword, handler in module.KEYWORDS.items()}

FLOWS: dict[str, dict[str, Handler]] = {
    module.FLOW: module.STEPS for module in CAPABILITIES if getattr(module, "STEPS", None)}

# Keywords that interrupt an open question (carrier words are handled before these).
BEFORE_CONVERSATION = {"help", "menu", "lang"}

stop = optout.stop
start = optout.start
hint = help.hint

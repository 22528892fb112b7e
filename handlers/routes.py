"""Routing as plain data: each capability module lists its keywords and its flow's steps."""
from handlers import (account, answers, broadcasts, directory, help, market, meetings, menu, optout,
                      prices, profile, registration, skills, surveys, tenders)
from handlers.directory import consent
from handlers.tenders import eligibility
from handlers.turn import Handler, Turn

CAPABILITIES = (registration, help, menu, profile, account, answers, broadcasts, meetings,
                prices, skills, market, consent, directory, tenders, eligibility, surveys)

KEYWORDS: dict[str, Handler] = {
    keyword: handler for module in CAPABILITIES for keyword, handler in module.KEYWORDS.items()}


def run_menu_choice(turn: Turn) -> None:
    """Runs the item chosen from the MENU."""
    KEYWORDS[menu.chosen(turn)](turn)


FLOWS: dict[str, dict[str, Handler]] = {
    module.FLOW: module.STEPS for module in CAPABILITIES if getattr(module, "STEPS", None)}
FLOWS[menu.FLOW] = {"choose": run_menu_choice}

# Keywords that interrupt an open question (carrier words are handled before these).
BEFORE_CONVERSATION = {"help", "menu", "lang"}

stop = optout.stop
start = optout.start
hint = help.hint

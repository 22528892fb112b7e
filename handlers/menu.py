"""MENU: leaves the open question and offers what the member can do next."""
from dataclasses import replace

from handlers.turn import Choice, Turn
from locales.i18n import N_, keyword_word

FLOW = "menu"
ITEMS = {
    "join": N_("Register"),
    "sell": N_("Sell"),
    "buy": N_("Buy"),
    "price": N_("Market prices"),
    "find": N_("Find in directory"),
    "me": N_("My profile"),
    "lang": N_("Language"),
    "help": N_("Help"),
    "delete": N_("Delete my data"),
}
MEMBER_ITEMS = ["sell", "buy", "price", "find", "me", "lang", "help", "delete"]
NEWCOMER_ITEMS = ["join", "lang", "help"]


def show(turn: Turn) -> None:
    """Drops any open question and shows the menu (a command sent to it leaves it)."""
    turn.end()
    keys = MEMBER_ITEMS if turn.member.registered else NEWCOMER_ITEMS
    turn.ask(FLOW, "choose", turn._("Menu: reply with a number."),
             [Choice(k, turn._(ITEMS[k])) for k in keys], free_text=False, menu=True)


def chosen(turn: Turn) -> str:
    """Leaves the menu as if the chosen item's keyword alone had been sent, and returns it
    (routes runs it: every capability is above the menu)."""
    turn.end()
    # The label typed ("Prix du marché") is no part of the command: PRICE would read "du marché".
    turn.inbound = replace(turn.inbound, text=keyword_word(turn.answer, turn.lang))
    return turn.answer


KEYWORDS = {"menu": show}

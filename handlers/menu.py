"""MENU: leaves the open question and offers what the member can do next."""
from bot.i18n import N_
from bot.messages import Choice
from handlers.turn import Turn

FLOW = "menu"
ITEMS = {
    "join": N_("Register"),
    "me": N_("My profile"),
    "lang": N_("Language"),
    "help": N_("Help"),
    "delete": N_("Delete my data"),
}


def show(turn: Turn) -> None:
    """Drops any open question and shows the menu."""
    turn.end()
    keys = ["me", "lang", "help", "delete"] if turn.member.registered else ["join", "lang", "help"]
    turn.ask(FLOW, "choose", turn._("Menu: reply with a number."),
             [Choice(k, turn._(ITEMS[k])) for k in keys], free_text=False)


def on_choice(turn: Turn) -> None:
    """Runs the chosen item as if its keyword had been sent."""
    from handlers.routes import KEYWORDS

    turn.end()
    KEYWORDS[turn.answer](turn)


STEPS = {"choose": on_choice}
KEYWORDS = {"menu": show}

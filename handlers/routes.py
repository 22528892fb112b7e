"""Routing as plain data: keyword -> handler, flow -> step -> handler."""
from handlers import account, help, menu, optout, profile, registration
from handlers.turn import Handler

KEYWORDS: dict[str, Handler] = {
    "join": registration.start,
    "help": help.show,
    "menu": menu.show,
    "lang": profile.change_language,
    "me": profile.show,
    "delete": account.ask_delete,
}

# Keywords that interrupt an open question (carrier words are handled before these).
BEFORE_CONVERSATION = {"help", "menu", "lang"}

FLOWS: dict[str, dict[str, Handler]] = {
    "registration": registration.STEPS,
    "menu": menu.STEPS,
    "profile": profile.STEPS,
    "account": account.STEPS,
}

stop = optout.stop
start = optout.start
hint = help.hint

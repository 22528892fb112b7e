"""STOP and START: carrier opt-out, persisted and confirmed once."""
from handlers.turn import Turn
from locales.i18n import keyword_word


def stop(turn: Turn) -> None:
    """Opts the member out of every message and confirms it, once."""
    if turn.member.opted_out:
        return
    turn.member.opted_out = True
    turn.end()
    turn.say(turn._("You will get no more messages from us. Send START to come back."), final=True)


def start(turn: Turn) -> None:
    """Opts the member back in."""
    turn.member.opted_out = False
    turn.say(turn._("Welcome back! You will get messages again. Send {help} for what you can do.",
                    help=keyword_word("help", turn.lang)))

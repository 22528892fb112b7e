"""DELETE: the member's data is removed, after they confirm; nothing more is sent."""
from handlers.turn import Choice, Turn
from storage.forget import forget_member

FLOW = "account"


def ask_delete(turn: Turn) -> None:
    """Asks the member to confirm deleting their data."""
    turn.ask(FLOW, "confirm_delete",
             turn._("Delete all your data? You will get no more messages from us."),
             [Choice("yes", turn._("Yes, delete")), Choice("no", turn._("No, keep"))],
             free_text=False)


def on_confirm(turn: Turn) -> None:
    """Anonymises the member on yes, with one last message; keeps everything on no."""
    turn.end()
    if turn.answer != "yes":
        return turn.say(turn._("Nothing was deleted."))
    forget_member(turn.session, turn.member)
    turn.say(turn._("Your data has been deleted. Goodbye."), final=True)


STEPS = {"confirm_delete": on_confirm}
KEYWORDS = {"delete": ask_delete}

"""YES / NO with a code: answers a meeting invitation or an introduction (market, directory); a
bare YES or NO answers the newest open one. Capabilities that invite define `open_invitations`."""
from handlers import directory, market, meetings
from handlers.turn import Turn
from locales.i18n import keyword_of

FLOW = "answers"


# Modules with `open_invitations(session, member, code: str | None) -> list[Invitation]`.
INVITING = (meetings, market, directory)  # a training is a meeting


def yes(turn: Turn) -> None:
    """Answers YES to the invitation with the code given, or to the newest one."""
    answer(turn, True)


def no(turn: Turn) -> None:
    """Answers NO to the invitation with the code given, or to the newest one."""
    if deal_keyword(turn) and hasattr(market, "no_deal"):  # NO DEAL code: a follow-up answer
        return market.no_deal(turn)
    answer(turn, False)


def deal_keyword(turn: Turn) -> bool:
    words = turn.inbound.text.split()
    return len(words) > 1 and keyword_of(words[1]) == "deal"


def answer(turn: Turn, yes: bool) -> None:
    words = turn.inbound.text.split()
    code = words[1].upper().strip(".,!") if len(words) > 1 else None
    found = [invitation for module in INVITING if hasattr(module, "open_invitations")
             for invitation in module.open_invitations(turn.session, turn.member, code)]
    if not found:
        if code:
            return turn.say(turn._("No open invitation has the code {code}.", code=code))
        return turn.say(turn._("You have no open invitation to answer."))
    max(found, key=lambda i: i.created_at).answer(turn, yes)


KEYWORDS = {"yes": yes, "no": no}

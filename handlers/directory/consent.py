"""Listing consent: whether a member is shown in the cluster directory (FIND, the public page).

Asked once (at registration, else at the member's first ME or FIND) and changed with ME at any
time; nobody is listed without saying yes. A command sent instead of an answer leaves the
question, and the member stays unasked. The module that asked can go on where it was: `ask(turn,
then="find", text=...)` calls `THEN["find"](turn, text)` once the member has answered.
"""
from typing import Callable

from sqlalchemy.orm import Session

from handlers.labels import shorten
from handlers.turn import Choice, Turn
from locales.i18n import N_, keyword_word
from storage import audit
from storage.audit import Actor
from storage.models import Member

FLOW = "listing"
# What to do once the member has answered, by the name a caller gives `ask`: other modules fill
# it (the directory registers "find", the profile "me"), as this one may not import them.
THEN: dict[str, Callable[[Turn, str], None]] = {}

QUESTION = N_("Shall we list you in the cluster directory? It shows your business name, "
              "products and place, never your phone.")
YES, NO = N_("Yes, list me"), N_("No, thanks")
ASK_BUSINESS = N_("What business name should the directory show?")
USE_MY_NAME = N_("Use my name")
BAD_BUSINESS = N_("Please send a name in letters, at most 60 characters.")
ASK_CAPACITY = N_("How much can you supply or handle? For example: 200kg a week.")
SKIP = N_("Skip")
BAD_CAPACITY = N_("Please say it in a few words, e.g. 200kg a week.")
LISTED = N_("You are listed in the directory. Send {me} to change this.")
NOT_LISTED = N_("You are not listed in the directory. Send {me} to change this.")
# The label registration keeps a typed place with; here it keeps the business name or capacity.
KEEP = N_('Keep "{place}"')
LONGEST = 60  # a business name or capacity as typed (the columns hold 100)
SHOWN_KEPT = 20  # what the Keep label shows of it


def unasked(member: Member) -> bool:
    """Whether the member has never said whether to be listed."""
    return member.listed is None


def ask(turn: Turn, then: str | None = None, text: str = "", preface: str | None = None) -> None:
    """Asks whether to be listed; once answered, `THEN[then](turn, text)` goes on (e.g. FIND
    with the words the member sent). `preface` goes before the question in the same message."""
    turn.data = {"then": then, "text": text}
    turn.ask(FLOW, "ask_listed", turn._(QUESTION),
             [Choice("yes", turn._(YES)), Choice("no", turn._(NO))],
             free_text=False, menu=True, preface=preface)


def on_listed(turn: Turn) -> None:
    """Yes asks the business name; no is saved at once."""
    if turn.answer == "yes":
        return ask_business(turn)
    set_listed(turn.session, turn.member, False, actor=turn.member)
    done(turn, NOT_LISTED)


def ask_business(turn: Turn, preface: str | None = None) -> None:
    choices = [Choice("own", turn._(USE_MY_NAME))]
    if turn.member.business_name:
        choices.append(Choice("keep", kept_label(turn, turn.member.business_name)))
    turn.ask(FLOW, "ask_business", turn._(ASK_BUSINESS), choices, preface=preface)


def on_business(turn: Turn) -> None:
    """Stores the business name (none: the member's own name is shown) and asks the capacity."""
    if turn.answer == "keep":
        turn.data["business"] = turn.member.business_name
    elif turn.answer == "own":
        turn.data["business"] = None
    elif typed := readable(turn.answer, letters=True):
        turn.data["business"] = typed
    else:
        return ask_business(turn, turn._(BAD_BUSINESS))
    ask_capacity(turn)


def ask_capacity(turn: Turn, preface: str | None = None) -> None:
    choices = [Choice("skip", turn._(SKIP))]
    if turn.member.capacity:
        choices.append(Choice("keep", kept_label(turn, turn.member.capacity)))
    turn.ask(FLOW, "ask_capacity", turn._(ASK_CAPACITY), choices, preface=preface)


def on_capacity(turn: Turn) -> None:
    """Stores the capacity as written and lists the member."""
    if turn.answer == "keep":
        capacity = turn.member.capacity
    elif turn.answer == "skip":
        capacity = None
    elif not (capacity := readable(turn.answer, letters=False)):
        return ask_capacity(turn, turn._(BAD_CAPACITY))
    set_listed(turn.session, turn.member, True, business_name=turn.data.get("business"),
               capacity=capacity, actor=turn.member)
    done(turn, LISTED)


def kept_label(turn: Turn, current: str) -> str:
    return turn._(KEEP, place=shorten(current, SHOWN_KEPT))


def readable(text: str, *, letters: bool) -> str | None:
    """The answer with its spaces tidied, or None when it is too long or not words: it starts
    with a letter or digit, and a name has letters too ("J&M Traders", "2000 Fish")."""
    tidy = " ".join(text.split())
    words = 0 < len(tidy) <= LONGEST and tidy[0].isalnum()
    return tidy if words and (not letters or sum(c.isalpha() for c in tidy) >= 2) else None


def done(turn: Turn, confirmation: str) -> None:
    """Confirms, closes the question and goes on with what was waiting for the answer."""
    then, text = turn.data.get("then"), turn.data.get("text") or ""
    turn.end()
    turn.say(turn._(confirmation, me=keyword_word("me", turn.lang)))
    if then in THEN:
        THEN[then](turn, text)


def set_listed(session: Session, member: Member, listed: bool, *,
               business_name: str | None = None, capacity: str | None = None,
               actor: Actor) -> None:
    """Lists the member (with the business name and capacity they gave) or takes them out of
    the directory (both forgotten); audited as member.listing."""
    member.listed = listed
    member.business_name = business_name if listed else None
    member.capacity = capacity if listed else None
    audit.record(session, action="member.listing", actor=actor, member_id=member.id,
                 listed=listed)


STEPS = {"ask_listed": on_listed, "ask_business": on_business, "ask_capacity": on_capacity}
KEYWORDS: dict = {}

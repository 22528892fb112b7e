"""Reserved-group eligibility: whether a member's business is owned by youth, women or persons
with disabilities, the groups a tender may be reserved for (Kenya's AGPO). Asked only of a
member who pledges on a reserved tender and was never asked, and only with their consent; what
they say is used only for the bid sheets of reserved tenders. "Prefer not to say" keeps
nothing. A command sent instead of an answer leaves the question: the member stays unasked.

The pledge goes on as before; a module that asked can go on once the member has answered:
`ask(turn, then="name", text=...)` calls `THEN["name"](turn, text)`."""
from typing import Callable

from sqlalchemy.orm import Session

from handlers.turn import Choice, Turn
from locales.i18n import N_, translate
from storage import audit
from storage.models import Member
from storage.tenders import RESERVED_GROUPS, Tender

FLOW = "eligibility"
# What to do once the member has answered, by the name a caller gives `ask`.
THEN: dict[str, Callable[[Turn, str], None]] = {}

CONSENT = N_("This tender is reserved for some groups. May we record whether your business is "
             "owned by youth, women or persons with disabilities? It is used only for the bid "
             "sheets of reserved tenders.")
QUESTIONS = {"youth": N_("Is your business owned by youth (18 to 35 years)?"),
             "women": N_("Is your business owned by women?"),
             "disability": N_("Is your business owned by persons with disabilities?")}
GROUPS = {"youth": N_("youth"), "women": N_("women"),
          "disability": N_("persons with disabilities")}
SHORT_GROUPS = {"youth": GROUPS["youth"], "women": GROUPS["women"],
                "disability": N_("disability")}  # where room is short (an alert)
YES, NO, PREFER_NOT = N_("Yes"), N_("No"), N_("Prefer not to say")
RECORDED = N_("Thank you. Recorded for reserved tenders: owned by {groups}.")
NONE_OF_THEM = N_("Thank you. Recorded: your business is owned by none of these groups.")
NOTHING_KEPT = N_("OK, nothing about this is recorded.")


def unasked(member: Member, tender: Tender) -> bool:
    """Whether to ask the member: the tender is reserved and they were never asked."""
    return bool(tender.reserved) and member.reserved_groups is None


def ask(turn: Turn, then: str | None = None, text: str = "", preface: str | None = None) -> None:
    """Asks for consent first; once answered, `THEN[then](turn, text)` goes on. `preface` goes
    before the question in the same message (e.g. the pledge's confirmation)."""
    turn.data = {"then": then, "text": text, "groups": []}
    turn.ask(FLOW, "consent", turn._(CONSENT),
             [Choice("yes", turn._(YES)), Choice("no", turn._(PREFER_NOT))],
             free_text=False, menu=True, preface=preface)


def on_consent(turn: Turn) -> None:
    if turn.answer != "yes":
        return declined(turn)
    ask_group(turn, RESERVED_GROUPS[0])


def ask_group(turn: Turn, group: str) -> None:
    turn.data["group"] = group
    turn.ask(FLOW, "group", turn._(QUESTIONS[group]),
             [Choice("yes", turn._(YES)), Choice("no", turn._(NO)),
              Choice("skip", turn._(PREFER_NOT))], free_text=False, menu=True)


def on_group(turn: Turn) -> None:
    """Notes the answer for this group and asks the next; after the last, saves them all."""
    if turn.answer == "skip":
        return declined(turn)
    group = turn.data["group"]
    if turn.answer == "yes":
        turn.data["groups"] = [*turn.data.get("groups", []), group]
    position = RESERVED_GROUPS.index(group)
    if position + 1 < len(RESERVED_GROUPS):
        return ask_group(turn, RESERVED_GROUPS[position + 1])
    groups = turn.data["groups"]
    declare(turn.session, turn.member, groups)
    if groups:
        return done(turn, turn._(RECORDED, groups=group_names(groups, turn.lang)))
    done(turn, turn._(NONE_OF_THEM))


def declined(turn: Turn) -> None:
    """Prefer not to say: nothing about the groups is kept, and the member is not asked again."""
    declare(turn.session, turn.member, [])
    done(turn, turn._(NOTHING_KEPT))


def done(turn: Turn, confirmation: str) -> None:
    """Confirms, closes the question and goes on with what was waiting for the answer."""
    then, text = turn.data.get("then"), turn.data.get("text") or ""
    turn.end()
    turn.say(confirmation)
    if then in THEN:
        THEN[then](turn, text)


def declare(session: Session, member: Member, groups: list[str]) -> None:
    """Keeps the groups the member declared (empty: none, or they preferred not to say);
    audited as member.reserved_groups."""
    member.reserved_groups = [g for g in RESERVED_GROUPS if g in groups]
    audit.record(session, action="member.reserved_groups", actor=member, member_id=member.id,
                 groups=member.reserved_groups)


def group_names(groups: list[str], lang: str | None, short: bool = False) -> str:
    """`youth, women` in the member's language."""
    names = SHORT_GROUPS if short else GROUPS
    return ", ".join(translate(lang, names[g]) for g in groups if g in names)


STEPS = {"consent": on_consent, "group": on_group}
KEYWORDS: dict = {}

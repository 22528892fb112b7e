"""ME (the member's profile and how to change each part) and LANG."""
from handlers import registration
from handlers.turn import Choice, Turn
from locales.i18n import LANGUAGE_NAMES, SHIPPED, fold, keyword_word
from storage import clusters

FLOW = "profile"


def show(turn: Turn) -> None:
    """Shows the profile and offers to change one part of it."""
    if not turn.member.registered:
        turn.end()
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    turn.data = profile_answers(turn)
    text = turn._("Your profile: {summary} Reply with a number to change a part.",
                  summary=registration.summary(turn))
    choices = registration.part_choices(turn) + [Choice("done", turn._("Done"))]
    turn.ask(FLOW, "pick_part", text, choices, free_text=False, menu=True,
             repeat=turn._("What do you want to change?"))


def on_part(turn: Turn) -> None:
    """Asks the chosen part again; the registration steps save it when answered."""
    if turn.answer == "done":
        turn.end()
        return turn.say(turn._("OK."))
    turn.data.pop(turn.answer, None)
    if turn.answer == "cluster":
        turn.data.pop("place", None)
    registration.ask_next(turn)


def profile_answers(turn: Turn) -> dict:
    """The member's profile as registration answers, marked as an edit."""
    member = turn.member
    chosen = [m for m in member.memberships if m.role != "coordinator"] or member.memberships
    first = chosen[0] if chosen else None
    cluster_id = first.cluster_id if first else clusters.all_clusters(turn.session)[0].id
    return {
        "edit": True,
        "name": member.name,
        "role": first.role if first and first.role in registration.ROLES else "trader",
        "cluster": cluster_id,
        "place": {"id": member.place_id, "name": member.place_name or ""},
        "products": [[p.product_id, p.raw_name] for p in member.products],
        "language": member.language or turn.lang,
    }


def change_language(turn: Turn) -> None:
    """LANG xx sets the reply language; LANG alone asks for it."""
    words = turn.inbound.text.split()
    code = read_language(words[1]) if len(words) > 1 else None
    if code is None:
        return turn.ask(FLOW, "pick_language", turn._("Which language do you prefer?"),
                        registration.language_choices(), free_text=False, menu=True)
    set_language(turn, code)


def on_language(turn: Turn) -> None:
    set_language(turn, turn.answer)


def set_language(turn: Turn, code: str) -> None:
    """Stores the member's chosen language and confirms in it."""
    turn.member.language, turn.member.language_chosen = code, True
    turn.end()
    turn.say(turn._("Language: {language}.", language=LANGUAGE_NAMES[code]))


def read_language(word: str) -> str | None:
    """`sw`, `Kiswahili`, `swahili`, `français` -> a shipped language code."""
    folded = fold(word)
    for code in SHIPPED:
        if folded in (code, fold(LANGUAGE_NAMES[code])):
            return code
    return {"english": "en", "swahili": "sw", "french": "fr", "portuguese": "pt",
            "anglais": "en", "francais": "fr", "portugais": "pt", "ingles": "en",
            "frances": "fr", "portugues": "pt", "kiingereza": "en", "kifaransa": "fr",
            "kireno": "pt"}.get(folded)


STEPS = {"pick_part": on_part, "pick_language": on_language}
KEYWORDS = {"me": show, "lang": change_language}

"""ME (the member's profile and how to change each part) and LANG."""
from sqlalchemy.orm import Session

from handlers import products as product_names
from handlers import registration
from handlers.coordinators import ROLE as COORDINATOR
from handlers.directory import consent
from handlers.matching import best, sure
from handlers.places import known as known_place_names
from handlers.places import leading
from handlers.turn import Choice, Turn
from locales.i18n import LANGUAGE_NAMES, N_, SHIPPED, fold, keyword_word
from storage import audit, clusters, members
from storage.audit import Actor
from storage.models import Cluster, Member

FLOW = "profile"
DIRECTORY_PARTS = {True: N_("Directory: listed"), False: N_("Directory: not listed")}


def show(turn: Turn) -> None:
    """Shows the profile and offers to change one part of it; a member never asked whether to
    be listed in the directory is asked first."""
    if not turn.member.registered:
        turn.end()
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    if consent.unasked(turn.member):
        return consent.ask(turn, then="me", text=turn.inbound.text)
    turn.data = profile_answers(turn)
    text = turn._("Your profile: {summary} Reply with a number to change a part.",
                  summary=registration.summary(turn))
    directory = Choice("directory", turn._(DIRECTORY_PARTS[bool(turn.member.listed)]))
    choices = registration.part_choices(turn) + [directory, Choice("done", turn._("Done"))]
    turn.ask(FLOW, "pick_part", text, choices, free_text=False, menu=True,
             repeat=turn._("What do you want to change?"))


def on_part(turn: Turn) -> None:
    """Asks the chosen part again; the registration steps save it when answered."""
    if turn.answer == "done":
        turn.end()
        return turn.say(turn._("OK."))
    if turn.answer == "directory":
        return consent.ask(turn)
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


def show_after_consent(turn: Turn, text: str) -> None:
    """Shows the profile once a member asked at ME has said whether to be listed."""
    show(turn)


STEPS = {"pick_part": on_part, "pick_language": on_language}
KEYWORDS = {"me": show, "lang": change_language}
consent.THEN["me"] = show_after_consent


# --- The dashboard's edit of a member (the rules of registration, without the conversation) ---

EDITED = ("name", "place", "language", "roles", "products")
BAD_NAME = N_("Write the name in letters only, at most 60 characters.")
BAD_PLACE = N_("Write the name of a town or market.")
BAD_LANGUAGE = N_("Choose a language.")
NO_ROLE = N_("Choose at least one role.")
BAD_PRODUCTS = N_("Write product names, like: tilapia, maize (at most 20).")
MAX_PRODUCTS = 20


class EditError(ValueError):
    """An edit that cannot be saved: what is wrong with each part (a msgid); nothing changed."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(problems)
        self.problems = problems


def edit(session: Session, member: Member, cluster: Cluster, actor: Actor, *, name: str,
         place: str, language: str, roles: list[str], products: str) -> list[str]:
    """Changes a member's name, place, language, roles in `cluster` (coordinator is granted
    elsewhere and kept) and products, by the rules of registration; a part given as it is
    stays as it is. Audited as member.edit; returns the parts changed. EditError, with nothing
    changed, when any part cannot be saved."""
    typed = {"name": name, "place": place, "language": language, "roles": roles,
             "products": products}
    readers = {"name": read_name, "place": lambda text: read_place(session, cluster, text),
               "language": read_code, "roles": lambda chosen: read_roles(member, cluster, chosen),
               "products": lambda text: read_products(session, text)}
    before, shown = edited_parts(member, cluster), form_values(member, cluster)
    parts, problems = {}, {}
    for part, read in readers.items():
        kept = sorted(set(typed[part])) if part == "roles" else typed[part].strip()
        try:
            parts[part] = before[part] if kept == shown[part] else read(typed[part])
        except EditError as e:
            problems.update(e.problems)
    if problems:
        raise EditError(problems)
    changed = [part for part in EDITED if parts[part] != before[part]]
    save_edit(session, member, cluster, {part: parts[part] for part in changed})
    audit.record(session, action="member.edit", actor=actor, cluster_id=cluster.id,
                 member_id=member.id, changed=changed)
    return changed


def form_values(member: Member, cluster: Cluster) -> dict:
    """The parts as an edit form shows them; a part sent back as shown is kept as it is (even
    if today's rules would not take it: an import may have written it)."""
    return {"name": member.name or "", "place": member.place_name or "",
            "language": member.language or "", "roles": edited_parts(member, cluster)["roles"],
            "products": ", ".join(p.raw_name for p in member.products)}


def edited_parts(member: Member, cluster: Cluster) -> dict:
    """The member's parts as `edit` reads them."""
    return {"name": member.name, "place": (member.place_name, member.place_id),
            "language": member.language,
            "roles": sorted(m.role for m in member.memberships
                            if m.cluster_id == cluster.id and m.role in registration.ROLES),
            "products": [(p.product_id, p.raw_name) for p in member.products]}


def read_name(text: str) -> str:
    name = text.strip()
    if registration.name_problem(name):
        raise EditError({"name": BAD_NAME})
    return registration.as_written(name)


def read_place(session: Session, cluster: Cluster, text: str) -> tuple[str | None, int | None]:
    """A known place of the cluster when the name surely is one; a landing site written after
    its town is at the town, kept as written; else the name as written."""
    typed = text.strip()
    if not typed:
        return None, None
    if len(typed) > 100 or not any(c.isalpha() for c in typed):
        raise EditError({"place": BAD_PLACE})
    names = known_place_names(session, cluster)
    if match := sure(best(typed, names)):
        return registration.name_of(session, match.key), match.key
    town = leading(typed, names)
    return typed, town[0] if town else None


def read_code(code: str) -> str:
    if code not in SHIPPED:
        raise EditError({"language": BAD_LANGUAGE})
    return code


def read_roles(member: Member, cluster: Cluster, chosen: list[str]) -> list[str]:
    """The chosen roles; at least one, unless the member coordinates the cluster."""
    roles = sorted(set(chosen))
    coordinates = any(m.cluster_id == cluster.id and m.role == COORDINATOR
                      for m in member.memberships)
    if any(role not in registration.ROLES for role in roles) or not (roles or coordinates):
        raise EditError({"roles": NO_ROLE})
    return roles


def read_products(session: Session, text: str) -> list[tuple[int | None, str]]:
    """The products of a typed list (catalog matches in any language; others as typed)."""
    if not text.strip() or fold(text) in product_names.NONE_WORDS:
        return []
    found = [(pid, raw) for pid, raw in product_names.read_list(session, text)
             if pid is not None or any(c.isalpha() for c in raw)]
    if not found or len(found) > MAX_PRODUCTS:
        raise EditError({"products": BAD_PRODUCTS})
    return found


def save_edit(session: Session, member: Member, cluster: Cluster, changes: dict) -> None:
    """Writes the changed parts; roles one by one, so a kept role keeps the date it was taken."""
    if "name" in changes:
        member.name = changes["name"]
        member.registered = member.registered or bool(member.name)
    if "place" in changes:
        member.place_name, member.place_id = changes["place"]
    if "language" in changes:
        member.language, member.language_chosen = changes["language"], True
    if "roles" in changes:
        held = edited_parts(member, cluster)["roles"]
        for role in set(held) - set(changes["roles"]):
            clusters.remove_role(session, member, cluster.id, role)
        for role in changes["roles"]:
            members.add_role(session, member, cluster.id, role)
    if "products" in changes:
        members.set_products(member, changes["products"])

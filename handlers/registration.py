"""Registration: name, role, cluster, place, products and language, then a summary to confirm.

Answers are kept in the conversation until the member confirms, so nothing half-written
reaches the member's profile. The flow always asks the first missing answer; "change"
drops one answer and asks it again. `ME` reuses the same steps to edit one part.
"""
import logging
import re

from handlers import clusters as cluster_actions
from handlers import products as product_names
from handlers.directory import consent
from handlers.labels import product_label, shorten
from handlers.matching import best, sure
from handlers.places import known as known_place_names
from handlers.places import leading
from handlers.turn import Choice, Turn
from locales.i18n import LANGUAGE_NAMES, N_, SHIPPED, fold, keyword_of, keyword_word, translate
from storage import clusters, members
from storage.models import Place

log = logging.getLogger(__name__)

FLOW = "registration"
ROLES = {
    "fisher": N_("Fisher"),
    "fish_processor": N_("Fish processor"),
    "craftsperson": N_("Craftsperson"),
    "farmer": N_("Farmer"),
    "food_supplier": N_("Food supplier"),
    "trader": N_("Trader"),
    "transporter": N_("Transporter"),
    "institution": N_("Institution"),
}
PARTS = ("name", "role", "cluster", "place", "products", "language")
PART_LABELS = {
    "name": N_("Name"),
    "role": N_("Role"),
    "cluster": N_("Cluster"),
    "place": N_("Place"),
    "products": N_("Products"),
    "language": N_("Language"),
}
NAME = re.compile(r"^[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?$")
SUMMARY = N_("{name}, {role}, {cluster}, {place}. Products: {products}. Language: {language}.")
NO_PRODUCTS = N_("none")
# What the member typed is saved whole but shown cut, to lengths that keep the summary, with
# any question around it, in 2 SMS in every language (tests/test_locales.py proves the worst).
SHOWN_LENGTH = 24  # a name, cluster or place
SHOWN_PRODUCT = 20  # one product in the list
SHOWN_PRODUCTS = 40  # the whole product list, "+N" included


def start(turn: Turn) -> None:
    """Starts registration, or tells a registered member how to change their profile."""
    if turn.member.registered:
        turn.end()
        return turn.say(turn._("You are already registered, {name}. Send {me} to see or change "
                               "your profile.", name=shown(turn.member.name),
                               me=keyword_word("me", turn.lang)))
    # A language read from the member's messages is taken; the summary shows it to confirm.
    turn.data = {"language": turn.member.language} if turn.member.language else {}
    ask_next(turn)


def ask_next(turn: Turn) -> None:
    """Asks the first missing answer; with all answers, shows the summary (or saves an edit)."""
    data = turn.data
    if "cluster" not in data:
        only = single_cluster(turn)
        if only is not None:
            data["cluster"] = only
    for part in PARTS:
        if part not in data:
            return ASK[part](turn)
    if data.get("edit"):  # one part changed from ME: saved without a summary
        turn.say(save(turn))
        return turn.end()
    ask_confirm(turn)


def single_cluster(turn: Turn) -> int | None:
    """The cluster to join without asking: the only one (created on a fresh install)."""
    known = clusters.all_clusters(turn.session)
    if not known:
        known = [add_default_cluster(turn)]
    return known[0].id if len(known) == 1 else None


def add_default_cluster(turn: Turn) -> clusters.Cluster:
    """Creates the quick start's cluster, as no operator has added one, and tells the operator
    (the log, the audit log): members see its name until it is renamed or replaced."""
    cluster = cluster_actions.add(turn.session, "quick start", slug=clusters.DEFAULT_SLUG,
                                  name=clusters.DEFAULT_NAME, country=turn.region)
    log.warning("No cluster network existed, so cluster %s (%s) was created for the member who "
                "just joined. Rename it: clusterbot cluster rename %s --name NAME; or add "
                "yours (clusterbot cluster add) and remove it (clusterbot cluster remove %s).",
                cluster.slug, cluster.name, cluster.slug, cluster.slug)
    return cluster


def ask_name(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_name", turn._("What is your name?"), preface=preface)


def on_name(turn: Turn) -> None:
    """Stores the name and asks for the next answer."""
    name = turn.answer.strip()
    if problem := name_problem(name):
        return ask_name(turn, turn._(problem))
    turn.data["name"] = as_written(name)
    ask_next(turn)


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a member's name (a msgid to show), or None when it can."""
    if keyword_of(name) and " " not in name:
        return N_("That looks like a command, not a name.")
    if len(name) > 60 or not NAME.match(name):
        return N_("Please send your name in letters only.")
    return None


def as_written(name: str) -> str:
    """The name with capitals where a phone left none (or only capitals): `Juma Otieno`."""
    return name.title() if name.islower() or name.isupper() else name


def role_choices(turn: Turn) -> list[Choice]:
    return [Choice(slug, turn._(label)) for slug, label in ROLES.items()]


def ask_role(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_role", turn._("What do you do?"), role_choices(turn),
             preface=preface)


def on_role(turn: Turn) -> None:
    """Stores the role (by number, slug or name in any language) and asks for the next answer."""
    role = turn.answer if turn.chosen else read_role(turn.answer)
    if role not in ROLES:
        return ask_role(turn, turn._("Please answer with a number from 1 to {count}.",
                                     count=len(ROLES)))
    turn.data["role"] = role
    ask_next(turn)


def read_role(text: str) -> str | None:
    """A role named in any shipped language, with typos: `mvuvi` -> fisher."""
    names = {fold(slug.replace("_", " ")): slug for slug in ROLES}
    for slug, label in ROLES.items():
        for lang in SHIPPED:
            names.setdefault(fold(translate(lang, label)), slug)
    match = sure(best(text, names))
    return match.key if match else None


def ask_cluster(turn: Turn, preface: str | None = None) -> None:
    choices = [Choice(str(c.id), c.name) for c in clusters.all_clusters(turn.session)]
    turn.ask(FLOW, "ask_cluster", turn._("Which cluster network do you belong to?"), choices,
             free_text=False, preface=preface)


def on_cluster(turn: Turn) -> None:
    """Stores the cluster and asks for the next answer."""
    turn.data["cluster"] = int(turn.answer)
    turn.data.pop("place", None)  # places are the cluster's own
    ask_next(turn)


def ask_place(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_place", turn._("Where do you work? Send the name of your town or market."),
             preface=preface)


def on_place(turn: Turn) -> None:
    """Stores a known place (fuzzy-matched) or the name as typed; asks when unsure."""
    typed = turn.answer.strip()[:100]
    if not any(c.isalpha() for c in typed):
        return ask_place(turn, turn._("Please send the name of a place."))
    names = known_names(turn)
    matches = best(typed, names)
    match = sure(matches)
    if not match and (town := leading(typed, names)):  # a landing site after its town
        turn.data["place"] = {"id": town[0], "name": typed}
        return ask_next(turn)
    if match or not matches:
        turn.data["place"] = place_answer(turn.session, match.key) if match else {"name": typed}
        return ask_next(turn)
    turn.data["typed_place"] = typed
    choices = [Choice(str(m.key), name_of(turn.session, m.key)) for m in matches]
    choices.append(Choice("typed", turn._("Keep \"{place}\"", place=shorten(typed))))
    turn.ask(FLOW, "pick_place", turn._("Did you mean one of these?"), choices, free_text=False)


def shown(text: str) -> str:
    """A name, cluster or place the member reads back: cut, never the question around it."""
    return shorten(text, SHOWN_LENGTH)


def listed(items: list[str]) -> str:
    """`tilapia, omena +3`: the first items that fit in SHOWN_PRODUCTS characters, the rest
    counted."""
    items = [shorten(item, SHOWN_PRODUCT) for item in items]
    for count in range(len(items), 0, -1):
        hidden = len(items) - count
        text = ", ".join(items[:count]) + (f" +{hidden}" if hidden else "")
        if len(text) <= SHOWN_PRODUCTS:
            return text
    return ""


def on_place_pick(turn: Turn) -> None:
    """Stores the place the member picked among the close matches."""
    typed = turn.data.pop("typed_place", turn.answer)
    if turn.answer == "typed":
        turn.data["place"] = {"name": typed}
    else:
        turn.data["place"] = place_answer(turn.session, int(turn.answer))
    ask_next(turn)


def known_names(turn: Turn) -> dict[str, int]:
    """The names of the places of the cluster being joined (handlers.places.known: worked out
    once, not per answer: a country's gazetteer has thousands)."""
    return known_place_names(turn.session, turn.session.get(clusters.Cluster, turn.data["cluster"]))


def name_of(session, place_id: int) -> str:
    return session.get(Place, place_id).name


def place_answer(session, place_id: int) -> dict:
    return {"id": place_id, "name": name_of(session, place_id)}


def ask_products(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_products",
             turn._("What products do you sell or buy? Send their names, e.g. tilapia, maize."),
             [Choice("none", turn._("None"))], preface=preface)


def on_products(turn: Turn) -> None:
    """Stores the products (catalog matches in any language; unknown ones as typed)."""
    if turn.answer == "none" or fold(turn.answer) in product_names.NONE_WORDS:
        turn.data["products"] = []
        return ask_next(turn)
    found = product_names.read_list(turn.session, turn.answer)
    found = [(pid, raw) for pid, raw in found if pid is not None or any(c.isalpha() for c in raw)]
    if not found or len(found) > 20:
        return ask_products(turn, turn._("Please send product names, like: tilapia, maize."))
    turn.data["products"] = found
    ask_next(turn)


def language_choices() -> list[Choice]:
    return [Choice(code, LANGUAGE_NAMES[code]) for code in SHIPPED]


def ask_language(turn: Turn, preface: str | None = None) -> None:
    turn.ask(FLOW, "ask_language", turn._("Which language do you prefer?"), language_choices(),
             free_text=False, preface=preface)


def on_language(turn: Turn) -> None:
    """Stores the language and replies in it from now on."""
    turn.data["language"] = turn.answer
    turn.member.language = turn.answer
    ask_next(turn)


def summary(turn: Turn) -> str:
    """The answers in one short text, in the member's language."""
    data = turn.data
    cluster = turn.session.get(clusters.Cluster, data["cluster"])
    products = [product_label(turn.session, pid, turn.lang, raw) for pid, raw in data["products"]]
    return summary_text(turn.lang, data["name"], data["role"], cluster.name,
                        data["place"]["name"], products, data["language"])


def summary_text(lang: str, name: str, role: str, cluster: str, place: str,
                 products: list[str], language: str) -> str:
    """The summary in `lang`, with what the member typed cut to fit."""
    return translate(lang, SUMMARY, name=shown(name), role=translate(lang, ROLES[role]),
                     cluster=shown(cluster), place=shown(place),
                     products=listed(products) or translate(lang, NO_PRODUCTS),
                     language=LANGUAGE_NAMES[language])


def confirm_choices(turn: Turn) -> list[Choice]:
    return [Choice("yes", turn._("Yes")), Choice("change", turn._("Change")),
            # Not "Cancel": typed alone by SMS, that word is a carrier opt-out (STOP).
            Choice("cancel", turn._("Do not save"))]


def ask_confirm(turn: Turn) -> None:
    turn.ask(FLOW, "confirm", turn._("Is this right? {summary}", summary=summary(turn)),
             confirm_choices(turn), free_text=False)


def on_confirm(turn: Turn) -> None:
    """Saves the profile on yes (and asks, with the welcome, whether to be listed in the
    directory); on change asks which part; on cancel drops the answers."""
    if turn.answer == "yes":
        said = save(turn)
        turn.end()
        if consent.unasked(turn.member):
            return consent.ask(turn, preface=said)
        return turn.say(said)
    if turn.answer == "cancel":
        turn.end()
        return turn.say(turn._("Registration cancelled. Nothing was saved."))
    ask_part(turn)


def part_choices(turn: Turn) -> list[Choice]:
    parts = [p for p in PARTS if p != "cluster" or len(clusters.all_clusters(turn.session)) > 1]
    return [Choice(p, turn._(PART_LABELS[p])) for p in parts]


def ask_part(turn: Turn) -> None:
    turn.ask(FLOW, "pick_part", turn._("What do you want to change?"), part_choices(turn),
             free_text=False)


def on_part(turn: Turn) -> None:
    """Drops the chosen answer and asks it again."""
    turn.data.pop(turn.answer, None)
    if turn.answer == "cluster":
        turn.data.pop("place", None)
    ask_next(turn)


def save(turn: Turn) -> str:
    """Writes every answer to the member's profile, in this one transaction; returns what to
    tell the member (welcome, or saved)."""
    member, data = turn.member, turn.data
    member.name = data["name"]
    member.place_name = data["place"]["name"]
    member.place_id = data["place"].get("id")
    member.language, member.language_chosen = data["language"], True
    members.set_memberships(turn.session, member, data["cluster"], [data["role"]])
    members.set_products(member, [tuple(p) for p in data["products"]])
    was_registered, member.registered = member.registered, True
    cluster = turn.session.get(clusters.Cluster, data["cluster"])
    if was_registered:
        return turn._("Saved. Send {me} to see your profile.",
                      me=keyword_word("me", member.language))
    return turn._("Welcome, {name}! You are registered in {cluster}. Send {help} for what you "
                  "can do.", name=shown(member.name), cluster=shown(cluster.name),
                  help=keyword_word("help", member.language))


ASK = {
    "name": ask_name,
    "role": ask_role,
    "cluster": ask_cluster,
    "place": ask_place,
    "products": ask_products,
    "language": ask_language,
}

STEPS = {
    "ask_name": on_name,
    "ask_role": on_role,
    "ask_cluster": on_cluster,
    "ask_place": on_place,
    "pick_place": on_place_pick,
    "ask_products": on_products,
    "ask_language": on_language,
    "confirm": on_confirm,
    "pick_part": on_part,
}
KEYWORDS = {"join": start}

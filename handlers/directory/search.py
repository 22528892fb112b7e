"""FIND what [place]: the best three listed members and institutions of the member's clusters,
numbered; MORE for the next three; a number asks that member for an introduction, or gives the
institution's contact. A search that finds nothing is kept as a miss for coordinators."""
from sqlalchemy.orm import Session

from handlers import places
from handlers.budget import SMS, fits_budget
from handlers.directory import consent, introductions
from handlers.directory.ranking import rank
from handlers.directory.showing import line
from handlers.labels import shorten
from handlers.matching import best, sure
from handlers.turn import Choice, Turn
from locales.i18n import N_, fold, keyword_word
from storage import clusters, directory_search
from storage.directory import DirectorySearch, Institution
from storage.models import Member, Place

FLOW = "directory"
PAGE = 3  # results shown at once
QUERY = 30  # the longest query shown in a reply
MORE = N_("More")
FOUND = N_('Found for "{looked_for}". Send a number to get in touch:')
NOTHING = N_('Nothing found for "{looked_for}" yet. Your coordinators will see what members look '
             'for. Try other words.')
NONE_LEFT = N_('No more results for "{looked_for}". Send {find} with other words to search '
               'again.')


def find(turn: Turn) -> None:
    """FIND what [place]: asks about listing first when the member never said, else searches."""
    if not turn.member.registered:
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    if consent.unasked(turn.member):
        return consent.ask(turn, then="find", text=turn.inbound.text)
    find_text(turn, turn.inbound.text)


def find_text(turn: Turn, text: str) -> None:
    """Searches for what follows the keyword of `text`, or asks what is looked for."""
    what = text.split(None, 1)[1].strip() if len(text.split(None, 1)) > 1 else ""
    if not what:
        return ask_what(turn)
    search(turn, what)


def ask_what(turn: Turn) -> None:
    turn.ask(FLOW, "ask_what", turn._("What are you looking for? For example: ice, loans, omena."))


def on_what(turn: Turn) -> None:
    """Takes what the member looks for and searches."""
    search(turn, turn.answer.strip())


def search(turn: Turn, text: str) -> None:
    """Searches for `text` (its last words may name a place), keeps the search and shows the
    first results, or says nothing was found."""
    member, session = turn.member, turn.session
    joined = clusters.clusters_of(member)
    if not joined:  # registered, then taken out of every cluster
        return turn.say(turn._("You are not registered yet. Send {join} to register.",
                               join=keyword_word("join", turn.lang)))
    what, place = split_place(session, joined, text)
    if not what:
        return ask_what(turn)
    origin = coordinates(place or member.place)
    cluster_ids = [c.id for c in joined]
    found = rank(session, member, cluster_ids, what, origin)
    place_name = place.name if place else None
    if not found and place is None and len(what.split()) > 1:
        # `ice Dunga`: the last word may be a place the gazetteer does not know.
        shorter, last = what.rsplit(None, 1)
        found = rank(session, member, cluster_ids, shorter, origin)
        if found:
            what, place_name = shorter, last
    kept = directory_search.add_search(
        session, member_id=member.id, cluster_id=cluster_ids[0], query=what[:200],
        folded=fold(what)[:200], place_name=place_name and place_name[:200],
        latitude=origin[0] if origin else None, longitude=origin[1] if origin else None,
        results=[[f.kind, f.id] for f in found], shown=0, found=bool(found))
    if not found:
        turn.end()
        return turn.say(turn._(NOTHING, looked_for=shorten(what, QUERY)))
    show_page(turn, kept)


def coordinates(place: Place | None) -> tuple[float, float] | None:
    """Where distances are measured from: the place's latitude and longitude, when known."""
    if place is None or place.latitude is None or place.longitude is None:
        return None
    return place.latitude, place.longitude


def split_place(session: Session, joined: list, text: str) -> tuple[str, Place | None]:
    """(what, place) of `ice Kisumu`: the last words when they surely name a known place of
    the member's clusters (or start with one: `Jinja Masese` is at Jinja), and at least one
    word is left."""
    words = text.split()
    names: dict[str, int] = {}
    for cluster in joined:
        names.update(places.known(session, cluster))
    for size in (3, 2, 1):
        if len(words) > size:
            tail = " ".join(words[-size:])
            match = sure(best(tail, names))
            town = None if match else places.leading(tail, names)
            if match or town:
                return " ".join(words[:-size]), session.get(Place, match.key if match else town[0])
    return text.strip(), None


def show_page(turn: Turn, search: DirectorySearch) -> None:
    """Shows the next results of the search (at most three, as many as fit two SMS), numbered,
    with More when others are left."""
    session, lang = turn.session, turn.lang
    page = []
    for index in range(search.shown, len(search.results)):
        if len(page) == PAGE:
            break
        found = result(session, search, index)
        if found is not None:
            page.append(Choice(f"r{index}", line(session, search, search.results[index][0],
                                                 found, lang)))
    if not page:
        turn.end()
        search.shown = len(search.results)
        return turn.say(turn._(NONE_LEFT, looked_for=shorten(search.query, QUERY),
                               find=keyword_word("find", lang)))
    text = turn._(FOUND, looked_for=shorten(search.query, QUERY))
    while len(page) > 1 and not fits_budget(SMS, text, [c.label for c in page] + [turn._(MORE)]):
        page.pop()  # a reply takes at most two SMS, on any channel
    last = int(page[-1].value[1:])
    search.shown = last + 1
    choices = page + ([Choice("more", turn._(MORE))] if search.shown < len(search.results) else [])
    turn.data = {"search": search.id}
    turn.ask(FLOW, "choose", text, choices, free_text=False, menu=True)


def result(session: Session, search: DirectorySearch, index: int) -> Member | Institution | None:
    """The search's result at `index`, when it is still there (a member may have left the
    directory since)."""
    kind, found_id = search.results[index]
    if kind == "member":
        cluster_ids = [c.id for c in clusters.clusters_of(session.get(Member, search.member_id))]
        return directory_search.findable_member(session, found_id, cluster_ids, search.member_id)
    return session.get(Institution, found_id)


def more(turn: Turn) -> None:
    """MORE: the next results of the member's last search."""
    search = directory_search.last_search(turn.session, turn.member.id)
    if search is None:
        return turn.say(turn._("Send {find} and what you are looking for, e.g. ice or loans.",
                               find=keyword_word("find", turn.lang)))
    show_page(turn, search)


def on_choice(turn: Turn) -> None:
    """A number: asks that member for an introduction, or gives the institution's contact;
    More: the next results."""
    search = turn.session.get(DirectorySearch, turn.data.get("search"))
    if search is None:
        turn.end()
        return more(turn)
    if turn.answer == "more":
        return show_page(turn, search)
    index = int(turn.answer[1:])
    turn.end()
    kind, found_id = search.results[index]
    if kind == "institution":
        return introductions.institution_contact(turn, turn.session.get(Institution, found_id))
    introductions.ask_member(turn, search, found_id)


consent.THEN["find"] = find_text

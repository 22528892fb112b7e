"""Place names as members write them: every name a known place may be called by, for fuzzy
matching (registration, listings, price reports, the price import); and a cluster's own places."""
import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from handlers.matching import best, sure
from locales.i18n import fold
from storage import audit, clusters
from storage.audit import Actor
from storage.market import haversine_km
from storage.models import Cluster, Place

ONE_MARKET_KM = 5  # places sharing a name this close together are one market (`Lodwar town`)


def known(session: Session, cluster: Cluster) -> dict[str, int]:
    """folded name -> place id of the cluster's places, kept for the rest of the transaction
    (a batch of listings reads it once). The names are worked out once per process for the same
    places (a country's gazetteer has thousands), and read again only when they changed."""
    cached = session.info.setdefault("place_names", {})
    if cluster.id not in cached:
        key = (str(session.get_bind().url), cluster.id, cluster.country,
               clusters.places_version(session, cluster))
        if key not in NAMES:
            if len(NAMES) >= KEPT_NAMES:
                NAMES.pop(next(iter(NAMES)))
            NAMES[key] = names(clusters.place_rows(session, cluster))
        cached[cluster.id] = NAMES[key]
    return cached[cluster.id]


KEPT_NAMES = 16  # clusters whose names `known` keeps between transactions
NAMES: dict[tuple, dict[str, int]] = {}  # (database, cluster, places' version) -> names


def leading(typed: str, names: dict[str, int]) -> tuple[int, str] | None:
    """(place id, the words naming it) when the whole of `typed` names no place but its first
    words surely do: a landing site or neighbourhood written after its town (`Entebbe landing
    site`, `Jinja Masese`, `Beira praia`) is at the town. `names` as `known` gives them."""
    words = typed.split()
    if sure(best(typed, names)):
        return None
    for size in range(min(3, len(words) - 1), 0, -1):
        head = " ".join(words[:size])
        match = sure(best(head, names))
        if match and len(match.name) >= 4:
            return match.key, head
    return None


def add(session: Session, cluster: Cluster, actor: Actor, name: str,
        latitude: float | None = None, longitude: float | None = None) -> Place:
    """Adds a place of the cluster's own (a landing beach, a village), audited: members naming
    it are matched to it, and with coordinates distances to it are known. IntegrityError when
    the cluster has a place of that name."""
    place = clusters.add_place(session, country=cluster.country, name=name,
                               cluster_id=cluster.id, latitude=latitude, longitude=longitude)
    session.flush()
    session.info.get("place_names", {}).pop(cluster.id, None)  # so `known` finds it
    audit.record(session, action="place.add", actor=actor, cluster_id=cluster.id, name=name,
                 latitude=latitude, longitude=longitude)
    return place


def names(places: Sequence[Place]) -> dict[str, int]:
    """folded name -> place id. `Wakulima (Nakuru)` is also `Wakulima Nakuru`; `Eldoret town
    (Uasin Gishu)` also `Eldoret town` and `Eldoret`; a place's other names (`Ksm`, `Thies`,
    Place.aliases) name it; a first word no other place starts with names its place (`Tala`
    for `Tala Centre Market (Machakos)`). A name that places far apart share (`Wakulima` in
    Nairobi and Nakuru, two towns of one name) names none: the member must say which; a
    cluster's own place is the one its name names."""
    claims: dict[str, dict[int, Place]] = {}
    for place in places:
        for name in names_of(place.name) | {folded(alias) for alias in place.aliases or ()}:
            claims.setdefault(name, {})[place.id] = place
    firsts: dict[str, dict[int, Place]] = {}
    for place in places:
        first = folded(place.name).split()[0]
        if len(first) >= 4:
            firsts.setdefault(first, {})[place.id] = place
    found = {}
    for shared in (claims, firsts):
        for name, claimants in shared.items():
            own = [p for p in claimants.values() if p.cluster_id is not None]
            chosen = own if len(own) == 1 else list(claimants.values())
            if name not in found and one_market(chosen):
                found[name] = chosen[0].id
    return found


def one_market(places: list[Place]) -> bool:
    """The places lie within a few km of each other (`Lodwar` and `Lodwar town`)."""
    first = places[0]
    return all(p is first or None not in (p.latitude, first.latitude) and haversine_km(
        first.latitude, first.longitude, p.latitude, p.longitude) <= ONE_MARKET_KM
        for p in places)


def names_of(name: str) -> set[str]:
    """The full name, the name without its area, and without `town`/`market`/`centre`."""
    short = name.split(" (")[0]
    plain = re.sub(r"\b(town|market|centre|center)\b", "", short, flags=re.IGNORECASE)
    return {name for name in map(folded, (name, short, plain)) if name}


def folded(name: str) -> str:
    return " ".join(fold(name).replace("(", " ").replace(")", " ").split())

"""The marketplace's tables and queries: listings (offers and requests), matches (introductions),
and the deals members report."""
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, Row, String, UniqueConstraint,
                        and_, bindparam, case, exists, func, literal, or_, select, true, tuple_,
                        union_all)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, joinedload, lazyload, mapped_column, relationship

from storage.models import Base, Member, Membership, utcnow
from storage.outbox import route_columns

KM_PER_DEGREE = 111.32
DEFAULT_RADIUS_KM = 50  # how far a buyer's request reaches unless they say
REGION_KM = 200
EVERYWHERE_KM = 20_000  # the radius of a request for anywhere (more than half the earth)
EARTH_RADIUS_KM = 6371.0
MAX_RADIUS_KM = 1000  # a wider "within" is read as anywhere; keeps the bounding box simple
CANDIDATES = 200  # nearest rows read from SQL per match, so memory stays flat as listings grow
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on keypads


class Listing(Base):
    """An offer (`sell`) or a request (`buy`): product, quantity, price, place, until when.

    Quantities and prices are in `unit` (the product's base unit, or a container); a request's
    price is its maximum. Places keep the gazetteer's coordinates, copied here so the matching
    query needs no join. `product_key` and `place_key` are what must be equal to match.
    """

    __tablename__ = "market_listings"
    __table_args__ = (
        UniqueConstraint("member_id", "number"),
        Index("ix_market_listings_match", "product_key", "kind", "status", "latitude", "longitude"),
        Index("ix_market_listings_due", "status", "expires_at"),
        Index("ix_market_listings_reach", "product_key", "kind", "status", "radius_km"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # the member's short id: CLOSE 3
    kind: Mapped[str] = mapped_column(String(4))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(100))
    product_key: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    price: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # dried, smoked, frozen, fresh...: a form said on both sides must be the same to match
    form: Mapped[str | None] = mapped_column(String(16))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    place_name: Mapped[str] = mapped_column(String(100))
    place_key: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float, default=DEFAULT_RADIUS_KM)
    anywhere: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, closed, expired
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    member: Mapped[Member] = relationship()


class MarketMatch(Base):
    """An offer and a request that fit, told to both sides with a code: YES code from both
    shares their contacts (the introduction), and a follow-up asks whether a deal happened.
    `grouped_at`: when the buyer was told of this offer in a group that covers the request."""

    __tablename__ = "market_matches"
    __table_args__ = (UniqueConstraint("offer_id", "request_id"), UniqueConstraint("code"),
                      Index("ix_market_matches_due", "introduced_at", "follow_up_sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    offer_id: Mapped[int] = mapped_column(ForeignKey("market_listings.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("market_listings.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    distance_km: Mapped[float | None] = mapped_column(Float)
    seller_answer: Mapped[bool | None] = mapped_column(Boolean)
    buyer_answer: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    introduced_at: Mapped[datetime | None] = mapped_column()
    follow_up_sent_at: Mapped[datetime | None] = mapped_column()
    grouped_at: Mapped[datetime | None] = mapped_column()

    offer: Mapped[Listing] = relationship(foreign_keys=[offer_id])
    request: Mapped[Listing] = relationship(foreign_keys=[request_id])


class MarketDeal(Base):
    """What one side of an introduction says came of it: a deal (quantity, price) or none."""

    __tablename__ = "market_deals"
    __table_args__ = (UniqueConstraint("match_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("market_matches.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"),
                                            index=True)
    made: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Listings ---------------------------------------------------------------------------------

def add_listing(session: Session, **fields) -> Listing:
    """Saves a new open listing with the member's next short number."""
    listing = Listing(number=next_number(session, fields["member_id"]), status="open", **fields)
    session.add(listing)
    session.flush()
    return listing


def next_number(session: Session, member_id: int) -> int:
    """The member's next short id (the member's row is locked by the engine, so no race)."""
    return (session.scalar(HIGHEST_NUMBER, {"member_id": member_id}) or 0) + 1


def open_listings(session: Session, member_id: int, now: datetime) -> list[Listing]:
    return list(session.scalars(OPEN_LISTINGS, {"member_id": member_id, "now": now}))


# Built once: building an ORM statement costs about as much as running it.
HIGHEST_NUMBER = select(func.max(Listing.number)).where(Listing.member_id == bindparam("member_id"))
OPEN_LISTINGS = (select(Listing)
                 .where(Listing.member_id == bindparam("member_id"), Listing.status == "open",
                        Listing.expires_at > bindparam("now"))
                 .order_by(Listing.number))


def listing_by_number(session: Session, member_id: int, number: int) -> Listing | None:
    return session.scalar(select(Listing).where(Listing.member_id == member_id,
                                                Listing.number == number))


def close(listing: Listing, now: datetime) -> None:
    listing.status, listing.closed_at = "closed", now


def renew(listing: Listing, now: datetime, days: int) -> None:
    """Keeps an open or expired listing for `days` more from now, with a new reminder."""
    listing.status, listing.reminded_at = "open", None
    listing.expires_at = now + timedelta(days=days)


def due_reminders(session: Session, now: datetime, before: timedelta) -> list[Listing]:
    """Open listings that end within `before` and whose member has not been reminded."""
    return list(session.scalars(
        select(Listing).where(Listing.status == "open", Listing.reminded_at.is_(None),
                              Listing.expires_at <= now + before, Listing.expires_at > now)
        .order_by(Listing.id).with_for_update(skip_locked=True)))


def expire_due(session: Session, now: datetime) -> int:
    """Marks open listings past their end as expired; returns how many."""
    return session.execute(
        Listing.__table__.update()
        .where(Listing.status == "open", Listing.expires_at <= now)
        .values(status="expired")).rowcount


# --- Matching ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A listing that fits, read as a light row (its id and the columns matching uses); load
    the Listing itself with `session.get` only for the few that are shown."""

    listing: Row
    distance_km: float | None  # None: anywhere, or different places without coordinates


# What matching reads of each candidate (not whole objects: thousands may be read per listing).
CANDIDATE_COLUMNS = (Listing.id, Listing.member_id, Listing.kind, Listing.quantity, Listing.unit,
                     Listing.price, Listing.price_unit, Listing.currency, Listing.place_id,
                     Listing.place_name, Listing.place_key, Listing.latitude, Listing.longitude,
                     Listing.radius_km, Listing.anywhere, Listing.created_at, Listing.form)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def km_per_lon_degree(latitude: float) -> float:
    """A conservative (small) width of a degree of longitude near `latitude`, for boxes up to
    MAX_RADIUS_KM tall, so the bounding box never cuts off a place within the radius."""
    edge = min(abs(latitude) + MAX_RADIUS_KM / KM_PER_DEGREE, 89.0)
    return KM_PER_DEGREE * math.cos(math.radians(edge))


def compatible(session: Session, listing: Listing, cluster_ids: list[int],
               now: datetime, matched_too: bool = False) -> list[Candidate]:
    """Open listings of the other side that fit `listing`, nearest first (at most CANDIDATES).

    Same product and unit; price compatible (an offer at most the request's maximum, or no
    price on either side); place within the buyer's radius when both places have coordinates,
    else the same place (or the buyer takes anywhere); posted by a reachable member who shares
    one of `cluster_ids` and has not already been matched with the poster (unless
    `matched_too`: a group of offers may name some the buyer has heard of).
    """
    located = listing.latitude is not None and listing.longitude is not None
    shape = Shape(listing.kind, located, listing.price is not None, bool(listing.anywhere),
                  matched_too, listing.form is not None)
    me = Spot(listing.place_key, listing.latitude, listing.longitude, listing.radius_km,
              listing.anywhere)  # read once: attributes of a mapped object are slow in a loop
    found = []
    for other in session.execute(candidates_statement(shape),
                                 parameters(listing, cluster_ids, now)):
        distance = distance_km(me, other)
        request, offer = (me, other) if listing.kind == "buy" else (other, me)
        if within_reach(request, offer, distance):
            found.append(Candidate(other, distance))
    return found


@dataclass(frozen=True)
class Spot:
    """Where a listing is and how far its buyer goes: what the distance rules read."""

    place_key: str
    latitude: float | None
    longitude: float | None
    radius_km: float
    anywhere: bool


@dataclass(frozen=True)
class Shape:
    """What decides the form of the matching query (its values are parameters)."""

    kind: str
    located: bool  # the new listing's place has coordinates
    priced: bool
    anywhere: bool
    matched_too: bool = False
    formed: bool = False  # the new listing says its form (dried, smoked...)


def parameters(listing: Listing, cluster_ids: list[int], now: datetime) -> dict:
    """The values of the matching query for one new listing."""
    values = {"product_key": listing.product_key, "other_kind": OTHER_SIDE[listing.kind],
              "unit": listing.unit, "member_id": listing.member_id, "now": now,
              "cluster_ids": list(cluster_ids), "place_key": listing.place_key,
              "price": listing.price, "price_unit": listing.price_unit,
              "currency": listing.currency, "form": listing.form}
    if listing.latitude is not None and listing.longitude is not None:
        lat, lon = listing.latitude, listing.longitude
        width = km_per_lon_degree(lat)
        values.update(lat=lat, lon=lon, scale=math.cos(math.radians(lat)), width=width)
        for name, radius in (("own", listing.radius_km if listing.kind == "buy" else 0),
                             ("near", DEFAULT_RADIUS_KM), ("region", REGION_KM)):
            radius = min(radius, MAX_RADIUS_KM)
            values.update({f"{name}_lat_lo": lat - radius / KM_PER_DEGREE,
                           f"{name}_lat_hi": lat + radius / KM_PER_DEGREE,
                           f"{name}_lon_lo": lon - radius / width,
                           f"{name}_lon_hi": lon + radius / width})
    return values


OTHER_SIDE = {"sell": "buy", "buy": "sell"}
P = bindparam


@lru_cache
def candidates_statement(shape: Shape):
    """The matching query for one shape of new listing, built once: one part per reach of the
    place, each on an index, the nearest CANDIDATES rows of all parts first."""
    L, member = Listing, Member.__table__.c
    channel, _ = route_columns()
    query = (
        select(*CANDIDATE_COLUMNS)
        .join(Member, Member.id == L.member_id)
        .where(L.product_key == P("product_key"), L.kind == P("other_kind"),
               L.status == "open", L.expires_at > P("now"), L.unit == P("unit"),
               L.member_id != P("member_id"),
               ~member.opted_out, member.deleted_at.is_(None), channel.is_not(None),
               exists(select(Membership.id).where(
                   Membership.member_id == L.member_id,
                   Membership.cluster_id.in_(P("cluster_ids", expanding=True)))),
               price_fits(shape), form_fits(shape),
               true() if shape.matched_too else ~already_matched(shape)))
    rows = union_all(*(query.where(places) for places in places_that_may_fit(shape))).subquery()
    return select(rows).order_by(nearness(shape, rows.c), rows.c.id.desc()).limit(CANDIDATES)


def price_fits(shape: Shape):
    """SQL: the other side's price does not rule the pair out."""
    L = Listing
    if not shape.priced:
        return true()
    beats = L.price >= P("price") if shape.kind == "sell" else L.price <= P("price")
    return or_(L.price.is_(None), L.price_unit != P("price_unit"),
               L.currency != P("currency"), beats)


def form_fits(shape: Shape):
    """SQL: the forms do not rule the pair out: the same, or one side does not say it."""
    if not shape.formed:
        return true()
    return or_(Listing.form.is_(None), Listing.form == P("form"))


def places_that_may_fit(shape: Shape) -> list:
    """SQL conditions, each a part of the query: the other listing's place may be within the
    buyer's radius (bounding boxes on the index; the exact check is made on the rows read)."""
    L = Listing
    same = L.place_key == P("place_key")
    if not shape.located:
        return [or_(L.anywhere, same) if shape.kind == "sell" else
                (true() if shape.anywhere else same)]
    if shape.kind == "buy":  # the box of this request's radius (its own place is inside)
        return [true() if shape.anywhere else box("own")]
    # Most requests keep the default radius; some reach to a region; a few further or anywhere
    # (their radius is EVERYWHERE_KM).
    return [and_(L.radius_km <= DEFAULT_RADIUS_KM, box("near")),
            and_(L.radius_km > DEFAULT_RADIUS_KM, L.radius_km <= REGION_KM, box("region")),
            and_(L.radius_km > REGION_KM, or_(L.anywhere, and_(
                func.abs(L.latitude - P("lat")) <= L.radius_km / KM_PER_DEGREE,
                func.abs(L.longitude - P("lon")) <= L.radius_km / P("width"))))]


def box(name: str):
    """SQL: the latitude/longitude box named in the parameters (`own`, `near`, `region`)."""
    L = Listing
    return and_(L.latitude.between(P(f"{name}_lat_lo"), P(f"{name}_lat_hi")),
                L.longitude.between(P(f"{name}_lon_lo"), P(f"{name}_lon_hi")))


def nearness(shape: Shape, columns):
    """SQL: a number that orders rows nearest first (flat-earth squared degrees; same place 0)."""
    c = columns
    if not shape.located:
        return case((c.place_key == P("place_key"), 0), else_=literal(1e9))
    dlat, dlon = c.latitude - P("lat"), (c.longitude - P("lon")) * P("scale")
    return case((c.place_key == P("place_key"), 0),
                (c.latitude.is_not(None), dlat * dlat + dlon * dlon), else_=literal(1e9))


def already_matched(shape: Shape):
    """SQL: the other listing was already matched with one of the poster's listings."""
    L, M = Listing, MarketMatch
    if shape.kind == "buy":
        return exists(select(M.id).where(M.offer_id == L.id, M.buyer_id == P("member_id")))
    return exists(select(M.id).where(M.request_id == L.id, M.seller_id == P("member_id")))


def distance_km(a: Listing | Spot | Row, b: Listing | Spot | Row) -> float | None:
    """Kilometres between two listings' places: 0 for the same place, None when unknown."""
    if a.place_key == b.place_key:
        return 0.0
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def within_reach(request: Spot | Row, offer: Spot | Row, distance: float | None) -> bool:
    """The buyer's rule: anywhere, the same place, or within the radius."""
    if request.anywhere or request.place_key == offer.place_key:
        return True
    return distance is not None and distance <= request.radius_km


# --- Matches and introductions ----------------------------------------------------------------

def listings_of(session: Session, ids: list[int]) -> list[Listing]:
    """The listings with their posters, read together in one statement, in the order of `ids`
    (the posters' clusters and products are read only when used: telling them of a match needs
    neither)."""
    if not ids:
        return []
    found = {listing.id: listing for listing in session.scalars(LISTINGS, {"ids": ids})}
    return [found[id_] for id_ in ids]


LISTINGS = (select(Listing).where(Listing.id.in_(bindparam("ids", expanding=True)))
            .options(joinedload(Listing.member).options(lazyload(Member.memberships),
                                                        lazyload(Member.products))))


def add_matches(session: Session, pairs: list[tuple[Listing, Listing, float | None]]
                ) -> list[MarketMatch | None]:
    """Records matches (offer, request, distance), each with a fresh code, in one statement;
    None for a pair already matched. A row the database skips is such a pair, or one whose
    code was taken: that one is written again with another code."""
    if not pairs:
        return []
    rows = {(offer.id, request.id): {
        "offer_id": offer.id, "request_id": request.id, "seller_id": offer.member_id,
        "buyer_id": request.member_id, "distance_km": distance}
        for offer, request, distance in pairs}
    made: dict[tuple[int, int], MarketMatch | None] = {}
    insert = ADD_MATCHES[session.get_bind().dialect.name]
    for _ in range(5):
        waiting = [dict(row, code=new_code()) for pair, row in rows.items() if pair not in made]
        made |= {(m.offer_id, m.request_id): m for m in session.scalars(insert, waiting)}
        if skipped := [pair for pair in rows if pair not in made]:
            made |= dict.fromkeys((offer, request) for offer, request in session.execute(
                select(MarketMatch.offer_id, MarketMatch.request_id)
                .where(tuple_(MarketMatch.offer_id, MarketMatch.request_id).in_(skipped))))
        if len(made) == len(rows):
            return [made[(offer.id, request.id)] for offer, request, _ in pairs]
    raise RuntimeError("no free match code")


def matches_of_request(session: Session, request_id: int) -> dict[int, MarketMatch]:
    """offer id -> the match of that offer with the request."""
    return {m.offer_id: m for m in session.scalars(
        select(MarketMatch).where(MarketMatch.request_id == request_id)).unique()}


ADD_MATCHES = {name: dialect.insert(MarketMatch).on_conflict_do_nothing().returning(MarketMatch)
               for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def by_code(session: Session, code: str) -> MarketMatch | None:
    return session.scalar(select(MarketMatch).where(MarketMatch.code == code.upper()))


def awaiting_answer(session: Session, member_id: int, since: datetime,
                    code: str | None = None) -> list[MarketMatch]:
    """Matches the member has not answered yet (newer than `since`), or the one with `code`."""
    M = MarketMatch
    query = select(M).where(M.introduced_at.is_(None), M.created_at > since, or_(
        and_(M.seller_id == member_id, M.seller_answer.is_(None)),
        and_(M.buyer_id == member_id, M.buyer_answer.is_(None))))
    if code:
        query = query.where(M.code == code.upper())
    return list(session.scalars(query.order_by(M.id)).unique())


def due_follow_ups(session: Session, introduced_before: datetime) -> list[MarketMatch]:
    """Introductions old enough to ask about, not asked yet."""
    M = MarketMatch
    return list(session.scalars(
        select(M).where(M.introduced_at.is_not(None), M.introduced_at <= introduced_before,
                        M.follow_up_sent_at.is_(None))
        .order_by(M.id).with_for_update(skip_locked=True)).unique())


def record_deal(session: Session, match: MarketMatch, member_id: int, made: bool,
                quantity: float | None = None, price: float | None = None) -> MarketDeal:
    """Records (or corrects) what the member says came of the introduction."""
    deal = session.scalar(select(MarketDeal).where(MarketDeal.match_id == match.id,
                                                   MarketDeal.member_id == member_id))
    if deal is None:
        deal = MarketDeal(match_id=match.id, member_id=member_id,
                          cluster_id=match.offer.cluster_id)
        session.add(deal)
    deal.made, deal.quantity, deal.price = made, quantity, price
    deal.unit = match.offer.unit if made else None
    deal.currency = match.offer.currency if made else None
    deal.created_at = utcnow()
    session.flush()
    return deal


@dataclass(frozen=True)
class TradeFigure:
    product_id: int | None
    product: str  # as the first seller typed it (for products outside the catalog)
    unit: str
    currency: str
    deals: int
    quantity: float
    value: float


def trade_figures(session: Session, cluster_id: int, since: datetime) -> list[TradeFigure]:
    """Deals reported in a cluster since a date, per product, most traded first: one figure per
    introduction (the seller's report when both sides reported: they know what left the stall)."""
    D, M, L = MarketDeal, MarketMatch, Listing
    reports = session.execute(
        select(D.match_id, D.member_id == M.seller_id, L.product_key, L.product_id,
               L.product_name, D.unit, D.currency, D.quantity, D.price)
        .join(M, M.id == D.match_id).join(L, L.id == M.offer_id)
        .where(D.cluster_id == cluster_id, D.made, D.created_at >= since)
        .order_by(D.match_id))
    chosen: dict[int, tuple] = {}
    for match_id, by_seller, *report in reports:
        if match_id not in chosen or by_seller:
            chosen[match_id] = tuple(report)
    figures: dict[tuple, list] = {}
    for key, product_id, name, unit, currency, quantity, price in chosen.values():
        row = figures.setdefault((key, unit or "", currency or ""), [product_id, name, 0, 0.0, 0.0])
        row[2] += 1
        row[3] += quantity or 0
        row[4] += (quantity or 0) * (price or 0)
    return sorted((TradeFigure(pid, name, unit, currency, n, q, v)
                   for (_, unit, currency), (pid, name, n, q, v) in figures.items()),
                  key=lambda f: (-f.deals, -f.value, f.product))


def member_record(session: Session, member_id: int) -> tuple[int, int]:
    """(introductions, deals made) of a member: their trading record."""
    M = MarketMatch
    introduced = session.scalar(select(func.count(M.id)).where(
        M.introduced_at.is_not(None), or_(M.seller_id == member_id, M.buyer_id == member_id)))
    deals = session.scalar(select(func.count(MarketDeal.id)).where(
        MarketDeal.member_id == member_id, MarketDeal.made))
    return introduced or 0, deals or 0


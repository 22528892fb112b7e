"""Market prices: official prices (set by coordinators or imported), members' reports, alert
baselines, weekly digests sent, and each cluster's price settings."""
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import (Date, Float, ForeignKey, Index, Integer, Select, String, UniqueConstraint,
                        and_, bindparam, func, or_, select, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, Member, MemberProduct, Membership, Place, Product, utcnow

DEFAULT_ALERT_PERCENT = 10.0
DEFAULT_DIGEST_DAY = 0  # Monday
DEFAULT_DIGEST_HOUR = 7  # in the cluster's time zone


class OfficialPrice(Base):
    """A price of record: set by a coordinator for a cluster, or imported (no cluster: shared by
    every cluster of the country). `amount` is per one base unit of the product."""

    __tablename__ = "official_prices"
    __table_args__ = (
        UniqueConstraint("source", "source_key"),
        Index("ix_official_prices_product_market", "product_id", "market", "observed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    market: Mapped[str] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    price_type: Mapped[str | None] = mapped_column(String(16))  # retail, wholesale or unsaid
    observed_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # coordinator, wfp, ...
    source_key: Mapped[str | None] = mapped_column(String(255))  # the row's identity in its source
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PriceReport(Base):
    """A price a member saw. Published at once, or held for a coordinator when far off the
    usual price (`reference`), then published or rejected."""

    __tablename__ = "price_reports"
    __table_args__ = (Index("ix_price_reports_recent", "cluster_id", "product_id", "reported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    market: Mapped[str] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="published")  # held, rejected
    reference: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()


class PriceSettings(Base):
    """A cluster's choices: how far a price moves before members are alerted, when the digest goes."""

    __tablename__ = "price_settings"

    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"),
                                            primary_key=True)
    alert_percent: Mapped[float] = mapped_column(Float, default=DEFAULT_ALERT_PERCENT)
    digest_day: Mapped[int] = mapped_column(Integer, default=DEFAULT_DIGEST_DAY)
    digest_hour: Mapped[int] = mapped_column(Integer, default=DEFAULT_DIGEST_HOUR)


class PriceBaseline(Base):
    """The members' median price last alerted on (or first seen) per cluster and product."""

    __tablename__ = "price_baselines"

    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"),
                                            primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            primary_key=True)
    median: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PriceDigest(Base):
    """A weekly digest sent: one row per cluster and digest day, so it goes once."""

    __tablename__ = "price_digests"
    __table_args__ = (UniqueConstraint("cluster_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Scope:
    """Whose prices a member sees: their clusters' own and their country's shared ones, in one
    currency."""

    cluster_ids: tuple[int, ...]
    country: str
    currency: str

    def values(self) -> dict:
        """The values of `official_in_scope`'s parameters."""
        return {"scope_clusters": list(self.cluster_ids), "scope_country": self.country,
                "scope_currency": self.currency}


def official_in_scope():
    """The SQL condition for official prices in a scope, its values as parameters
    (`Scope.values`), so that a statement using it can be built once."""
    own = OfficialPrice.cluster_id.in_(bindparam("scope_clusters", expanding=True))
    shared = (OfficialPrice.cluster_id.is_(None)
              & (OfficialPrice.country == bindparam("scope_country")))
    return or_(own, shared) & (OfficialPrice.currency == bindparam("scope_currency"))


@dataclass(frozen=True)
class MarketPrice:
    """The price of record of a product at one market on one day (several rows: their median)."""

    market: str
    place_id: int | None
    observed_on: date
    amount: float
    price_type: str | None


# --- Official prices ----------------------------------------------------------------------------

def add_official(session: Session, **fields) -> OfficialPrice:
    price = OfficialPrice(**fields)
    session.add(price)
    session.flush()
    return price


def latest_by_market(session: Session, scope: Scope, product_id: int,
                     place_id: int | None = None) -> list[MarketPrice]:
    """The newest price of record of the product at each market (or at the one place)."""
    rows = session.scalars(latest_statement(place_id is not None),
                           {**scope.values(), "product_id": product_id, "place_id": place_id})
    by_market: dict[str, list[OfficialPrice]] = {}
    for row in rows:
        by_market.setdefault(row.market, []).append(row)
    return sorted((one_price(prices) for prices in by_market.values()),
                  key=lambda p: (-p.observed_on.toordinal(), p.market))


@lru_cache
def latest_statement(one_place: bool):
    """`latest_by_market`'s statement, built once (for every market, and for one place)."""
    where = [official_in_scope(), OfficialPrice.product_id == bindparam("product_id")]
    if one_place:
        where.append(OfficialPrice.place_id == bindparam("place_id"))
    newest = (select(OfficialPrice.market.label("market"),
                     func.max(OfficialPrice.observed_on).label("day"))
              .where(*where).group_by(OfficialPrice.market).subquery())
    return (select(OfficialPrice)
            .join(newest, and_(OfficialPrice.market == newest.c.market,
                               OfficialPrice.observed_on == newest.c.day))
            .where(*where))


def price_on(session: Session, scope: Scope, product_id: int, market: str, day: date,
             price_type: str | None) -> MarketPrice | None:
    """The price of record at `market` as it stood on `day` (the newest on or before it), of
    the same kind (retail, wholesale) when there is one."""
    where = [official_in_scope(), OfficialPrice.product_id == product_id,
             OfficialPrice.market == market, OfficialPrice.observed_on <= day]
    last = session.scalar(select(func.max(OfficialPrice.observed_on)).where(*where),
                          scope.values())
    if last is None:
        return None
    rows = list(session.scalars(
        select(OfficialPrice).where(*where, OfficialPrice.observed_on == last), scope.values()))
    same_kind = [r for r in rows if r.price_type == price_type]
    return one_price(same_kind or rows)


def one_price(rows: list[OfficialPrice]) -> MarketPrice:
    """One price for a market and day: a coordinator's newest (a correction replaces the
    price set earlier that day); else retail (or unsaid) before wholesale, and the median of
    several commodity variants of the product (white and mixed maize)."""
    set_here = [r for r in rows if r.source == "coordinator"]
    if set_here:
        chosen = [max(set_here, key=lambda r: r.id)]
    else:
        chosen = [r for r in rows if r.price_type != "wholesale"] or rows
    first = chosen[0]
    return MarketPrice(first.market, first.place_id, first.observed_on,
                       statistics.median(r.amount for r in chosen), first.price_type)


def keyed_prices(session: Session, source: str) -> dict[str, tuple[int, float]]:
    """source key -> (id, amount) of every price imported from `source`."""
    rows = session.execute(select(OfficialPrice.source_key, OfficialPrice.id, OfficialPrice.amount)
                           .where(OfficialPrice.source == source))
    return {key: (row_id, amount) for key, row_id, amount in rows}


def insert_prices(session: Session, rows: list[dict]) -> None:
    """Adds many official prices in batches (an import)."""
    for start in range(0, len(rows), 1000):
        session.execute(OfficialPrice.__table__.insert(), rows[start:start + 1000])


def set_amount(session: Session, price_id: int, amount: float) -> None:
    session.execute(update(OfficialPrice).where(OfficialPrice.id == price_id).values(amount=amount))


# --- Members' reports ---------------------------------------------------------------------------

def add_report(session: Session, **fields) -> PriceReport:
    report = PriceReport(**fields)
    session.add(report)
    session.flush()
    return report


def report_amounts(session: Session, cluster_ids: tuple[int, ...], product_id: int, currency: str,
                   since: datetime, until: datetime, place_id: int | None = None) -> list[float]:
    """The published reports of the product in the clusters after `since`, up to `until`."""
    return list(session.scalars(reports_statement(place_id is not None), {
        "cluster_ids": list(cluster_ids), "product_id": product_id, "currency": currency,
        "since": since, "until": until, "place_id": place_id}))


@lru_cache
def reports_statement(one_place: bool):
    """`report_amounts`'s statement, built once (for every place, and for one)."""
    where = [PriceReport.cluster_id.in_(bindparam("cluster_ids", expanding=True)),
             PriceReport.product_id == bindparam("product_id"),
             PriceReport.currency == bindparam("currency"), PriceReport.status == "published",
             PriceReport.reported_at > bindparam("since"),
             PriceReport.reported_at <= bindparam("until")]
    if one_place:
        where.append(PriceReport.place_id == bindparam("place_id"))
    return select(PriceReport.amount).where(*where).order_by(PriceReport.id.desc()).limit(5000)


def held_report(session: Session, report_id: int) -> PriceReport | None:
    return session.scalar(select(PriceReport).where(PriceReport.id == report_id,
                                                    PriceReport.status == "held"))


def held_reports(session: Session, cluster_ids: list[int], limit: int = 4) -> list[PriceReport]:
    """The oldest reports waiting for a coordinator in these clusters."""
    return list(session.scalars(
        select(PriceReport).where(PriceReport.cluster_id.in_(cluster_ids),
                                  PriceReport.status == "held")
        .order_by(PriceReport.id).limit(limit)))


def decide(report: PriceReport, decider_id: int | None, publish: bool) -> None:
    """Publishes or rejects a report; `decider_id` is the member who checked it (None: a
    dashboard user, named in the audit log)."""
    report.status = "published" if publish else "rejected"
    report.decided_by, report.decided_at = decider_id, utcnow()


# --- Settings, baselines, digests ---------------------------------------------------------------

def settings_for(session: Session, cluster_id: int) -> PriceSettings:
    """The cluster's price settings (the defaults when none were set; not saved)."""
    return session.get(PriceSettings, cluster_id) or PriceSettings(
        cluster_id=cluster_id, alert_percent=DEFAULT_ALERT_PERCENT,
        digest_day=DEFAULT_DIGEST_DAY, digest_hour=DEFAULT_DIGEST_HOUR)


def save_settings(session: Session, cluster_id: int, **changes) -> PriceSettings:
    current = settings_for(session, cluster_id)
    for name, value in changes.items():
        setattr(current, name, value)
    session.merge(current)
    session.flush()
    return current


def baseline(session: Session, cluster_id: int, product_id: int) -> PriceBaseline | None:
    return session.get(PriceBaseline, (cluster_id, product_id))


def set_baseline(session: Session, cluster_id: int, product_id: int, median: float) -> None:
    found = baseline(session, cluster_id, product_id)
    if found:
        found.median = median
    else:
        session.add(PriceBaseline(cluster_id=cluster_id, product_id=product_id, median=median))


def claim_digest(session: Session, cluster_id: int, due_on: date) -> PriceDigest | None:
    """Marks the cluster's digest of `due_on` as sent; None when it already was (by this
    process or another)."""
    if session.scalar(select(PriceDigest.id).where(PriceDigest.cluster_id == cluster_id,
                                                   PriceDigest.due_on == due_on)):
        return None
    try:
        with session.begin_nested():
            digest = PriceDigest(cluster_id=cluster_id, due_on=due_on)
            session.add(digest)
    except IntegrityError:
        return None
    return digest


# --- Who hears about prices ---------------------------------------------------------------------

def subscriber_ids(cluster_id: int, product_id: int, language: str | None,
                   except_member: int | None = None) -> Select:
    """Registered members of the cluster who deal in the product and read `language` (None:
    those with no language), as a select of ids for outbox.queue_to_members."""
    language_is = Member.language.is_(None) if language is None else Member.language == language
    return (select(Member.id).distinct()
            .join(Membership, Membership.member_id == Member.id)
            .join(MemberProduct, MemberProduct.member_id == Member.id)
            .where(Membership.cluster_id == cluster_id, MemberProduct.product_id == product_id,
                   Member.registered, language_is, Member.id != (except_member or 0)))


def subscriber_languages(session: Session, cluster_id: int, product_id: int) -> list[str | None]:
    """The languages the product's subscribers in the cluster read (None: not chosen)."""
    return list(session.scalars(
        select(Member.language).distinct()
        .join(Membership, Membership.member_id == Member.id)
        .join(MemberProduct, MemberProduct.member_id == Member.id)
        .where(Membership.cluster_id == cluster_id, MemberProduct.product_id == product_id,
               Member.registered)))


def digest_members(session: Session, cluster_id: int) -> list[Member]:
    """Registered, reachable members of the cluster who deal in at least one catalog product."""
    return list(session.scalars(
        select(Member).distinct()
        .join(Membership, Membership.member_id == Member.id)
        .join(MemberProduct, MemberProduct.member_id == Member.id)
        .where(Membership.cluster_id == cluster_id, MemberProduct.product_id.is_not(None),
               Member.registered, ~Member.opted_out, Member.deleted_at.is_(None))
        .order_by(Member.id)))


def coordinators_of(session: Session, cluster_id: int) -> list[Member]:
    return list(session.scalars(
        select(Member).join(Membership, Membership.member_id == Member.id)
        .where(Membership.cluster_id == cluster_id, Membership.role == "coordinator")
        .order_by(Member.id)))


def places_by_name(session: Session) -> dict[str, Place]:
    """Every gazetteer place by its exact name (what an import's market column holds)."""
    return {p.name: p for p in session.scalars(select(Place).where(Place.cluster_id.is_(None)))}


def all_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product)))

"""What the dashboard's prices page reads: the products and markets a cluster has prices of, the
prices week by week (the median of members' reports, the cluster's prices of record, WFP's),
and the reports held for a coordinator's check."""
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Cluster, Member
from storage.prices import OfficialPrice, PriceReport, one_price

COORDINATOR, WFP = "coordinator", "wfp"  # the sources of official prices the page draws
MOST_ROWS = 20_000  # per series: a year of a busy cluster's reports; more is cut, newest kept


@dataclass(frozen=True)
class Week:
    """One week's prices of a product: each a median, None when there was none that week."""

    start: date  # its Monday
    members: float | None
    reports: int
    official: float | None
    wfp: float | None


@dataclass(frozen=True)
class HeldReport:
    """A report held for a check, as the page lists it."""

    id: int
    product_id: int
    market: str
    amount: float
    unit: str
    currency: str
    reference: float | None
    reported_at: datetime
    reporter: str | None


def own_official(cluster: Cluster):
    """SQL: the cluster's prices of record, set by its coordinators."""
    return ((OfficialPrice.cluster_id == cluster.id) & (OfficialPrice.source == COORDINATOR)
            & (OfficialPrice.currency == cluster.currency))


def wfp_official(cluster: Cluster):
    """SQL: WFP's prices for the cluster's country, in its currency."""
    return (OfficialPrice.cluster_id.is_(None) & (OfficialPrice.source == WFP)
            & (OfficialPrice.country == cluster.country)
            & (OfficialPrice.currency == cluster.currency))


def reported(cluster: Cluster):
    """SQL: the cluster's members' reports, in its currency."""
    return (PriceReport.cluster_id == cluster.id) & (PriceReport.currency == cluster.currency)


def priced_products(session: Session, cluster: Cluster) -> list[tuple[int, int]]:
    """(product id, prices known) of every product with a report or a price the page draws, the
    most priced first."""
    counts: dict[int, int] = {}
    for column, where in ((PriceReport.product_id, reported(cluster)),
                          (OfficialPrice.product_id, own_official(cluster)),
                          (OfficialPrice.product_id, wfp_official(cluster))):
        for product_id, count in session.execute(
                select(column, func.count()).where(where).group_by(column)):
            counts[product_id] = counts.get(product_id, 0) + count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def markets(session: Session, cluster: Cluster, product_id: int) -> list[str]:
    """The markets the product has reports or prices at, by name."""
    names: set[str] = set()
    for column, product, where in (
            (PriceReport.market, PriceReport.product_id, reported(cluster)),
            (OfficialPrice.market, OfficialPrice.product_id, own_official(cluster)),
            (OfficialPrice.market, OfficialPrice.product_id, wfp_official(cluster))):
        names.update(session.scalars(select(column).distinct()
                                     .where(where, product == product_id)))
    return sorted(names, key=str.casefold)


def weekly(session: Session, cluster: Cluster, product_id: int, first: date, weeks: int,
           market: str | None = None) -> list[Week]:
    """The product's prices in each of `weeks` weeks from the Monday `first` (weeks in the
    cluster's time zone), at one market or all: the median of the published reports, and the
    median over markets and days of the cluster's prices of record and of WFP's (each market's
    price of a day as `storage.prices.one_price` takes it)."""
    zone = ZoneInfo(cluster.timezone)
    since = datetime.combine(first, time.min, zone)
    reports = report_days(session, cluster, product_id, since, market, zone)
    own = official_days(session, own_official(cluster), product_id, first, market)
    wfp = official_days(session, wfp_official(cluster), product_id, first, market)
    said, own, wfp = (weekly_lists(days, first) for days in (reports, own, wfp))
    return [Week(start, median(said.get(start, [])), len(said.get(start, [])),
                 median(own.get(start, [])), median(wfp.get(start, [])))
            for start in (first + timedelta(weeks=n) for n in range(weeks))]


def report_days(session: Session, cluster: Cluster, product_id: int, since: datetime,
                market: str | None, zone: ZoneInfo) -> list[tuple[date, float]]:
    """(local day, amount) of the product's published reports since `since`."""
    where = [reported(cluster), PriceReport.product_id == product_id,
             PriceReport.status == "published", PriceReport.reported_at >= since]
    if market:
        where.append(PriceReport.market == market)
    rows = session.execute(select(PriceReport.reported_at, PriceReport.amount).where(*where)
                           .order_by(PriceReport.reported_at.desc()).limit(MOST_ROWS))
    return [(moment.astimezone(zone).date(), amount) for moment, amount in rows]


def official_days(session: Session, scope, product_id: int, first: date,
                  market: str | None) -> list[tuple[date, float]]:
    """(day, amount): one price per market and day of the official prices in `scope`."""
    where = [scope, OfficialPrice.product_id == product_id, OfficialPrice.observed_on >= first]
    if market:
        where.append(OfficialPrice.market == market)
    rows = session.scalars(select(OfficialPrice).where(*where)
                           .order_by(OfficialPrice.observed_on.desc()).limit(MOST_ROWS))
    by_day: dict[tuple[str, date], list[OfficialPrice]] = {}
    for row in rows:
        by_day.setdefault((row.market, row.observed_on), []).append(row)
    return [(day, one_price(same).amount) for (_, day), same in by_day.items()]


def weekly_lists(days: list[tuple[date, float]], first: date) -> dict[date, list[float]]:
    """The amounts by the Monday of their week (`first` is a Monday)."""
    found: dict[date, list[float]] = {}
    for day, amount in days:
        found.setdefault(first + timedelta(weeks=(day - first).days // 7), []).append(amount)
    return found


def median(amounts: list[float]) -> float | None:
    """The median, None of no amounts."""
    return statistics.median(amounts) if amounts else None


def held(session: Session, cluster_id: int, limit: int) -> tuple[list[HeldReport], int]:
    """The oldest reports of the cluster waiting for a check (at most `limit`), and how many
    wait in all."""
    waiting = (PriceReport.cluster_id == cluster_id) & (PriceReport.status == "held")
    total = session.scalar(select(func.count()).where(waiting)) or 0
    rows = session.execute(
        select(PriceReport, Member.name).outerjoin(Member, Member.id == PriceReport.member_id)
        .where(waiting).order_by(PriceReport.id).limit(limit))
    return [HeldReport(r.id, r.product_id, r.market, r.amount, r.unit, r.currency, r.reference,
                       r.reported_at, name) for r, name in rows], total


def report_of(session: Session, cluster_id: int, report_id: int) -> PriceReport | None:
    """The cluster's report `report_id` (None for another cluster's), locked until the
    transaction ends, so two coordinators cannot both decide it."""
    return session.scalar(select(PriceReport).where(PriceReport.id == report_id,
                                                    PriceReport.cluster_id == cluster_id)
                          .with_for_update())

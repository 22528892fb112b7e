"""A cluster's prices on the dashboard: per product (and market), the weekly median of members'
reports against the cluster's prices of record and WFP's, as a chart and a table; the reports
held for a check, published or rejected here as by `PRICE YES/NO code`; the price settings."""
from datetime import timedelta
from urllib.parse import urlencode

from babel.dates import get_day_names
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web import charts
from bot.web.site import Page, Site
from handlers import prices as price_verbs
from handlers.labels import product_label, unit_label
from handlers.prices import day_label, local_now, money
from locales.i18n import N_, Plural
from storage import price_pages, prices
from storage.models import Product

SPANS = (12, 26, 52)  # weeks a chart may cover
DEFAULT_SPAN = 26
HELD_LISTED = 50
DECISIONS = {"publish": True, "reject": False}
CHART = N_("Weekly prices of {product}, {currency}/{unit}")
WAITING = Plural("{count} report waiting for a check", "{count} reports waiting for a check")


def routes(site: Site) -> list[Route]:
    """The prices page, a held report's check and the settings' change."""
    def show(page: Page) -> Response:
        return site.render(page, page.request, "prices.html", **context(page))

    def check(page: Page) -> Response:
        """Publishes or rejects a held report of this cluster, as `PRICE YES/NO code` does."""
        publish = DECISIONS.get(page.form.get("decision", ""))
        if publish is None:
            return site.refusal(page.request, 400, page)
        report_id = page.request.path_params["report_id"]
        report = price_pages.report_of(page.session, page.cluster.id, report_id)
        if report is None:
            return site.refusal(page.request, 404, page)
        outcome = "already"
        if report.status == "held":
            price_verbs.decide(page.session, report, page.account.actor, publish)
            outcome = "published" if publish else "rejected"
        return back(page, product=report.product_id, **{outcome: report.id})

    def settings(page: Page) -> Response:
        """Changes when members are alerted and when the weekly digest goes."""
        try:
            price_verbs.change_settings(page.session, page.cluster, page.account.actor,
                                        **typed_settings(page))
        except ValueError:  # not a number, or out of range (SettingsError): nothing changed
            return site.render(page, page.request, "prices.html", status=400,
                               **context(page, refused=True))
        return back(page, saved=1)

    base = "/dashboard/{slug}/prices"
    return [Route(base, site.page(show)),
            Route(base + "/reports/{report_id:int}", site.page(check, acting=True),
                  methods=["POST"]),
            Route(base + "/settings", site.page(settings, acting=True), methods=["POST"])]


def back(page: Page, **query) -> RedirectResponse:
    """Back to the prices page after an action, `query` saying what it did."""
    return RedirectResponse(f"/dashboard/{page.cluster.slug}/prices?{urlencode(query)}", 303)


# --- The page ---------------------------------------------------------------------------------

def context(page: Page, refused: bool = False) -> dict:
    """Everything the page shows: the chosen product's weeks, the held reports, the settings."""
    session, cluster, lang = page.session, page.cluster, page.language
    asked = page.request.query_params
    products = [(pid, product_label(session, pid, lang))
                for pid, _ in price_pages.priced_products(session, cluster)]
    chosen = next((pid for pid, _ in products if str(pid) == asked.get("product")),
                  products[0][0] if products else None)
    held, waiting = price_pages.held(session, cluster.id, HELD_LISTED)
    found = dict(products=products, product_id=chosen, held=[held_row(page, r) for r in held],
                 waiting=waiting, waiting_label=WAITING, settings=settings_shown(page),
                 refused=refused, notice=notice(page), spans=SPANS)
    if chosen is None:
        return dict(found, weeks=[], chart="", markets=[], market=None, span=DEFAULT_SPAN)
    return dict(found, **product_weeks(page, chosen))


def product_weeks(page: Page, product_id: int) -> dict:
    """The product's markets and its weeks (newest last), drawn and in numbers."""
    session, cluster, lang = page.session, page.cluster, page.language
    asked = page.request.query_params
    markets = price_pages.markets(session, cluster, product_id)
    market = asked.get("market") if asked.get("market") in markets else None
    span = next((s for s in SPANS if str(s) == asked.get("weeks")), DEFAULT_SPAN)
    today = local_now(cluster.timezone).date()
    first = today - timedelta(days=today.weekday(), weeks=span - 1)
    weeks = price_pages.weekly(session, cluster, product_id, first, span, market)
    unit = unit_label(session.get(Product, product_id).unit, lang)
    labels = [day_label(week.start, today, lang) for week in weeks]
    title = page._(CHART, product=product_label(session, product_id, lang),
                   currency=cluster.currency, unit=unit)
    chart = charts.lines([(name, [getattr(week, name) for week in weeks])
                          for name in ("members", "official", "wfp")],
                         labels, title, lambda value: money(value, lang))
    return dict(markets=markets, market=market, span=span, chart=chart, chart_title=title,
                weeks=[(label, week) for label, week in zip(labels, weeks)
                       if week.reports or week.official is not None or week.wfp is not None],
                money=lambda value: "–" if value is None else money(value, lang))


def held_row(page: Page, report: price_pages.HeldReport) -> dict:
    """A held report as its table shows it, in the reader's language."""
    lang = page.language
    return dict(id=report.id, product=product_label(page.session, report.product_id, lang),
                market=report.market, reporter=report.reporter, reported_at=report.reported_at,
                amount=f"{money(report.amount, lang)} {report.currency}/"
                       f"{unit_label(report.unit, lang)}",
                usual=money(report.reference, lang) if report.reference is not None else "–")


def notice(page: Page) -> str | None:
    """What the last action did, from the address it came back to."""
    asked = page.request.query_params
    for key, text in (("published", N_("Price report {code} is published.")),
                      ("rejected", N_("Price report {code} is rejected.")),
                      ("already", N_("Price report {code} was already checked."))):
        if asked.get(key, "").isdigit():
            return page._(text, code=asked[key][:10])
    return page._(N_("Saved.")) if asked.get("saved") else None


# --- Settings ---------------------------------------------------------------------------------

def settings_shown(page: Page) -> dict:
    """The cluster's price settings, the alert percent's range and the days' names."""
    current = prices.settings_for(page.session, page.cluster.id)
    return dict(alert_percent=current.alert_percent, digest_day=current.digest_day,
                digest_hour=current.digest_hour, least=price_verbs.ALERT_LEAST,
                most=price_verbs.ALERT_MOST, timezone=page.cluster.timezone,
                days=sorted(get_day_names("wide", locale=page.language).items()))


def typed_settings(page: Page) -> dict:
    """The settings as the form gives them (ValueError when one is no number)."""
    form = page.form
    return dict(alert_percent=float(form.get("alert_percent", "").strip().replace(",", ".")),
                digest_day=int(form.get("digest_day", "")),
                digest_hour=int(form.get("digest_hour", "")))

"""GET /dashboard (the clusters the account may see) and /dashboard/{slug}/ (a cluster's home)."""
from datetime import datetime, timedelta, timezone

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web import charts
from bot.web.site import Page, Site
from locales.i18n import N_
from locales.skills import skill_name
from storage import clusters, overview

DAYS_CHARTED = 14
FAILURES_SINCE = timedelta(days=7)


def routes(site: Site) -> list[Route]:
    def index(page: Page) -> Response:
        visible = [c for c in clusters.all_clusters(page.session) if page.account.role_in(c.id)]
        if len(visible) == 1:
            return RedirectResponse(f"/dashboard/{visible[0].slug}/", 303)
        return site.render(page, page.request, "index.html", clusters=visible)

    def home(page: Page) -> Response:
        return site.render(page, page.request, "home.html", **figures(page))

    return [Route("/dashboard", site.page(index)), Route("/dashboard/", site.page(index)),
            Route("/dashboard/{slug}/", site.page(home)),
            Route("/dashboard/{slug}", lambda request: RedirectResponse(
                f"/dashboard/{request.path_params['slug']}/", 308))]


def figures(page: Page) -> dict:
    session, cluster_id = page.session, page.cluster.id
    now = datetime.now(timezone.utc)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = overview.messages_per_day(session, cluster_id,
                                     (now - timedelta(days=DAYS_CHARTED - 1)).date(), now.date())
    return dict(
        members=overview.member_count(session, cluster_id),
        roles=overview.members_by_role(session, cluster_id),
        places=overview.members_by_place(session, cluster_id),
        new_this_month=overview.new_members(session, cluster_id, month_start),
        days=days,
        chart=charts.bars([("in", [d.inbound for d in days]), ("out", [d.outbound for d in days])],
                          [d.day.isoformat() for d in days], page._(MESSAGES_CHART)),
        failures=overview.failed_sends(session, cluster_id, now - FAILURES_SINCE),
        meetings=overview.upcoming_meetings(session, cluster_id, now),
        needs=[(skill_name(skill, page.language) if skill else wording, count)
               for skill, wording, count in overview.open_needs(session, cluster_id)],
        market=overview.market_counts(session, cluster_id, now),
    )


MESSAGES_CHART = N_("Messages in and out per day")

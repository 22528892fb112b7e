"""A cluster's skills needs on the dashboard: the top needs (each member counted once), the
alert threshold, the trainings planned with their answers; setting the threshold and planning a
training through the verbs the CLI and conversations call (handlers.skills).

What members wrote in their own words is theirs: a viewer sees how many ask, never the words."""
from datetime import datetime, timezone

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.meetings import moment, rows
from bot.web.site import Page, Site
from handlers import meetings as meeting_verbs
from handlers import skills
from handlers.labels import shorten
from locales.i18n import N_, Plural, number
from locales.skills import skill_name
from storage import skills as store

SHOWN = 30  # needs listed; the rest are counted
OWN_WORDS = N_("A need in members' own words")
ALERTS = Plural("Coordinators are told by SMS when {count} member needs the same skill.",
                "Coordinators are told by SMS when {count} members need the same skill.")
BAD_THRESHOLD = N_("Give a whole number of members, from 1 to {count}.")
TOLD = N_("Coordinators were told just now about: {skills}.")
UNKNOWN_NEED = N_("Choose one of the needs listed.")
SAVED = N_("Saved.")
MORE = Plural("and {count} more need", "and {count} more needs")


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "skills.html", **context(page))

    def threshold(page: Page) -> Response:
        typed = page.field("members")
        try:
            told = skills.set_threshold(page.session, page.cluster, page.account.actor,
                                        int(typed) if typed.isdigit() and len(typed) < 9 else 0)
        except ValueError:
            error = page._(BAD_THRESHOLD, count=number(skills.THRESHOLDS[1], page.language))
            return site.render(page, page.request, "skills.html", status=400,
                               **context(page, threshold_error=error, typed={"members": typed}))
        return RedirectResponse(f"{skills_path(page)}?saved=1&told={','.join(told)}#threshold",
                                303)

    def training(page: Page) -> Response:
        typed = page.fields("need", "day", "time", "place")
        row = next((r for r in skills.needs_table(page.session, page.cluster.id)
                    if row_key(r) == typed["need"]), None)
        try:
            if row is None:
                raise meeting_verbs.Refused(UNKNOWN_NEED)
            planned, invited = skills.plan_training(
                page.session, page.cluster, page.account.actor, starts_at=moment(page, typed),
                place=typed["place"], **subject(page, row))
        except meeting_verbs.Refused as refusal:
            return site.render(page, page.request, "skills.html", status=400,
                               **context(page, training_error=refusal.text(page.language),
                                         typed=typed))
        return RedirectResponse(
            f"/dashboard/{page.cluster.slug}/meetings/{planned.id}?invited={invited}", 303)

    base = "/dashboard/{slug}/skills"
    return [Route(base, site.page(listing), methods=["GET"]),
            Route(f"{base}/threshold", site.page(threshold, acting=True), methods=["POST"]),
            Route(f"{base}/training", site.page(training, acting=True), methods=["POST"])]


def skills_path(page: Page) -> str:
    return f"/dashboard/{page.cluster.slug}/skills"


def row_key(row: skills.NeedRow) -> str:
    """What names a need in the training form: its skill, or `~` and the first words asked."""
    return row.skill or "~" + row.first


def subject(page: Page, row: skills.NeedRow) -> dict:
    """The skill, topic and title of a training for a need, as the conversation gives them."""
    if row.skill:
        name = skill_name(row.skill, page.language)
        return {"skill": row.skill, "topic": name, "title": name}
    return {"skill": None, "topic": row.first,
            "title": shorten(row.wording, meeting_verbs.MAX_TITLE)}


def need_of(page: Page, row: skills.NeedRow, limit: int, shows_words: bool) -> dict:
    """A line of the needs table: the words members used only for those who may read them."""
    examples = [w for w, _count in row.wordings.most_common(skills.EXAMPLES)]
    if row.skill:
        label = skill_name(row.skill, page.language)
    else:
        label = row.wording if shows_words else page._(OWN_WORDS)
    return {"key": row_key(row), "label": label, "members": len(row.members),
            "examples": examples if shows_words else [], "reached": len(row.members) >= limit}


def context(page: Page, **extra) -> dict:
    session, cluster_id = page.session, page.cluster.id
    limit = store.threshold(session, cluster_id)
    shows_words = page.sees_phones  # coordinators and admins: the people who act on them
    table = skills.needs_table(session, cluster_id)
    acts = page.account.may_act(cluster_id)
    shown = dict(needs=[need_of(page, row, limit, shows_words) for row in table[:SHOWN]],
                more=page._(MORE, count=len(table) - SHOWN) if len(table) > SHOWN else None,
                shows_words=shows_words, threshold=limit,
                alerts=page._(ALERTS, count=limit), acts=acts, least=skills.THRESHOLDS[0],
                most=skills.THRESHOLDS[1], told=told(page),
                choices=[need_of(page, row, limit, True) for row in table] if acts else [],
                trainings=rows(page, datetime.now(timezone.utc), upcoming=True, kind="training"),
                max_place=meeting_verbs.MAX_PLACE, typed={}, threshold_error=None,
                training_error=None)
    return shown | extra


def told(page: Page) -> str | None:
    """After the threshold was saved: the skills coordinators were just told about."""
    asked = page.request.query_params
    if asked.get("saved") != "1":
        return None
    known = [skill_name(slug, page.language) for slug in asked.get("told", "").split(",")
             if slug in skills.catalog()]
    return page._(TOLD, skills=", ".join(known)) if known else page._(SAVED)

"""A cluster's meetings and trainings on the dashboard: the list with the answers counted, a
meeting's RSVP lists, and calling, moving or cancelling one through the verbs the conversations
call (handlers.meetings: they check, tell the invited and write the audit row).

A viewer sees who comes by name, never a phone number."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.site import Page, Site
from handlers import dates
from handlers import meetings as verbs
from locales.i18n import N_, Plural
from storage import meeting_pages
from storage import meetings as meeting_store
from storage.meeting_pages import Counted
from storage.meetings import Meeting

PAST_SHOWN = 50
NO_MOMENT = N_("Give a date and a time.")
NO_NAME = N_("(no name)")
KINDS = {"meeting": N_("Meeting"), "training": N_("Training")}
STATUSES = {"scheduled": N_("Scheduled"), "cancelled": N_("Cancelled"), "held": N_("Held"),
            "begun": N_("Under way")}
# Who was invited, by answer: (heading, answer).
GROUPS = ((N_("Coming"), "yes"), (N_("Not coming"), "no"), (N_("No answer yet"), None))
REACHES = Plural("The invitation will reach {count} member.",
                 "The invitation will reach {count} members.")
INVITED = Plural("Invitation sent to {count} member.", "Invitation sent to {count} members.")
DONE = {"moved": "is_moved", "cancelled": "is_cancelled"}  # ?done=... -> what the verb said


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "meetings.html", **list_context(page))

    def call(page: Page) -> Response:
        typed = page.fields("day", "time", "place", "title")
        try:
            meeting, invited = verbs.create(page.session, page.cluster, page.account.actor,
                                            typed["title"], typed["place"], moment(page, typed))
        except verbs.Refused as refusal:
            return site.render(page, page.request, "meetings.html", status=400,
                               **list_context(page, typed, refusal.text(page.language)))
        return RedirectResponse(f"{meeting_path(page, meeting)}?invited={invited}", 303)

    one = site.one(meeting_pages.find, "key")

    def show(page: Page, meeting: Meeting) -> Response:
        return site.render(page, page.request, "meeting.html", **meeting_context(page, meeting))

    def shift(page: Page, meeting: Meeting) -> Response:
        typed = page.fields("day", "time", "place")
        try:
            told = verbs.move(page.session, meeting, page.account.actor, moment(page, typed),
                              place=typed["place"] or None)
        except verbs.Refused as refusal:
            return site.render(page, page.request, "meeting.html", status=400,
                               **meeting_context(page, meeting, typed,
                                                 refusal.text(page.language)))
        return RedirectResponse(f"{meeting_path(page, meeting)}?done=moved&told={told}", 303)

    def call_off(page: Page, meeting: Meeting) -> Response:
        try:
            told = verbs.cancel(page.session, meeting, page.account.actor)
        except verbs.Refused as refusal:
            return site.render(page, page.request, "meeting.html", status=400,
                               **meeting_context(page, meeting,
                                                 error=refusal.text(page.language)))
        return RedirectResponse(f"{meeting_path(page, meeting)}?done=cancelled&told={told}", 303)

    base = "/dashboard/{slug}/meetings"
    return [Route(base, site.page(listing), methods=["GET"]),
            Route(base, site.page(call, acting=True), methods=["POST"]),
            Route(base + "/{key}", site.page(one(show)), methods=["GET"]),
            Route(base + "/{key}/move", site.page(one(shift), acting=True), methods=["POST"]),
            Route(base + "/{key}/cancel", site.page(one(call_off), acting=True),
                  methods=["POST"])]


def meeting_path(page: Page, meeting: Meeting) -> str:
    return f"/dashboard/{page.cluster.slug}/meetings/{meeting.id}"


def moment(page: Page, typed: dict) -> datetime:
    """The date and time typed, in the cluster's time zone; Refused when unreadable."""
    try:
        day, clock = date.fromisoformat(typed["day"]), time.fromisoformat(typed["time"])
    except ValueError:
        raise verbs.Refused(NO_MOMENT) from None
    return dates.at(day, clock.hour * 60 + clock.minute, ZoneInfo(page.cluster.timezone))


def local_fields(page: Page, meeting: Meeting) -> dict:
    """The meeting's date, time and place as the move form shows them."""
    local = meeting.starts_at.astimezone(ZoneInfo(page.cluster.timezone))
    return {"day": local.date().isoformat(), "time": local.strftime("%H:%M"),
            "place": meeting.place}


# --- What the pages show ----------------------------------------------------------------------

def row_of(page: Page, counted: Counted, now: datetime) -> dict:
    """A line of a list of meetings, in the reader's language."""
    meeting = counted.meeting
    return {"path": meeting_path(page, meeting), "title": verbs.title_in(meeting, page.language),
            "kind": page._(KINDS.get(meeting.kind, KINDS["meeting"])),
            "status": page._(STATUSES[status_of(meeting, now)]), "meeting": meeting,
            "counted": counted}


def status_of(meeting: Meeting, now: datetime) -> str:
    if meeting.status == "scheduled" and meeting.starts_at <= now:
        return "begun"
    return meeting.status if meeting.status in STATUSES else "held"


def rows(page: Page, now: datetime, *, upcoming: bool, kind: str | None = None,
         limit: int = 100) -> list[dict]:
    """The cluster's upcoming (or past) meetings as lines of a list."""
    return [row_of(page, counted, now) for counted in meeting_pages.counted(
        page.session, page.cluster.id, now, upcoming=upcoming, kind=kind, limit=limit)]


def list_context(page: Page, typed: dict | None = None, error: str | None = None) -> dict:
    now = datetime.now(timezone.utc)
    acts = page.account.may_act(page.cluster.id)
    reach = meeting_store.audience_size(page.session, page.cluster.id, None) if acts else 0
    return dict(upcoming=rows(page, now, upcoming=True),
                past=rows(page, now, upcoming=False, limit=PAST_SHOWN),
                acts=acts, reach=page._(REACHES, count=reach), typed=typed or {}, error=error,
                limits={"place": verbs.MAX_PLACE, "title": verbs.MAX_TITLE})


def meeting_context(page: Page, meeting: Meeting, typed: dict | None = None,
                    error: str | None = None) -> dict:
    now = datetime.now(timezone.utc)
    invited = meeting_pages.invitees(page.session, meeting.id)
    groups = [(page._(heading), [person(page, i) for i in invited if i.answer == answer])
              for heading, answer in GROUPS]
    counted = Counted(meeting, *(len(people) for _heading, people in groups))
    return dict(row=row_of(page, counted, now), groups=groups, error=error,
                acts=page.account.may_act(page.cluster.id) and verbs.is_open(meeting, now),
                typed=typed or local_fields(page, meeting), notice=notice(page, meeting),
                max_place=verbs.MAX_PLACE)


def person(page: Page, invitee: meeting_pages.Invitee) -> dict:
    """An invitee as the lists show them: a name, and a phone for those who may see it."""
    name = invitee.name or (f"@{invitee.telegram_username}" if invitee.telegram_username
                            else page._(NO_NAME))
    return {"name": name, "member_id": invitee.member_id,
            "phone": invitee.phone if page.sees_phones else None}


def notice(page: Page, meeting: Meeting) -> str | None:
    """What was just done, from the address the action sent the reader to."""
    asked = page.request.query_params
    told = asked.get("told", asked.get("invited", ""))
    if not (told.isdigit() and len(told) < 9):
        return None
    if asked.get("done") in DONE:
        return page._(verbs.text_of(meeting, DONE[asked["done"]]), code=meeting.code,
                      count=int(told), starts=dates.format_when(
                          meeting.starts_at, page.cluster.timezone, page.language, False))
    return page._(INVITED, count=int(told)) if "invited" in asked else None



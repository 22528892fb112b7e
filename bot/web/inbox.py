"""A cluster's inbox on the dashboard: what members sent that the bot did not understand (it
answered with the hint), newest first, for a coordinator to answer one person; the answer goes
to the member on their own channel through the outbox.

What members wrote is personal: a viewer sees only how many such messages there are."""
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.site import Page, Site
from handlers import inbox as answers
from storage import inbox

PER_PAGE = 50
MAX_ANSWER = 480  # characters: three SMS at most (GSM-7)
MAX_PAGE_DIGITS = 6


def routes(site: Site) -> list[Route]:
    def listing(page: Page, problem: str | None = None, status: int = 200) -> Response:
        return site.render(page, page.request, "inbox.html", status=status,
                           **inbox_context(page, problem))

    def answer(page: Page) -> Response:
        text = page.field("text")
        if not text or len(text) > MAX_ANSWER:
            return listing(page, page._("Write an answer of at most {count} characters.",
                                        count=MAX_ANSWER), 400)
        outcome = answers.answer(page.session, page.cluster.id,
                                 page.request.path_params["message_id"], page.account.actor, text)
        if outcome == answers.GONE:
            return site.refusal(page.request, 404, page)
        if outcome == answers.UNREACHABLE:
            return listing(page, page._("This member cannot be reached (they opted out, or have "
                                        "no channel left). Nothing was sent."), 409)
        return RedirectResponse(f"/dashboard/{page.cluster.slug}/messages?answered=1", 303)

    base = "/dashboard/{slug}/messages"
    return [Route(base, site.page(listing)),
            Route(base + "/{message_id:int}/answer", site.page(answer), methods=["POST"])]


def page_number(page: Page) -> int:
    asked = page.request.query_params.get("page", "")
    return int(asked) if asked.isdigit() and 0 < len(asked) <= MAX_PAGE_DIGITS else 1


def inbox_context(page: Page, problem: str | None) -> dict:
    """The counts for everyone; the messages and their senders only for those who may act."""
    counts = inbox.counts(page.session, page.cluster.id)
    number = max(1, page_number(page))
    rows = []
    if page.account.may_act(page.cluster.id):
        rows = inbox.page_of(page.session, page.cluster.id, number, PER_PAGE)
    return dict(counts=counts, rows=rows, page_no=number, problem=problem,
                more=number * PER_PAGE < counts.total, max_answer=MAX_ANSWER,
                answered=page.request.query_params.get("answered") == "1")

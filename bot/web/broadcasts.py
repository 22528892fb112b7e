"""A cluster's broadcasts on the dashboard: compose (the filters of the BROADCAST keyword, a text
per language of the cluster, now or at a time in the cluster's zone), preview the reach per
channel and the SMS it costs (the numbers the conversation's confirmation gives), send through
the verb the conversation calls, follow the sending live; and the history.

Viewers read the history and the progress; they neither preview nor send."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.engine import MAX_TEXT
from bot.web.site import Page, Site
from handlers import broadcasts
from handlers.budget import count_segments
from handlers.registration import ROLES
from locales.i18n import LANGUAGE_NAMES, N_, SHIPPED
from storage import broadcast_pages
from storage import broadcasts as stored
from storage import overview
from storage import products as catalog
from storage.models import Product

HISTORY = 50
PLACES_LISTED = 200
LATE = timedelta(minutes=1)  # a time this far gone is refused: the coordinator meant another
STATUS_LABELS = {"scheduled": N_("Scheduled"), "sending": N_("Sending"), "done": N_("Done"),
                 "missed": N_("Missed"), "cancelled": N_("Cancelled")}


@dataclass
class Draft:
    """A broadcast being composed, as the form gives it (values kept as typed, to show again)."""

    role: str = ""
    place: str = ""
    language: str = ""
    product: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    when: str = "now"
    send_at: str = ""
    problems: list[str] = field(default_factory=list)
    product_id: int | None = None
    moment: datetime | None = None

    @property
    def filters(self) -> dict:
        """The audience's filters as `handlers.broadcasts` reads them."""
        chosen = {"role": self.role, "place": self.place, "language": self.language,
                  "product_id": self.product_id}
        return {key: value for key, value in chosen.items() if value}

    @property
    def written(self) -> dict[str, str]:
        """language -> text, for the languages a text was written in."""
        return {language: text for language, text in self.texts.items() if text}


def routes(site: Site) -> list[Route]:
    def compose(page: Page) -> Response:
        return site.render(page, page.request, "broadcasts.html",
                           **compose_context(page, Draft(texts=blank_texts(page))))

    def preview(page: Page) -> Response:
        draft = read_draft(page)
        if draft.problems:
            return site.render(page, page.request, "broadcasts.html", status=400,
                               **compose_context(page, draft))
        return site.render(page, page.request, "broadcast_preview.html",
                           **compose_context(page, draft), **preview_context(page, draft))

    def send(page: Page) -> Response:
        draft = read_draft(page)
        if not draft.problems and not estimate(page, draft).members:
            draft.problems.append(page._("No member matches this broadcast. Nothing was sent."))
        if draft.problems:
            return site.render(page, page.request, "broadcasts.html", status=400,
                               **compose_context(page, draft))
        broadcast, _ = broadcasts.send(page.session, [page.cluster.id], page.account.actor,
                                       draft.written, draft.filters, send_at=draft.moment)
        return RedirectResponse(f"/dashboard/{page.cluster.slug}/broadcasts/{broadcast.id}", 303)

    def show(page: Page) -> Response:
        sent = chosen(page)
        if sent is None:
            return site.refusal(page.request, 404, page)
        return site.render(page, page.request, "broadcast.html", sent=sent,
                           **progress_context(page, sent))

    def progress(page: Page) -> Response:
        sent = chosen(page)
        if sent is None:
            return site.refusal(page.request, 404, page)
        return site.render(page, page.request, "broadcast_progress.html", sent=sent,
                           **progress_context(page, sent))

    base = "/dashboard/{slug}/broadcasts"
    return [Route(base, site.page(compose), methods=["GET"]),
            Route(base, site.page(send), methods=["POST"]),
            Route(f"{base}/preview", site.page(preview), methods=["POST"]),
            Route(base + "/{broadcast_id:int}", site.page(show)),
            Route(base + "/{broadcast_id:int}/progress", site.page(progress))]


# --- Compose and preview ----------------------------------------------------------------------

def blank_texts(page: Page) -> dict[str, str]:
    return {language: "" for language in page.cluster.languages}


def read_draft(page: Page) -> Draft:
    """The form's broadcast, with what is wrong in it (in the reader's language)."""
    draft = Draft(role=page.field("role"), place=page.field("place")[:200],
                  language=page.field("language"), product=page.field("product"),
                  texts={language: page.field(f"text_{language}")
                         for language in page.cluster.languages},
                  when="later" if page.field("when") == "later" else "now",
                  send_at=page.field("send_at")[:20])
    check(page, draft)
    return draft


def check(page: Page, draft: Draft) -> None:
    """Reads the product and the time of the draft, and lists what is wrong in it."""
    _ = page._
    if draft.role and draft.role not in ROLES:
        draft.problems.append(_("Choose a role from the list."))
    if draft.language and draft.language not in SHIPPED:
        draft.problems.append(_("Choose a language from the list."))
    if draft.product:
        draft.product_id = product_id(page, draft.product)
        if draft.product_id is None:
            draft.problems.append(_("Choose a product from the list."))
    if not draft.written:
        draft.problems.append(_("Write the text of the broadcast in at least one language."))
    if any(len(text) > MAX_TEXT for text in draft.texts.values()):
        draft.problems.append(_("A text is too long: at most {count} characters.",
                                count=MAX_TEXT))
    if draft.when == "later":
        draft.moment = moment(draft.send_at, page.cluster.timezone)
        if draft.moment is None:
            draft.problems.append(_("Give the date and time to send it."))
        elif draft.moment < datetime.now(timezone.utc) - LATE:
            draft.problems.append(_("That time has passed."))


def typed(page: Page, name: str) -> str:
    """A field of the form as typed, trimmed, with the browser's line ends made `\\n` ("" for
    a file posted in its place)."""
    value = page.form.get(name, "")
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def product_id(page: Page, value: str) -> int | None:
    if not value.isdigit() or len(value) > 9:
        return None
    return int(value) if page.session.get(Product, int(value)) else None


def moment(value: str, zone: str) -> datetime | None:
    """A `datetime-local` value (`2026-12-05T09:30`) in the cluster's zone, as UTC."""
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def compose_context(page: Page, draft: Draft) -> dict:
    """The form, filled with the draft, its choices, and the history under it."""
    session, cluster_id = page.session, page.cluster.id
    return dict(
        draft=draft, roles=list(ROLES), languages_named=LANGUAGE_NAMES,
        places=[name for name, _ in overview.members_by_place(session, cluster_id, PLACES_LISTED)
                if name],
        products=sorted(((product.id, catalog.display_name(product, page.language))
                         for product in broadcast_pages.catalog(session)),
                        key=lambda shown: shown[1].casefold()),
        history=history(page), statuses=STATUS_LABELS)


def estimate(page: Page, draft: Draft) -> broadcasts.Estimate:
    return broadcasts.estimate(page.session, [page.cluster.id], draft.filters, draft.written)


def preview_context(page: Page, draft: Draft) -> dict:
    """The reach per channel, the SMS segments of each text and what it costs in SMS."""
    texts = [(language, text, count_segments(text)) for language, text in draft.written.items()]
    product = page.session.get(Product, draft.product_id) if draft.product_id else None
    return dict(estimate=estimate(page, draft), texts=texts,
                product_name=catalog.display_name(product, page.language) if product else "")


# --- History and progress ---------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """How a broadcast's sending goes: messages per stage (`sent` counts the delivered too, as
    the coordinator's summary by SMS does), and why the failed ones failed."""

    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    cancelled: int
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return bool(self.queued or self.sending)


def figures(counts: dict[str, int], reasons: list[tuple[str, int]] = ()) -> Figures:
    summary = broadcasts.summary(counts)
    return Figures(queued=counts.get("queued", 0), sending=counts.get("sending", 0),
                   cancelled=counts.get("cancelled", 0), reasons=list(reasons), **summary)


def history(page: Page) -> list[tuple[broadcast_pages.Sent, Figures]]:
    sent = broadcast_pages.history(page.session, page.cluster.id, HISTORY)
    counts = stored.progress_of(page.session, [s.broadcast.id for s in sent])
    return [(s, figures(counts[s.broadcast.id])) for s in sent]


def chosen(page: Page) -> broadcast_pages.Sent | None:
    """The broadcast the address names, when it was sent to this cluster."""
    return broadcast_pages.of_cluster(page.session, page.cluster.id,
                                      page.request.path_params["broadcast_id"])


def progress_context(page: Page, sent: broadcast_pages.Sent) -> dict:
    broadcast = sent.broadcast
    counts = stored.progress(page.session, broadcast.id)
    shown = figures(counts, broadcast_pages.failure_reasons(page.session, broadcast.id))
    return dict(figures=shown, statuses=STATUS_LABELS, total=sum(counts.values()),
                polling=shown.pending or broadcast.status == "scheduled",
                texts=[(language, text) for language, text in broadcast.texts.items() if language],
                languages_named=LANGUAGE_NAMES)

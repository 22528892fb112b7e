"""What every dashboard page shares: the signed-in check, the cluster's access rule, the CSRF
check of a form, the unit of work, and rendering a template in the reader's language."""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from babel.core import negotiate_locale
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.settings import Settings
from bot.web import access
from bot.web.access import Account
from handlers import dates
from handlers.coordinators import ROLE as COORDINATOR
from handlers.registration import ROLES
from locales.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, N_, SHIPPED, number, translate
from storage import clusters
from storage.db import unit_of_work
from storage.models import LARGEST_ID, Cluster

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLE_LABELS = {**ROLES, COORDINATOR: N_("Coordinator")}
# The pages of a cluster, after its home, as the menu lists them: (path, label).
SECTIONS = [("members", N_("Members")), ("broadcasts", N_("Broadcasts")),
            ("messages", N_("Inbox")), ("meetings", N_("Meetings")), ("prices", N_("Prices")),
            ("skills", N_("Skills")), ("market", N_("Market")),
            ("directory", N_("Directory")), ("tenders", N_("Tenders")),
            ("surveys", N_("Surveys"))]
MASK = "•"
MAX_FORM_FIELDS = 200
MAX_FORM_PART = 1024 * 1024  # bytes: a members CSV of ~10,000 rows; larger ones go by the CLI


@dataclass
class Page:
    """One request to a dashboard page: who asks, about which cluster, with which form."""

    request: Request
    session: Session
    account: Account
    cluster: Cluster | None = None
    form: FormData | None = None
    language: str = DEFAULT_LANGUAGE
    extra: dict = field(default_factory=dict)

    def _(self, msgid, /, **values) -> str:
        return translate(self.language, msgid, **values)

    def field(self, name: str) -> str:
        """A text field of the posted form as typed, trimmed, line ends made `\\n` (empty when
        missing, or when a file was posted in its place)."""
        value = self.form.get(name, "") if self.form is not None else ""
        return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""

    def fields(self, *names: str) -> dict[str, str]:
        return {name: self.field(name) for name in names}

    @property
    def role(self) -> str | None:
        return self.account.role_in(self.cluster.id) if self.cluster else None

    @property
    def sees_phones(self) -> bool:
        """Viewers (partners, researchers) never see a member's phone number."""
        return self.role in ("admin", "coordinator")


class Site:
    """The dashboard's shared parts: settings, database, templates."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]):
        self.settings, self.factory = settings, factory
        self.idle_seconds = settings.dashboard_idle_minutes * 60
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES),
                                     autoescape=select_autoescape(default=True),
                                     trim_blocks=True, lstrip_blocks=True)

    def render(self, page: "Page | None", request: Request, name: str, status: int = 200,
               **context) -> HTMLResponse:
        language = page.language if page else reader_language(request)
        html = self.templates.get_template(name).render(
            request=request, page=page, lang=language, languages=LANGUAGE_NAMES,
            _=lambda msgid, /, **values: translate(language, msgid, **values),
            number=lambda value: number(value, language),
            role_label=lambda role: translate(language, ROLE_LABELS.get(role, role)),
            when=lambda moment: dates.format_when(moment, page.cluster.timezone, language, False),
            sections=SECTIONS, csrf=access.csrf_token(request), **context)
        return HTMLResponse(html, status_code=status)

    def page(self, view: Callable[[Page], Response], *, acting: bool = False):
        """An endpoint for `view`: signed-out readers go to the sign-in page; a cluster the
        account has no role in is 404 (its existence is not told); a viewer who acts, or a
        POST without the form's token, is 403 and changes nothing."""
        async def endpoint(request: Request) -> Response:
            form = None
            if request.method == "POST":
                form = await request.form(max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
                if not access.csrf_ok(request, form.get("csrf")):
                    return self.refusal(request, 403)
            return await run_in_threadpool(self._run, view, request, form,
                                           acting or request.method == "POST")
        return endpoint

    def _run(self, view, request: Request, form: FormData | None, acting: bool) -> Response:
        with unit_of_work(self.factory) as session:
            account = access.signed_in(request, session, self.idle_seconds)
            if account is None:
                return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
            page = Page(request, session, account, form=form, language=reader_language(request))
            if any(isinstance(value, int) and value > LARGEST_ID
                   for value in request.path_params.values()):
                return self.refusal(request, 404, page)  # a guess beyond any id the database has
            slug = request.path_params.get("slug")
            if slug is not None:
                page.cluster = clusters.by_slug(session, slug)
                if page.cluster is None or page.role is None:
                    page.cluster = None  # not even its name is shown
                    return self.refusal(request, 404, page)
                if acting and not account.may_act(page.cluster.id):
                    return self.refusal(request, 403, page)
            return view(page)

    def one(self, find: Callable, key: str = "code"):
        """Wraps a view of one thing of the cluster that the address names by `key`, found with
        `find(session, cluster_id, value)`: 404 when it is not this cluster's (another cluster's
        is not told apart from none)."""
        def wrap(view):
            def endpoint(page: Page) -> Response:
                found = find(page.session, page.cluster.id, page.request.path_params[key])
                return self.refusal(page.request, 404, page) if found is None else view(page, found)
            return endpoint
        return wrap

    def refusal(self, request: Request, status: int, page: Page | None = None) -> HTMLResponse:
        return self.render(page, request, "refusal.html", status=status, status_code=status)


def masked(text: str) -> str:
    """`+2547•••••002`: enough to tell two members apart, not enough to reach one (what a
    viewer is shown of a phone number)."""
    if len(text) < 10:
        return MASK * len(text)
    return text[:5] + MASK * (len(text) - 8) + text[-3:]


def reader_language(request: Request) -> str:
    """`?lang=xx` (kept for the session), the session's, else the browser's, else English."""
    asked = request.query_params.get("lang")
    if asked in SHIPPED:
        request.session["lang"] = asked
        return asked
    if request.session.get("lang") in SHIPPED:
        return request.session["lang"]
    accepted = [part.split(";")[0].strip().replace("-", "_")
                for part in request.headers.get("accept-language", "").split(",")]
    return negotiate_locale([a for a in accepted if a], SHIPPED, sep="_") or DEFAULT_LANGUAGE

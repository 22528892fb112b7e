"""A cluster's public catalogue page, GET /c/{slug}: its story, its products with their seasons
and indicative prices, the members who agreed to be listed (never a phone number) and its
support institutions, in the visitor's language, with JSON-LD for search engines; and its
contact form, POST /c/{slug}/contact: kept, and relayed to the cluster's coordinators.

The page sets no cookie and needs no script: a visitor on 2G gets one small HTML page and the
shared style sheet."""
import ipaddress
import json
import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from babel.core import negotiate_locale
from babel.dates import get_month_names
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.bodies import read_body
from bot.web.site import Site
from handlers.budget import CHANNELS, fits_budget, most_that_fit
from handlers.labels import shorten, unit_label
from handlers.prices import WHOLESALE, day_label, local_now, money
from locales.directory import category_name
from locales.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, N_, SHIPPED, Plural, number, translate
from storage import clusters, outbox, public_page
from storage.db import unit_of_work
from storage.directory import ContactMessage, Institution, institutions_of
from storage.models import Cluster, Member, Product
from storage.products import display_name
from storage.skills import coordinators

# More posts than this from one address within the window are answered 429: a person writes
# once or twice; a script that fills forms is slowed to a trickle, and each post may cost the
# coordinators an SMS.
MOST_POSTS = 5
POST_WINDOW = timedelta(hours=1)
# Relayed to a cluster's coordinators in that hour, from every address together: past it, a
# message is kept for the dashboard only, so a crowd of addresses cannot run up an SMS bill.
MOST_RELAYS = 20
MAX_BODY = 16 * 1024  # bytes of a posted form: the three fields at their longest, in UTF-8
LIMITS = {"name": 100, "reach": 200, "message": 2000}  # characters, as the table keeps them
TRAP = "website"  # hidden from people; what fills it is a script
PRICE_FRESH = timedelta(days=120)  # an older price of record is history, not an indication
MOST_LISTED = 100  # members shown; the rest are counted
MOST_PRODUCTS = 30
UNIT_CODES = {"kg": "KGM", "l": "LTR", "piece": "H87"}  # UN/CEFACT, as schema.org takes them
# A run of 7 or more digits (spaces, dots, dashes, brackets between them) is a phone number
# someone typed into their name or place: it never reaches the page.
PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
SLUG = re.compile(r"[a-z0-9_-]{1,64}")

TITLE = N_("{cluster}: products and suppliers")
DESCRIPTION = N_("What the members of {cluster} make and sell, when, and how to reach them.")
ALL_YEAR = N_("All year")
PRICE = N_("{currency} {amount}/{unit} at {place}, {date}")
MORE_MEMBERS = Plural("and {count} more listed member", "and {count} more listed members")
CHECKED = N_("checked {date}")
TOO_LONG = N_("This is too long: {count} characters at most.")
PROBLEMS = {"name": N_("Please write your name."),
            "reach": N_("Please give a phone number or an email address."),
            "message": N_("Please write your message.")}
SENT = N_("Your message was sent to the coordinators of {cluster}. They will answer you "
          "themselves.")
RELAY = N_("{name} ({contact}) wrote to {cluster} on its public page: {text}")
RELAY_CUT = N_("{name} ({contact}) wrote to {cluster} on its public page: {text}... Read it in "
               "full on the dashboard.")


def routes(site: Site) -> list[Route]:
    """The page and its contact form."""
    async def show(request: Request) -> Response:
        return await run_in_threadpool(answer, site, request, visitor_language(request))

    async def contact(request: Request) -> Response:
        lang = visitor_language(request)
        form = read_form(await read_body(request, MAX_BODY))
        if form is None:
            return note(site, lang, 400, N_("Not sent"), N_("Please use the form."))
        address = poster(request.client.host if request.client else "unknown")
        return await run_in_threadpool(answer, site, request, lang, form, address)

    return [Route("/c/{slug}", show), Route("/c/{slug}/contact", contact, methods=["POST"])]


def visitor_language(request: Request) -> str:
    """`?lang=xx`, else the browser's language, else English (nothing is kept: no cookie)."""
    asked = request.query_params.get("lang")
    if asked in SHIPPED:
        return asked
    accepted = [part.split(";")[0].strip().replace("-", "_")
                for part in request.headers.get("accept-language", "")[:500].split(",")]
    return negotiate_locale([a for a in accepted if a], SHIPPED, sep="_") or DEFAULT_LANGUAGE


def poster(host: str) -> str:
    """Whom posts are counted by: the client's address as the sign-in throttle reads it; for
    IPv6 its /64 network, which one subscriber holds whole and may change addresses within."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def read_form(body: bytes) -> dict[str, str] | None:
    """The posted form's fields (a field sent twice: its first value); None when it is not a
    form of a few fields."""
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=10)
    except ValueError:
        return None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def answer(site: Site, request: Request, lang: str, form: dict | None = None,
           address: str = "") -> Response:
    """The page (GET), or what a visitor's post comes to (POST: `form` from `address`)."""
    with unit_of_work(site.factory) as session:
        slug = request.path_params["slug"]
        cluster = clusters.by_slug(session, slug) if SLUG.fullmatch(slug) else None
        if cluster is None:
            return note(site, lang, 404, N_("Not found"),
                        N_("There is no cluster page at this address."))
        if form is None:
            return page(site, session, cluster, lang)
        return receive(site, session, cluster, lang, form, address)


# --- The page ---------------------------------------------------------------------------------

def page(site: Site, session: Session, cluster: Cluster, lang: str,
         status: int = 200, **form) -> HTMLResponse:
    """The catalogue, with the contact form as the visitor left it (`form`: the `values`
    posted and the `errors` found in them)."""
    shown = catalogue(session, cluster, lang, site.settings.public_url)
    response = render(site, "public.html", lang, status, **shown, limits=LIMITS,
                      more_label=MORE_MEMBERS, values=form.get("values", {}),
                      errors=form.get("errors", {}))
    response.headers["Vary"] = "Accept-Language"
    return response


def catalogue(session: Session, cluster: Cluster, lang: str, public_url: str) -> dict:
    """Everything the page shows, as plain values in the visitor's language."""
    today = local_now(cluster.timezone).date()
    members, listed = public_page.listed_members(session, cluster.id, MOST_LISTED)
    chosen = public_page.shown_products(session, cluster.id) or members_products(members)
    products = [product_row(session, cluster, product, months, lang, today)
                for product, months in chosen]
    url = f"{public_url.rstrip('/')}/c/{cluster.slug}"
    story = (cluster.story or "").strip()
    description = shorten(" ".join(story.split()), 160) if story else \
        translate(lang, DESCRIPTION, cluster=cluster.name)
    return dict(cluster=cluster, story=story, url=url, description=description,
                title=translate(lang, TITLE, cluster=cluster.name), products=products,
                members=[member_row(member, lang) for member in members],
                more_members=listed - len(members),
                institutions=[institution_row(i, lang, today)
                              for i in institutions_of(session, cluster.id)],
                json_ld=json_ld(cluster, story, url, products))


def members_products(members: list[Member]) -> list[tuple[Product, None]]:
    """The catalog products of the listed members, the most dealt in first (no seasons known)."""
    counts = Counter(p.product_id for m in members for p in m.products if p.product)
    found = {p.product.id: p.product for m in members for p in m.products if p.product}
    return [(found[pid], None) for pid, _ in counts.most_common(MOST_PRODUCTS)]


def product_row(session: Session, cluster: Cluster, product: Product, months: list[int] | None,
                lang: str, today) -> dict:
    """A product as the page and its JSON-LD show it: name, season, newest price."""
    row = dict(name=display_name(product, lang),
               season=season(months, lang) if months is not None else None, price=None,
               offer=None)
    found = public_page.newest_price(session, cluster, product.id, today - PRICE_FRESH)
    if found is None:
        return row
    unit = unit_label(product.unit, lang)
    kind = f" ({translate(lang, WHOLESALE)})" if found.price_type == "wholesale" else ""
    row["price"] = translate(lang, PRICE, currency=cluster.currency, amount=money(
        found.amount, lang), unit=unit, place=found.market,
        date=day_label(found.observed_on, today, lang)) + kind
    row["offer"] = {"@type": "UnitPriceSpecification", "price": round(found.amount, 2),
                    "priceCurrency": cluster.currency, "unitText": unit,
                    **({"unitCode": UNIT_CODES[product.unit]} if product.unit in UNIT_CODES
                       else {}),
                    "validFrom": found.observed_on.isoformat()}
    row["market"] = found.market
    return row


def season(months: list[int], lang: str) -> str:
    """`March–May, November`: the months in season as runs (December runs into January);
    "All year" for none or all twelve."""
    chosen = sorted({m for m in months if isinstance(m, int) and 1 <= m <= 12})
    if not chosen or len(chosen) == 12:
        return translate(lang, ALL_YEAR)
    runs: list[list[int]] = []
    for month in chosen:
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][-1] == 12:
        runs = [runs[-1] + runs[0], *runs[1:-1]]
    names = get_month_names("wide", context="stand-alone", locale=lang)
    return ", ".join(names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}"
                     for run in runs)


def member_row(member: Member, lang: str) -> dict:
    """What a listed member agreed to show: the name they are listed under, their products
    and their place. Never a phone number, nor a Telegram name."""
    place = member.place.name if member.place else member.place_name
    products = [display_name(p.product, lang) if p.product else without_phones(p.raw_name)
                for p in member.products]
    return dict(name=without_phones(member.business_name or member.name or ""),
                products=[p for p in dict.fromkeys(products) if p],
                place=without_phones(place or ""))


def institution_row(institution: Institution, lang: str, today) -> dict:
    """A support institution: its contact is public; whether it was checked, and when."""
    place = institution.place.name if institution.place else institution.place_name
    website = institution.website or ""
    checked = institution.checked_at
    return dict(name=institution.name, place=place, phone=institution.phone,
                categories=[category_name(slug, lang) for slug in institution.categories or []],
                services=list(institution.services or []),
                website=website if website.startswith(("https://", "http://")) else None,
                verified=institution.verified,
                checked=translate(lang, CHECKED, date=day_label(checked.date(), today, lang))
                if institution.verified and checked else None)


def without_phones(text: str) -> str:
    """The text without anything that looks like a phone number."""
    cleaned = PHONE_LIKE.sub(
        lambda found: "" if sum(c.isdigit() for c in found.group()) >= 7 else found.group(), text)
    return " ".join(cleaned.split())


def json_ld(cluster: Cluster, story: str, url: str, products: list[dict]) -> Markup:
    """schema.org's Organization with what it offers, as a script element may hold it: no
    `<`, `>` or `&` left as such, so nothing in the data can end the element."""
    offers = []
    for row in products:
        offer = {"@type": "Offer", "itemOffered": {"@type": "Product", "name": row["name"]}}
        if row["offer"]:
            offer["priceSpecification"] = row["offer"]
            offer["availableAtOrFrom"] = {"@type": "Place", "name": row["market"]}
        offers.append(offer)
    data = {"@context": "https://schema.org", "@type": "Organization", "name": cluster.name,
            "url": url, **({"description": story} if story else {}), "makesOffer": offers}
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render(site: Site, name: str, lang: str, status: int, **context) -> HTMLResponse:
    html = site.templates.get_template(name).render(
        lang=lang, languages=LANGUAGE_NAMES, status_code=status,
        _=lambda msgid, /, **values: translate(lang, msgid, **values), **context)
    return HTMLResponse(html, status_code=status)


def note(site: Site, lang: str, status: int, heading: str, text: str,
         cluster: Cluster | None = None, values: dict | None = None) -> HTMLResponse:
    """A short page (not found, too many posts, a message sent), with a way back to the
    cluster's page when there is one."""
    return render(site, "public_note.html", lang, status, heading=translate(lang, heading),
                  text=translate(lang, text, **(values or {})), cluster=cluster)


# --- The contact form -------------------------------------------------------------------------

def receive(site: Site, session: Session, cluster: Cluster, lang: str, form: dict,
            address: str) -> Response:
    """Refuses a post past the limit (429); keeps a trapped one and relays it to no one;
    re-shows the form with what is wrong; else keeps the message and relays it (unless the
    cluster had more than MOST_RELAYS this hour: then the dashboard shows it)."""
    if public_page.posts_since(session, address, now() - POST_WINDOW) >= MOST_POSTS:
        response = note(site, lang, 429, N_("Too many messages"),
                        N_("Too many messages were sent from your address. Please try again "
                           "in an hour."), cluster)
        response.headers["Retry-After"] = str(int(POST_WINDOW.total_seconds()))
        return response
    values = {name: cleaned(form.get(name, ""), name == "message") for name in LIMITS}
    trapped = bool(form.get(TRAP, "").strip())
    if not trapped:
        errors = problems(values, lang)
        if errors:
            return page(site, session, cluster, lang, 400, values=values, errors=errors)
    message = public_page.keep_message(
        session, cluster.id, address=address, trapped=trapped,
        **{"name": values["name"][:LIMITS["name"]], "reach": values["reach"][:LIMITS["reach"]],
           "text": values["message"][:LIMITS["message"]]})
    if not trapped and public_page.relayed_since(session, cluster.id,
                                                 now() - POST_WINDOW) <= MOST_RELAYS:
        relay(session, cluster, message)
    return note(site, lang, 200, N_("Thank you"), SENT, cluster, {"cluster": cluster.name})


def now() -> datetime:
    return datetime.now(timezone.utc)


def cleaned(text: str, lines: bool) -> str:
    """The field as typed, trimmed, without control characters (line ends kept in a message,
    made spaces elsewhere)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c if c == "\n" and lines else " " if c in "\n\t" else c
                   for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return kept.strip()


def problems(values: dict[str, str], lang: str) -> dict[str, str]:
    """field -> what is wrong with it, in the visitor's language."""
    found = {}
    for name, value in values.items():
        if len(value) > LIMITS[name]:
            found[name] = translate(lang, TOO_LONG, count=number(LIMITS[name], lang))
        elif not value or (name == "reach" and not reachable(value)):
            found[name] = translate(lang, PROBLEMS[name])
    return found


def reachable(reach: str) -> bool:
    """A phone number (7 digits or more) or an email address is in it."""
    return sum(c.isdigit() for c in reach) >= 7 or bool(re.search(r"[^@\s]+@[^@\s]+\.\w", reach))


def relay(session: Session, cluster: Cluster, message: ContactMessage) -> int:
    """Tells each coordinator of the cluster what the visitor wrote, in their language, on their
    channel, the text cut to what one message there holds (two SMS); returns how many."""
    told = 0
    for coordinator in coordinators(session, cluster.id):
        where = outbox.route(coordinator)
        if where is None:
            continue
        text = relay_text(coordinator.language, CHANNELS[where[0]], cluster, message)
        told += outbox.queue_to_member(session, coordinator, text, kind="notice") is not None
    return told


def relay_text(lang: str | None, channel, cluster: Cluster, message: ContactMessage) -> str:
    """The relay in `lang`: the whole text when it fits the channel, else as much as fits."""
    values = dict(name=shorten(message.name, 30), contact=shorten(message.reach, 60),
                  cluster=shorten(cluster.name, 30))
    words = " ".join(message.text.split())
    whole = translate(lang, RELAY, text=words, **values)
    if fits_budget(channel, whole):
        return whole
    return most_that_fit(lambda shown, _hidden: translate(
        lang, RELAY_CUT, text="".join(shown).rstrip(), **values), list(words), channel=channel)

"""A cluster's public tenders on the dashboard: the list (code, buyer, title, deadline, state,
how much the pledges cover) and a tender's page with its items and bid sheet. Coordinators and
admins add a tender through the verb the CLI calls (handlers.tenders.entry: it checks each
field and writes the audit row).

A viewer reads the same pages but never sees a pledger's phone number (masked)."""
from babel.numbers import format_percent
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.site import Page, Site, masked
from handlers.market.showing import amount_label
from handlers.tenders import entry
from locales.i18n import N_, number
from storage import directory_pages, tender_pages
from storage import tenders as stored
from storage.models import Member
from storage.products import display_name
from storage.tenders import RESERVED_GROUPS, Pledge, Tender

LISTED = 100  # tenders in the list: the page stays small on a phone
STATES = {"planned": N_("Planned"), "active": N_("Open for pledges"),
          "complete": N_("Complete"), "cancelled": N_("Cancelled"),
          "unsuccessful": N_("Unsuccessful"), "formed": N_("Consortium formed"),
          "closed": N_("Closed"), "won": N_("Won"), "lost": N_("Lost")}
GROUPS = {"youth": N_("Youth"), "women": N_("Women"),
          "disability": N_("Persons with disabilities")}
NO_NAME = N_("(no name)")
ADDED = N_("Tender {code} is added. The members who supply its product are told of it.")


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "tenders.html", **list_context(page))

    def one(view):
        """The view of the tender the address names by its code; 404 when it is not this
        cluster's (another cluster's is not told apart from none)."""
        def endpoint(page: Page) -> Response:
            tender = tender_pages.find(page.session, page.cluster.id,
                                       page.request.path_params["code"])
            return site.refusal(page.request, 404, page) if tender is None else view(page, tender)
        return endpoint

    def add(page: Page) -> Response:
        typed = typed_tender(page)
        try:
            tender = entry.add(page.session, page.cluster, page.account.actor, typed)
        except entry.TenderError as e:
            return site.render(page, page.request, "tenders.html", status=400,
                               **list_context(page, typed=typed,
                                              problems=e.messages(page.language)))
        return RedirectResponse(f"{tender_path(page, tender)}?done=added", 303)

    def show(page: Page, tender: Tender) -> Response:
        return site.render(page, page.request, "tender.html", **tender_context(page, tender))

    base = "/dashboard/{slug}/tenders"
    return [Route(base, site.page(listing), methods=["GET"]),
            Route(base, site.page(add, acting=True), methods=["POST"]),
            Route(base + "/{code}", site.page(one(show)), methods=["GET"])]


def tenders_path(page: Page) -> str:
    return f"/dashboard/{page.cluster.slug}/tenders"


def tender_path(page: Page, tender: Tender) -> str:
    return f"{tenders_path(page)}/{tender.code}"


def typed_tender(page: Page) -> dict:
    """The add form's fields as handlers.tenders.entry reads them (the groups ticked as a `;`
    list)."""
    typed = page.fields(*(name for name in entry.FIELDS if name != "reserved"))
    ticked = [str(group) for group in page.form.getlist("reserved") if group in RESERVED_GROUPS]
    return typed | {"reserved": "; ".join(ticked)}


def state_of(tender: Tender) -> str:
    """Where the tender stands: its outcome, else closed, else the consortium formed, else its
    OCDS status."""
    if tender.outcome in ("won", "lost"):
        return tender.outcome
    if tender.status in ("cancelled", "unsuccessful", "complete"):
        return tender.status
    if tender.closed_at is not None:
        return "closed"
    if tender.formed_at is not None:
        return "formed"
    return tender.status if tender.status in STATES else "active"


def percent(page: Page, share: float | None) -> str:
    """`75%` (`75 %` in French); empty when nothing in the tender can be pledged."""
    if share is None:
        return ""
    return format_percent(share, locale=page.language).replace("\xa0", " ")


def row_of(page: Page, tender: Tender) -> dict:
    """A line of the list of tenders, in the reader's language."""
    return {"path": tender_path(page, tender), "code": tender.code,
            "buyer": tender.buyer, "title": tender.title, "deadline": tender.deadline,
            "state": page._(STATES[state_of(tender)]),
            "covered": percent(page, tender_pages.covered(tender))}


def list_context(page: Page, **extra) -> dict:
    tenders, total = tender_pages.tenders_of(page.session, page.cluster.id, LISTED)
    shown = dict(tenders=[row_of(page, tender) for tender in tenders], total=total,
                 acts=page.account.may_act(page.cluster.id), typed=dict.fromkeys(entry.FIELDS, ""),
                 problems={}, groups=[(group, page._(GROUPS[group])) for group in GROUPS],
                 catalog=catalog(page))
    return shown | extra


def catalog(page: Page) -> list[str]:
    """The catalog's products by their names in the reader's language (the form suggests
    them; a name in any language is read)."""
    if not page.account.may_act(page.cluster.id):
        return []
    return sorted({display_name(product, page.language)
                   for product in directory_pages.catalog(page.session)}, key=str.casefold)


def phone_of(page: Page, phone: str | None) -> str:
    """A pledger's phone: whole for coordinators and admins, masked for a viewer."""
    if not phone:
        return ""
    return phone if page.sees_phones else masked(phone)


def pledge_row(page: Page, pledge: Pledge) -> dict:
    """A pledge as the tender's page lists it."""
    member, unit = pledge.member, pledge.item.unit
    return {"member_id": member.id, "name": member.name or page._(NO_NAME),
            "phone": phone_of(page, member.phone), "place": member.place_name or "",
            "amount": amount_label(pledge.quantity, unit, page.language),
            "price": number(pledge.price, page.language) if pledge.price is not None else "",
            "pledged_at": pledge.pledged_at}


def item_rows(page: Page, tender: Tender) -> list[dict]:
    """The tender's items: what, how much, the most paid per unit, how much is pledged, the
    pledges in the consortium and the reserves."""
    rows = []
    for item in tender.items:
        pledgeable = item.product_id is not None
        taken, reserves = stored.in_and_reserves(item)
        rows.append({"position": item.position, "description": item.description,
                     "code": stored.item_code(item) if pledgeable else "",
                     "need": amount_label(item.quantity, item.unit, page.language),
                     "max_price": number(item.max_price, page.language)
                     if item.max_price is not None else "", "pledgeable": pledgeable,
                     "pledged": amount_label(stored.pledged(item), item.unit, page.language),
                     "covered": percent(page, tender_pages.share(item)),
                     "pledges": [pledge_row(page, p) for p in taken],
                     "reserves": [pledge_row(page, p) for p in reserves]})
    return rows


def links(tender: Tender) -> list[str]:
    """The tender's documents that are web addresses (nothing else becomes a link)."""
    return [link for link in tender.documents or []
            if isinstance(link, str) and link.startswith(("https://", "http://"))]


def tender_context(page: Page, tender: Tender, **extra) -> dict:
    lead = page.session.get(Member, tender.lead_member_id) if tender.lead_member_id else None
    shown = dict(tender=tender, state=page._(STATES[state_of(tender)]),
                 covered=percent(page, tender_pages.covered(tender)),
                 items=item_rows(page, tender), documents=links(tender),
                 reserved=[page._(GROUPS[g]) for g in tender.reserved or [] if g in GROUPS],
                 value=f"{tender.currency or ''} {number(tender.value_amount, page.language)}"
                 .strip() if tender.value_amount is not None else "",
                 lead=(lead.name or page._(NO_NAME)) if lead else None,
                 acts=page.account.may_act(page.cluster.id), error=None,
                 notice=notice(page, tender))
    return shown | extra


def notice(page: Page, tender: Tender) -> str | None:
    """What was just done, from the address the action sent the reader to."""
    if page.request.query_params.get("done") == "added":
        return page._(ADDED, code=tender.code)
    return None

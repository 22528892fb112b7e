"""A cluster's public tenders on the dashboard: the list (code, buyer, title, deadline, state,
how much the pledges cover) and a tender's page with its items and bid sheet. Coordinators and
admins add a tender through the verb the CLI calls (handlers.tenders.entry: it checks each
field and writes the audit row).

A viewer reads the same pages but never sees a pledger's phone number (masked)."""
from babel.numbers import format_percent
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.site import Page, Site, masked
from handlers.labels import unit_label
from handlers.market.showing import amount_label
from handlers.tenders import consortium, entry, outcome, sheet
from locales.i18n import N_, Plural, number
from storage import directory_pages, tender_pages
from storage import tenders as stored
from storage.models import Member
from storage.products import display_name
from storage.tenders import RESERVED_GROUPS, Tender

LISTED = 100  # tenders in the list: the page stays small on a phone
STATES = {"planned": N_("Planned"), "active": N_("Open for pledges"),
          "complete": N_("Complete"), "cancelled": N_("Cancelled"),
          "unsuccessful": N_("Unsuccessful"), "formed": N_("Consortium formed"),
          "closed": N_("Closed"), "won": N_("Won"), "lost": N_("Lost")}
GROUPS = {"youth": N_("Youth"), "women": N_("Women"),
          "disability": N_("Persons with disabilities")}
NO_NAME = N_("(no name)")
ADDED = N_("Tender {code} is added. The members who supply its product are told of it.")
ELIGIBLE = N_("The consortium meets the reservation: each of its members declared one of "
              "these groups.")
NOT_ELIGIBLE = N_("The consortium does not meet the reservation: {names} declared none of "
                  "these groups.")
UNKNOWN_ELIGIBLE = N_("Not known yet whether the consortium meets the reservation: {names} "
                      "did not say.")
NOT_A_SHARE = N_("Choose a member who holds a share of the tender.")
LEAD_SAVED = N_("{name} leads the consortium now.")
NO_RESULT = N_("Choose won or lost.")
TOLD = Plural("The outcome is recorded and {count} member who pledged was told.",
              "The outcome is recorded and {count} members who pledged were told.")


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "tenders.html", **list_context(page))

    one = site.one(tender_pages.find)

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

    def refused(page: Page, tender: Tender, error: str, **typed) -> Response:
        return site.render(page, page.request, "tender.html", status=400,
                           **tender_context(page, tender, error=error, typed=typed))

    def choose_lead(page: Page, tender: Tender) -> Response:
        typed = page.field("member")
        member = page.session.get(Member, int(typed)) if typed.isdigit() and len(typed) < 10 \
            else None
        if member is None or not consortium.choose_lead(page.session, tender, member,
                                                        page.account.actor):
            return refused(page, tender, page._(NOT_A_SHARE))
        return RedirectResponse(f"{tender_path(page, tender)}?done=lead", 303)

    def decide(page: Page, tender: Tender) -> Response:
        typed = page.fields("result", "quantity")
        if typed["result"] not in ("won", "lost"):
            return refused(page, tender, page._(NO_RESULT), **typed)
        won = typed["result"] == "won"
        try:
            told = outcome.record(page.session, tender, page.account.actor, won,
                                  won_quantity(tender, typed["quantity"]) if won else None)
        except entry.Problem as problem:
            return refused(page, tender, page._(problem.msgid, **problem.values), **typed)
        except outcome.OutcomeError as e:
            return refused(page, tender, page._(e.msgid), **typed)
        return RedirectResponse(f"{tender_path(page, tender)}?done=outcome&told={told}", 303)

    base = "/dashboard/{slug}/tenders"
    return [Route(base, site.page(listing), methods=["GET"]),
            Route(base, site.page(add, acting=True), methods=["POST"]),
            Route(base + "/{code}", site.page(one(show)), methods=["GET"]),
            Route(base + "/{code}/lead", site.page(one(choose_lead), acting=True),
                  methods=["POST"]),
            Route(base + "/{code}/outcome", site.page(one(decide), acting=True),
                  methods=["POST"])]


def tenders_path(page: Page) -> str:
    return f"/dashboard/{page.cluster.slug}/tenders"


def tender_path(page: Page, tender: Tender) -> str:
    return f"{tenders_path(page)}/{tender.code}"


def won_quantity(tender: Tender, text: str) -> float | None:
    """The quantity won as typed (`1.5t`, `1500`, in the item's unit), None when left empty
    (all of it); entry.Problem when it is no quantity of that unit."""
    if not text:
        return None
    items = stored.pledgeable(tender)
    return entry.read_amount(text, items[0].unit if len(items) == 1 else None)


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


def sheet_row(page: Page, row: sheet.Row) -> dict:
    """A pledge as the bid sheet lists it."""
    lang = page.language
    return {"member_id": row.member_id, "name": row.name or page._(NO_NAME),
            "phone": phone_of(page, row.phone), "place": row.place,
            "amount": amount_label(row.quantity, row.unit, lang),
            "price": number(row.price, lang) if row.price is not None else "",
            "share": amount_label(row.share, row.unit, lang) if row.share else ""}


def per_unit(page: Page, tender: Tender, price: float | None, unit: str) -> str:
    """`KES 141.67/kg`; empty without a price."""
    if price is None:
        return ""
    amount = number(price, page.language)
    return f"{tender.currency or ''} {amount}/{unit_label(unit, page.language)}".strip()


def item_rows(page: Page, bid: sheet.Sheet) -> list[dict]:
    """Each pledgeable item of the bid sheet: the need, what the consortium covers and what
    is short, the weighted price, the pledges in the consortium, the reserves, and the pledges
    above the highest price (they do not count)."""
    lang = page.language
    return [{"code": item.code, "product": item.product,
             "need": amount_label(item.need, item.unit, lang),
             "max_price": per_unit(page, bid.tender, item.max_price, item.unit),
             "covered": amount_label(item.covered, item.unit, lang),
             "share": percent(page, item.covered / item.need if item.need else 1.0),
             "short": amount_label(item.short, item.unit, lang) if item.short else "",
             "pledged": amount_label(item.pledged, item.unit, lang),
             "price": per_unit(page, bid.tender, item.weighted_price, item.unit),
             "pledges": [sheet_row(page, row) for row in item.rows if row.status == sheet.IN],
             "reserves": [sheet_row(page, row) for row in item.rows if row.reserve],
             "over_price": [sheet_row(page, row) for row in item.over_price]}
            for item in bid.items]


def eligibility(page: Page, bid: sheet.Sheet) -> str | None:
    """Whether the consortium meets the groups the tender is reserved for, from what its
    members declared, naming members by name; None for a tender reserved for no one."""
    if not bid.reserved:
        return None
    names = {row.member_id: row.name or page._(NO_NAME) for _item, row in bid.rows()}

    def listed(ids: set[int]) -> str:
        return ", ".join(sorted((names[i] for i in ids), key=str.casefold))

    if bid.not_qualifying:
        return page._(NOT_ELIGIBLE, names=listed(bid.not_qualifying))
    if bid.unknown:
        return page._(UNKNOWN_ELIGIBLE, names=listed(bid.unknown))
    return page._(ELIGIBLE) if bid.qualifying else None


def lead_choices(page: Page, tender: Tender) -> list[tuple[int, str]]:
    """The members who may lead: those holding a share of the tender, by name."""
    return sorted(((member_id, (member.name or page._(NO_NAME))) for member_id, member in
                   ((i, page.session.get(Member, i)) for i in consortium.shares(tender))),
                  key=lambda choice: choice[1].casefold())


def links(tender: Tender) -> list[str]:
    """The tender's documents that are web addresses (nothing else becomes a link)."""
    return [link for link in tender.documents or []
            if isinstance(link, str) and link.startswith(("https://", "http://"))]


def tender_context(page: Page, tender: Tender, **extra) -> dict:
    bid = sheet.build(page.session, tender, page.language)
    lead = consortium.lead_of(page.session, tender)
    acts = page.account.may_act(page.cluster.id)
    shown = dict(tender=tender, state=page._(STATES[state_of(tender)]),
                 covered=percent(page, tender_pages.covered(tender)),
                 items=item_rows(page, bid), documents=links(tender),
                 unmapped=[{"description": item.description,
                            "need": amount_label(item.quantity, item.unit, page.language)}
                           for item in bid.unmapped],
                 reserved=[page._(GROUPS[g]) for g in tender.reserved or [] if g in GROUPS],
                 eligibility=eligibility(page, bid), value=value_of(page, tender),
                 lead=(lead.name or page._(NO_NAME)) if lead else None,
                 lead_chosen=lead is not None and lead.id == tender.lead_member_id,
                 lead_id=lead.id if lead else None, acts=acts,
                 leads=lead_choices(page, tender) if acts and tender.outcome is None else [],
                 decides=acts and tender.outcome is None and bool(bid.items),
                 one_item=len(bid.items) == 1, won=tender.outcome == "won",
                 error=None, notice=notice(page, tender), typed={})
    return shown | extra


def value_of(page: Page, tender: Tender) -> str:
    """`KES 150,000`: what the tender is worth, when the buyer says."""
    if tender.value_amount is None:
        return ""
    return f"{tender.currency or ''} {number(tender.value_amount, page.language)}".strip()


def notice(page: Page, tender: Tender) -> str | None:
    """What was just done, from the address the action sent the reader to."""
    asked = page.request.query_params
    done, told = asked.get("done"), asked.get("told", "")
    if done == "added":
        return page._(ADDED, code=tender.code)
    if done == "lead":
        lead = consortium.lead_of(page.session, tender)
        return page._(LEAD_SAVED, name=(lead.name or page._(NO_NAME)) if lead else "")
    if done == "outcome" and told.isdigit() and len(told) < 9:
        return page._(TOLD, count=int(told))
    return None

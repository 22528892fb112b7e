"""A cluster's members on the dashboard: the list (search, filters, pages) and its CSV, a member's
profile with their conversation with the bot, the edit of a profile, and the CSV import.

A viewer never sees a phone number or a Telegram id (masked, in the page and in the CSV; their
search reads names only) nor what a member wrote or was sent (counts only)."""
import csv
import io
import math
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import roster
from bot.spreadsheet import RowError, unguarded, write
from bot.web.site import MASK, MAX_FORM_PART, Page, Site, masked
from handlers import profile
from handlers.registration import ROLES
from locales.i18n import LANGUAGE_NAMES, N_, SHIPPED, Plural
from storage import audit, member_pages, members, overview
from storage import products as catalog
from storage.member_pages import Filters
from storage.models import Member

PER_PAGE = 50
PLACES_LISTED = 200  # in the place filter; a cluster with more is searched by name
OPTED_OUT = {"yes": True, "no": False}  # the filter's values in the address
MATCHING = Plural("{count} member", "{count} members")
CONVERSATION = Plural("{count} message", "{count} messages")
CHANNELS = {"sms": "SMS", "telegram": "Telegram"}
STATUSES = {"queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"),
            "delivered": N_("delivered"), "read": N_("read"), "undelivered": N_("undelivered"),
            "failed": N_("failed"), "undeliverable": N_("undeliverable"),
            "cancelled": N_("cancelled"), "received": N_("received"), "handled": N_("answered"),
            "ignored": N_("ignored")}


def routes(site: Site) -> list[Route]:
    def listing(page: Page) -> Response:
        return site.render(page, page.request, "members.html", **list_context(page))

    def show(page: Page) -> Response:
        member = chosen_member(page)
        if member is None:
            return site.refusal(page.request, 404, page)
        return site.render(page, page.request, "member.html", **profile_context(page, member))

    def change(page: Page) -> Response:
        member = chosen_member(page)
        if member is None:
            return site.refusal(page.request, 404, page)
        typed = typed_profile(page.form)
        try:
            profile.edit(page.session, member, page.cluster, page.account.actor, **typed)
        except profile.EditError as e:
            return site.render(page, page.request, "member.html", status=400,
                               **profile_context(page, member, typed, e.problems))
        return RedirectResponse(f"{member_path(page, member.id)}?saved=1", 303)

    def upload(page: Page) -> Response:
        outcome = import_upload(page)
        return site.render(page, page.request, "member_import.html",
                           status=400 if outcome.get("refused") else 200, **outcome)

    base = "/dashboard/{slug}/members"
    return [Route(base, site.page(listing)),
            Route(f"{base}.csv", site.page(export)),
            Route(f"{base}/import", site.page(upload, acting=True), methods=["POST"]),
            Route(base + "/{member_id:int}", site.page(show), methods=["GET"]),
            Route(base + "/{member_id:int}", site.page(change, acting=True), methods=["POST"])]


# --- The list and its CSV ---------------------------------------------------------------------

def read_filters(page: Page) -> Filters:
    """The list's filters from the address; a value that names nothing is no filter."""
    asked = page.request.query_params
    product = asked.get("product", "")
    return Filters(search=asked.get("q", "").strip()[:100], phones=page.sees_phones,
                   role=asked.get("role", "") if asked.get("role") in roster.CSV_ROLES else "",
                   place=asked.get("place", "").strip()[:200],
                   product_id=int(product) if product.isdigit() and len(product) < 10 else None,
                   language=asked.get("language", "") if asked.get("language") in SHIPPED else "",
                   opted_out=OPTED_OUT.get(asked.get("opted_out", "")))


def filters_query(filters: Filters) -> dict[str, str]:
    """The filters as the address gives them, to keep them in the page links and the CSV's."""
    values = {"q": filters.search, "role": filters.role, "place": filters.place,
              "product": "" if filters.product_id is None else str(filters.product_id),
              "language": filters.language,
              "opted_out": {v: k for k, v in OPTED_OUT.items()}.get(filters.opted_out, "")}
    return {key: value for key, value in values.items() if value}


def page_number(page: Page) -> int:
    asked = page.request.query_params.get("page", "")
    return int(asked) if asked.isdigit() and 0 < len(asked) < 7 and int(asked) > 0 else 1


def list_context(page: Page) -> dict:
    session, cluster_id, filters = page.session, page.cluster.id, read_filters(page)
    number = page_number(page)
    found, total = member_pages.page_of(session, cluster_id, filters, number, PER_PAGE)
    return dict(
        rows=[row_of(page, member) for member in found], total=total, filters=filters,
        page_no=number, pages=max(1, math.ceil(total / PER_PAGE)), header=",".join(roster.COLUMNS),
        query=filters_query(filters), urlencode=urlencode, matching=MATCHING,
        everyone=overview.member_count(session, cluster_id),
        opted_out=member_pages.opted_out_count(session, cluster_id),
        roles=overview.members_by_role(session, cluster_id),
        places=[(name, count) for name, count in
                overview.members_by_place(session, cluster_id, PLACES_LISTED) if name],
        products=[(product.id, catalog.display_name(product, page.language), count)
                  for product, count in member_pages.products(session, cluster_id)],
        spoken=[(code, LANGUAGE_NAMES.get(code, code), count)
                   for code, count in member_pages.languages(session, cluster_id)])


def row_of(page: Page, member: Member) -> dict:
    """What the list shows of a member."""
    return dict(id=member.id, name=member.name, phone=shown_phone(page, member.phone),
                telegram=member.telegram_id is not None,
                roles=roles_in(member, page.cluster.id), place=member.place_name,
                language=LANGUAGE_NAMES.get(member.language or "", member.language or ""),
                opted_out=member.opted_out)


def roles_in(member: Member, cluster_id: int) -> list[str]:
    return [m.role for m in member.memberships if m.cluster_id == cluster_id]


def shown_phone(page: Page, phone: str | None) -> str:
    return (phone if page.sees_phones else masked(phone)) if phone else ""


def export(page: Page) -> Response:
    """The matching members as CSV, with the header of `clusterbot members export` (the roles
    and cluster columns are this cluster's only); audited, as a copy of personal data."""
    filters = read_filters(page)
    found = member_pages.every_match(page.session, page.cluster.id, filters)
    buffer = io.StringIO()
    count = write(buffer, roster.COLUMNS, (exported_row(page, member) for member in found))
    audit.record(page.session, action="members.export", actor=page.account.actor,
                 cluster_id=page.cluster.id, count=count, filters=filters_query(filters))
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{page.cluster.slug}-members.csv"'})


def exported_row(page: Page, member: Member) -> list[str]:
    cells = dict(zip(roster.COLUMNS, roster.member_row(member)))
    held = set(roles_in(member, page.cluster.id))
    cells["roles"] = ";".join(role for role in roster.CSV_ROLES if role in held)
    cells["clusters"] = page.cluster.slug  # another cluster's memberships are not this one's
    if not page.sees_phones:
        cells["phone"] = masked(cells["phone"])
        cells["telegram_id"] = MASK * len(cells["telegram_id"])
    return [cells[column] for column in roster.COLUMNS]


# --- A member's profile, conversation and edit --------------------------------------------------

def chosen_member(page: Page) -> Member | None:
    """The member of the address when they are in this cluster; None for anyone else (404)."""
    return member_pages.member_of(page.session, page.cluster.id,
                                  page.request.path_params["member_id"])


def member_path(page: Page, member_id: int) -> str:
    return f"/dashboard/{page.cluster.slug}/members/{member_id}"


def typed_profile(form: FormData) -> dict:
    """The edit form's fields as `profile.edit` takes them."""
    return {"name": str(form.get("name", "")), "place": str(form.get("place", "")),
            "language": str(form.get("language", "")),
            "roles": [str(role) for role in form.getlist("roles")],
            "products": str(form.get("products", ""))}


def profile_context(page: Page, member: Member, typed: dict | None = None,
                    problems: dict | None = None) -> dict:
    session, number = page.session, page_number(page)
    counts = member_pages.conversation_counts(session, member.id)
    private = page.sees_phones  # who may see phones may read the conversation too
    return dict(
        member=member, phone=shown_phone(page, member.phone),
        telegram_id=(str(member.telegram_id) if private else MASK * len(str(member.telegram_id)))
        if member.telegram_id is not None else "",
        roles=roles_in(member, page.cluster.id), language=LANGUAGE_NAMES.get(member.language or ""),
        products=[catalog.display_name(p.product, page.language) if p.product else p.raw_name
                  for p in member.products],
        counts=counts, conversation=CONVERSATION, private=private,
        said=member_pages.conversation(session, member.id, number, PER_PAGE) if private else [],
        page_no=number, pages=max(1, math.ceil(counts.total / PER_PAGE)), query={},
        urlencode=urlencode, channels=CHANNELS, statuses=STATUSES,
        form=typed or profile.form_values(member, page.cluster), problems=problems or {},
        role_choices=ROLES, languages_shipped=[(code, LANGUAGE_NAMES[code]) for code in SHIPPED],
        saved=page.request.query_params.get("saved") == "1")


# --- The import ---------------------------------------------------------------------------------

NO_FILE = N_("Choose a CSV file to import.")
TOO_LARGE = N_("The file is larger than 1 MB: import it with the command clusterbot members "
               "import, or split it.")
NOT_UTF8 = N_("The file is not UTF-8 text: save it as CSV UTF-8 and try again.")
UNREADABLE = N_("The file cannot be read as a members CSV:")
BROKEN = N_("Line {number} cannot be read as CSV: nothing was imported.")
OUTSIDE = N_("Nothing was imported: a file imported here changes only this cluster's members.")
OTHER_CLUSTER = N_("the clusters column must name this cluster only: {cluster}")
OUTSIDER = N_("this phone or Telegram id is someone's outside this cluster: an admin can add "
              "them to it")


class Refused(ValueError):
    """The upload is not imported at all: a msgid and its values."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid)
        self.msgid, self.values = msgid, values


def import_upload(page: Page) -> dict:
    """Imports the uploaded members CSV through `roster.import_members` (each bad row reported
    by line), unless it cannot be read or a row reaches outside this cluster: then nothing."""
    try:
        name, text = read_upload(page.form.get("file"))
        outside = outside_rows(page.session, text, page.cluster)
        if outside:
            return dict(refused=page._(OUTSIDE), errors=[
                (line, page._(msgid, cluster=page.cluster.slug)) for line, msgid in outside])
        report = roster.import_members(page.session, io.StringIO(text, newline=""),
                                       page.account.actor, region=page.cluster.country,
                                       file_name=name)
    except Refused as e:
        return dict(refused=page._(e.msgid, **e.values), errors=[])
    except roster.RosterError as e:
        return dict(refused=f"{page._(UNREADABLE)} {e}", errors=[])
    return dict(report=report, errors=report.errors)


def read_upload(upload) -> tuple[str, str]:
    """(file name, text) of the uploaded file; Refused when there is none or it is no text."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(NO_FILE)
    data = upload.file.read(MAX_FORM_PART + 1)
    if len(data) > MAX_FORM_PART:
        raise Refused(TOO_LARGE)
    try:
        return upload.filename[:200], data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(NOT_UTF8) from None


def outside_rows(session, text: str, cluster) -> list[tuple[int, str]]:
    """(line, msgid) of each row that would change more than this cluster's members: one naming
    another cluster or none, or one whose phone or Telegram id is someone's outside it. Rows
    `roster` cannot read are left to it to report; Refused when the CSV breaks off."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error:
        raise Refused(BROKEN, number=1) from None
    columns = roster.columns_of(header)
    if columns is None:
        return []  # roster.import_members says what is wrong with the file
    found, next_line = [], reader.line_num + 1
    while True:
        line = next_line
        try:
            cells = next(reader, None)
        except csv.Error:
            raise Refused(BROKEN, number=line) from None
        if cells is None:
            return found
        next_line = reader.line_num + 1
        if len(cells) == len(columns) and any(cell.strip() for cell in cells):
            cell = {column: unguarded(value.strip()) for column, value in zip(columns, cells)}
            problem = outside(session, cell, cluster)
            if problem:
                found.append((line, problem))


def outside(session, cell: dict[str, str], cluster) -> str | None:
    """Why a row would change more than the cluster's members (a msgid), or None."""
    if [slug.lower() for slug in roster.split(cell["clusters"])] != [cluster.slug]:
        return OTHER_CLUSTER
    try:
        phone = roster.read_phone(cell["phone"], cluster.country)
        telegram_id = roster.read_telegram_id(cell["telegram_id"])
    except RowError:
        return None  # the import reports the row
    for known in (members.find(session, phone=phone),
                  members.find(session, telegram_id=telegram_id)):
        if known is not None and member_pages.member_of(session, cluster.id, known.id) is None:
            return OUTSIDER
    return None

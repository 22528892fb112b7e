"""A cluster's directory on the dashboard: what members looked for with FIND and did not find,
how many members agreed to be listed, the story and the products (with their months in season)
of the cluster's public page, its support institutions, and the messages visitors of the public
page wrote. Coordinators and admins change the story, the products and the institutions; a
viewer reads, and never sees how to reach a visitor."""
from datetime import datetime, timedelta, timezone

from babel.dates import get_month_names
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.site import Page, Site
from handlers import institutions as verbs
from locales.directory import category_name
from locales.i18n import LANGUAGE_NAMES, N_, SHIPPED, Plural
from storage import directory, directory_pages
from storage.directory import CATEGORIES, Institution
from storage.products import display_name

MISSES_DAYS = 90  # the misses counted: a recent demand signal, not the whole history
MISSES_SHOWN = 30
CONTACTS_SHOWN = 50
MAX_STORY = 2000  # characters: a few paragraphs, read on a phone
MORE_MISSES = Plural("and {count} more search word", "and {count} more search words")
TRAPPED = Plural("{count} message filled the field people leave empty and is not shown.",
                 "{count} messages filled the field people leave empty and are not shown.")
MISSED = Plural("{count} search found nothing.", "{count} searches found nothing.")
LONG_STORY = N_("Keep the story within {count} characters.")
NO_PRODUCT = N_("Choose a product of the list.")
SAVED = {"story": N_("The story is saved."), "product": N_("Saved: {product}."),
         "hidden": N_("No longer on the public page: {product}."), "same": N_("Nothing changed."),
         "added": N_("The institution is added."), "updated": N_("The institution is saved."),
         "unchanged": N_("Nothing changed.")}


def routes(site: Site) -> list[Route]:
    def show(page: Page) -> Response:
        return site.render(page, page.request, "directory.html", **context(page))

    def story(page: Page) -> Response:
        text = page.field("story")
        if len(text) > MAX_STORY:
            error = page._(LONG_STORY, count=MAX_STORY)
            return site.render(page, page.request, "directory.html", status=400,
                               **context(page, story_error=error, typed_story=text))
        changed = directory_pages.set_story(page.session, page.cluster, page.account.actor, text)
        return done(page, "story" if changed else "same", "story")

    def product(page: Page) -> Response:
        chosen = chosen_product(page, page.field("product"))
        if chosen is None:
            return site.render(page, page.request, "directory.html", status=400,
                               **context(page, product_error=page._(NO_PRODUCT)))
        months = [int(m) for m in map(str, page.form.getlist("months"))
                  if m.isdigit() and len(m) < 3]
        changed = directory_pages.show_product(page.session, page.cluster, page.account.actor,
                                               chosen, months)
        return done(page, "product" if changed else "same", "products", chosen.id)

    def hide(page: Page) -> Response:
        chosen = chosen_product(page, str(page.request.path_params["product_id"]))
        if chosen is None:
            return site.refusal(page.request, 404, page)
        changed = directory_pages.hide_product(page.session, page.cluster, page.account.actor,
                                               chosen)
        return done(page, "hidden" if changed else "same", "products", chosen.id)

    def add(page: Page) -> Response:
        typed = typed_institution(page)
        try:
            if directory.institution_named(page.session, page.cluster.id,
                                           verbs.folded_name(typed["name"])):
                raise verbs.InstitutionError({"name": verbs.NAME_TAKEN})
            outcome = verbs.save(page.session, page.cluster, page.account.actor, typed)
        except verbs.InstitutionError as e:
            return site.render(page, page.request, "directory.html", status=400,
                               **context(page, typed=typed, problems=e.messages(page.language)))
        return done(page, outcome, "institutions")

    def institution(page: Page) -> Response:
        chosen = chosen_institution(page)
        if chosen is None:
            return site.refusal(page.request, 404, page)
        return site.render(page, page.request, "directory_institution.html",
                           **institution_context(page, chosen, form_values(chosen)))

    def edit(page: Page) -> Response:
        chosen = chosen_institution(page)
        if chosen is None:
            return site.refusal(page.request, 404, page)
        typed = typed_institution(page)
        try:
            outcome = verbs.save(page.session, page.cluster, page.account.actor, typed, chosen)
        except verbs.InstitutionError as e:
            return site.render(page, page.request, "directory_institution.html", status=400,
                               **institution_context(page, chosen, typed,
                                                     e.messages(page.language)))
        return done(page, outcome, "institutions")

    base = "/dashboard/{slug}/directory"
    one = base + "/institutions/{institution_id:int}"
    return [Route(base, site.page(show), methods=["GET"]),
            Route(f"{base}/institutions", site.page(add, acting=True), methods=["POST"]),
            Route(one, site.page(institution, acting=True), methods=["GET"]),
            Route(one, site.page(edit, acting=True), methods=["POST"]),
            Route(f"{base}/story", site.page(story, acting=True), methods=["POST"]),
            Route(f"{base}/products", site.page(product, acting=True), methods=["POST"]),
            Route(base + "/products/{product_id:int}/hide", site.page(hide, acting=True),
                  methods=["POST"])]


def directory_path(page: Page) -> str:
    return f"/dashboard/{page.cluster.slug}/directory"


def done(page: Page, saved: str, anchor: str, product_id: int | None = None) -> Response:
    """Back to the page (its part `anchor`) saying what was saved."""
    about = f"&product={product_id}" if product_id is not None else ""
    return RedirectResponse(f"{directory_path(page)}?saved={saved}{about}#{anchor}", 303)


def chosen_product(page: Page, typed: str):
    """The catalog product named by its id in a form or the address, or None."""
    if not typed.isdigit() or len(typed) > 9:
        return None
    return directory_pages.product(page.session, int(typed))


def month_names(language: str) -> dict[int, str]:
    """1-12 -> the month's short name in `language` (Babel's, from the CLDR)."""
    return dict(get_month_names("abbreviated", locale=language))


def context(page: Page, **extra) -> dict:
    session, cluster_id = page.session, page.cluster.id
    since = datetime.now(timezone.utc) - timedelta(days=MISSES_DAYS)
    misses = directory.misses(session, cluster_id, since)
    contacts = directory_pages.contacts(session, cluster_id, CONTACTS_SHOWN)
    shows_words = page.sees_phones  # what members typed is for the people who act on it
    shown = dict(
        acts=page.account.may_act(cluster_id), shows_words=shows_words,
        misses=misses[:MISSES_SHOWN] if shows_words else [],
        more_misses=page._(MORE_MISSES, count=len(misses) - MISSES_SHOWN)
        if shows_words and len(misses) > MISSES_SHOWN else None, misses_days=MISSES_DAYS,
        missed=page._(MISSED, count=sum(miss.count for miss in misses)),
        listing=directory_pages.listing(session, cluster_id), story=page.cluster.story or "",
        typed_story=None, story_error=None, max_story=MAX_STORY,
        products=products(page), choices=product_choices(page), product_error=None,
        months=month_names(page.language), institutions=directory.institutions_of(
            session, cluster_id), contacts=contacts,
        trapped=page._(TRAPPED, count=contacts.trapped) if contacts.trapped else None,
        saved=saved(page), **institution_choices(page), typed=empty_institution(),
        problems={})
    return shown | extra


def products(page: Page) -> list[dict]:
    """The products the public page shows, named in the reader's language, with their months."""
    return [dict(id=product.id, name=display_name(product, page.language),
                 months=shown.months) for shown, product in
            directory_pages.shown_products(page.session, page.cluster.id)]


def product_choices(page: Page) -> list[tuple[int, str]]:
    """The catalog's products not shown yet, by their names in the reader's language."""
    shown = {shown.product_id for shown, _p in
             directory_pages.shown_products(page.session, page.cluster.id)}
    named = [(product.id, display_name(product, page.language))
             for product in directory_pages.catalog(page.session) if product.id not in shown]
    return sorted(named, key=lambda choice: choice[1].casefold())


def saved(page: Page) -> str | None:
    """What the last change saved, from the address it came back to."""
    asked = page.request.query_params
    msgid = SAVED.get(asked.get("saved", ""))
    if msgid is None:
        return None
    chosen = chosen_product(page, asked.get("product", ""))
    name = display_name(chosen, page.language) if chosen else ""
    return page._(msgid, product=name)


# --- Institutions ------------------------------------------------------------------------------

def chosen_institution(page: Page) -> Institution | None:
    """The institution of the address when it is this cluster's; None for any other (404)."""
    found = page.session.get(Institution, page.request.path_params["institution_id"])
    return found if found is not None and found.cluster_id == page.cluster.id else None


def typed_institution(page: Page) -> dict:
    """The institution form's fields as `handlers.institutions.save` reads them (the lists
    ticked as `;` lists, the verified box as yes or no)."""
    typed = page.fields("name", "services", "place", "phone", "website")
    ticked = {name: [str(v) for v in page.form.getlist(name)] for name in ("category", "languages")}
    return typed | {name: "; ".join(values) for name, values in ticked.items()} | {
        "verified": "yes" if page.field("verified") else "no"}


def form_values(institution: Institution) -> dict:
    """What the edit form shows of a saved institution, as the form posts it."""
    return {"name": institution.name, "category": "; ".join(institution.categories),
            "services": "; ".join(institution.services), "place": institution.place_name or "",
            "phone": institution.phone or "", "website": institution.website or "",
            "languages": "; ".join(institution.languages),
            "verified": "yes" if institution.verified else "no"}


def empty_institution() -> dict:
    return dict.fromkeys(verbs.FIELDS, "")


def institution_choices(page: Page) -> dict:
    """The categories and languages the institution form offers, named in the reader's
    language."""
    return dict(categories=[(slug, category_name(slug, page.language)) for slug in CATEGORIES],
                institution_languages=[(code, LANGUAGE_NAMES[code]) for code in SHIPPED],
                category_name=lambda slug: category_name(slug, page.language))


def institution_context(page: Page, institution: Institution, typed: dict,
                        problems: dict | None = None) -> dict:
    return dict(institution=institution, typed=typed, problems=problems or {},
                **institution_choices(page))

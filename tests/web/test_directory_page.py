"""The Directory page through HTTP: Grace (coordinator of Kisumu Fish) reads what members looked
for and did not find, how many are listed and what visitors of the public page wrote; she sets
the cluster's story and the products its public page shows with their months in season. Ruth (a
viewer) reads, without a form and without how to reach a visitor; Omar (Lamu Crafts) sees
nothing of Kisumu; every refusal changes nothing."""
from datetime import datetime, timedelta, timezone

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, audits, hidden_from_others
from scenes import AMINA
from scenes import GRACE as GRACE_PHONE
from scenes import JUMA, TOMAS, add_member
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from storage import products
from storage.db import unit_of_work
from storage.directory import ClusterProduct, ContactMessage, DirectorySearch, Institution
from storage.models import AuditEntry, Cluster

PAGE = "/dashboard/kisumu-fish/directory"
VISITOR_REACH = "buyer@example.com, +254733999888"
VISITOR_TEXT = "We buy 2 tonnes of omena a month <script>alert(1)</script>"
TRAPPED_TEXT = "Cheap pills here"


@pytest.fixture
def scene(factory, kisumu, lamu) -> dict:
    """Kisumu Fish: Amina is listed, Juma said no, Grace (a coordinator member) was never
    asked; members looked for ice three times (twice as "Ice", once as "ice") and for a
    veterinary once, found omena once; a buyer wrote from the public page, a robot filled the
    trap. Lamu Crafts: Tomás looked for varnish and did not find it."""
    now = datetime.now(timezone.utc)
    with unit_of_work(factory) as session:
        grace = add_member(session, GRACE_PHONE, "trader", kisumu, "en", "Grace", coordinator=True)
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina Achieng")
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno")
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")
        amina.listed, juma.listed = True, False
        for member, query, found, days in ((amina, "Ice", False, 3), (juma, "Ice", False, 2),
                                           (grace, "ice", False, 1), (juma, "veterinary", False, 5),
                                           (juma, "omena", True, 1), (juma, "ice", False, 200),
                                           (tomas, "varnish", False, 1)):
            session.add(DirectorySearch(
                member_id=member.id, cluster_id=member.memberships[0].cluster_id, query=query,
                folded=query.lower(), found=found, created_at=now - timedelta(days=days)))
        session.add_all([
            ContactMessage(cluster_id=kisumu.id, name="Fresh Foods Ltd", reach=VISITOR_REACH,
                           text=VISITOR_TEXT, address="203.0.113.9"),
            ContactMessage(cluster_id=kisumu.id, name="Robot", reach="x@example.com",
                           text=TRAPPED_TEXT, address="203.0.113.66", trapped=True),
            ContactMessage(cluster_id=lamu.id, name="Lamu buyer", reach="lamu@example.com",
                           text="Baskets wanted", address="203.0.113.7")])
        ice = Institution(cluster_id=kisumu.id, name="Dunga Ice Plant",
                          folded_name="dunga ice plant", categories=["cold_storage"],
                          services=["block ice", "cold room"], place_name="Dunga",
                          phone="+254711222333", languages=["en", "sw"])
        bank = Institution(cluster_id=lamu.id, name="Lamu Savings", folded_name="lamu savings",
                           categories=["finance"], services=["loans"], phone="+254711000999")
        session.add_all([ice, bank])
        session.flush()
        return {"omena": products.by_slug(session, "omena").id,
                "tilapia": products.by_slug(session, "tilapia").id,
                "ice": ice.id, "bank": bank.id}


def state(factory) -> tuple:
    """Everything the page could change: the story, the products shown, the institutions, the
    audit log."""
    with unit_of_work(factory) as session:
        stories = session.execute(select(Cluster.slug, Cluster.story).order_by(Cluster.slug)).all()
        shown = session.execute(select(ClusterProduct.cluster_id, ClusterProduct.product_id,
                                       ClusterProduct.months)).all()
        institutions = [tuple(institution_of(factory, i.id, session).items())
                        for i in session.scalars(select(Institution).order_by(Institution.id))]
        audited = session.scalar(select(func.count()).select_from(AuditEntry))
    return stories, sorted(map(tuple, shown)), institutions, audited


def institution_of(factory, institution_id: int, session=None) -> dict:
    """An institution's stored values."""
    def read(session) -> dict:
        found = session.get(Institution, institution_id)
        return {name: getattr(found, name) for name in (
            "cluster_id", "name", "folded_name", "categories", "services", "place_name",
            "place_id", "phone", "website", "languages", "verified", "checked_at")}
    if session is not None:
        return read(session)
    with unit_of_work(factory) as session:
        return read(session)


def shown_products(factory, kisumu) -> list[tuple[str, list[int]]]:
    with unit_of_work(factory) as session:
        rows = session.execute(select(ClusterProduct.product_id, ClusterProduct.months)
                               .where(ClusterProduct.cluster_id == kisumu.id)
                               .order_by(ClusterProduct.position))
        return [(session.get(products.Product, pid).slug, months) for pid, months in rows]


def story_of(factory, slug: str) -> str | None:
    with unit_of_work(factory) as session:
        return session.scalar(select(Cluster.story).where(Cluster.slug == slug))


def part(html: str, start: str, end: str) -> str:
    """The page between two of its headings' ids."""
    return html.split(f'id="{start}"')[1].split(f'id="{end}"')[0]


# --- Reading ------------------------------------------------------------------------------------

def test_a_coordinator_reads_the_misses_most_asked_first_of_the_last_90_days(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    misses = part(page.text, "misses", "story")
    assert "<td>Ice</td><td>3</td>" in misses  # "Ice" and "ice" are one miss, as first written
    assert "<td>veterinary</td><td>1</td>" in misses
    assert misses.index("Ice") < misses.index("veterinary")
    assert "omena" not in misses  # found
    assert "varnish" not in page.text  # Lamu's


def test_the_listed_members_are_counted(browser, scene):
    cards = browser(GRACE).get(PAGE).text.split('id="misses"')[0]
    for figure, label in (("1", "members listed"), ("1", "said no or opted out"),
                          ("1", "not asked yet")):
        assert f'<div class="figure">{figure}</div>{label}' in cards


def test_visitors_messages_are_escaped_and_the_trapped_ones_hidden(browser, scene):
    page = browser(GRACE).get(PAGE)
    contacts = page.text.split('id="contacts"')[1]
    assert "Fresh Foods Ltd" in contacts and VISITOR_REACH in contacts
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in contacts and "<script>alert" not in page.text
    assert TRAPPED_TEXT not in page.text and "Robot" not in page.text
    assert "1 message filled the field people leave empty and is not shown." in contacts
    assert "Baskets wanted" not in page.text  # Lamu's


def test_a_viewer_reads_without_forms_nor_how_to_reach_a_visitor(browser, scene, factory,
                                                                  kisumu):
    with unit_of_work(factory) as session:
        session.get(Cluster, kisumu.id).story = "Fishers and processors of Lake Victoria."
        session.add(ClusterProduct(cluster_id=kisumu.id, product_id=scene["omena"],
                                   months=[3, 4, 11]))
    page = browser(RUTH).get(PAGE)
    assert page.status_code == 200
    misses = part(page.text, "misses", "story")
    assert "4 searches found nothing." in misses  # counted, never their words
    assert "Ice" not in misses and "veterinary" not in misses
    assert "Fresh Foods Ltd" in page.text
    assert VISITOR_REACH not in page.text and "buyer@example.com" not in page.text
    assert "How to reach a visitor is shown to coordinators only." in page.text
    assert "Fishers and processors of Lake Victoria." in page.text
    assert "<td>omena</td><td>Mar, Apr, Nov</td>" in page.text
    assert "<form" not in page.text.split("</header>")[1]  # only the sign-out form


def test_months_and_products_are_named_in_the_readers_language(browser, scene, factory, kisumu):
    with unit_of_work(factory) as session:
        session.add(ClusterProduct(cluster_id=kisumu.id, product_id=scene["tilapia"],
                                   months=[1, 12]))
    ruth = browser(RUTH)
    assert "<td>tilapia</td><td>janv., déc.</td>" in ruth.get(f"{PAGE}?lang=fr").text
    assert "<td>sato</td><td>Jan, Des</td>" in ruth.get(f"{PAGE}?lang=sw").text
    assert "<td>tilápia</td><td>jan., dez.</td>" in ruth.get(f"{PAGE}?lang=pt").text


# --- Access -------------------------------------------------------------------------------------

ACTIONS = {"story": {"story": "Taken over"}, "products": {"product": "1", "months": "3"},
           "products/1/hide": {},
           "institutions": {"name": "Rogue Bank", "category": "finance", "phone": "0722000111"}}


def institution_actions(scene) -> dict:
    """Every action of the page, the edit of Kisumu's ice plant too."""
    return {**ACTIONS, f"institutions/{scene['ice']}": {
        "name": "Taken over", "category": "finance", "phone": "0722000111"}}


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene, factory):
    hidden_from_others(browser, "directory", "Fresh Foods")
    before = state(factory)
    stranger = browser()
    stranger.get("/login")
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/directory")
    for action, data in institution_actions(scene).items():
        response = stranger.post(f"{PAGE}/{action}", data)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert omar.post(f"{PAGE}/{action}", data).status_code == 404
    assert state(factory) == before


def test_a_viewer_cannot_change_anything(browser, scene, factory):
    before = state(factory)
    ruth = browser(RUTH)
    ruth.get(PAGE)
    for action, data in institution_actions(scene).items():
        assert ruth.post(f"{PAGE}/{action}", data).status_code == 403
    assert ruth.get(f"{PAGE}/institutions/{scene['ice']}").status_code == 403
    assert state(factory) == before


def test_a_form_without_its_token_changes_nothing(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    for action, data in institution_actions(scene).items():
        assert grace.post(f"{PAGE}/{action}", data, token=False).status_code == 403
        assert grace.post(f"{PAGE}/{action}", {**data, "csrf": "forged"},
                          token=False).status_code == 403
    assert state(factory) == before


# --- The story ----------------------------------------------------------------------------------

def test_the_story_is_saved_audited_and_shown_escaped(browser, scene, factory):
    grace = browser(GRACE)
    grace.get(PAGE)
    story = "Fishers and processors of Lake Victoria.\r\nOmena <b>dried</b> in the sun."
    response = grace.post(f"{PAGE}/story", {"story": story})
    assert response.status_code == 303 and response.headers["location"].endswith("#story")
    assert story_of(factory, "kisumu-fish") == story.replace("\r\n", "\n")
    entry = audits(factory, "cluster.story")[-1]
    assert entry.actor == "web:grace@example.org"
    assert entry.details == {"story": story.replace("\r\n", "\n")}
    page = grace.get(response.headers["location"])
    assert "The story is saved." in page.text
    assert "Omena &lt;b&gt;dried&lt;/b&gt; in the sun." in page.text
    assert story_of(factory, "lamu-crafts") is None


def test_the_same_story_again_writes_no_audit_row_and_an_empty_one_clears_it(browser, scene,
                                                                            factory):
    grace = browser(GRACE)
    grace.get(PAGE)
    grace.post(f"{PAGE}/story", {"story": "Lake fish."})
    again = grace.post(f"{PAGE}/story", {"story": "  Lake fish. "})
    assert "Nothing changed." in grace.get(again.headers["location"]).text
    assert len(audits(factory, "cluster.story")) == 1
    grace.post(f"{PAGE}/story", {"story": ""})
    assert story_of(factory, "kisumu-fish") is None
    assert len(audits(factory, "cluster.story")) == 2


def test_a_story_too_long_is_refused_and_kept_in_the_form(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/story", {"story": "Lake fish. " * 200})
    assert response.status_code == 400
    assert "Keep the story within 2000 characters." in response.text
    assert "Lake fish. Lake fish." in response.text
    assert state(factory) == before


# --- The products -------------------------------------------------------------------------------

def test_products_are_added_with_their_months_changed_and_removed_each_audited(
        browser, scene, factory, kisumu):
    grace = browser(GRACE)
    grace.get(PAGE)
    omena, tilapia = scene["omena"], scene["tilapia"]
    added = grace.post(f"{PAGE}/products", {"product": str(omena), "months": ["11", "3", "4"]})
    assert added.status_code == 303
    assert "Saved: omena." in grace.get(added.headers["location"]).text
    grace.post(f"{PAGE}/products", {"product": str(tilapia)})
    assert shown_products(factory, kisumu) == [("omena", [3, 4, 11]), ("tilapia", [])]
    grace.post(f"{PAGE}/products", {"product": str(omena), "months": ["12", "13", "0", "x"]})
    assert shown_products(factory, kisumu) == [("omena", [12]), ("tilapia", [])]
    hidden = grace.post(f"{PAGE}/products/{omena}/hide")
    assert "No longer on the public page: omena." in grace.get(hidden.headers["location"]).text
    assert shown_products(factory, kisumu) == [("tilapia", [])]
    assert [e.details for e in audits(factory, "cluster.products")] == [
        {"product": "omena", "months": [3, 4, 11], "shown": True},
        {"product": "tilapia", "months": [], "shown": True},
        {"product": "omena", "months": [12], "shown": True},
        {"product": "omena", "shown": False}]
    assert {e.actor for e in audits(factory, "cluster.products")} == {"web:grace@example.org"}


def test_the_page_offers_the_products_not_shown_with_the_months_checked(browser, scene, factory,
                                                                        kisumu):
    with unit_of_work(factory) as session:
        session.add(ClusterProduct(cluster_id=kisumu.id, product_id=scene["omena"],
                                   months=[3]))
    page = browser(GRACE).get(PAGE).text
    shown = part(page, "products", "institutions")
    assert f'value="{scene["omena"]}"' in shown.split("Add a product")[0]
    assert '<input type="checkbox" name="months" value="3" checked>&nbsp;Mar' in shown
    assert '<input type="checkbox" name="months" value="4">&nbsp;Apr' in shown
    offered = shown.split("Add a product")[1]
    assert f'<option value="{scene["tilapia"]}">tilapia</option>' in offered
    assert f'<option value="{scene["omena"]}">' not in offered


@pytest.mark.parametrize("product", ["", "x", "999999", "99999999999999"])
def test_an_unknown_product_is_refused(browser, scene, factory, product):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/products", {"product": product, "months": "3"})
    assert response.status_code == 400 and "Choose a product of the list." in response.text
    assert grace.post(f"{PAGE}/products/999999/hide").status_code == 404
    assert state(factory) == before


def test_removing_a_product_not_shown_changes_nothing(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/products/{scene['omena']}/hide")
    assert "Nothing changed." in grace.get(response.headers["location"]).text
    assert state(factory) == before


# --- Institutions ------------------------------------------------------------------------------

NEW_BANK = {"name": "Equity Bank Kisumu", "category": ["finance"], "services": "loans; savings",
            "place": "Kisumu", "phone": "0722 123 456", "website": "www.equitybank.co.ke",
            "languages": ["sw", "en"], "verified": "yes"}


def test_an_institution_is_added_checked_and_audited(browser, scene, factory, kisumu):
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/institutions", NEW_BANK)
    assert response.status_code == 303 and response.headers["location"].endswith("#institutions")
    with unit_of_work(factory) as session:
        added = session.scalar(select(Institution).where(Institution.name == NEW_BANK["name"]))
        assert added.cluster_id == kisumu.id and added.categories == ["finance"]
        assert added.services == ["loans", "savings"] and added.phone == "+254722123456"
        assert added.website == "https://www.equitybank.co.ke"
        assert sorted(added.languages) == ["en", "sw"] and added.verified
        assert added.checked_at is not None and added.place_name == "Kisumu"
        added_id = added.id
    entry = audits(factory, "institution.add")[-1]
    assert entry.actor == "web:grace@example.org" and entry.cluster_id == kisumu.id
    assert entry.details["institution_id"] == added_id
    page = grace.get(response.headers["location"]).text
    assert "The institution is added." in page
    listed = part(page, "institutions", "contacts")
    assert f'<a href="{PAGE}/institutions/{added_id}">Equity Bank Kisumu</a>' in listed
    assert "Finance" in listed and "+254722123456" in listed
    assert "Dunga Ice Plant" in listed and "Lamu Savings" not in page


def test_an_institution_with_bad_fields_is_refused_each_marked_and_nothing_saved(
        browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/institutions", {
        **NEW_BANK, "name": "", "phone": "12", "website": "ftp://equity", "category": []})
    assert response.status_code == 400
    form = part(response.text, "institutions", "contacts")
    for problem in ("Give the institution&#39;s name.", "Give at least one category.",
                    "This is not a phone number of the cluster&#39;s country",
                    "The website must be an address starting with http:// or https://."):
        assert problem in form
    assert 'value="loans; savings"' in form and 'value="ftp://equity"' in form
    assert 'value="sw" checked' in form and "<details id=\"add-institution\" open>" in form
    assert state(factory) == before


def test_an_institution_cannot_be_added_twice_under_one_name(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/institutions", {**NEW_BANK, "name": "dunga  ICE plant"})
    assert response.status_code == 400
    assert "Another institution of this cluster has this name." in response.text
    assert state(factory) == before


def test_an_institution_is_edited_from_its_page_and_audited(browser, scene, factory):
    grace = browser(GRACE)
    edit = grace.get(f"{PAGE}/institutions/{scene['ice']}")
    assert edit.status_code == 200
    assert 'value="Dunga Ice Plant"' in edit.text and 'value="block ice; cold room"' in edit.text
    assert 'value="cold_storage" checked' in edit.text and 'value="sw" checked' in edit.text
    assert 'name="verified" value="yes">' in edit.text  # not ticked
    response = grace.post(f"{PAGE}/institutions/{scene['ice']}", {
        "name": "Dunga Ice Plant", "category": ["cold_storage", "transport"],
        "services": "block ice; cold room; delivery", "place": "Dunga", "phone": "+254711222333",
        "languages": ["en", "sw"], "verified": "yes"})
    assert response.status_code == 303
    assert "The institution is saved." in grace.get(response.headers["location"]).text
    saved = institution_of(factory, scene["ice"])
    assert saved["categories"] == ["transport", "cold_storage"]
    assert saved["services"] == ["block ice", "cold room", "delivery"]
    assert saved["verified"] and saved["checked_at"] is not None
    entry = audits(factory, "institution.edit")[-1]
    assert entry.actor == "web:grace@example.org"
    assert set(entry.details["changed"]) == {"categories", "services", "verified"}


def test_an_institution_edit_with_a_bad_field_changes_nothing(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(f"{PAGE}/institutions/{scene['ice']}")
    edited = {"name": "Dunga Ice Plant", "category": "cold_storage", "phone": "+254711222333"}
    response = grace.post(f"{PAGE}/institutions/{scene['ice']}", {**edited, "languages": "xx"})
    assert response.status_code == 400
    assert "Languages are en, sw, fr and pt." in response.text
    response = grace.post(f"{PAGE}/institutions/{scene['ice']}", {**edited, "phone": ""})
    assert response.status_code == 400 and "Give a phone number or a website." in response.text
    assert 'value="Dunga Ice Plant"' in response.text  # what was typed stays in the form
    assert state(factory) == before


def test_another_clusters_institution_is_not_found(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    for path in (f"{PAGE}/institutions/{scene['bank']}", f"{PAGE}/institutions/999999",
                 f"{PAGE}/institutions/99999999999999"):
        response = grace.get(path)
        assert response.status_code == 404 and "Lamu Savings" not in response.text
        assert grace.post(path, {"name": "Taken over", "category": "finance",
                                 "phone": "0722000111"}).status_code == 404
    assert state(factory) == before


# --- In a browser -------------------------------------------------------------------------------

def test_the_page_fits_a_phone_in_a_real_browser(chrome, site, scene, factory, kisumu):
    with unit_of_work(factory) as session:
        session.get(Cluster, kisumu.id).story = "Fishers and processors of Lake Victoria."
        session.add(ClusterProduct(cluster_id=kisumu.id, product_id=scene["omena"],
                                   months=[3, 4, 11]))
    for email, name in ((GRACE, "directory"), (RUTH, "directory-viewer")):
        sign_in(chrome, site, email)
        chrome.get(site + PAGE)
        assert fits_the_width(chrome), name
        screenshot(chrome, name)
    sign_in(chrome, site, GRACE)
    chrome.get(f"{site}{PAGE}/institutions/{scene['ice']}")
    assert fits_the_width(chrome)
    screenshot(chrome, "directory-institution")


def test_a_coordinator_adds_an_institution_in_a_real_browser(chrome, site, scene, factory):
    sign_in(chrome, site, GRACE)
    chrome.get(site + PAGE)
    chrome.find_element(By.CSS_SELECTOR, "#add-institution summary").click()
    form = chrome.find_element(By.CSS_SELECTOR, "#add-institution form")
    form.find_element(By.NAME, "name").send_keys("Equity Bank Kisumu")
    form.find_element(By.CSS_SELECTOR, 'input[name="category"][value="finance"]').click()
    form.find_element(By.NAME, "services").send_keys("loans; savings")
    form.find_element(By.NAME, "phone").send_keys("0722 12")  # too short: refused
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(chrome, 10).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, "#add-institution[open] .error")))
    screenshot(chrome, "directory-institution-refused")
    form = chrome.find_element(By.CSS_SELECTOR, "#add-institution form")
    phone = form.find_element(By.NAME, "phone")
    phone.clear()
    phone.send_keys("0722 123 456")
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(chrome, 10).until(ready.url_contains("saved=added"))
    assert "Equity Bank Kisumu" in chrome.find_element(By.ID, "institutions").find_element(
        By.XPATH, "following-sibling::ul").text
    assert audits(factory, "institution.add")[-1].actor == "web:grace@example.org"

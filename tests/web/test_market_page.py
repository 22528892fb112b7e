"""The Market page through HTTP: Grace (coordinator of Kisumu Fish) reads the open offers and
requests, the matches with each side's answer, the introductions and the deals reported; Ruth (a
viewer) reads the same; no phone number is shown to anyone; Omar (Lamu Crafts) sees nothing of
Kisumu, and Kisumu's page names no member of another cluster."""
from datetime import timedelta

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, hidden_from_others
from scenes import AMINA, JUMA, TOMAS, add_member
from selenium.webdriver.common.by import By

from handlers.market.posting import save_listing
from handlers.market.reading import read_listing
from storage import market
from storage.db import unit_of_work
from storage.models import Membership, utcnow

PAGE = "/dashboard/kisumu-fish/market"
FATMA = "+254722000011"  # a trader of Lamu Crafts only
ZAWADI = "+254722000009"  # a trader of both networks


def post(session, cluster, member, keyword: str, text: str):
    """A listing as the bot saves a whole SELL or BUY message."""
    draft, parsed = read_listing(session, cluster, keyword, text)
    assert not parsed.problem, parsed.problem
    return save_listing(session, member, cluster, draft, utcnow())


@pytest.fixture
def scene(factory, kisumu, lamu):
    """Kisumu Fish: Juma sells tilapia and omena, Amina wants tilapia; Juma and Amina were
    matched (he said YES, she has not answered) and introduced over the omena, and Juma reported
    the deal. Zawadi (both networks) asks in Kisumu for baskets Fatma (Lamu only) offers in Lamu.
    Lamu Crafts: Tomás sells baskets."""
    with unit_of_work(factory) as session:
        juma = add_member(session, JUMA, "fisher", kisumu, "en", "Juma Otieno", place="Kisumu")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina Achieng",
                           place="Kisumu")
        zawadi = add_member(session, ZAWADI, "trader", kisumu, "en", "Zawadi Njeri")
        zawadi.memberships.append(Membership(cluster_id=lamu.id, role="trader"))
        fatma = add_member(session, FATMA, "trader", lamu, "en", "Fatma Said")
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")
        offer = post(session, kisumu, juma, "sell", "tilapia 50kg 300/kg Kisumu")
        request = post(session, kisumu, amina, "buy", "tilapia 100kg max 320 Kisumu")
        omena = post(session, kisumu, juma, "sell", "omena 20kg 150/kg Kisumu")
        wanted = post(session, kisumu, amina, "buy", "omena 20kg Kisumu")
        [match] = market.add_matches(session, [(offer, request, 0.0)])
        match.seller_answer = True
        [introduced] = market.add_matches(session, [(omena, wanted, 0.0)])
        introduced.seller_answer = introduced.buyer_answer = True
        introduced.introduced_at = utcnow() - timedelta(days=3)
        market.close(omena, utcnow())
        market.record_deal(session, introduced, juma.id, True, 20, 140)
        baskets = post(session, kisumu, zawadi, "buy", "baskets 10 pieces Lamu")
        fatmas = post(session, lamu, fatma, "sell", "baskets 30 pieces 400 each Lamu")
        market.add_matches(session, [(fatmas, baskets, 0.0)])
        post(session, lamu, tomas, "sell", "baskets 12 pieces 350 each Lamu")
        return {"match": match.code, "introduced": introduced.code}


def main(html: str) -> str:
    return html.split("<main>")[1].split("</main>")[0]


def test_grace_reads_open_listings_in_her_language(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    offers = page.text.split('<table class="listings">')[1].split("</table>")[0]
    assert "tilapia" in offers and "50kg" in offers and "KES 300/kg" in offers
    assert "Kisumu" in offers and "Juma Otieno" in offers
    assert "omena" not in offers  # closed
    requests = page.text.split('<table class="listings">')[2].split("</table>")[0]
    assert "100kg" in requests and "max KES 320/kg" in requests and "Amina Achieng" in requests
    assert "Zawadi Njeri" in requests and "baskets" in requests
    swahili = browser(GRACE).get(PAGE, params={"lang": "sw"}).text
    assert "sato" in swahili and "hadi KES 320/kg" in swahili and "Soko" in swahili


def test_matches_show_who_was_introduced_to_whom_and_who_answered(browser, scene):
    page = browser(GRACE).get(PAGE).text
    matches = page.split('<table class="matches">')[1].split("</table>")[0]
    row = matches.split(scene["match"])[1].split("</tr>")[0]
    assert "Juma Otieno" in row and "Amina Achieng" in row
    assert "Yes" in row and "No answer" in row and "Not yet" in row
    introduced = matches.split(scene["introduced"])[1].split("</tr>")[0]
    assert "omena" in introduced and "Not yet" not in introduced
    assert "3 / 1" in page  # matches / introductions


def test_deals_reported_are_figured_per_product(browser, scene):
    page = browser(GRACE).get(PAGE).text
    figures = page.split('<table class="figures">')[1].split("</table>")[0]
    assert "omena" in figures and "20kg" in figures and "KES 2,800" in figures
    deals = page.split('<table class="deals">')[1].split("</table>")[0]
    assert scene["introduced"] in deals and "Juma Otieno" in deals and "KES 140/kg" in deals


def test_no_phone_number_is_shown_to_a_coordinator_or_a_viewer(browser, scene):
    for person in (GRACE, RUTH):
        page = browser(person).get(PAGE)
        assert page.status_code == 200 and "Juma Otieno" in page.text
        for phone in (JUMA, AMINA, ZAWADI, FATMA, TOMAS):
            assert phone not in page.text and phone[1:] not in page.text


def test_members_of_other_clusters_are_not_named(browser, scene):
    page = main(browser(GRACE).get(PAGE).text)
    assert "Fatma" not in page and "Tomás" not in page  # Lamu's only
    assert "a member of another cluster" in page  # Fatma's side of Zawadi's match
    assert "350" not in page  # Tomás's offer is Lamu's
    lamu = main(browser(OMAR).get("/dashboard/lamu-crafts/market").text)
    assert "Tomás Mwangi" in lamu and "Fatma Said" in lamu
    assert "Zawadi Njeri" in lamu  # she belongs to Lamu Crafts too
    assert "Juma" not in lamu and "Amina" not in lamu and "tilapia" not in lamu


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene):
    hidden_from_others(browser, "market", "Juma")


def test_an_empty_market_says_so(browser, kisumu):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    assert page.text.count("None open.") == 2 and "None reported." in page.text


def test_the_page_fits_a_phone_in_a_real_browser(chrome, site, scene):
    sign_in(chrome, site, GRACE)
    for name, query in (("market", ""), ("market-fr", "?lang=fr")):
        chrome.get(site + PAGE + query)
        assert chrome.find_element(By.CSS_SELECTOR, "table.matches").is_displayed()
        assert fits_the_width(chrome), name
        screenshot(chrome, name)

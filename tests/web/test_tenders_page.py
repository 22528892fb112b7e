"""The Tenders page through HTTP: Grace (coordinator of Kisumu Fish) reads the cluster's
tenders with how much the pledges cover, and a tender's page with its items and bid sheet; Ruth
(a viewer) reads the same with pledgers' phone numbers masked and no form; Omar (Lamu Crafts)
sees nothing of Kisumu; every refusal changes nothing."""
from datetime import datetime, timedelta, timezone

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, audits, hidden_from_others
from scenes import AMINA, JUMA, TOMAS, add_member, outbox
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from locales.i18n import SHIPPED
from storage import products
from storage.db import unit_of_work
from storage.models import Cluster, Member
from storage.tenders import Pledge, Tender, TenderItem

PAGE = "/dashboard/kisumu-fish/tenders"
ZAWADI = "+254722000009"
BARAKA = "+254722000010"


def tender(session, cluster, code: str, title: str, items: list[TenderItem], **fields) -> Tender:
    """A tender straight into the database, its deadline in ten days unless given."""
    fields.setdefault("deadline", datetime.now(timezone.utc) + timedelta(days=10))
    found = Tender(cluster_id=cluster.id, code=code, title=title, items=items, **fields)
    session.add(found)
    session.flush()
    return found


def item(session, position: int, description: str, product: str | None, quantity: float,
         **fields) -> TenderItem:
    product_id = products.by_slug(session, product).id if product else None
    return TenderItem(position=position, description=description, product_id=product_id,
                      quantity=quantity, unit=fields.pop("unit", "kg"), **fields)


def pledge(tender_item: TenderItem, member, quantity: float, price: float | None = None,
           minutes: int = 0) -> None:
    tender_item.pledges.append(Pledge(member_id=member.id, quantity=quantity, price=price,
                                      pledged_at=datetime.now(timezone.utc)
                                      - timedelta(hours=1) + timedelta(minutes=minutes)))


@pytest.fixture
def scene(factory, kisumu, lamu) -> dict:
    """Kisumu Fish: the county school feeding programme buys 1,000 kg of omena (max KES 150/kg)
    and printer toner (no catalog product); Juma pledged 600 kg at 140, Amina 300 kg at 145.
    The prison's tilapia tender closed lost; Lamu's county buys baskets from Tomás."""
    with unit_of_work(factory) as session:
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno", place="Kisumu")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina Achieng")
        zawadi = add_member(session, ZAWADI, "trader", kisumu, "en", "Zawadi Njeri")
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")
        omena = item(session, 1, "Dried omena (dagaa)", "omena", 1000, max_price=150)
        school = tender(session, kisumu, "K4P7", "School feeding: dried fish",
                        [omena, item(session, 2, "Printer toner", None, 4, unit="piece")],
                        buyer="Kisumu County Education Office", currency="KES",
                        value_amount=150000, reserved=["youth", "women"],
                        delivery_place_name="Kisumu", questions_deadline=datetime.now(
                            timezone.utc) + timedelta(days=5),
                        documents=["https://tenders.go.ke/k4p7.pdf", "javascript:alert(1)"])
        pledge(omena, juma, 600, 140)
        pledge(omena, amina, 300, 145, minutes=5)
        tilapia = item(session, 1, "Fresh tilapia", "tilapia", 500)
        tender(session, kisumu, "T9Q2", "Prison kitchens: fish", [tilapia],
               buyer="Kodiaga Prison", deadline=datetime.now(timezone.utc) - timedelta(days=3),
               closed_at=datetime.now(timezone.utc) - timedelta(days=3), outcome="lost")
        pledge(tilapia, juma, 200)
        baskets = item(session, 1, "Woven baskets", None, 50, unit="piece")
        tender(session, lamu, "L3M8", "County offices: baskets", [baskets], buyer="Lamu County")
        session.flush()
        return {"school": school.id, "juma": juma.id, "amina": amina.id, "tomas": tomas.id,
                "zawadi": zawadi.id}


def row(table: str, code: str) -> str:
    """The line of the list that starts with the tender `code`."""
    return next(line for line in table.split("</tr>") if f">{code}<" in line)


def main(html: str) -> str:
    return html.split("<main>")[1].split("</main>")[0]


def test_grace_reads_the_tenders_with_how_much_is_covered(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    table = page.text.split('<table class="tenders">')[1].split("</table>")[0]
    school, prison = row(table, "K4P7"), row(table, "T9Q2")
    assert "Kisumu County Education Office" in school and "School feeding" in school
    assert "90%" in school and "Open for pledges" in school
    assert "Kodiaga Prison" in prison and "Lost" in prison
    assert table.index("K4P7") < table.index("T9Q2")  # still open first
    assert "L3M8" not in page.text and "Lamu County" not in page.text


def test_the_list_speaks_each_language(browser, scene):
    person = browser(GRACE)
    for lang in SHIPPED:
        page = person.get(PAGE, params={"lang": lang})
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    french = person.get(PAGE, params={"lang": "fr"}).text
    assert "90 %" in french and "<h1>Appels d&#39;offres</h1>" in french
    assert "Ouvert aux engagements" in french and "Perdu" in french
    assert "<h1>Zabuni</h1>" in person.get(PAGE, params={"lang": "sw"}).text
    portuguese = person.get(f"{PAGE}/K4P7", params={"lang": "pt"}).text
    assert "Ficha da proposta" in portuguese and "Jovens, Mulheres" in portuguese


def test_a_tender_page_shows_its_items_and_the_pledges_with_phones(browser, scene):
    page = browser(GRACE).get(f"{PAGE}/k4p7")  # the code in any case
    assert page.status_code == 200
    text = main(page.text)
    assert "School feeding: dried fish" in text and "Kisumu County Education Office" in text
    assert "KES 150,000" in text and "Youth, Women" in text
    assert "omena · K4P7" in text and "Needed: 1,000kg" in text and "900kg (90%)" in text
    assert "Highest price: KES 150/kg" in text
    assert "Short: 100kg" in text and "Weighted price: KES 141.67/kg" in text
    assert "Printer toner" in text and "members cannot pledge it" in text
    pledges = text.split('<table class="pledges">')[1].split("</table>")[0]
    assert pledges.index("Juma Otieno") < pledges.index("Amina Achieng")
    assert JUMA in pledges and AMINA in pledges and "600kg" in pledges and "140" in pledges
    assert 'href="https://tenders.go.ke/k4p7.pdf"' in text
    assert "javascript:" not in text


def test_a_viewer_reads_the_tender_with_masked_phones_and_no_form(browser, scene):
    page = browser(RUTH).get(f"{PAGE}/K4P7")
    assert page.status_code == 200
    text = main(page.text)
    assert "Juma Otieno" in text and "600kg" in text
    for phone in (JUMA, AMINA):
        assert phone not in page.text and phone[1:] not in page.text
    assert "+2547" in text and "•" in text  # masked, enough to tell them apart
    assert "<form" not in text


def test_pledges_beyond_the_need_are_listed_as_reserves_in_order(factory, browser, scene):
    with unit_of_work(factory) as session:
        school = session.get(Tender, scene["school"])
        zawadi = session.scalar(select(Member).where(Member.phone == ZAWADI))
        pledge(school.items[0], zawadi, 100, 149, minutes=10)  # covers it
        baraka = add_member(session, BARAKA, "fisher", session.get(Cluster, school.cluster_id),
                            "sw", "Baraka Ouma")
        pledge(school.items[0], baraka, 250, minutes=15)
    text = main(browser(GRACE).get(f"{PAGE}/K4P7").text)
    taken = text.split('<table class="pledges">')[1].split("</table>")[0]
    reserves = text.split('<table class="reserves">')[1].split("</table>")[0]
    assert "Juma Otieno" in taken and "Zawadi Njeri" in taken and "Baraka" not in taken
    assert "Baraka Ouma" in reserves and "250kg" in reserves
    assert "Pledged in all: 1,250kg" in text and "1,000kg (100%)" in text
    assert "Short" not in text and "over-price" not in text


def test_pledges_above_the_highest_price_are_shown_apart_and_not_counted(factory, browser,
                                                                         scene):
    with unit_of_work(factory) as session:
        school = session.get(Tender, scene["school"])
        pledge(school.items[0], session.get(Member, scene["zawadi"]), 100, 180, minutes=10)
    text = main(browser(GRACE).get(f"{PAGE}/K4P7").text)
    over = text.split('<table class="over-price">')[1].split("</table>")[0]
    assert "Zawadi Njeri" in over and "180" in over
    assert "Zawadi" not in text.split('<table class="pledges">')[1].split("</table>")[0]
    assert "Short: 100kg" in text and "900kg (90%)" in text


def test_grace_adds_a_tender_with_the_checks_of_the_command(factory, browser, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    deadline = (datetime.now(timezone.utc) + timedelta(days=14)).strftime("%Y-%m-%dT10:00")
    added = grace.post(PAGE, {"buyer": "Kisumu Referral Hospital", "title": "Patients' meals",
                              "product": "dagaa", "quantity": "2t", "max_price": "130/kg",
                              "deadline": deadline, "deliver_to": "Kisumu",
                              "reserved": ["women", "disability"],
                              "documents": "https://tenders.go.ke/h1.pdf\r\nhttps://x.org/a"})
    assert added.status_code == 303
    path = added.headers["location"]
    assert path.startswith(PAGE + "/") and path.endswith("?done=added")
    page = grace.get(path).text
    code = path.split("/")[-1].split("?")[0]
    assert f"Tender {code} is added." in page
    assert "Kisumu Referral Hospital" in page and "2,000kg" in page and "130" in page
    assert "Women, Persons with disabilities" in page and 'href="https://x.org/a"' in page
    with unit_of_work(factory) as session:
        saved = session.scalar(select(Tender).where(Tender.code == code))
        assert saved.cluster_id == session.scalar(select(Cluster.id).where(
            Cluster.slug == "kisumu-fish"))
        assert saved.items[0].quantity == 2000 and saved.items[0].max_price == 130
        assert saved.reserved == ["women", "disability"]
    [entry] = audits(factory, "tender.add")
    assert entry.actor == f"web:{GRACE}" and entry.details["code"] == code


def test_a_bad_tender_is_shown_again_with_each_problem_and_nothing_saved(factory, browser,
                                                                          scene):
    grace = browser(GRACE)
    grace.get(PAGE, params={"lang": "sw"})
    refused = grace.post(PAGE, {"buyer": "Kisumu Referral Hospital", "title": "",
                                "product": "printer toner", "quantity": "lots",
                                "deadline": "2020-01-01T10:00", "documents": "ftp://x"})
    assert refused.status_code == 400
    assert 'value="Kisumu Referral Hospital"' in refused.text  # kept as typed
    assert refused.text.count('<span class="error">') == 5  # title, product, quantity, ...
    assert 'lang="sw"' in refused.text
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Tender)) == 3
    assert audits(factory, "tender.add") == []


def test_a_viewer_has_no_form_and_cannot_post(factory, browser, scene):
    ruth = browser(RUTH)
    page = ruth.get(PAGE)
    assert "<form" not in main(page.text) and "Add a tender" not in page.text
    refused = ruth.post(PAGE, {"buyer": "X", "title": "Y", "product": "omena",
                               "quantity": "10kg", "deadline": "2030-01-01"})
    assert refused.status_code == 403
    no_token = browser(GRACE).post(PAGE, {"buyer": "X", "title": "Y", "product": "omena",
                                          "quantity": "10kg", "deadline": "2030-01-01"},
                                   token=False)
    assert no_token.status_code == 403
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/tenders")
    assert omar.post(PAGE, {"buyer": "X", "title": "Y", "product": "omena",
                            "quantity": "10kg", "deadline": "2030-01-01"}).status_code == 404
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(Tender)) == 3


def test_the_sheet_says_whether_the_consortium_meets_the_reservation(factory, browser, scene):
    def said() -> str:
        return main(browser(GRACE).get(f"{PAGE}/K4P7").text).split('<p class="notice">')[1]

    assert said().startswith("Not known yet whether the consortium meets the reservation: "
                             "Amina Achieng, Juma Otieno did not say.")  # by name
    with unit_of_work(factory) as session:
        session.get(Member, scene["juma"]).reserved_groups = ["youth"]
        session.get(Member, scene["amina"]).reserved_groups = []
    assert said().startswith("The consortium does not meet the reservation: Amina Achieng")
    with unit_of_work(factory) as session:
        session.get(Member, scene["amina"]).reserved_groups = ["women", "disability"]
    assert said().startswith("The consortium meets the reservation")


def test_grace_chooses_the_lead_among_those_holding_a_share(factory, browser, scene):
    grace = browser(GRACE)
    page = grace.get(f"{PAGE}/K4P7").text
    assert "Juma Otieno <span class=\"muted\">(the largest pledge)" in page
    chosen = grace.post(f"{PAGE}/K4P7/lead", {"member": str(scene["amina"])})
    assert chosen.status_code == 303 and chosen.headers["location"].endswith("?done=lead")
    page = grace.get(chosen.headers["location"]).text
    assert "Amina Achieng leads the consortium now." in page
    assert "(the largest pledge)" not in page
    assert outbox(factory) == []  # no consortium yet: nobody to tell
    [entry] = audits(factory, "tender.lead")
    assert entry.actor == f"web:{GRACE}"
    for stranger in (scene["tomas"], scene["zawadi"], 99999):  # Lamu's, no pledge, none
        refused = grace.post(f"{PAGE}/K4P7/lead", {"member": str(stranger)})
        assert refused.status_code == 400
        assert "Choose a member who holds a share of the tender." in refused.text
    with unit_of_work(factory) as session:
        assert session.get(Tender, scene["school"]).lead_member_id == scene["amina"]


def test_a_lead_chosen_after_the_consortium_formed_is_told_to_everyone_in_it(factory, browser,
                                                                             scene):
    with unit_of_work(factory) as session:
        school = session.get(Tender, scene["school"])
        pledge(school.items[0], session.get(Member, scene["zawadi"]), 100, minutes=10)
        school.formed_at = datetime.now(timezone.utc)
    grace = browser(GRACE)
    grace.get(f"{PAGE}/K4P7")
    assert grace.post(f"{PAGE}/K4P7/lead", {"member": str(scene["zawadi"])}).status_code == 303
    told = {message.member_id for message in outbox(factory)}
    assert told == {scene["juma"], scene["amina"], scene["zawadi"]}


def test_grace_records_a_won_outcome_and_the_shares_are_on_the_sheet(factory, browser, scene):
    grace = browser(GRACE)
    grace.get(f"{PAGE}/K4P7")
    done = grace.post(f"{PAGE}/K4P7/outcome", {"result": "won", "quantity": "800kg"})
    assert done.status_code == 303
    page = main(grace.get(done.headers["location"]).text)
    assert "The outcome is recorded and 2 members who pledged were told." in page
    assert "Won" in page and "Delivers" in page
    pledges = page.split('<table class="pledges">')[1].split("</table>")[0]
    juma = next(line for line in pledges.split("</tr>") if "Juma" in line)
    amina = next(line for line in pledges.split("</tr>") if "Amina" in line)
    assert juma.endswith("<td>600kg</td>") and amina.endswith("<td>200kg</td>")
    assert "<form" not in page  # decided: no lead to choose, no outcome to record
    messages = outbox(factory)
    assert {m.member_id for m in messages} == {scene["juma"], scene["amina"]}
    [entry] = audits(factory, "tender.outcome")
    assert entry.actor == f"web:{GRACE}" and entry.details["outcome"] == "won"
    with unit_of_work(factory) as session:
        school = session.get(Tender, scene["school"])
        assert school.outcome == "won" and school.won_quantity == 800
        assert school.closed_at is not None


def test_a_refused_outcome_says_why_and_changes_nothing(factory, browser, scene):
    grace = browser(GRACE)
    grace.get(f"{PAGE}/K4P7", params={"lang": "fr"})
    for typed in ({"quantity": "500kg"}, {"result": "won", "quantity": "2t"},
                  {"result": "won", "quantity": "300l"}, {"result": "won", "quantity": "lots"},
                  {"result": "maybe"}):
        refused = grace.post(f"{PAGE}/K4P7/outcome", typed)
        assert refused.status_code == 400, typed
        assert '<p class="error" role="alert">' in refused.text and 'lang="fr"' in refused.text
        assert 'value="' + typed.get("quantity", "") + '"' in refused.text
    already = grace.post(f"{PAGE}/T9Q2/outcome", {"result": "won"})
    assert already.status_code == 400
    assert outbox(factory) == [] and audits(factory, "tender.outcome") == []
    with unit_of_work(factory) as session:
        assert session.get(Tender, scene["school"]).outcome is None


def test_a_viewer_cannot_choose_a_lead_nor_record_an_outcome(factory, browser, scene):
    ruth = browser(RUTH)
    ruth.get(f"{PAGE}/K4P7")
    assert ruth.post(f"{PAGE}/K4P7/lead", {"member": str(scene["amina"])}).status_code == 403
    assert ruth.post(f"{PAGE}/K4P7/outcome", {"result": "lost"}).status_code == 403
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/tenders")
    assert omar.post(f"{PAGE}/K4P7/outcome", {"result": "lost"}).status_code == 404
    assert browser(GRACE).post(f"{PAGE}/K4P7/outcome", {"result": "lost"},
                               token=False).status_code == 403
    assert outbox(factory) == []
    with unit_of_work(factory) as session:
        school = session.get(Tender, scene["school"])
        assert school.outcome is None and school.lead_member_id is None


def test_a_tender_of_several_items_is_pledged_item_by_item(factory, browser, scene, kisumu):
    with unit_of_work(factory) as session:
        tender(session, kisumu, "M2X5", "Hospital kitchen <script>alert(1)</script>",
               [item(session, 1, "Dried omena", "omena", 300),
                item(session, 2, "Fresh tilapia", "tilapia", 200)],
               buyer="Jaramogi <b>Hospital</b>")
    grace = browser(GRACE)
    page = grace.get(f"{PAGE}/M2X5").text
    assert "omena · M2X5-1" in page and "tilapia · M2X5-2" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<b>" not in page
    assert 'name="quantity"' not in main(page)  # a quantity won is for a tender of one item
    refused = grace.post(f"{PAGE}/M2X5/outcome", {"result": "won", "quantity": "100kg"})
    assert refused.status_code == 400
    assert "A quantity won can only be given for a tender of one item." in refused.text
    listing = grace.get(PAGE).text
    assert "&lt;script&gt;" in listing and "<script>alert" not in listing


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene):
    hidden_from_others(browser, "tenders", "K4P7")
    assert browser(GRACE).get(f"{PAGE}/L3M8").status_code == 404  # Lamu's tender
    assert browser(OMAR).get(f"{PAGE}/K4P7").status_code == 404
    assert browser(GRACE).get(f"{PAGE}/NOPE").status_code == 404
    assert browser(GRACE).get(f"{PAGE}/a-b").status_code == 404
    signed_out = browser().get(f"{PAGE}/K4P7")
    assert signed_out.status_code == 303 and "Juma" not in signed_out.text


def test_an_empty_cluster_says_so(browser, kisumu, lamu):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200 and "No tenders yet." in page.text


def test_the_pages_fit_a_phone_in_a_real_browser(chrome, site, scene):
    sign_in(chrome, site, GRACE)
    for name, path in (("tenders", PAGE), ("tenders-fr", f"{PAGE}?lang=fr"),
                       ("tender", f"{PAGE}/K4P7?lang=en"),
                       ("tender-sw", f"{PAGE}/K4P7?lang=sw")):
        chrome.get(site + path)
        assert chrome.find_element(By.CSS_SELECTOR, "main h1").is_displayed()
        assert fits_the_width(chrome), name
        screenshot(chrome, name)

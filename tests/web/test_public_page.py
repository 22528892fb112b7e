"""Kisumu Fish's public catalogue page, /c/kisumu-fish, through HTTP and in a real browser: only
the members who said yes to being listed (under their business name or name, with their products
and place), never a phone number in any form; the products with their seasons and the newest
price of record; the support institutions with their public contacts; each language; JSON-LD
for search engines. A visitor's message reaches Grace (coordinator, SMS, Swahili) and Pierre
(coordinator, Telegram, French); the trap field, the limit per address and escaping."""
import json
import re
from datetime import date, timedelta

import httpx
import pytest
from browsing import fits_the_width, screenshot
from doubles.server import serve
from doubles.telegram import TelegramDouble
from doubles.twilio import TwilioDouble
from scenes import AMINA, GRACE, JUMA, TOMAS, add_member
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import delete, select

from bot.app import create_app
from bot.web import public
from bot.web.public import MOST_POSTS, poster
from handlers.budget import count_segments
from locales.i18n import SHIPPED
from storage import products
from storage.db import unit_of_work
from storage.directory import ClusterProduct, ContactMessage, Institution
from storage.models import Cluster, Member, MemberProduct, OutboundMessage, utcnow
from storage.prices import OfficialPrice

PAGE = "/c/kisumu-fish"
CONTACT = "/c/kisumu-fish/contact"
PUBLIC_URL = "https://fish.example.org"
PIERRE = 5550001  # a coordinator on Telegram, in French
WANJIRU = "+254722000005"  # said no
BARAKA = "+254722000006"  # never asked
OTIENO = "+254722000007"  # listed, then opted out of everything
AKINYI = "+254722000008"  # listed, then deleted her data
HALIMA = "+254722000012"  # typed her phone number into her business name
FATMA = "+254722000011"  # listed in Lamu Crafts only
PHONES = [AMINA, JUMA, GRACE, TOMAS, WANJIRU, BARAKA, OTIENO, AKINYI, HALIMA, FATMA]
STORY = ("Fishers and processors of Lake Victoria: tilapia, omena and Nile perch landed at "
         "Dunga and Kisumu every morning.\nDried and smoked fish all year.")
HOSTILE = "Fish & more <3\n</script><script>alert('story')</script>"
BUYER = {"name": "Maria Costa", "reach": "maria@buyer.example.org",
         "message": "We buy 2 tonnes of omena a month. Can your members supply Mombasa?"}


def phone_forms(phone: str) -> list[str]:
    """+254722000001 as people write it: 254722000001, 0722000001, 722000001, 0722 000 001."""
    local = phone[4:]
    return [phone, phone[1:], "0" + local, local, f"0{local[:3]} {local[3:6]} {local[6:]}",
            f"+254 {local[:3]} {local[3:]}"]


@pytest.fixture
def scene(factory, kisumu, lamu):
    """Kisumu Fish with its story, three products shown (tilapia in season March to May, omena
    all year, Nile perch November to January), a price of record of tilapia, its members (three
    listed and shown; the others not), two coordinators and two institutions."""
    with unit_of_work(factory) as session:
        session.merge(kisumu).story = STORY
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina Achieng",
                           place="Kisumu", product="omena")
        amina.listed, amina.business_name, amina.capacity = True, "Mama Samaki Processors", \
            "200kg a week"
        amina.telegram_username = "amina_samaki"
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno", place="Dunga",
                          product="tilapia")
        juma.listed = True
        halima = add_member(session, HALIMA, "trader", kisumu, "en", "Halima Hassan",
                            product="nile_perch")
        halima.listed, halima.business_name = True, "Halima Fish 0722 000 012"
        wanjiru = add_member(session, WANJIRU, "trader", kisumu, "en", "Wanjiru Kamau")
        add_member(session, BARAKA, "fisher", kisumu, "en", "Baraka Omondi")
        otieno = add_member(session, OTIENO, "fisher", kisumu, "en", "Otieno Owino",
                            opted_out=True)
        gone = add_member(session, AKINYI, "fisher", kisumu, "en", "Akinyi Adhiambo")
        fatma = add_member(session, FATMA, "trader", lamu, "en", "Fatma Said")
        wanjiru.listed, otieno.listed, fatma.listed = False, True, True
        gone.listed, gone.deleted_at = True, utcnow()
        add_member(session, GRACE, "trader", kisumu, "sw", "Grace Wambui", coordinator=True)
        add_member(session, None, "trader", kisumu, "fr", "Pierre Dubois", telegram_id=PIERRE,
                   coordinator=True)
        add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás", coordinator=True)
        for position, (slug, months) in enumerate(
                [("tilapia", [3, 4, 5]), ("omena", []), ("nile_perch", [11, 12, 1])]):
            session.add(ClusterProduct(cluster_id=kisumu.id, position=position, months=months,
                                       product_id=products.by_slug(session, slug).id))
        session.add(OfficialPrice(cluster_id=kisumu.id, country="KE", market="Kisumu",
                                  product_id=products.by_slug(session, "tilapia").id,
                                  amount=300, unit="kg", currency="KES", source="coordinator",
                                  observed_on=date.today() - timedelta(days=3)))
        session.add(Institution(cluster_id=kisumu.id, name="Dunga Ice Plant",
                                folded_name="dunga ice plant", categories=["cold_storage"],
                                services=["ice", "cold room"], place_name="Dunga",
                                phone="+254733000100", website="https://ice.example.org",
                                languages=["en", "sw"], verified=True,
                                checked_at=utcnow() - timedelta(days=10)))
        session.add(Institution(cluster_id=kisumu.id, name="Lakeside Microfinance",
                                folded_name="lakeside microfinance", categories=["finance"],
                                services=["loans"], phone="+254733000200",
                                website="javascript:alert(1)", verified=False))


@pytest.fixture(scope="module")
def twilio():
    with TwilioDouble().running() as double:
        yield double


@pytest.fixture(scope="module")
def telegram_api():
    with TelegramDouble().running() as double:
        yield double


@pytest.fixture
def url(settings, scene, twilio, telegram_api):
    """The running app, SMS going to the Twilio double and Telegram to its double."""
    twilio.reset()
    telegram_api.reset()
    configured = settings.model_copy(update={
        "public_url": PUBLIC_URL, "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token, "twilio_from": "+254700000000",
        "twilio_api_url": twilio.url, "telegram_token": telegram_api.token,
        "telegram_secret": "s3cret", "telegram_api_url": telegram_api.base_url,
        "sms_mps": 0, "telegram_mps": 0})
    with serve(create_app(configured)) as running:
        yield running


@pytest.fixture
def visitor(url):
    """A visitor's HTTP client (no cookies kept between requests matter: the page sets none)."""
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


def main(html: str) -> str:
    return html.split("<main>")[1].split("</main>")[0]


def json_ld(html: str) -> str:
    return re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)


def stored(factory) -> list[ContactMessage]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(ContactMessage).order_by(ContactMessage.id)))
        session.expunge_all()
        return found


def queued(factory) -> list[OutboundMessage]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return found


# --- The page ---------------------------------------------------------------------------------

def test_the_page_lists_only_members_who_said_yes(visitor):
    page = visitor.get(PAGE, params={"lang": "en"})
    assert page.status_code == 200
    shown = main(page.text)
    assert "Mama Samaki Processors" in shown and "Juma Otieno" in shown
    assert "Halima Fish" in shown and "Halima Hassan" not in shown
    for hidden in ("Amina Achieng", "Wanjiru", "Baraka", "Otieno Owino", "Akinyi", "Fatma",
                   "Grace", "Pierre", "amina_samaki", "200kg a week"):
        assert hidden not in page.text, hidden
    members = shown.split('<ul class="catalogue members">')[1].split("</ul>")[0]
    assert "omena" in members and "Kisumu" in members and "Dunga" in members


def test_no_phone_number_of_any_member_in_any_form(visitor):
    pages = [visitor.get(PAGE, params={"lang": lang}).text for lang in SHIPPED]
    pages.append(visitor.post(CONTACT, data={"name": "x", "reach": "call me"}).text)
    for html in pages:
        for phone in PHONES:
            for form in phone_forms(phone):
                assert form not in html, form
        assert str(PIERRE) not in html
    assert "+254733000100" in pages[0]  # an institution's phone is public


def test_products_with_seasons_and_the_newest_price(visitor):
    shown = main(visitor.get(PAGE, params={"lang": "en"}).text)
    products = shown.split('<ul class="catalogue products">')[1].split("</ul>")[0]
    tilapia, omena, perch = products.split("<li>")[1:]
    assert "tilapia" in tilapia and "March–May" in tilapia
    assert "KES 300/kg at Kisumu" in tilapia
    assert "omena" in omena and "All year" in omena and "KES" not in omena
    assert "Nile perch" in perch and "November–January" in perch


def test_without_chosen_products_the_listed_members_products_are_shown(visitor, factory):
    with unit_of_work(factory) as session:
        session.execute(delete(ClusterProduct))
        wanjiru = session.scalar(select(Member).where(Member.phone == WANJIRU))
        wanjiru.products.append(MemberProduct(product_id=products.by_slug(session, "sardines").id,
                                              raw_name="sardines"))
        session.scalar(select(OfficialPrice)).observed_on = date.today() - timedelta(days=200)
    shown = main(visitor.get(PAGE, params={"lang": "en"}).text)
    listed = shown.split('<ul class="catalogue products">')[1].split("</ul>")[0]
    assert [name in listed for name in ("omena", "tilapia", "Nile perch")] == [True] * 3
    assert "sardines" not in shown  # Wanjiru said no
    assert "In season" not in listed  # no season is known
    assert "KES" not in listed  # the only price is 200 days old: history, not an indication


def test_many_members_are_counted_and_an_empty_cluster_says_so(visitor, monkeypatch):
    monkeypatch.setattr(public, "MOST_LISTED", 2)  # the app runs in this process
    shown = main(visitor.get(PAGE, params={"lang": "en"}).text)
    assert "Halima Fish" in shown and "Juma Otieno" in shown
    assert "Mama Samaki" not in shown and "and 1 more listed member" in shown
    lamu = main(visitor.get("/c/lamu-crafts", params={"lang": "fr"}).text)
    assert "Fatma Said" in lamu and "Aucun produit n&#39;est encore présenté." in lamu
    assert "Support institutions" not in lamu and "Institutions d'appui" not in lamu


def test_institutions_with_their_public_contacts(visitor):
    shown = main(visitor.get(PAGE, params={"lang": "en"}).text)
    institutions = shown.split('<ul class="catalogue institutions">')[1].split("</ul>")[0]
    ice, loans = institutions.split("<li>")[1:]
    assert "Dunga Ice Plant" in ice and "Cold storage and ice" in ice and "ice, cold room" in ice
    assert 'href="tel:+254733000100"' in ice and 'href="https://ice.example.org"' in ice
    assert "checked" in ice and "Not verified" not in ice
    assert "Lakeside Microfinance" in loans and "Not verified" in loans
    assert "javascript:" not in institutions  # only http(s) links


@pytest.mark.parametrize(("lang", "tilapia", "season", "heading"), [
    ("en", "tilapia", "March–May", "Members"),
    ("sw", "sato", "Machi–Mei", "Wanachama"),
    ("fr", "tilapia", "mars–mai", "Membres"),
    ("pt", "tilápia", "março–maio", "Membros"),
])
def test_each_language(visitor, lang, tilapia, season, heading):
    page = visitor.get(PAGE, params={"lang": lang})
    assert f'<html lang="{lang}">' in page.text
    shown = main(page.text)
    assert tilapia in shown and season in shown and f"<h2>{heading}</h2>" in shown
    for code in SHIPPED:
        assert f'href="?lang={code}"' in page.text  # a link to each language


def test_the_browsers_language_and_no_cookie(visitor):
    french = visitor.get(PAGE, headers={"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in french.text and "Accept-Language" in french.headers["vary"]
    german = visitor.get(PAGE, headers={"accept-language": "de-DE"})
    assert '<html lang="en">' in german.text
    assert "set-cookie" not in french.headers and "set-cookie" not in german.headers


def tell(factory, story: str) -> None:
    """A coordinator sets Kisumu Fish's story."""
    with unit_of_work(factory) as session:
        session.scalar(select(Cluster).where(Cluster.slug == "kisumu-fish")).story = story


def test_title_description_and_json_ld(visitor, factory):
    page = visitor.get(PAGE, params={"lang": "en"}).text
    assert "<title>Kisumu Fish: products and suppliers</title>" in page
    assert '<meta name="description" content="Fishers and processors of Lake Victoria:' in page
    tell(factory, HOSTILE)
    page = visitor.get(PAGE, params={"lang": "en"}).text
    assert f'<link rel="canonical" href="{PUBLIC_URL}{PAGE}">' in page
    script = json_ld(page)
    assert "<" not in script  # nothing in the data can end the script element
    data = json.loads(script)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Organization"
    assert data["name"] == "Kisumu Fish" and data["url"] == PUBLIC_URL + PAGE
    assert data["description"] == HOSTILE
    offers = {offer["itemOffered"]["name"]: offer for offer in data["makesOffer"]}
    assert set(offers) == {"tilapia", "omena", "Nile perch"}
    assert all(o["@type"] == "Offer" and o["itemOffered"]["@type"] == "Product"
               for o in offers.values())
    price = offers["tilapia"]["priceSpecification"]
    assert (price["price"], price["priceCurrency"], price["unitCode"]) == (300, "KES", "KGM")
    assert "priceSpecification" not in offers["omena"]


def test_the_story_and_names_are_escaped(visitor, factory):
    tell(factory, HOSTILE)
    with unit_of_work(factory) as session:
        session.scalar(select(Institution).where(Institution.name == "Dunga Ice Plant")
                       ).name = "<b>Ice</b> & Co"
        session.scalar(select(Member).where(Member.phone == AMINA)
                       ).business_name = "<img src=x onerror=alert(1)>Mama Samaki"
    page = visitor.get(PAGE).text
    assert "<script>alert" not in page and "</script><script>" not in page
    assert "<img" not in page and "<b>Ice" not in page
    shown = main(page)
    assert "Fish &amp; more &lt;3\n&lt;/script&gt;&lt;script&gt;alert(&#39;story&#39;)" in shown
    assert "&lt;b&gt;Ice&lt;/b&gt; &amp; Co" in shown
    assert "&lt;img src=x onerror=alert(1)&gt;Mama Samaki" in shown


def test_an_unknown_cluster_is_not_found(visitor):
    for path in ("/c/no-such-cluster", "/c/%00", "/c/" + "k" * 300, "/c/Kisumu-Fish"):
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert "Kisumu Fish" not in answer.text


def test_the_page_is_light_and_needs_no_script(visitor):
    page = visitor.get(PAGE, headers={"accept-encoding": "gzip"})
    sheet = visitor.get("/static/style.css", headers={"accept-encoding": "gzip"})
    assert page.num_bytes_downloaded + sheet.num_bytes_downloaded < 30_000
    assert re.findall(r"<script[^>]*>", page.text) == ['<script type="application/ld+json">']
    assert not re.search(r'(?:src|href)="(?:https?:)?//(?!fish\.example\.org|ice\.example\.org)',
                         page.text)


# --- The contact form -------------------------------------------------------------------------

def test_a_message_reaches_the_coordinators_by_sms_and_telegram(visitor, factory, twilio,
                                                                telegram_api):
    answer = visitor.post(CONTACT, data=BUYER, params={"lang": "pt"})
    assert answer.status_code == 200 and '<html lang="pt">' in answer.text
    assert "Obrigado" in answer.text
    [kept] = stored(factory)
    assert (kept.name, kept.reach, kept.text, kept.trapped) == (
        "Maria Costa", "maria@buyer.example.org", BUYER["message"], False)
    [sms] = twilio.wait_sent(1, timeout=15)  # the dispatcher sends it, on a busy machine too
    assert sms.to == GRACE  # in Swahili, by SMS
    assert "Maria Costa (maria@buyer.example.org)" in sms.body and BUYER["message"] in sms.body
    assert "ukurasa" in sms.body
    [telegram] = telegram_api.wait_sent(1)
    assert int(telegram.chat_id) == PIERRE  # in French, on Telegram
    assert BUYER["message"] in telegram.text and "page publique" in telegram.text
    assert sorted(m.member_id is not None for m in queued(factory)) == [True, True]


def test_a_long_message_is_cut_to_two_sms_and_whole_on_telegram(visitor, factory, twilio,
                                                               telegram_api):
    long = " ".join(f"Lot {n}: we need dried omena, sorted and packed in 50kg bags."
                    for n in range(40))[:2000]
    assert visitor.post(CONTACT, data={**BUYER, "message": long}).status_code == 200
    [sms] = twilio.wait_sent(1, timeout=15)  # the dispatcher sends it, on a busy machine too
    assert count_segments(sms.body) <= 2
    assert long[:60] in sms.body and "Lot 30" not in sms.body
    assert sms.body.endswith("Isome yote kwenye dashibodi.")
    [telegram] = telegram_api.wait_sent(1)
    assert long in telegram.text
    assert stored(factory)[0].text == long  # kept whole for the dashboard


def test_the_trap_is_thanked_and_relayed_to_no_one(visitor, factory):
    answer = visitor.post(CONTACT, data={**BUYER, "website": "http://spam.example"})
    assert answer.status_code == 200 and "Thank you" in answer.text
    [kept] = stored(factory)
    assert kept.trapped and kept.text == BUYER["message"]
    assert queued(factory) == []  # nothing for the coordinators, in the same transaction


def test_too_many_posts_from_one_address(url, visitor, factory):
    for _ in range(MOST_POSTS):
        assert visitor.post(CONTACT, data={**BUYER, "website": "x"}).status_code == 200
    refused = visitor.post(CONTACT, data=BUYER, params={"lang": "sw"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
    assert '<html lang="sw">' in refused.text and "jaribu tena" in refused.text
    assert len(stored(factory)) == MOST_POSTS and queued(factory) == []
    with from_address(url, "127.0.0.2") as another:
        assert another.post(CONTACT, data=BUYER).status_code == 200  # another address
    assert [m.address for m in stored(factory)][-1] == "127.0.0.2"


def from_address(url: str, address: str) -> httpx.Client:
    """A visitor at another loopback address (Linux answers all of 127.0.0.0/8)."""
    return httpx.Client(base_url=url, timeout=10,
                        transport=httpx.HTTPTransport(local_address=address))


def test_a_crowd_of_addresses_is_relayed_no_more_than_the_hourly_limit(url, factory,
                                                                       monkeypatch):
    monkeypatch.setattr(public, "MOST_RELAYS", 2)  # the app runs in this process
    for n in (2, 3, 4):
        with from_address(url, f"127.0.0.{n}") as someone:
            assert someone.post(CONTACT, data=BUYER).status_code == 200
    assert len(stored(factory)) == 3  # all kept for the dashboard
    assert len(queued(factory)) == 2 * 2  # two messages relayed to Grace and Pierre


def test_posts_are_counted_by_address_and_by_ipv6_network():
    assert poster("203.0.113.7") == "203.0.113.7"
    assert poster("::ffff:203.0.113.7") == "203.0.113.7"
    assert poster("2001:db8:1:2:3:4:5:6") == poster("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert poster("unknown") == "unknown"


@pytest.mark.parametrize(("lang", "name_missing", "reach_wrong"), [
    ("en", "Please write your name.", "Please give a phone number or an email address."),
    ("sw", "Tafadhali andika jina lako.", "Tafadhali weka nambari ya simu au barua pepe."),
    ("fr", "Veuillez écrire votre nom.", "Veuillez donner un numéro de téléphone ou une "
                                         "adresse e-mail."),
    ("pt", "Escreva o seu nome, por favor.", "Indique um número de telefone ou um e-mail, "
                                             "por favor."),
])
def test_a_bad_form_is_shown_again_with_what_is_wrong(visitor, factory, lang, name_missing,
                                                      reach_wrong):
    typed = {"name": "  ", "reach": "call me at the beach",
             "message": "<script>alert('x')</script> 50kg"}
    answer = visitor.post(CONTACT, data=typed, params={"lang": lang})
    assert answer.status_code == 400 and f'<html lang="{lang}">' in answer.text
    assert name_missing in answer.text and reach_wrong in answer.text
    assert "<script>alert" not in answer.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 50kg</textarea>" in answer.text
    assert 'value="call me at the beach"' in answer.text
    assert stored(factory) == [] and queued(factory) == []


def test_too_long_or_odd_fields_are_refused(visitor, factory):
    answer = visitor.post(CONTACT, data={**BUYER, "name": "x" * 101})
    assert answer.status_code == 400 and "100 characters at most" in answer.text
    answer = visitor.post(CONTACT, data={**BUYER, "message": "\x00\x07 \n "})
    assert answer.status_code == 400 and "Please write your message." in answer.text
    assert visitor.post(CONTACT, content=b"x=" + b"y" * 20_000).status_code == 413
    assert visitor.post("/c/no-such-cluster/contact", data=BUYER).status_code == 404
    assert stored(factory) == []


# --- In a browser -----------------------------------------------------------------------------

def gone(element):
    """The page the element was on has been left. Mid-navigation Chromium may answer that the
    node no longer belongs to the document, rather than that it is stale: the same answer."""
    def left(_browser) -> bool:
        try:
            element.is_enabled()
        except (StaleElementReferenceException, WebDriverException):
            return True
        return False
    return left


def send(chrome) -> None:
    """Presses the form's button and waits for the page it leads to."""
    before = chrome.find_element(By.TAG_NAME, "html")
    chrome.find_element(By.CSS_SELECTOR, "form.contact button").click()
    WebDriverWait(chrome, 10).until(gone(before))
    WebDriverWait(chrome, 10).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


def test_a_visitor_reads_the_page_and_writes_on_a_phone(chrome, url, factory, twilio):
    chrome.delete_all_cookies()
    chrome.get(url + PAGE + "?lang=en")
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Kisumu Fish"
    assert fits_the_width(chrome)
    screenshot(chrome, "public-page")
    chrome.get(url + PAGE + "?lang=sw")
    assert chrome.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "sw"
    screenshot(chrome, "public-page-sw")
    chrome.find_element(By.NAME, "name").send_keys("Maria Costa")
    chrome.find_element(By.NAME, "reach").send_keys("call me")
    chrome.find_element(By.NAME, "message").send_keys(BUYER["message"])
    assert not chrome.find_element(By.NAME, "website").is_displayed()
    send(chrome)
    error = chrome.find_element(By.ID, "reach-error")
    assert "barua pepe" in error.text
    assert chrome.find_element(By.NAME, "message").get_attribute("value") == BUYER["message"]
    screenshot(chrome, "public-contact-error")
    chrome.find_element(By.NAME, "reach").clear()
    chrome.find_element(By.NAME, "reach").send_keys(BUYER["reach"])
    send(chrome)
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Asante"
    assert fits_the_width(chrome)
    screenshot(chrome, "public-contact-sent")
    [sms] = twilio.wait_sent(1, timeout=15)  # the dispatcher sends it, on a busy machine too
    assert sms.to == GRACE and BUYER["message"] in sms.body

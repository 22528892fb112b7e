"""The dashboard in a real browser (Debian's headless Chromium, driven by Selenium) on a phone's
width: sign-in, a cluster's home, a broadcast sent, the simulator, and each page at that
width. Each page is saved as a screenshot in build/screenshots/ for a person to look at."""
import re

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import ADMIN, GRACE
from doubles.server import serve
from doubles.twilio import TwilioDouble
from scenes import AMINA, JUMA, add_member
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from bot.app import create_app
from storage import outbox
from storage.db import unit_of_work


@pytest.fixture
def members(factory, kisumu) -> dict[str, int]:
    with unit_of_work(factory) as session:
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina", place="Kisumu")
        return {"juma": juma.id, "amina": amina.id}


@pytest.fixture
def twilio():
    with TwilioDouble().running() as double:
        yield double


@pytest.fixture
def sms_site(settings, people, members, twilio):
    """The app with SMS going to the Twilio double, as fast as it takes."""
    configured = settings.model_copy(update={
        "twilio_account_sid": twilio.account_sid, "twilio_auth_token": twilio.auth_token,
        "twilio_from": "+15005550006", "twilio_api_url": twilio.url, "sms_mps": 0})
    with serve(create_app(configured)) as url:
        yield url


def test_sign_in_and_a_cluster_home_on_a_phone(chrome, site, members):
    chrome.get(site + "/dashboard/kisumu-fish/")
    assert "/login" in chrome.current_url  # signed out: sent to sign in
    screenshot(chrome, "login")
    chrome.find_element(By.NAME, "email").send_keys(GRACE)
    chrome.find_element(By.NAME, "password").send_keys("not the password")
    chrome.find_element(By.CSS_SELECTOR, "form.stacked button").click()
    assert chrome.find_element(By.CSS_SELECTOR, "[role=alert]").text
    screenshot(chrome, "login-wrong-password")
    sign_in(chrome, site, GRACE)
    chrome.get(site + "/dashboard/kisumu-fish/")
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Kisumu Fish"
    assert chrome.find_element(By.CSS_SELECTOR, ".card .figure").text == "2"  # Juma, Amina
    assert fits_the_width(chrome)
    screenshot(chrome, "home")
    chrome.get(site + "/dashboard/kisumu-fish/?lang=sw")
    assert chrome.find_element(By.CSS_SELECTOR, "nav.sections a").text == "Mwanzo"
    screenshot(chrome, "home-sw")


def test_an_admin_uses_the_simulator_while_a_channel_is_configured(chrome, sms_site, twilio):
    sign_in(chrome, sms_site, ADMIN)
    chrome.get(sms_site + "/simulator")
    chrome.find_element(By.ID, "address").clear()
    chrome.find_element(By.ID, "address").send_keys(JUMA)
    chrome.find_element(By.ID, "text").send_keys("MSAADA\n")
    reply = WebDriverWait(chrome, 10).until(
        lambda browser: browser.find_elements(By.CSS_SELECTOR, "#log .bot"))
    assert re.search(r"\w", reply[0].text)
    assert fits_the_width(chrome)
    screenshot(chrome, "simulator")
    assert twilio.sent == []  # the simulator's replies are shown, not sent


def test_a_broadcast_composed_previewed_and_sent_reaches_the_phones(chrome, sms_site, twilio):
    sign_in(chrome, sms_site, GRACE)
    chrome.get(sms_site + "/dashboard/kisumu-fish/broadcasts")
    chrome.find_element(By.NAME, "text_sw").send_keys("Mkutano Ijumaa saa nne, Dunga")
    chrome.find_element(By.NAME, "text_en").send_keys("Meeting Friday 10am, Dunga")
    screenshot(chrome, "broadcast-compose")
    chrome.find_element(By.CSS_SELECTOR, "form.broadcast > button").click()
    confirm = chrome.find_element(By.CSS_SELECTOR, "form.confirm button")
    assert "2" in chrome.find_element(By.TAG_NAME, "main").text  # two members reached
    screenshot(chrome, "broadcast-preview")
    confirm.click()
    WebDriverWait(chrome, 10).until(ready.url_matches(r"/broadcasts/\d+$"))
    WebDriverWait(chrome, 20).until(lambda _: len(twilio.sent) == 2)
    assert sorted((sms.to, sms.body) for sms in twilio.sent) == [
        (AMINA, "Meeting Friday 10am, Dunga"), (JUMA, "Mkutano Ijumaa saa nne, Dunga")]
    chrome.refresh()
    screenshot(chrome, "broadcast-progress")
    chrome.get(sms_site + "/dashboard/kisumu-fish/broadcasts")
    screenshot(chrome, "broadcast-history")


@pytest.mark.parametrize("path", ["members", "messages"])
def test_the_other_pages_fit_a_phone(chrome, site, members, path):
    sign_in(chrome, site, GRACE)
    chrome.get(f"{site}/dashboard/kisumu-fish/{path}")
    assert fits_the_width(chrome)
    screenshot(chrome, path)


def test_a_members_profile_and_conversation_on_a_phone(chrome, site, members, factory):
    with unit_of_work(factory) as session:
        outbox.queue(session, channel="sms", address=JUMA, member_id=members["juma"],
                     text="Bei ya tilapia leo: KES 300/kg")
    sign_in(chrome, site, GRACE)
    chrome.get(f"{site}/dashboard/kisumu-fish/members")
    chrome.find_element(By.LINK_TEXT, "Juma").click()
    assert "Bei ya tilapia leo" in chrome.find_element(By.TAG_NAME, "main").text
    assert fits_the_width(chrome)
    screenshot(chrome, "member")

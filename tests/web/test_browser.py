"""The dashboard in a real browser (Debian's headless Chromium, driven by Selenium) on a phone's
width: sign-in, a cluster's home and the simulator. Each page is saved as a screenshot in
build/screenshots/ for a person to look at."""
import base64
import os
import re
import shutil
from pathlib import Path

import pytest
from dashboard_people import ADMIN, GRACE, PASSWORD
from doubles.server import serve
from doubles.twilio import TwilioDouble
from scenes import AMINA, JUMA, add_member
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from bot.app import create_app
from storage.db import unit_of_work

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PHONE = (360, 780)  # the width of a small Android phone


@pytest.fixture(scope="module")
def chrome():
    """Headless Chromium; skipped on a machine without it, except in CI, where it must run."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI"):
            pytest.fail("CI installs Debian's chromium and chromium-driver (.ci/run)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-GB"):
        options.add_argument(argument)
    # A desktop window is never narrower than about 500 px: the phone is emulated instead.
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
        "width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0}})
    browser = webdriver.Chrome(options=options, service=Service(driver))
    browser.implicitly_wait(5)
    yield browser
    browser.quit()


def screenshot(browser, name: str) -> Path:
    """Saves the whole page, as tall as it is, at the phone's width."""
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.readyState") == "complete")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = browser.execute_cdp_cmd("Page.captureScreenshot",
                                   {"format": "png", "captureBeyondViewport": True})
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def fits_the_width(browser) -> bool:
    """Nothing wider than the phone: no sideways scrolling of the page itself."""
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_in(browser, url: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(url + "/login")
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.stacked button").click()
    WebDriverWait(browser, 10).until(ready.url_contains("/dashboard"))


@pytest.fixture
def members(factory, kisumu):
    with unit_of_work(factory) as session:
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma", place="Kisumu")
        add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina", place="Kisumu")


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

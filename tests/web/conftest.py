"""The dashboard through real HTTP: the app served on a loopback port, people signed in."""
import os
import shutil

import pytest
from browsing import PHONE
from dashboard_people import ADMIN, GRACE, OMAR, PASSWORD, RUTH, Browser
from doubles.server import serve
from scenes import lamu_crafts
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bot import accounts
from bot.app import create_app
from storage.db import unit_of_work


@pytest.fixture
def lamu(factory):
    with unit_of_work(factory) as session:
        return lamu_crafts(session)


@pytest.fixture
def people(factory, kisumu, lamu):
    """An admin, a coordinator and a viewer of Kisumu Fish, and a coordinator of Lamu Crafts."""
    with unit_of_work(factory) as session:
        accounts.add_user(session, ADMIN, PASSWORD, "admin", [], "cli")
        accounts.add_user(session, GRACE, PASSWORD, "coordinator", [kisumu], "cli")
        accounts.add_user(session, RUTH, PASSWORD, "viewer", [kisumu], "cli")
        accounts.add_user(session, OMAR, PASSWORD, "coordinator", [lamu], "cli")


@pytest.fixture
def site(settings, people):
    """The running app's base URL."""
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
def browser(site):
    """browser(email) -> a Browser signed in as that person; browser() -> signed out."""
    opened = []

    def open_as(email: str | None = None) -> Browser:
        person = Browser(site)
        opened.append(person)
        if email:
            assert person.sign_in(email).status_code == 303
        return person

    yield open_as
    for person in opened:
        person.http.close()


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

"""Helpers of the dashboard's browser tests: screenshots, the phone's width, signing in."""
import base64
from pathlib import Path

from dashboard_people import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PHONE = (360, 780)  # the width of a small Android phone


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

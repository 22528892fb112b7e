"""The Surveys pages through HTTP and in Chromium: Grace (coordinator of Kisumu Fish) lists the
cluster's surveys with their response rates, reads the fish losses survey's results (a chart
per question, its numbers, its breakdowns by role and place) and downloads both exports; Ruth
(a viewer, a researcher) reads the same with every group of fewer than 5 hidden and cannot
download what members wrote; Omar (Lamu Crafts) sees nothing of Kisumu."""
import csv
import io
import re
import time

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, audits, hidden_from_others
from scenes import AMINA, JUMA, TOMAS, add_member
from selenium.webdriver.common.by import By
from surveyresults import fish_form, seed

from handlers.surveys import results
from locales.i18n import SHIPPED
from storage.db import unit_of_work
from storage.surveys import Respondent, Survey

PAGE = "/dashboard/kisumu-fish/surveys"
RESULTS = f"{PAGE}/F1SH"


@pytest.fixture
def scene(factory, kisumu, lamu, tmp_path) -> dict:
    """Kisumu Fish: the fish losses survey (tests/surveyresults.py) and a draft not sent yet.
    Lamu Crafts: a survey of its own, sent to Tomás."""
    form = fish_form(tmp_path)
    with unit_of_work(factory) as session:
        tokens = seed(session, kisumu, form)
        session.add(Survey(cluster_id=kisumu.id, code="D4FT", title="Boats and motors",
                           form_id="boats", form=form.to_json()))
        baskets = Survey(cluster_id=lamu.id, code="L4MU", title="Basket weavers' losses",
                         form_id="baskets", form=form.to_json(), status="open")
        session.add(baskets)
        session.flush()
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")
        session.add(Respondent(survey_id=baskets.id, member_id=tomas.id, token="lamu0001"))
        return tokens


def main(html: str) -> str:
    return html.split("<main>")[1].split("</main>")[0]


def section(html: str, name: str) -> str:
    """The results of one question, by its name."""
    return html.split(f'id="q-{name}"')[1].split("</section>")[0]


def table(html: str, css: str) -> list[list[str]]:
    """The rows of the first table of class `css`, each a list of its cells' texts."""
    body = html.split(f'<table class="{css}">')[1].split("</table>")[0].split("<tbody>")[1]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", line) for line in body.split("</tr>")
            if "<t" in line]


def wide_csv(factory, survey_id: int) -> list[list[str]]:
    """results.wide as the CSV writer guards it: a cell starting with = gets an apostrophe."""
    with unit_of_work(factory) as session:
        header, rows = results.wide(session, session.get(Survey, survey_id))
    return [header] + [[f"'{cell}" if cell.startswith("=") else cell for cell in row]
                       for row in rows]


# --- The list -----------------------------------------------------------------------------------

def test_grace_lists_the_surveys_with_their_response_rates(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    rows = table(page.text, "surveys")
    assert [row[1:] for row in rows] == [
        ["Boats and motors", "Not sent yet", "0", "0", ""],
        ["Fish losses after the catch", "Open", "8", "5", "63%"]]
    assert f'<a href="{RESULTS}">F1SH</a>' in page.text
    assert "L4MU" not in page.text and "Basket" not in page.text
    assert 'href="/dashboard/kisumu-fish/surveys">Surveys</a>' in page.text  # in the menu


def test_the_pages_speak_each_language(browser, scene):
    grace = browser(GRACE)
    for lang in SHIPPED:
        for path in (PAGE, RESULTS):
            page = grace.get(path, params={"lang": lang})
            assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    french = grace.get(PAGE, params={"lang": "fr"}).text
    assert "63 %" in french and "Ouvert" in french
    assert "<h1>Tafiti</h1>" in grace.get(PAGE, params={"lang": "sw"}).text
    swahili = section(grace.get(RESULTS, params={"lang": "sw"}).text, "uses_ice")
    assert "1. Je, unahifadhi samaki wako kwenye barafu?" in swahili  # the form's own words
    assert table(swahili, "choices") == [["Ndiyo", "2", "29%"], ["Hapana", "5", "71%"]]
    french = section(grace.get(RESULTS, params={"lang": "fr"}).text, "uses_ice")
    assert "1. Do you keep your fish on ice?" in french  # a language the form has not


# --- The results --------------------------------------------------------------------------------

def test_grace_reads_a_chart_and_the_numbers_of_each_question(browser, scene):
    page = browser(GRACE).get(RESULTS)
    assert page.status_code == 200
    text = main(page.text)
    assert "<h1>Fish losses after the catch</h1>" in text
    cards = [card.split("</div>")[0] for card in text.split('<div class="figure">')[1:]]
    assert cards == ["8", "7", "5", "63%"]
    assert text.count('<svg class="chart"') == 8  # a chart per question, the note left out
    uses_ice = section(text, "uses_ice")
    assert "1. Do you keep your fish on ice?" in uses_ice
    assert table(uses_ice, "choices") == [["Yes", "2", "29%"], ["No", "5", "71%"]]
    assert "<title>No: 5</title>" in uses_ice  # the bar of the chart
    assert table(uses_ice, "by-role") == [["Fisher", "5", "0 (0%)", "5 (100%)"],
                                          ["Fish processor", "2", "2 (100%)", "0 (0%)"]]
    assert table(uses_ice, "by-place") == [["Kisumu", "5", "1 (20%)", "4 (80%)"],
                                           ["Dunga", "2", "1 (50%)", "1 (50%)"]]
    why = section(text, "why_no_ice")
    assert table(why, "choices") == [["Ice costs too much", "3", "60%"],
                                     ["No ice nearby", "3", "60%"], ["Not needed", "1", "20%"]]
    assert "more than the whole" in why
    loss = section(text, "loss_kg")
    assert table(loss, "stats") == [["6", "70", "45", "0", "200"]]
    assert table(loss, "by-role") == [["Fisher", "5", "78", "60", "0", "200"],
                                      ["Fish processor", "1", "30", "30", "30", "30"]]
    assert "<title>0–33: 3</title>" in loss
    price = section(text, "price_kg")
    assert table(price, "stats") == [["4", "287.5", "290", "250.5", "319.5"]]
    assert "Answers: 4 · Skipped: 1." in price
    assert table(section(text, "last_trip"), "stats") == [["5", "2026-11-20", "2026-12-01"]]
    assert table(section(text, "loss_level"), "choices") == [["low", "4", "80%"],
                                                             ["high", "1", "20%"]]
    idea = section(text, "idea")
    assert "Answers: 4 · Skipped: 1." in idea and "Ice plant" not in text
    assert table(text, "roles") == [["Fisher", "5", "5", "4"], ["Fish processor", "2", "2", "1"],
                                    ["Trader", "1", "0", "0"]]
    assert f'href="{RESULTS}.csv"' in text and f'href="{RESULTS}-long.csv"' in text
    assert JUMA not in page.text and AMINA not in page.text


def test_grace_downloads_the_exports_as_the_cli_writes_them(factory, browser, scene):
    grace = browser(GRACE)
    wide = grace.get(f"{RESULTS}.csv")
    assert wide.status_code == 200 and wide.headers["content-type"].startswith("text/csv")
    assert wide.headers["content-disposition"] == 'attachment; filename="F1SH.csv"'
    cells = list(csv.reader(io.StringIO(wide.text)))
    assert cells == wide_csv(factory, scene["survey"])
    otieno = next(row for row in cells if row[-1].endswith("cold room"))
    assert otieno[-1] == "'=cold room"  # the formula guard: it stays text in a spreadsheet
    long = grace.get(f"{RESULTS}-long.csv")
    assert long.status_code == 200
    rows = list(csv.reader(io.StringIO(long.text)))
    assert rows[0] == ["respondent", "question", "answer", "answered_at"] and len(rows) == 41
    assert rows[1] == [scene[JUMA], "uses_ice", "no", "2026-12-02T07:00:00Z"]
    assert "2547" not in wide.text + long.text
    assert [(e.actor, e.details["shape"], e.details["count"])
            for e in audits(factory, "survey.export")] == [(f"web:{GRACE}", "wide", 7),
                                                           (f"web:{GRACE}", "long", 40)]


def test_a_viewer_reads_fewer_than_5_and_cannot_download(factory, browser, scene):
    ruth = browser(RUTH)
    page = ruth.get(RESULTS)
    assert page.status_code == 200
    text = main(page.text)
    uses_ice = section(text, "uses_ice")
    assert table(uses_ice, "choices") == [["Yes", "2", "29%"], ["No", "5", "71%"]]
    assert table(uses_ice, "by-role") == [["Fisher", "5", "0 (0%)", "5 (100%)"],
                                          ["Fish processor", "fewer than 5"]]
    assert table(uses_ice, "by-place") == [["Kisumu", "5", "fewer than 5", "fewer than 5"],
                                           ["Dunga", "fewer than 5"]]
    for name in ("price_kg", "storage", "idea"):
        assert "Fewer than 5 members answered this question" in section(text, name), name
        assert '<svg class="chart"' not in section(text, name)
    assert table(text, "roles") == [["Fisher", "5", "5", "4"],
                                    ["Fish processor", "2", "fewer than 5", "fewer than 5"],
                                    ["Trader", "1", "fewer than 5", "fewer than 5"]]
    assert ".csv" not in text and "Downloads" not in text
    for path in (f"{RESULTS}.csv", f"{RESULTS}-long.csv"):
        refused = ruth.get(path)
        assert refused.status_code == 403 and "respondent" not in refused.text
    assert audits(factory, "survey.export") == []


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene):
    hidden_from_others(browser, "surveys", "F1SH")
    grace, omar = browser(GRACE), browser(OMAR)
    assert grace.get(f"{PAGE}/L4MU").status_code == 404  # Lamu's survey
    assert grace.get(f"{PAGE}/L4MU.csv").status_code == 404
    assert grace.get("/dashboard/lamu-crafts/surveys/F1SH").status_code == 404
    for path in (RESULTS, f"{RESULTS}.csv", f"{RESULTS}-long.csv"):
        refused = omar.get(path)
        assert refused.status_code == 404 and "Fish losses" not in refused.text
        signed_out = browser().get(path)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/login")
    assert grace.get(f"{PAGE}/NOPE").status_code == 404
    assert grace.get(f"{PAGE}/a-b.csv").status_code == 404


def test_an_empty_cluster_says_so(browser, kisumu, lamu):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200 and "No surveys yet." in page.text


# --- In a real browser --------------------------------------------------------------------------

def test_grace_reads_the_charts_and_downloads_the_csv_in_chromium(chrome, site, factory, scene,
                                                                  tmp_path):
    sign_in(chrome, site, GRACE)
    chrome.get(site + PAGE)
    assert fits_the_width(chrome)
    screenshot(chrome, "surveys")
    chrome.find_element(By.LINK_TEXT, "F1SH").click()
    assert chrome.find_element(By.CSS_SELECTOR, "main h1").text == "Fish losses after the catch"
    charts = chrome.find_elements(By.CSS_SELECTOR, "section.question svg.chart")
    assert len(charts) == 8 and all(chart.is_displayed() for chart in charts)
    assert fits_the_width(chrome)
    screenshot(chrome, "survey-results")
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {
        "behavior": "allow", "downloadPath": str(tmp_path)})
    chrome.find_element(By.CSS_SELECTOR, 'a[href$="/F1SH.csv"]').click()
    downloaded = tmp_path / "F1SH.csv"
    for _ in range(100):  # the browser writes the file beside, then renames it
        if downloaded.exists():
            break
        time.sleep(0.1)
    with downloaded.open(newline="", encoding="utf-8") as file:
        assert list(csv.reader(file)) == wide_csv(factory, scene["survey"])
    chrome.get(site + RESULTS + "?lang=sw")
    assert fits_the_width(chrome)
    screenshot(chrome, "survey-results-sw")


def test_a_viewer_sees_fewer_than_5_and_no_downloads_in_chromium(chrome, site, scene):
    sign_in(chrome, site, RUTH)
    chrome.get(site + RESULTS + "?lang=en")
    assert "fewer than 5" in chrome.find_element(By.TAG_NAME, "main").text
    assert chrome.find_elements(By.CSS_SELECTOR, 'a[href$=".csv"]') == []
    assert fits_the_width(chrome)
    screenshot(chrome, "survey-results-viewer")
    chrome.get(site + RESULTS + ".csv")
    assert chrome.find_element(By.CSS_SELECTOR, "main h1").text == "Not allowed"


def test_another_cluster_and_a_signed_out_reader_are_refused_in_chromium(chrome, site, scene):
    sign_in(chrome, site, OMAR)
    for path in (RESULTS, f"{RESULTS}.csv"):
        chrome.get(site + path + "?lang=en")
        assert chrome.find_element(By.CSS_SELECTOR, "main h1").text == "Not found"
        assert "Fish losses" not in chrome.page_source
    chrome.delete_all_cookies()
    chrome.get(site + RESULTS)
    assert "/login" in chrome.current_url and "Fish losses" not in chrome.page_source

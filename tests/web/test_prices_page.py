"""The Prices page through HTTP: Grace (coordinator of Kisumu Fish) reads tilapia's weekly
medians against her prices of record and WFP's, in a chart and a table, and publishes or rejects
the reports held for a check; Ruth (a viewer) reads without acting; Omar (Lamu Crafts), guessed
ids and forms without their token change nothing."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, hidden_from_others
from scenes import AMINA, JUMA, TOMAS, add_member
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from bot.web import charts
from storage import prices, products
from storage.db import unit_of_work
from storage.models import AuditEntry, OutboundMessage, utcnow
from storage.prices import PriceReport, PriceSettings

PAGE = "/dashboard/kisumu-fish/prices"
WEEK = timedelta(days=7)


@pytest.fixture
def scene(factory, kisumu, lamu) -> dict[str, int]:
    """Tilapia in Kisumu Fish: Amina's reports at Kisumu last week (300, 320, 340) and Juma's at
    Kibuye (777): the week's median is 330; Juma's this week (410, 430: 420); Grace's price of
    record this week (350); WFP's last week (280); Juma's report of 30 held for a check. In Lamu
    Crafts, Tomás's report of 45 held too. The held reports' ids by cluster."""
    now = utcnow()
    today = now.astimezone(ZoneInfo(kisumu.timezone)).date()  # the cluster's weeks
    with unit_of_work(factory) as session:
        tilapia = products.by_slug(session, "tilapia").id
        amina = add_member(session, AMINA, "fish_processor", kisumu, "en", "Amina Achieng",
                           place="Kisumu", product="tilapia")
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno",
                          place="Kisumu", product="tilapia")
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")

        def report(member, cluster, amount, when, market="Kisumu", status="published"):
            return prices.add_report(
                session, cluster_id=cluster.id, member_id=member.id, product_id=tilapia,
                market=market, amount=amount, unit="kg", currency="KES", status=status,
                reference=320, reported_at=when)

        for amount in (300, 320, 340):
            report(amina, kisumu, amount, now - WEEK)
        report(juma, kisumu, 777, now - WEEK, market="Kibuye")
        for amount in (410, 430):
            report(juma, kisumu, amount, now)
        held = report(juma, kisumu, 30, now, status="held")
        elsewhere = report(tomas, lamu, 45, now, market="Lamu", status="held")
        prices.add_official(session, cluster_id=kisumu.id, country="KE", product_id=tilapia,
                            market="Kisumu", amount=350, unit="kg", currency="KES",
                            observed_on=today, source="coordinator")
        prices.add_official(session, cluster_id=None, country="KE", product_id=tilapia,
                            market="Kisumu", amount=280, unit="kg", currency="KES",
                            observed_on=today - WEEK, source="wfp", price_type="retail",
                            source_key="wfp-kisumu-tilapia")
        return {"kisumu": held.id, "lamu": elsewhere.id}


def status_of(factory, report_id: int) -> str:
    with unit_of_work(factory) as session:
        return session.get(PriceReport, report_id).status


def price_audits(factory) -> list[tuple[str, str, int | None, dict]]:
    with unit_of_work(factory) as session:
        return [(e.actor, e.action, e.cluster_id, e.details) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("price%")).order_by(AuditEntry.id))]


def table_rows(html: str) -> dict[str, list[str]]:
    """The weekly table: week label -> the row's cells."""
    table = html.split('<table class="prices">')[1].split("</table>")[0]
    return {cells[0]: cells for cells in (re.findall(r"<td>(.*?)</td>", row)
                                          for row in table.split("<tr>")[2:])}


# --- Reading ----------------------------------------------------------------------------------

def test_the_chart_draws_the_weekly_medians_and_the_table_gives_every_number(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    assert '<svg class="chart lines"' in page.text
    rows = table_rows(page.text)
    drawn = re.findall(r'<circle class="(\w+)"[^>]*><title>([^<]+): ([^<]+)</title>', page.text)
    assert len(drawn) == 4  # the members' median of two weeks, Grace's price, WFP's
    column = {"members": 1, "official": 3, "wfp": 4}
    for series, week, value in drawn:
        assert rows[week][column[series]] == value, (series, week)
    assert sorted(cells[1] for cells in rows.values() if cells[1] != "–") == ["330", "420"]
    assert sorted(value for _, _, value in drawn) == ["280", "330", "350", "420"]


def test_a_market_filter_draws_that_market_only(browser, scene):
    everywhere = table_rows(browser(GRACE).get(PAGE).text)
    kisumu = table_rows(browser(GRACE).get(PAGE, params={"market": "Kisumu"}).text)
    last_week = [cells for cells in everywhere.values() if cells[4] == "280"][0][0]
    assert everywhere[last_week][1:3] == ["330", "4"]  # 300 320 340 777
    assert kisumu[last_week][1:3] == ["320", "3"]
    page = browser(GRACE).get(PAGE, params={"market": "Kisumu"}).text
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)  # random: may hold a 777
    assert "777" not in page.replace(token, "")


def test_the_page_speaks_the_readers_language(browser, scene):
    page = browser(GRACE).get(PAGE, params={"lang": "sw"})
    assert page.status_code == 200 and 'lang="sw"' in page.text
    assert "sato" in page.text  # tilapia in Swahili
    assert "Members' median" not in page.text


def test_held_reports_are_listed_with_their_usual_price_and_no_phone(browser, scene):
    page = browser(GRACE).get(PAGE).text
    held = page.split('<table class="held">')[1].split("</table>")[0]
    assert f"<td>{scene['kisumu']}</td>" in held and "30 KES/kg" in held and "320" in held
    assert "Juma Otieno" in held
    assert f'action="{PAGE}/reports/{scene["kisumu"]}"' in held
    assert "Tomás" not in page and "45 KES" not in page  # Lamu's report
    assert JUMA not in page and AMINA not in page


def test_a_viewer_reads_the_prices_without_the_buttons(browser, scene):
    page = browser(RUTH).get(PAGE).text
    assert "30 KES/kg" in page and "Juma Otieno" in page
    assert "/reports/" not in page and 'name="decision"' not in page
    assert f'action="{PAGE}/settings"' not in page
    assert JUMA not in page


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene):
    hidden_from_others(browser, "prices", "tilapia")


def test_a_cluster_without_prices_says_so(browser, lamu):
    page = browser(OMAR).get("/dashboard/lamu-crafts/prices")
    assert page.status_code == 200 and "No prices yet" in page.text
    assert "No price reports are waiting for a check." in page.text


# --- Publishing and rejecting -----------------------------------------------------------------

def test_grace_publishes_a_held_report_and_it_is_audited_with_her_email(browser, factory, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    report_id = scene["kisumu"]
    response = grace.post(f"{PAGE}/reports/{report_id}", {"decision": "publish"})
    assert response.status_code == 303
    assert f"published={report_id}" in response.headers["location"]
    assert status_of(factory, report_id) == "published"
    with unit_of_work(factory) as session:
        report = session.get(PriceReport, report_id)
        assert report.decided_by is None and report.decided_at is not None
        told = session.scalars(select(OutboundMessage.text)
                               .where(OutboundMessage.address == JUMA)).all()
    assert price_audits(factory) == [("web:grace@example.org", "price.publish", report.cluster_id,
                                      {"report": report_id, "amount": 30.0, "market": "Kisumu"})]
    assert any("30" in text for text in told)  # Juma hears his price was checked
    after = grace.get(response.headers["location"]).text
    assert f"Price report {report_id} is published." in after
    assert "No price reports are waiting for a check." in after


def test_grace_rejects_a_held_report(browser, factory, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/reports/{scene['kisumu']}", {"decision": "reject"})
    assert response.status_code == 303
    assert status_of(factory, scene["kisumu"]) == "rejected"
    assert [a[:2] for a in price_audits(factory)] == [("web:grace@example.org", "price.reject")]


def test_a_report_checked_already_is_not_decided_twice(browser, factory, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    grace.post(f"{PAGE}/reports/{scene['kisumu']}", {"decision": "reject"})
    again = grace.post(f"{PAGE}/reports/{scene['kisumu']}", {"decision": "publish"})
    assert again.status_code == 303 and "already=" in again.headers["location"]
    assert status_of(factory, scene["kisumu"]) == "rejected"
    assert len(price_audits(factory)) == 1
    assert "was already checked" in grace.get(again.headers["location"]).text


def refused(factory, scene) -> None:
    """Nothing changed: both held reports still wait, no price action is audited."""
    assert status_of(factory, scene["kisumu"]) == "held"
    assert status_of(factory, scene["lamu"]) == "held"
    assert price_audits(factory) == []


def test_deciding_is_refused_to_everyone_else_and_changes_nothing(browser, factory, scene):
    kisumu, lamu = f"{PAGE}/reports/{scene['kisumu']}", f"{PAGE}/reports/{scene['lamu']}"
    publish = {"decision": "publish"}
    stranger = browser()
    stranger.get("/login")
    signed_out = stranger.post(kisumu, publish)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/prices")
    assert omar.post(kisumu, publish).status_code == 404
    ruth = browser(RUTH)
    ruth.get(PAGE)
    assert ruth.post(kisumu, publish).status_code == 403
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(kisumu, publish, token=False).status_code == 403
    assert grace.post(lamu, publish).status_code == 404  # a guessed id of another cluster
    assert grace.post(f"/dashboard/lamu-crafts/prices/reports/{scene['lamu']}",
                      publish).status_code == 404
    assert grace.post(f"{PAGE}/reports/{2**40}", publish).status_code == 404
    assert grace.post(kisumu, {"decision": "maybe"}).status_code == 400
    refused(factory, scene)


# --- Settings ---------------------------------------------------------------------------------

def test_grace_changes_the_alert_and_digest_settings(browser, factory, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/settings", {"alert_percent": "15", "digest_day": "4",
                                               "digest_hour": "18"})
    assert response.status_code == 303
    with unit_of_work(factory) as session:
        saved = session.scalar(select(PriceSettings))
        assert (saved.alert_percent, saved.digest_day, saved.digest_hour) == (15, 4, 18)
    assert price_audits(factory) == [("web:grace@example.org", "prices.settings", saved.cluster_id,
                                      {"alert_percent": 15.0, "digest_day": 4,
                                       "digest_hour": 18})]
    page = grace.get(response.headers["location"]).text
    assert 'value="15"' in page and '<option value="4" selected>Friday' in page


def test_settings_out_of_range_or_refused_change_nothing(browser, factory, scene):
    grace = browser(GRACE)
    grace.get(PAGE)
    for typed in ({"alert_percent": "0", "digest_day": "0", "digest_hour": "7"},
                  {"alert_percent": "ten", "digest_day": "0", "digest_hour": "7"},
                  {"alert_percent": "10", "digest_day": "9", "digest_hour": "7"},
                  {"alert_percent": "10", "digest_day": "0", "digest_hour": "24"}):
        answer = grace.post(f"{PAGE}/settings", typed)
        assert answer.status_code == 400 and "Nothing was changed" in answer.text
    good = {"alert_percent": "15", "digest_day": "4", "digest_hour": "18"}
    assert grace.post(f"{PAGE}/settings", good, token=False).status_code == 403
    ruth = browser(RUTH)
    ruth.get(PAGE)
    assert ruth.post(f"{PAGE}/settings", good).status_code == 403
    omar = browser(OMAR)
    omar.get("/dashboard/lamu-crafts/prices")
    assert omar.post(f"{PAGE}/settings", good).status_code == 404
    with unit_of_work(factory) as session:
        assert session.scalar(select(func.count()).select_from(PriceSettings)) == 0
    assert price_audits(factory) == []


# --- The chart itself -------------------------------------------------------------------------

def test_a_line_chart_joins_the_values_across_gaps_and_draws_nothing_without_values():
    assert charts.lines([("members", [None, None])], ["a", "b"], "t") == ""
    drawn = charts.lines([("members", [10, None, 30]), ("wfp", [None, 20, None])],
                         ["w1", "w2", "w3"], "Tilapia")
    assert drawn.count("<polyline") == 1 and drawn.count("<circle") == 3
    assert "<title>w2: 20</title>" in drawn and 'aria-label="Tilapia"' in drawn
    assert ">30</text>" in drawn and ">10</text>" in drawn  # the scale's ends


# --- On a phone -------------------------------------------------------------------------------

def test_the_page_fits_a_phone_in_a_real_browser(chrome, site, scene):
    sign_in(chrome, site, GRACE)
    for name, query in (("prices", ""), ("prices-sw", "?lang=sw")):
        chrome.get(site + PAGE + query)
        assert chrome.find_element(By.CSS_SELECTOR, "svg.chart.lines").is_displayed()
        assert fits_the_width(chrome), name
        screenshot(chrome, name)

"""The Skills page through HTTP: Grace (coordinator of Kisumu Fish) reads the top needs with the
members' own words, sets the alert threshold and plans a training for the members who asked;
Ruth (a viewer) reads counts only and cannot act; Omar (Lamu Crafts) sees nothing of Kisumu;
every refusal changes nothing and queues no SMS."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import GRACE, OMAR, RUTH, audits
from scenes import AMINA
from scenes import GRACE as GRACE_PHONE
from scenes import JUMA, TOMAS, add_member, outbox
from sqlalchemy import func, select

from handlers import meetings as meeting_verbs
from handlers import skills
from locales.i18n import translate
from storage import meetings as meeting_store
from storage import skills as store
from storage.db import unit_of_work
from storage.models import AuditEntry

NAIROBI = ZoneInfo("Africa/Nairobi")
PAGE = "/dashboard/kisumu-fish/skills"
OWN_WORDS = "outboard motor wiring"  # a need not in the catalog, in Juma's own words


@pytest.fixture
def scene(factory, kisumu, lamu) -> dict:
    """Kisumu Fish: Grace coordinates (a member too); Amina (fr) and Juma (sw) need
    bookkeeping, Amina twice in other words; Juma needs something in his own words; a
    bookkeeping training is planned. Lamu Crafts: Tomás needs marketing. Member ids."""
    with unit_of_work(factory) as session:
        grace = add_member(session, GRACE_PHONE, "trader", kisumu, "en", "Grace", coordinator=True)
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina Achieng")
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno")
        tomas = add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás Mwangi")
        for member, skill, wording in ((amina, "bookkeeping", "comptabilité"),
                                       (amina, "bookkeeping", "tenue des comptes"),
                                       (juma, "bookkeeping", "hesabu"),
                                       (juma, None, OWN_WORDS),
                                       (tomas, "marketing", "selling baskets online")):
            store.add_need(session, cluster_id=member.memberships[0].cluster_id,
                           member_id=member.id, skill=skill, wording=wording,
                           topic=skill or skills.Need(None, wording).topic)
        training, _ = skills.plan_training(
            session, kisumu, grace, skill="bookkeeping", topic="Bookkeeping", title="Bookkeeping",
            place="Kisumu hall", starts_at=datetime.now(timezone.utc) + timedelta(days=5))
        meeting_store.record_answer(meeting_store.invitation(session, training.id, juma.id),
                                    True, datetime.now(timezone.utc))
        return {"grace": grace.id, "amina": amina.id, "juma": juma.id, "training": training.id}


def state(factory) -> tuple:
    """Everything an action could change: thresholds, alerts, meetings, outbox, audit log."""
    with unit_of_work(factory) as session:
        rows = tuple(session.scalar(select(func.count()).select_from(model)) for model in
                     (store.SkillAlert, meeting_store.Meeting, meeting_store.Invitation,
                      AuditEntry))
        thresholds = session.execute(select(store.SkillThreshold.cluster_id,
                                            store.SkillThreshold.members)).all()
    return rows, thresholds, len(outbox(factory))


def threshold(factory, kisumu) -> int:
    with unit_of_work(factory) as session:
        return store.threshold(session, kisumu.id)


def a_week_on() -> dict:
    return {"day": (datetime.now(NAIROBI) + timedelta(days=7)).date().isoformat(),
            "time": "14:00"}


# --- Reading ------------------------------------------------------------------------------------

def test_the_top_needs_count_each_member_once_with_their_words_for_a_coordinator(browser, scene):
    page = browser(GRACE).get(PAGE)
    assert page.status_code == 200
    needs = page.text.split("Trainings planned")[0]
    assert "<td>Bookkeeping</td>\n  <td>2" in needs  # Amina asked twice: counted once
    assert "comptabilité" in needs and "hesabu" in needs and OWN_WORDS in needs
    assert "Coordinators are told by SMS when 5 members need the same skill." in page.text
    assert "Marketing" not in needs and "baskets" not in page.text  # Lamu's


def test_skills_are_named_in_the_readers_language(browser, scene):
    assert "<td>Uhasibu</td>" in browser(GRACE).get(f"{PAGE}?lang=sw").text
    assert "<td>Comptabilité</td>" in browser(GRACE).get(f"{PAGE}?lang=fr").text


def test_a_viewer_reads_counts_but_never_the_members_words(browser, scene):
    page = browser(RUTH).get(PAGE)
    assert page.status_code == 200 and "<td>Bookkeeping</td>" in page.text
    for words in (OWN_WORDS, "comptabilité", "hesabu", "tenue des comptes"):
        assert words not in page.text
    assert "A need in members&#39; own words" in page.text
    assert 'name="members"' not in page.text and 'name="need"' not in page.text


def test_the_trainings_planned_show_their_invitations_and_answers(browser, scene):
    page = browser(GRACE).get(PAGE)
    trainings = page.text.split("Trainings planned")[1].split('id="plan"')[0]
    assert "Bookkeeping" in trainings and "Kisumu hall" in trainings
    assert "<td>1</td><td>0</td><td>1</td>" in trainings  # Juma comes, Amina has not answered
    assert f'/dashboard/kisumu-fish/meetings/{scene["training"]}' in trainings


def test_signed_out_readers_and_other_clusters_see_nothing(browser, scene, factory):
    before = state(factory)
    stranger = browser()
    assert stranger.get(PAGE).status_code == 303
    stranger.get("/login")
    for action in ("threshold", "training"):
        response = stranger.post(f"{PAGE}/{action}", {"members": "1", "need": "bookkeeping",
                                                      "place": "Dunga", **a_week_on()})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    omar = browser(OMAR)
    response = omar.get(PAGE)
    assert response.status_code == 404 and "hesabu" not in response.text
    omar.get("/dashboard/lamu-crafts/skills")
    assert omar.post(f"{PAGE}/threshold", {"members": "1"}).status_code == 404
    assert omar.post(f"{PAGE}/training", {"need": "bookkeeping", "place": "Dunga",
                                          **a_week_on()}).status_code == 404
    assert state(factory) == before


# --- The threshold ------------------------------------------------------------------------------

def test_a_lower_threshold_is_saved_audited_and_coordinators_are_told_at_once(browser, scene,
                                                                             factory, kisumu):
    before = len(outbox(factory))
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/threshold", {"members": "2"})
    assert response.status_code == 303
    assert threshold(factory, kisumu) == 2
    entry = audits(factory, "skills.threshold")[-1]
    assert entry.actor == "web:grace@example.org" and entry.details == {"members": 2}
    told = [row for row in outbox(factory)[before:]]
    assert [row.address for row in told] == [GRACE_PHONE]  # the coordinator member, once
    assert told[0].text == translate("en", skills.THRESHOLD_REACHED, count=2,
                                     cluster="Kisumu Fish", skill="Bookkeeping", skills="SKILLS")
    page = grace.get(response.headers["location"])
    assert "Coordinators were told just now about: Bookkeeping." in page.text
    assert "threshold reached" in page.text


@pytest.mark.parametrize("members", ["0", "-1", "two", "", "100001", "99999999999"])
def test_a_threshold_that_cannot_be_taken_is_explained_and_changes_nothing(browser, scene,
                                                                          factory, members):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/threshold", {"members": members})
    assert response.status_code == 400
    assert "Give a whole number of members, from 1 to 100,000." in response.text
    assert state(factory) == before


def test_a_viewer_or_a_form_without_its_token_sets_no_threshold(browser, scene, factory):
    before = state(factory)
    ruth = browser(RUTH)
    ruth.get(PAGE)
    assert ruth.post(f"{PAGE}/threshold", {"members": "1"}).status_code == 403
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(f"{PAGE}/threshold", {"members": "1"}, token=False).status_code == 403
    assert state(factory) == before


# --- Planning a training ------------------------------------------------------------------------

def test_a_training_invites_the_members_who_asked_in_their_language(browser, scene, factory):
    before = len(outbox(factory))
    grace = browser(GRACE)
    assert 'value="bookkeeping"' in grace.get(PAGE).text
    response = grace.post(f"{PAGE}/training", {"need": "bookkeeping", "place": "Dunga beach",
                                               **a_week_on()})
    assert response.status_code == 303
    entry = audits(factory, "skills.training")[-1]
    assert entry.actor == "web:grace@example.org" and entry.details["invited"] == 2
    with unit_of_work(factory) as session:
        training = meeting_store.by_code(session, entry.details["code"])
        expected = {AMINA: meeting_verbs.about(training, meeting_verbs.TEXTS["training"]
                                               ["invitation"], "fr"),
                    JUMA: meeting_verbs.about(training, meeting_verbs.TEXTS["training"]
                                              ["invitation"], "sw")}
        assert response.headers["location"].endswith(f"/meetings/{training.id}?invited=2")
    assert {row.address: row.text for row in outbox(factory)[before:]} == expected
    assert "Invitation sent to 2 members." in grace.get(response.headers["location"]).text


def test_a_training_on_a_need_in_members_own_words_invites_who_wrote_it(browser, scene,
                                                                       factory):
    before = len(outbox(factory))
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/training", {"need": "~" + OWN_WORDS, "place": "Dunga beach",
                                               **a_week_on()})
    assert response.status_code == 303
    assert [row.address for row in outbox(factory)[before:]] == [JUMA]
    assert audits(factory, "skills.training")[-1].details["topic"] == OWN_WORDS


@pytest.mark.parametrize("form", [
    {"need": "bookkeeping", "place": "Dunga", "day": "2020-01-01", "time": "10:00"},
    {"need": "bookkeeping", "place": "", **a_week_on()},
    {"need": "bookkeeping", "place": "Dunga", "day": "soon", "time": "10:00"},
    {"need": "marketing", "place": "Dunga", **a_week_on()},  # Lamu's need, not Kisumu's
    {"need": "~selling baskets online", "place": "Dunga", **a_week_on()},
])
def test_a_training_that_cannot_be_planned_is_explained_and_nothing_is_sent(browser, scene,
                                                                           factory, form):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(PAGE)
    response = grace.post(f"{PAGE}/training", form)
    assert response.status_code == 400 and 'class="error"' in response.text
    assert state(factory) == before


def test_a_viewer_or_a_form_without_its_token_plans_no_training(browser, scene, factory):
    before = state(factory)
    form = {"need": "bookkeeping", "place": "Dunga", **a_week_on()}
    ruth = browser(RUTH)
    ruth.get(PAGE)
    assert ruth.post(f"{PAGE}/training", form).status_code == 403
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(f"{PAGE}/training", form, token=False).status_code == 403
    assert state(factory) == before


# --- On a phone ---------------------------------------------------------------------------------

def test_the_page_fits_a_phone_in_a_real_browser(chrome, site, scene):
    for email, name in ((GRACE, "skills"), (RUTH, "skills-viewer")):
        sign_in(chrome, site, email)
        chrome.get(site + PAGE)
        assert fits_the_width(chrome), name
        screenshot(chrome, name)

"""The Meetings pages through HTTP: Grace (coordinator of Kisumu Fish) reads who comes, calls,
moves and cancels meetings, and every invited member is told in their language; Ruth (a viewer)
reads names without phones and cannot act; Omar (Lamu Crafts) and guessed ids or codes see
nothing of Kisumu; every refusal changes nothing and queues no SMS."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from browsing import fits_the_width, screenshot, sign_in
from dashboard_people import ADMIN, GRACE, OMAR, RUTH, audits
from scenes import AMINA
from scenes import GRACE as GRACE_PHONE
from scenes import JUMA, add_member, outbox
from sqlalchemy import func, select

from handlers import meetings as verbs
from handlers import skills
from locales.i18n import translate
from storage import meetings as store
from storage import skills as needs
from storage.db import unit_of_work
from storage.models import AuditEntry

NAIROBI = ZoneInfo("Africa/Nairobi")
OTIENO = "+254722000007"  # a fisher who has not answered
LIST = "/dashboard/kisumu-fish/meetings"


@pytest.fixture
def scene(factory, kisumu, lamu) -> dict:
    """Kisumu Fish: Grace (a coordinator member) called the cold storage meeting in three days:
    Juma (sw) comes, Amina (fr) does not, Otieno (en) has not answered; a bookkeeping training
    Amina asked for; a meeting held last month. Lamu Crafts: a fair of its own. Ids and codes."""
    now = datetime.now(timezone.utc)
    with unit_of_work(factory) as session:
        grace = add_member(session, GRACE_PHONE, "trader", kisumu, "en", "Grace", coordinator=True)
        juma = add_member(session, JUMA, "fisher", kisumu, "sw", "Juma Otieno")
        amina = add_member(session, AMINA, "fish_processor", kisumu, "fr", "Amina Achieng")
        add_member(session, OTIENO, "fisher", kisumu, "en", "Otieno Odhiambo")
        bakari = add_member(session, "+254722000011", "craftsperson", lamu, "en", "Bakari")
        meeting, _ = verbs.create(session, kisumu, grace, "Cold storage plans", "Dunga beach",
                                  now + timedelta(days=3))
        for member, yes in ((juma, True), (amina, False)):
            store.record_answer(store.invitation(session, meeting.id, member.id), yes, now)
        needs.add_need(session, cluster_id=kisumu.id, member_id=amina.id, skill="bookkeeping",
                       topic="bookkeeping", wording="comptabilité")
        training, _ = skills.plan_training(session, kisumu, grace, skill="bookkeeping",
                                           topic="Bookkeeping", title="Bookkeeping",
                                           place="Kisumu hall", starts_at=now + timedelta(days=5))
        held, _ = store.schedule(session, cluster_id=kisumu.id, organiser_id=grace.id,
                                 title="Landing site cleanup", place="Dunga beach",
                                 starts_at=now - timedelta(days=30), now=now - timedelta(days=40))
        held.status = "held"
        fair, _ = verbs.create(session, lamu, "cli", "Lamu craft fair", "Lamu fort",
                               now + timedelta(days=4))
        assert store.invitation(session, fair.id, bakari.id)
        return {"meeting": meeting.id, "code": meeting.code, "training": training.id,
                "held": held.id, "held_code": held.code, "fair": fair.id, "fair_code": fair.code}


def path(meeting_id, action: str = "", cluster: str = "kisumu-fish") -> str:
    return f"/dashboard/{cluster}/meetings/{meeting_id}" + (f"/{action}" if action else "")


def state(factory) -> tuple:
    """Everything an action could change: the meetings, the outbox and the audit log."""
    with unit_of_work(factory) as session:
        meetings = session.execute(select(store.Meeting.id, store.Meeting.status,
                                          store.Meeting.starts_at, store.Meeting.place)
                                   .order_by(store.Meeting.id)).all()
        audited = session.scalar(select(func.count()).select_from(AuditEntry))
    return meetings, len(outbox(factory)), audited


def meeting(factory, meeting_id: int) -> store.Meeting:
    with unit_of_work(factory) as session:
        found = session.get(store.Meeting, meeting_id)
        session.expunge_all()
        return found


def texts_since(factory, before: int) -> dict[str, list[str]]:
    """What was queued after the first `before` outbox rows, by phone."""
    queued: dict[str, list[str]] = {}
    for row in outbox(factory)[before:]:
        queued.setdefault(row.address, []).append(row.text)
    return queued


def a_week_on(hour: str = "09:30") -> dict:
    day = (datetime.now(NAIROBI) + timedelta(days=7)).date().isoformat()
    return {"day": day, "time": hour}


# --- Reading ------------------------------------------------------------------------------------

def test_the_list_shows_upcoming_and_past_meetings_with_their_answers(browser, scene):
    page = browser(GRACE).get(LIST)
    assert page.status_code == 200
    upcoming, past = page.text.split('id="call"')[0], page.text.split('id="call"')[1]
    assert "Cold storage plans" in upcoming and scene["code"] in upcoming
    assert "Dunga beach" in upcoming and "Bookkeeping" in upcoming
    assert "<td>1</td><td>1</td><td>1</td>" in upcoming  # yes, no, no answer
    assert "Landing site cleanup" in past and "Held" in past
    assert "Lamu craft fair" not in page.text and scene["fair_code"] not in page.text


def test_a_training_is_titled_by_its_skill_in_the_readers_language(browser, scene):
    grace = browser(GRACE)
    assert "Uhasibu" in grace.get(f"{LIST}?lang=sw").text
    assert "Contabilidade" in grace.get(path(scene["training"]) + "?lang=pt").text


def test_a_meeting_page_lists_who_comes_with_phones_for_a_coordinator(browser, scene):
    for key in (scene["meeting"], scene["code"], scene["code"].lower()):
        page = browser(GRACE).get(path(key))
        assert page.status_code == 200
        coming, rest = page.text.split("Not coming")
        not_coming, waiting = rest.split("No answer yet")
        assert "Juma Otieno" in coming and JUMA in coming
        assert "Amina Achieng" in not_coming and AMINA in not_coming
        assert "Otieno Odhiambo" in waiting and OTIENO in waiting
        assert 'action="' + path(scene["meeting"], "move") in page.text


def test_a_viewer_reads_names_but_no_phone_and_gets_no_form(browser, scene):
    ruth = browser(RUTH)
    page = ruth.get(path(scene["meeting"]))
    assert page.status_code == 200 and "Juma Otieno" in page.text
    for phone in (JUMA, AMINA, OTIENO, "254722"):
        assert phone not in page.text
    assert "/move" not in page.text and "/cancel" not in page.text
    listing = ruth.get(LIST)
    assert listing.status_code == 200 and 'name="title"' not in listing.text


def test_signed_out_readers_see_nothing(browser, scene, factory):
    before = state(factory)
    stranger = browser()
    for address in (LIST, path(scene["meeting"])):
        response = stranger.get(address)
        assert response.status_code == 303 and "Cold storage" not in response.text
    stranger.get("/login")  # a form token, but no account
    for address in (LIST, path(scene["meeting"], "move"), path(scene["meeting"], "cancel")):
        response = stranger.post(address, {"title": "Ice", "place": "Dunga", **a_week_on()})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert state(factory) == before


def test_another_clusters_meeting_is_not_found_by_id_or_code(browser, scene, factory):
    before = state(factory)
    grace = browser(GRACE)
    for key in (scene["fair"], scene["fair_code"], "999999", "99999999999999999999", "ZZZZ"):
        response = grace.get(path(key))
        assert response.status_code == 404 and "Lamu craft fair" not in response.text
    grace.get(LIST)
    for action in ("move", "cancel"):
        assert grace.post(path(scene["fair"], action), a_week_on()).status_code == 404
        assert grace.post(path(scene["fair_code"], action), a_week_on()).status_code == 404
    omar = browser(OMAR)
    assert omar.get(LIST).status_code == 404
    assert omar.get(path(scene["meeting"])).status_code == 404
    omar.get("/dashboard/lamu-crafts/meetings")
    assert omar.post(path(scene["meeting"], "cancel")).status_code == 404
    assert omar.post(path(scene["meeting"], "cancel", "lamu-crafts")).status_code == 404
    assert state(factory) == before


# --- Moving and cancelling ----------------------------------------------------------------------

def test_moving_tells_every_invited_member_in_their_language_and_is_audited(browser, scene,
                                                                             factory):
    before = len(outbox(factory))
    grace = browser(GRACE)
    grace.get(path(scene["meeting"]))
    response = grace.post(path(scene["meeting"], "move"), {**a_week_on(), "place": "Kisumu hall"})
    assert response.status_code == 303
    moved = meeting(factory, scene["meeting"])
    local = moved.starts_at.astimezone(NAIROBI)
    assert (local.date().isoformat(), local.strftime("%H:%M")) == tuple(a_week_on().values())
    assert moved.place == "Kisumu hall" and moved.status == "scheduled"
    queued = texts_since(factory, before)
    assert sorted(queued) == sorted([JUMA, AMINA, OTIENO])  # the no too: it was for the old time
    assert queued[JUMA] == [verbs.about(moved, verbs.MOVED, "sw")]
    assert queued[AMINA] == [verbs.about(moved, verbs.MOVED, "fr")]
    entry = audits(factory, "meeting.move")[-1]
    assert entry.actor == "web:grace@example.org" and entry.details["place"] == "Kisumu hall"
    page = grace.get(response.headers["location"])
    assert translate("en", verbs.TEXTS["meeting"]["is_moved"], code=moved.code, count=3,
                     starts=local.strftime("%a %-d %b %H:%M")) in page.text


def test_cancelling_tells_every_invited_member_and_is_audited(browser, scene, factory):
    before = len(outbox(factory))
    admin = browser(ADMIN)
    admin.get(path(scene["code"]))
    response = admin.post(path(scene["code"], "cancel"))
    assert response.status_code == 303
    cancelled = meeting(factory, scene["meeting"])
    assert cancelled.status == "cancelled"
    queued = texts_since(factory, before)
    assert queued[OTIENO] == [verbs.about(cancelled, verbs.CANCELLED, "en")]
    assert sorted(queued) == sorted([JUMA, AMINA, OTIENO])
    assert audits(factory, "meeting.cancel")[-1].actor == "web:admin@example.org"
    page = admin.get(response.headers["location"])
    assert "Cancelled" in page.text and "/move" not in page.text


def test_a_training_is_moved_in_its_own_words(browser, scene, factory):
    before = len(outbox(factory))
    grace = browser(GRACE)
    grace.get(path(scene["training"]))
    assert grace.post(path(scene["training"], "move"), a_week_on()).status_code == 303
    training = meeting(factory, scene["training"])
    assert training.place == "Kisumu hall"  # the place given back as it was
    assert texts_since(factory, before)[AMINA] == [
        verbs.about(training, verbs.TEXTS["training"]["moved"], "fr")]


def test_a_viewer_or_a_form_without_its_token_moves_and_cancels_nothing(browser, scene,
                                                                        factory):
    before = state(factory)
    ruth = browser(RUTH)
    ruth.get(path(scene["meeting"]))
    for action in ("move", "cancel"):
        assert ruth.post(path(scene["meeting"], action), a_week_on()).status_code == 403
    grace = browser(GRACE)
    grace.get(path(scene["meeting"]))
    for action in ("move", "cancel"):
        response = grace.post(path(scene["meeting"], action), a_week_on(), token=False)
        assert response.status_code == 403
    assert state(factory) == before


@pytest.mark.parametrize("form", [
    {"day": "2020-01-01", "time": "10:00"},  # passed
    {"day": "next friday", "time": "10:00"},
    {"day": "", "time": ""},
    {"day": "2099-01-01", "time": "25:00"},
    {**a_week_on(), "place": "12345"},
    {**a_week_on(), "place": "x" * (verbs.MAX_PLACE + 1)},
])
def test_a_move_that_cannot_be_taken_is_explained_and_changes_nothing(browser, scene, factory,
                                                                      form):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(path(scene["meeting"]))
    response = grace.post(path(scene["meeting"], "move"), form)
    assert response.status_code == 400 and 'class="error"' in response.text
    assert state(factory) == before


def test_a_meeting_held_or_cancelled_cannot_be_moved_or_cancelled(browser, scene, factory):
    grace = browser(GRACE)
    page = grace.get(path(scene["held"]))
    assert page.status_code == 200 and "/move" not in page.text
    before = state(factory)
    for action in ("move", "cancel"):
        response = grace.post(path(scene["held"], action), a_week_on())
        assert response.status_code == 400
        assert translate("en", verbs.TEXTS["meeting"]["is_over"],
                         code=scene["held_code"]) in response.text
    assert state(factory) == before


# --- Calling a meeting --------------------------------------------------------------------------

def test_calling_a_meeting_invites_the_cluster_and_is_audited(browser, scene, factory):
    before = len(outbox(factory))
    grace = browser(GRACE)
    form = grace.get(LIST).text
    assert "The invitation will reach 4 members." in form
    response = grace.post(LIST, {"title": "Ice plant visit", "place": "Dunga", **a_week_on()})
    assert response.status_code == 303
    page = grace.get(response.headers["location"])
    assert "Ice plant visit" in page.text and "Invitation sent to 4 members." in page.text
    queued = texts_since(factory, before)
    # The organiser is the account, no member: Grace's phone is invited with the others.
    assert sorted(queued) == sorted([JUMA, AMINA, OTIENO, GRACE_PHONE])
    entry = audits(factory, "meeting.create")[-1]
    assert entry.actor == "web:grace@example.org" and entry.details["invited"] == 4
    called = meeting(factory, entry.details["meeting_id"])
    assert queued[JUMA] == [verbs.about(called, verbs.INVITATION, "sw")]


@pytest.mark.parametrize("form", [
    {"title": "Ice plant visit", "place": "Dunga", "day": "2020-01-01", "time": "10:00"},
    {"title": "", "place": "Dunga", **a_week_on()},
    {"title": "Ice plant visit", "place": "", **a_week_on()},
    {"title": "x" * (verbs.MAX_TITLE + 1), "place": "Dunga", **a_week_on()},
])
def test_a_meeting_that_cannot_be_called_is_explained_and_nothing_is_sent(browser, scene,
                                                                         factory, form):
    before = state(factory)
    grace = browser(GRACE)
    grace.get(LIST)
    response = grace.post(LIST, form)
    assert response.status_code == 400 and 'class="error"' in response.text
    assert state(factory) == before


def test_nobody_is_called_by_a_viewer_without_a_token_or_in_another_cluster(browser, scene,
                                                                           factory):
    before = state(factory)
    form = {"title": "Ice plant visit", "place": "Dunga", **a_week_on()}
    ruth = browser(RUTH)
    ruth.get(LIST)
    assert ruth.post(LIST, form).status_code == 403
    grace = browser(GRACE)
    grace.get(LIST)
    assert grace.post(LIST, form, token=False).status_code == 403
    assert grace.post("/dashboard/lamu-crafts/meetings", form).status_code == 404
    assert state(factory) == before


# --- On a phone ---------------------------------------------------------------------------------

def test_the_pages_fit_a_phone_in_a_real_browser(chrome, site, scene):
    sign_in(chrome, site, GRACE)
    for name, address in (("meetings", LIST), ("meeting", path(scene["meeting"])),
                          ("meeting-sw", path(scene["training"]) + "?lang=sw")):
        chrome.get(site + address)
        assert fits_the_width(chrome), name
        screenshot(chrome, name)

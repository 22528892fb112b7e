"""The broadcasts pages through HTTP: Grace composes, previews and sends to her cluster (the
outbox holds the messages), follows the sending live and finds it in the history; the filters of
BROADCAST are honoured; no one else sends, previews or reads another cluster's broadcast."""
import re
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dashboard_people import ADMIN, GRACE, OMAR, RUTH
from scenes import AMINA, JUMA, TOMAS, add_member, count
from sqlalchemy import select

from handlers import broadcasts
from storage import outbox as queue
from storage.broadcasts import Broadcast
from storage.db import unit_of_work
from storage.models import AuditEntry, OutboundMessage

PAGE = "/dashboard/kisumu-fish/broadcasts"
HABARI = "Mkutano kesho saa nne asubuhi, Dunga beach."
HELLO = "Meeting tomorrow 10:00 at Dunga beach."
PAULO = "+254722000005"
ZAWADI = "+254722000006"


@pytest.fixture
def members(factory, kisumu, lamu):
    """Kisumu Fish: Amina (processor, Swahili, Kisumu, tilapia), Juma (fisher, English, Kisumu,
    on Telegram too), Paulo (fisher, Swahili, Homa Bay), Zawadi (fisher, opted out); Lamu
    Crafts: Tomás."""
    with unit_of_work(factory) as session:
        add_member(session, AMINA, "fish_processor", kisumu, "sw", "Amina", place="Kisumu",
                   product="tilapia")
        add_member(session, JUMA, "fisher", kisumu, "en", "Juma", place="Kisumu",
                   telegram_id=5001)
        add_member(session, PAULO, "fisher", kisumu, "sw", "Paulo", place="Homa Bay")
        add_member(session, ZAWADI, "fisher", kisumu, "sw", "Zawadi", opted_out=True)
        add_member(session, TOMAS, "craftsperson", lamu, "en", "Tomás")


def composed(**fields) -> dict:
    """The compose form as Grace fills it: both texts, now, to everyone unless told."""
    return {"role": "", "place": "", "product": "", "language": "", "when": "now",
            "send_at": "", "text_sw": HABARI, "text_en": HELLO, **fields}


def send(person, **fields):
    """Composes, previews and confirms, as the pages do; returns the confirmation's response."""
    person.get(PAGE)
    preview = person.post(f"{PAGE}/preview", composed(**fields))
    assert preview.status_code == 200, preview.text
    return person.post(PAGE, confirmed(preview.text))


def confirmed(html: str) -> dict:
    """The hidden fields of the preview's confirm form, as the browser posts them."""
    form = re.search(r'<form [^>]*class="confirm"[^>]*>(.*?)</form>', html, re.S).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    return {name: unescape(value) for name, value in fields.items()}


def unescape(value: str) -> str:
    return (value.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def rows(factory) -> list[OutboundMessage]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.address)))
        session.expunge_all()
        return found


def audit_rows(factory, action="broadcast.send") -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return found


def broadcast_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.fullmatch(rf"{PAGE}/(\d+)", response.headers["location"]).group(1))


def test_grace_composes_previews_and_sends_and_the_outbox_holds_it(browser, factory, members):
    grace = browser(GRACE)
    page = grace.get(PAGE)
    assert page.status_code == 200
    assert 'name="text_sw"' in page.text and 'name="text_en"' in page.text
    preview = grace.post(f"{PAGE}/preview", composed())
    assert preview.status_code == 200
    assert rows(factory) == [] and count(factory, Broadcast) == 0  # a preview sends nothing
    sent = grace.post(PAGE, confirmed(preview.text))
    number = broadcast_id(sent)
    queued = rows(factory)
    assert [(m.address, m.channel, m.text) for m in queued] == [
        ("+254722000001", "sms", HABARI), ("+254722000005", "sms", HABARI),
        ("5001", "telegram", HELLO)]  # Zawadi opted out; Tomás is in another cluster
    assert {m.broadcast_id for m in queued} == {number}
    [entry] = audit_rows(factory)
    assert entry.actor == "web:grace@example.org" and entry.details["broadcast_id"] == number
    progress = grace.get(sent.headers["location"])
    assert progress.status_code == 200 and HELLO in progress.text
    assert max(len(r.content) for r in (page, preview, progress)) < 100_000


def test_the_preview_gives_the_numbers_of_the_conversations_confirmation(browser, factory,
                                                                        members, kisumu):
    long_swahili = "Habari za leo. " * 12  # 180 characters: 2 SMS
    grace = browser(GRACE)
    grace.get(PAGE)
    preview = grace.post(f"{PAGE}/preview", composed(text_sw=long_swahili))
    with unit_of_work(factory) as session:
        expected = broadcasts.estimate(session, [kisumu.id], {},
                                       {"sw": long_swahili.strip(), "en": HELLO})
    assert (expected.telegram, expected.sms, expected.segments, expected.total) == (1, 2, 2, 4)
    figures = re.findall(r'<div class="figure">([\d,]+)</div>', preview.text)
    assert figures[:4] == ["3", "1", "2", "4"]  # members, Telegram, SMS, SMS in all
    per_text = re.findall(r'<td class="text">[^<]*</td><td>(\d+)</td>', preview.text)
    assert per_text == ["2", "1"]
    assert 'class="confirm"' in preview.text


@pytest.mark.parametrize(("fields", "reached"), [
    ({"role": "fisher"}, ["+254722000005", "5001"]),
    ({"place": "kisumu"}, ["+254722000001", "5001"]),
    ({"language": "sw"}, ["+254722000001", "+254722000005"]),
    ({"role": "fisher", "place": "Homa Bay"}, ["+254722000005"]),
])
def test_the_filters_of_broadcast_are_honoured(browser, factory, members, fields, reached):
    broadcast_id(send(browser(GRACE), **fields))
    assert [m.address for m in rows(factory)] == reached


def test_a_product_filter_reaches_those_who_deal_in_it(browser, factory, members):
    grace = browser(GRACE)
    page = grace.get(PAGE)
    tilapia = re.search(r'<option value="(\d+)">tilapia</option>', page.text).group(1)
    broadcast_id(send(grace, product=tilapia))
    assert [m.address for m in rows(factory)] == [AMINA]


def test_a_text_left_empty_falls_back_as_the_conversation_does(browser, factory, members):
    broadcast_id(send(browser(GRACE), text_en=""))  # only Swahili: everyone gets it
    assert {m.text for m in rows(factory)} == {HABARI}


def test_a_broadcast_at_a_time_waits_for_it_in_the_clusters_zone(browser, factory, members):
    tomorrow = datetime.now(ZoneInfo("Africa/Nairobi")).date() + timedelta(days=1)
    number = broadcast_id(send(browser(GRACE), when="later", send_at=f"{tomorrow}T09:30"))
    assert rows(factory) == []
    with unit_of_work(factory) as session:
        broadcast = session.get(Broadcast, number)
        assert broadcast.status == "scheduled"
        assert broadcast.send_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 6, 30,
                                             tzinfo=timezone.utc)  # Nairobi is UTC+3
    assert audit_rows(factory)[0].details["scheduled"].startswith(f"{tomorrow}T06:30")


@pytest.mark.parametrize(("fields", "problem"), [
    ({"text_sw": "", "text_en": "  "}, "Write the text of the broadcast"),
    ({"when": "later", "send_at": ""}, "Give the date and time"),
    ({"when": "later", "send_at": "2020-01-01T10:00"}, "That time has passed"),
    ({"role": "pirate"}, "Choose a role"),
    ({"product": "999999"}, "Choose a product"),
    ({"language": "xx"}, "Choose a language"),
])
def test_a_broadcast_that_cannot_go_is_refused_and_nothing_is_sent(browser, factory, members,
                                                                    fields, problem):
    grace = browser(GRACE)
    grace.get(PAGE)
    for path in (f"{PAGE}/preview", PAGE):
        response = grace.post(path, composed(**fields))
        assert response.status_code == 400 and problem in response.text
    assert count(factory, Broadcast) == 0 and rows(factory) == []


def test_no_member_matching_is_said_and_nothing_is_sent(browser, factory, members):
    grace = browser(GRACE)
    grace.get(PAGE)
    preview = grace.post(f"{PAGE}/preview", composed(place="Mombasa"))
    assert preview.status_code == 200 and 'class="confirm"' not in preview.text
    assert "No member matches this broadcast" in preview.text
    assert grace.post(PAGE, composed(place="Mombasa")).status_code == 400
    assert count(factory, Broadcast) == 0 and audit_rows(factory) == []


def test_the_progress_moves_until_every_message_has_ended(browser, factory, kisumu):
    """No channel is configured in the tests: the app's dispatcher ends each message
    `undeliverable`; the progress fragment says so and stops asking for itself."""
    with unit_of_work(factory) as session:
        for n in range(300):
            add_member(session, f"+2547330{n:05d}", "fisher", kisumu, "sw", f"Mvuvi {n}")
    grace = browser(GRACE)
    number = broadcast_id(send(grace, text_en=""))
    fragment = f"{PAGE}/{number}/progress"
    first = grace.get(fragment)
    assert first.status_code == 200 and "<html" not in first.text
    deadline = time.monotonic() + 20
    while 'hx-trigger="every 2s"' in (latest := grace.get(fragment)).text:
        assert time.monotonic() < deadline, "the sending never ended"
        time.sleep(0.2)
    assert queue.NOT_CONFIGURED in latest.text and "hx-get" not in latest.text
    failed = re.findall(r'<div class="figure">([\d,]+)</div>', latest.text)
    assert failed[4] == "300"  # waiting, sending, sent, delivered, failed


def test_a_pending_broadcast_asks_for_its_progress_every_two_seconds(browser, factory,
                                                                    members, kisumu):
    with unit_of_work(factory) as session:
        broadcast, _ = broadcasts.send(session, [kisumu.id], "cli", {"sw": HABARI}, {},
                                       send_at=datetime.now(timezone.utc) + timedelta(hours=1))
        later = datetime.now(timezone.utc) + timedelta(hours=1)  # the dispatcher leaves it
        queue.queue(session, channel="sms", address=AMINA, member_id=None, text=HABARI,
                    kind="broadcast", not_before=later).broadcast_id = broadcast.id
    page = browser(GRACE).get(f"{PAGE}/{broadcast.id}")
    assert f'hx-get="{PAGE}/{broadcast.id}/progress" hx-trigger="every 2s"' in page.text
    assert "Scheduled" in page.text


def test_the_history_lists_each_broadcast_with_who_sent_it_and_its_counts(browser, factory,
                                                                         members, kisumu):
    broadcast_id(send(browser(GRACE), role="fisher"))
    with unit_of_work(factory) as session:
        coordinator = add_member(session, "+254722000003", "fisher", kisumu, "en", "Grace O.",
                                 coordinator=True)
        broadcasts.send(session, [kisumu.id], coordinator, {"en": "By SMS"}, {})
    for person in (GRACE, RUTH, ADMIN):
        page = browser(person).get(PAGE)
        assert page.status_code == 200
        assert "grace@example.org" in page.text and "Grace O." in page.text
        assert "+254722000003" not in page.text  # an SMS coordinator is named, not numbered


def test_a_viewer_reads_the_history_but_neither_previews_nor_sends(browser, factory, members,
                                                                  kisumu):
    with unit_of_work(factory) as session:
        broadcast, _ = broadcasts.send(session, [kisumu.id], "cli", {"sw": HABARI}, {})
    ruth = browser(RUTH)
    page = ruth.get(PAGE)
    assert page.status_code == 200 and 'name="text_sw"' not in page.text
    assert ruth.get(f"{PAGE}/{broadcast.id}").status_code == 200
    before = len(rows(factory))
    assert ruth.post(f"{PAGE}/preview", composed()).status_code == 403
    assert ruth.post(PAGE, composed()).status_code == 403
    assert count(factory, Broadcast) == 1 and len(rows(factory)) == before


def test_signed_out_people_are_sent_to_sign_in_and_nothing_is_sent(browser, factory, members):
    stranger = browser()
    for path in (PAGE, f"{PAGE}/1", f"{PAGE}/1/progress"):
        response = stranger.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path in (f"{PAGE}/preview", PAGE):
        assert stranger.post(path, composed(), token=False).status_code == 403
    assert count(factory, Broadcast) == 0


def test_a_form_without_its_token_is_refused_and_nothing_is_sent(browser, factory, members):
    grace = browser(GRACE)
    grace.get(PAGE)
    assert grace.post(f"{PAGE}/preview", composed(), token=False).status_code == 403
    assert grace.post(PAGE, composed(), token=False).status_code == 403
    assert count(factory, Broadcast) == 0 and rows(factory) == []


def test_another_clusters_broadcasts_are_not_found(browser, factory, members, lamu):
    with unit_of_work(factory) as session:
        theirs, _ = broadcasts.send(session, [lamu.id], "cli", {"en": "Lamu only"}, {})
    grace, omar = browser(GRACE), browser(OMAR)
    for path in (f"{PAGE}/{theirs.id}", f"{PAGE}/{theirs.id}/progress",
                 f"/dashboard/lamu-crafts/broadcasts/{theirs.id}",
                 "/dashboard/lamu-crafts/broadcasts"):
        assert grace.get(path).status_code == 404
    assert "Lamu only" not in grace.get(PAGE).text
    omar.get("/dashboard/lamu-crafts/broadcasts")
    assert omar.get(PAGE).status_code == 404
    assert omar.post(f"{PAGE}/preview", composed()).status_code == 404
    assert omar.post(PAGE, composed()).status_code == 404
    assert count(factory, Broadcast) == 1 and [m.address for m in rows(factory)] == [TOMAS]

"""The web simulator: open to the person at this machine while nothing can leave it; with a
channel configured, closed unless the operator opens it, and never to another address."""
import asyncio
import re

import httpx
import pytest
from doubles.server import serve
from scenes import GRACE, JUMA, add_member, count
from sqlalchemy import select

from bot import accounts
from bot.app import create_app
from locales.i18n import translate
from storage import outbox
from storage.console import SHOWN
from storage.db import unit_of_work
from storage.models import InboundMessage, Member, OutboundMessage


@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish; Juma fishes there."""
    with unit_of_work(factory) as session:
        add_member(session, GRACE, "fish_processor", kisumu, "en", "Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")


def rows_of(factory) -> list[OutboundMessage]:
    with unit_of_work(factory) as session:
        rows = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
        session.expunge_all()
        return rows


def nothing_stored(factory) -> bool:
    return count(factory, InboundMessage) == 0 and count(factory, OutboundMessage) == 0


def test_simulator_talks_without_any_credentials(settings, factory, kisumu):
    """`clusterbot run` with no Twilio or Telegram account: the simulator still talks."""
    with serve(create_app(settings)) as url:
        assert "clusterbot simulator" in httpx.get(url + "/simulator").text
        reply = httpx.post(url + "/simulator", json={"address": "0722000002", "text": "JIUNGE"})
    assert reply.json() == {"replies": [{"text": translate("sw", "What is your name?"),
                                         "buttons": []}], "others": []}
    assert count(factory, Member) == 1  # 0722000002 read as Juma's +254722000002


def test_simulator_shows_what_other_phones_received_while_no_channel_is_configured(
        settings, network, factory):
    """Grace broadcasts from the page; what Juma's phone got is on the page too, as the running
    app's dispatcher cannot send it anywhere: the page says so, and so does the outbox."""
    with unit_of_work(factory) as session:  # from before the page was opened: not shown
        outbox.queue(session, channel="sms", address=JUMA, member_id=None, text="Old news")
    with serve(create_app(settings)) as url:
        page = httpx.get(url + "/simulator").text
        httpx.post(url + "/simulator", json={"address": GRACE, "text": "BROADCAST Boats out"})
        sent = httpx.post(url + "/simulator", json={"address": GRACE, "text": "1"}).json()
    assert "marked with the phone" in page
    assert sent["replies"][0]["text"].startswith("Sending to 2 members.")
    assert sorted(sent["others"], key=lambda other: other["to"]) == [
        {"to": JUMA, "text": "Boats out", "buttons": []},
        {"to": GRACE, "text": "Boats out", "buttons": []}]
    rows = {m.text: (m.status, m.error) for m in rows_of(factory)}
    assert rows["Boats out"] == ("delivered", SHOWN)
    assert rows["Old news"][1] != SHOWN  # left to the dispatcher: undeliverable


def test_simulator_refuses_what_is_not_a_json_message(settings, factory, kisumu):
    """A page on another site can post text/plain without asking: that is refused, as are a
    missing field, a body too large, and an address that is neither a phone nor a tg: id."""
    with serve(create_app(settings)) as url:
        plain = httpx.post(url + "/simulator", content='{"address": "%s", "text": "STOP"}' % JUMA,
                           headers={"Content-Type": "text/plain"})
        form = httpx.post(url + "/simulator", data={"address": JUMA, "text": "STOP"})
        missing = httpx.post(url + "/simulator", json={"text": "hi"})
        huge = httpx.post(url + "/simulator", json={"address": JUMA, "text": "x" * 50_000})
        junk = [httpx.post(url + "/simulator", json={"address": address, "text": "JOIN"})
                for address in ("abcdef", "SAFARICOM", "", "🐟", "tg:", "tg:12ab")]
        array = httpx.post(url + "/simulator", json=[JUMA, "JOIN"])
    assert [plain.status_code, form.status_code] == [415, 415]
    assert [missing.status_code, huge.status_code, array.status_code] == [400, 413, 400]
    assert [r.status_code for r in junk] == [400] * 6
    assert nothing_stored(factory)


def test_simulator_is_closed_while_a_channel_is_configured(channel_settings, network, factory,
                                                           twilio, telegram_api):
    """The attack from the review: acting as the coordinator to broadcast to every member."""
    with serve(create_app(channel_settings)) as url:
        page = httpx.get(url + "/simulator")
        broadcast = httpx.post(url + "/simulator",
                               json={"address": GRACE, "text": "BROADCAST Free fuel today"})
        confirm = httpx.post(url + "/simulator", json={"address": GRACE, "text": "1"})
    assert [page.status_code, broadcast.status_code, confirm.status_code] == [404] * 3
    assert nothing_stored(factory)
    assert twilio.sent == [] and telegram_api.sent == []


@pytest.fixture
def opened(channel_settings):
    """Channels configured, and the operator opened the simulator on their laptop."""
    return channel_settings.model_copy(update={"simulator": True})


def test_opened_simulator_answers_this_machine(opened, network, factory, twilio):
    with serve(create_app(opened)) as url:
        page = httpx.get(url + "/simulator").text
        reply = httpx.post(url + "/simulator", json={"address": JUMA, "text": "MSAADA"})
    assert reply.status_code == 200 and reply.json()["replies"]
    assert reply.json()["others"] == []  # with a channel, what phones get is sent to them
    assert "marked with the phone" not in page
    assert twilio.sent == []  # the simulator's replies are shown on the page, not sent


def test_opened_simulator_refuses_requests_through_a_proxy(opened, network, factory):
    """A proxy on this machine makes every visitor look local; the headers it adds give it away."""
    with serve(create_app(opened)) as url:
        relayed = [httpx.post(url + "/simulator", json={"address": GRACE, "text": "ME"},
                              headers={header: "203.0.113.9"})
                   for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded")]
        renamed = httpx.post(url + "/simulator", json={"address": GRACE, "text": "ME"},
                             headers={"Host": "attacker.example"})
    assert [r.status_code for r in relayed] == [404] * 3
    assert renamed.status_code == 404  # a site whose name was pointed at 127.0.0.1
    assert nothing_stored(factory)


def test_opened_simulator_refuses_another_address(opened, network, factory):
    """The same app, called from an address that is not this machine."""
    async def visit():
        transport = httpx.ASGITransport(app=create_app(opened), client=("203.0.113.9", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as web:
            return [await web.get("/simulator"),
                    await web.post("/simulator", json={"address": GRACE, "text": "ME"})]
    assert [r.status_code for r in asyncio.run(visit())] == [404, 404]
    assert nothing_stored(factory)


def signed_in(url: str, email: str, password: str) -> tuple[httpx.Client, str]:
    """A client signed in to the dashboard, and its session's form token (a new one is made at
    sign-in)."""
    client = httpx.Client(base_url=url)
    token = re.compile(r'name="csrf" value="([^"]+)"')
    form = token.search(client.get("/login").text).group(1)
    assert client.post("/login", data={"email": email, "password": password,
                                       "csrf": form}).status_code == 303
    return client, token.search(client.get("/dashboard", follow_redirects=True).text).group(1)


def test_with_a_channel_configured_a_signed_in_admin_may_use_the_simulator(
        channel_settings, network, factory, kisumu, twilio):
    """Only an admin, and only with the session's token: a coordinator is not enough, and a page
    of another site cannot post for the admin."""
    with unit_of_work(factory) as session:
        accounts.add_user(session, "admin@example.org", "lake victoria 2026", "admin", [], "cli")
        accounts.add_user(session, "grace@example.org", "lake victoria 2026", "coordinator",
                          [kisumu], "cli")
    plain_http = channel_settings.model_copy(update={"public_url": "http://127.0.0.1:8080"})
    with serve(create_app(plain_http)) as url:  # an https URL makes the cookie Secure
        coordinator, token = signed_in(url, "grace@example.org", "lake victoria 2026")
        assert coordinator.get("/simulator").status_code == 404
        assert coordinator.post("/simulator", json={"address": JUMA, "text": "HELP"},
                                headers={"X-CSRF-Token": token}).status_code == 404
        admin, token = signed_in(url, "admin@example.org", "lake victoria 2026")
        page = admin.get("/simulator")
        forged = admin.post("/simulator", json={"address": JUMA, "text": "HELP"})
        reply = admin.post("/simulator", json={"address": JUMA, "text": "MSAADA"},
                           headers={"X-CSRF-Token": token})
    assert page.status_code == 200 and token in page.text
    assert forged.status_code == 404
    assert reply.status_code == 200 and reply.json()["replies"]
    assert count(factory, InboundMessage) == 1  # the admin's message only

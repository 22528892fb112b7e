"""The terminal channel while no channel is configured: what the bot sends to phones (a
broadcast, a summary to the coordinator) is shown in the session, marked with the phone, and
recorded as shown; what it cannot honestly show is left alone."""
from datetime import datetime, timezone

import pytest
from scenes import GRACE, JUMA, TOMAS, add_member, member, outbox
from sqlalchemy import update

from bot.channels.console import Console, session_start
from handlers import broadcasts as broadcast_handlers
from locales.i18n import translate
from storage import outbox as queue
from storage.console import SHOWN
from storage.db import unit_of_work
from storage.models import OutboundMessage
from storage.outbox import NOT_CONFIGURED


@pytest.fixture
def network(factory, kisumu):
    """Grace coordinates Kisumu Fish (English); Juma fishes (Swahili, SMS); Tomás crafts
    (Portuguese, on Telegram); a fourth member opted out."""
    with unit_of_work(factory) as session:
        kisumu = session.merge(kisumu)
        add_member(session, GRACE, "trader", kisumu, "en", "Grace", coordinator=True)
        add_member(session, JUMA, "fisher", kisumu, "sw", "Juma")
        add_member(session, TOMAS, "craftsperson", kisumu, "pt", "Tomás", telegram_id=4242)
        add_member(session, "+254722000009", "fisher", kisumu, "sw", opted_out=True)
    return factory


@pytest.fixture
def terminal(engine, network):
    """A terminal session as `address` that shows what phones are sent."""
    def open_terminal(address: str) -> Console:
        return Console(engine, network, address, others_after=session_start(network))
    return open_terminal


def queue_for(factory, address: str, text: str, **values) -> int:
    with unit_of_work(factory) as session:
        message = queue.queue(session, channel="sms", address=address, member_id=None, text=text,
                              kind="notice")
        session.flush()
        if values:
            session.execute(update(OutboundMessage).where(OutboundMessage.id == message.id)
                            .values(**values))
        return message.id


def test_broadcast_shows_what_each_phone_got_marked_with_it(terminal, network):
    grace = terminal(GRACE)
    grace.send("BROADCAST Boats out at dawn")

    replies = grace.send("1")

    assert replies[0].startswith("Sending to 3 members.")
    assert sorted(replies[1:]) == sorted([f"[to {GRACE}] Boats out at dawn",
                                          f"[to {JUMA}] Boats out at dawn",
                                          "[to tg:4242] Boats out at dawn"])
    rows = [m for m in outbox(network) if m.kind == "broadcast"]
    assert {(m.status, m.error) for m in rows} == {("delivered", SHOWN)}
    assert {m.channel for m in rows} == {"sms", "telegram"}


def test_coordinator_sees_the_broadcast_summary_sent_to_her_phone(terminal, network):
    grace = terminal(GRACE)
    grace.send("BROADCAST Boats out at dawn")
    grace.send("1")
    with unit_of_work(network) as session:
        broadcast_handlers.report_done(session, datetime.now(timezone.utc))

    replies = grace.send("HELP")

    [broadcast_id] = {m.broadcast_id for m in outbox(network) if m.kind == "broadcast"}
    assert replies[-1] == f"[to {GRACE}] " + translate(
        "en", "Broadcast {id} is done: {sent} sent, {delivered} delivered, {failed} failed.",
        id=broadcast_id, sent=3, delivered=3, failed=0)


def test_message_a_dispatcher_ended_undeliverable_is_still_shown(terminal, network):
    juma = terminal(JUMA)
    queue_for(network, TOMAS, "Tilapia wanted", status="undeliverable", error=NOT_CONFIGURED)

    assert juma.send("MSAADA")[-1] == f"[to {TOMAS}] Tilapia wanted"
    [shown] = [m for m in outbox(network) if m.text == "Tilapia wanted"]
    assert (shown.status, shown.error) == ("delivered", SHOWN)


def test_what_was_queued_before_the_session_or_failed_or_is_for_later_is_left_alone(terminal,
                                                                                  network):
    before = queue_for(network, TOMAS, "From yesterday")
    juma = terminal(JUMA)
    failed = queue_for(network, TOMAS, "Refused", status="failed", error="21211 invalid number")
    later = queue_for(network, TOMAS, "Reminder",
                      not_before=datetime(2099, 1, 1, tzinfo=timezone.utc))

    assert not [reply for reply in juma.send("MSAADA") if reply.startswith("[to ")]
    statuses = {m.id: m.status for m in outbox(network)}
    assert [statuses[before], statuses[failed], statuses[later]] == ["queued", "failed", "queued"]


def test_message_to_a_member_who_opted_out_is_not_shown(terminal, network):
    juma = terminal(JUMA)
    gone = member(network, "+254722000009")
    queue_for(network, gone.phone, "Price alert", member_id=gone.id)

    assert not [reply for reply in juma.send("MSAADA") if reply.startswith("[to ")]
    assert [m.status for m in outbox(network) if m.text == "Price alert"] == ["queued"]


def test_plain_console_leaves_messages_to_phones_queued(chat, network):
    grace = chat(GRACE)
    grace.send("BROADCAST Boats out at dawn")

    assert len(grace.send("1")) == 1
    assert {m.status for m in outbox(network) if m.kind == "broadcast"} == {"queued"}

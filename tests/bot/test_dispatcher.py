"""The outbox dispatcher with in-memory senders: order, retries, pauses, effects, leases."""
import asyncio
import time
from datetime import timedelta

from scenes import AMINA, JUMA, member
from scenes import outbox as outbox_rows

from bot import dispatcher as dispatcher_module
from bot.channels.errors import RateLimited, Rejected, Transient
from bot.dispatcher import Dispatcher, Pace
from storage import members, outbox
from storage.db import session_factory, unit_of_work


class Recorder:
    """A sender that records what it is given and fails as scripted (by address)."""

    def __init__(self, delay: float = 0.0):
        self.calls: list[tuple[str, float]] = []  # every attempt, failed or not: (address, time)
        self.sent: list[tuple[str, str, float]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.delay = delay

    async def __call__(self, message) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.calls.append((message.address, time.monotonic()))
        script = self.failures.get(message.address)
        if script:
            raise script.pop(0)
        self.sent.append((message.address, message.text, time.monotonic()))
        return f"P{len(self.sent)}"


def queue(factory, address, *texts, channel="sms", kind="reply", member_id=None):
    with unit_of_work(factory) as session:
        for text in texts:
            outbox.queue(session, channel=channel, address=address, member_id=member_id,
                         text=text, kind=kind)


def drain(dispatcher, channels=("sms", "telegram"), rounds=50):
    """Runs dispatch rounds until nothing is due (or `rounds` pass)."""
    async def run():
        dispatcher.loop = asyncio.get_running_loop()
        for _ in range(rounds):
            if not sum([await dispatcher.dispatch_once(c) for c in channels]):
                return
    asyncio.run(run())


def run_until(dispatcher, channels, done, timeout=10.0):
    """Runs dispatch rounds in one event loop until `done()` or the timeout."""
    async def run():
        dispatcher.loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            for channel in channels:
                await dispatcher.dispatch_once(channel)
    asyncio.run(run())


def make(factory, settings, senders, **options):
    settings = settings.model_copy(update={"sms_mps": 0, "telegram_mps": 0})
    return Dispatcher(factory, settings, senders, backoff_base=0.001, **options)


def test_messages_to_one_recipient_go_in_order(factory, settings):
    sms = Recorder()
    queue(factory, JUMA, "one", "two", "three")
    queue(factory, AMINA, "a")
    drain(make(factory, settings, {"sms": sms}))
    assert [t for a, t, _ in sms.sent if a == JUMA] == ["one", "two", "three"]
    assert {m.status for m in outbox_rows(factory)} == {"sent"}
    assert [m.provider_id is not None for m in outbox_rows(factory)] == [True] * 4


def test_server_error_is_retried_then_sent_once(factory, settings):
    sms = Recorder()
    sms.failures[JUMA] = [Transient("twilio 500")]
    queue(factory, JUMA, "hello")
    dispatcher = make(factory, settings, {"sms": sms})
    drain(dispatcher)
    time.sleep(0.01)
    drain(dispatcher)
    assert [t for _, t, _ in sms.sent] == ["hello"]
    [row] = outbox_rows(factory)
    assert row.status == "sent" and row.attempts == 2


def test_message_fails_after_the_last_attempt_with_the_reason(factory, settings):
    sms = Recorder()
    sms.failures[JUMA] = [Transient("twilio 503: down")] * 20
    queue(factory, JUMA, "hello")
    dispatcher = make(factory, settings, {"sms": sms})
    for _ in range(10):
        drain(dispatcher)
        time.sleep(0.3)
    assert [address for address, _ in sms.calls] == [JUMA] * 8
    [row] = outbox_rows(factory)
    assert row.status == "failed" and "gave up after 8 attempts" in row.error and "503" in row.error


def test_rate_limit_pauses_the_channel_and_does_not_count_as_attempt(factory, settings):
    telegram = Recorder()
    telegram.failures["100"] = [RateLimited("telegram 429", 0.3)]
    queue(factory, "100", "first", channel="telegram")
    dispatcher = make(factory, settings, {"telegram": telegram})
    run_until(dispatcher, ["telegram"], lambda: telegram.sent)
    [(_, refused_at), (_, sent_at)] = telegram.calls
    assert sent_at - refused_at >= 0.3
    [row] = outbox_rows(factory)
    assert row.status == "sent" and row.attempts == 1


def test_unsubscribed_recipient_opts_the_member_out(factory, settings):
    with unit_of_work(factory) as session:
        juma = members.get_or_create(session, phone=JUMA)
    sms = Recorder()
    sms.failures[JUMA] = [Rejected("twilio 400 21610", "opted_out")]
    queue(factory, JUMA, "hello", member_id=juma.id)
    drain(make(factory, settings, {"sms": sms}))
    assert member(factory, phone=JUMA).opted_out
    assert outbox_rows(factory)[0].status == "failed"


def test_opted_out_member_gets_only_the_final_confirmation(factory, settings):
    with unit_of_work(factory) as session:
        juma = members.get_or_create(session, phone=JUMA)
        juma.opted_out = True
    sms = Recorder()
    queue(factory, JUMA, "news", member_id=juma.id, kind="broadcast")
    queue(factory, JUMA, "you are out", member_id=juma.id, kind="final")
    drain(make(factory, settings, {"sms": sms}))
    assert [t for _, t, _ in sms.sent] == ["you are out"]
    assert [(m.status, m.error) for m in outbox_rows(factory)] == [("cancelled", "opted out"), ("sent", None)]


def test_channel_without_credentials_keeps_messages_as_undeliverable(factory, settings):
    queue(factory, JUMA, "hello")
    drain(make(factory, settings, {}))
    [row] = outbox_rows(factory)
    assert (row.status, row.error) == ("undeliverable", "channel not configured")


def test_blocked_telegram_broadcast_falls_back_to_sms(factory, settings):
    with unit_of_work(factory) as session:
        tomas = members.get_or_create(session, phone=AMINA)
        tomas.telegram_id = 555
        assert outbox.queue_to_member(session, tomas, "meeting friday").channel == "telegram"
    telegram, sms = Recorder(), Recorder()
    telegram.failures["555"] = [Rejected("telegram 403: blocked", "telegram_blocked")]
    drain(make(factory, settings, {"sms": sms, "telegram": telegram}))
    assert [t for _, t, _ in sms.sent] == ["meeting friday"]
    assert member(factory, phone=AMINA).telegram_blocked


def test_broadcast_prefers_telegram_unless_member_prefers_sms(factory):
    with unit_of_work(factory) as session:
        both = members.get_or_create(session, phone=AMINA)
        both.telegram_id = 1
        assert outbox.route(both) == ("telegram", "1")
        both.prefers_sms = True
        assert outbox.route(both) == ("sms", AMINA)
        both.opted_out = True
        assert outbox.route(both) is None


def test_expired_lease_is_claimed_again(factory, settings):
    queue(factory, JUMA, "hello")
    with unit_of_work(factory) as session:
        assert len(outbox.claim(session, "sms", 10, "dead-worker", timedelta(seconds=-1))) == 1
    sms = Recorder()
    drain(make(factory, settings, {"sms": sms}))
    assert [t for _, t, _ in sms.sent] == ["hello"]


def test_live_lease_is_not_claimed_by_another_dispatcher(factory, settings):
    queue(factory, JUMA, "hello")
    with unit_of_work(factory) as session:
        assert outbox.claim(session, "sms", 10, "worker-a", timedelta(minutes=1))
    with unit_of_work(factory) as session:
        assert outbox.claim(session, "sms", 10, "worker-b", timedelta(minutes=1)) == []


def test_two_dispatchers_send_each_message_once(database_url, settings):
    """Two dispatchers with their own connections drain 600 messages to 300 recipients."""
    factory = session_factory(database_url)
    for i in range(300):
        queue(factory, f"+2547330{i:05d}", f"m{i}-1", f"m{i}-2")
    sms = Recorder(delay=0.001)

    async def run_both():
        dispatchers = [make(session_factory(database_url), settings, {"sms": sms}) for _ in range(2)]
        for d in dispatchers:
            d.loop = asyncio.get_running_loop()

        async def drain_one(d):
            idle = 0
            while idle < 3:
                idle = idle + 1 if not await d.dispatch_once("sms") else 0
        await asyncio.gather(*(drain_one(d) for d in dispatchers))

    asyncio.run(run_both())
    texts = [t for _, t, _ in sms.sent]
    assert len(texts) == 600 and len(set(texts)) == 600
    by_recipient = {}
    for address, text, _ in sms.sent:
        by_recipient.setdefault(address, []).append(text)
    assert all(sent == sorted(sent) for sent in by_recipient.values())  # -1 before -2


def test_telegram_chat_gets_at_most_one_message_a_second(factory, settings):
    telegram = Recorder()
    queue(factory, "200", "a", "b", "c", channel="telegram")
    dispatcher = make(factory, settings, {"telegram": telegram})
    run_until(dispatcher, ["telegram"], lambda: len(telegram.sent) == 3)
    gaps = [b[2] - a[2] for a, b in zip(telegram.sent, telegram.sent[1:])]
    assert len(gaps) == 2 and min(gaps) >= 1.0  # a chat's second is stretched, never shortened


def test_telegram_group_gets_at_most_its_limit_in_any_period(factory, settings, monkeypatch):
    """Telegram's 20 a minute in a group, scaled down to 4 in 0.4 s: no burst of 4 on top of the
    steady flow (a bucket of 4 would let 4 out at once, then one every 0.1 s)."""
    monkeypatch.setattr(dispatcher_module, "TELEGRAM_PER_GROUP", (4, 0.4))
    telegram = Recorder()
    queue(factory, "-100", *[f"m{i}" for i in range(10)], channel="telegram")
    dispatcher = make(factory, settings, {"telegram": telegram})
    run_until(dispatcher, ["telegram"], lambda: len(telegram.sent) == 10)
    times = [at for _, _, at in telegram.sent]
    assert len(times) == 10
    assert min(later - earlier for earlier, later in zip(times, times[4:])) >= 0.4


def test_a_paced_message_counts_from_when_it_leaves():
    """A chat's message that then waits for the channel's pace counts from when it leaves: the
    chat's next message keeps its second from there, not from when the chat's turn came."""
    async def run():
        chat, left = Pace(1, 0.3), []
        for _ in range(2):
            async with chat.turn():
                await asyncio.sleep(0.2)  # the channel's pace, say
            left.append(time.monotonic())
        async with chat.turn():
            pass
        return left, time.monotonic()
    (first, second), third = asyncio.run(run())
    assert second - first >= 0.3 and third - second >= 0.3


def test_pace_below_one_message_a_second_spaces_them():
    """CLUSTERBOT_SMS_MPS=0.5: one message every two seconds (stretched by the margin)."""
    pace = Pace.per_second(0.5)
    assert (pace.count, pace.window) == (1, 2 * (1 + dispatcher_module.MARGIN))


def test_channel_rate_limit_is_kept_in_every_second(factory, settings):
    """No burst at the start: a provider counting per second never sees more than the limit."""
    mps = 5
    sms = Recorder()
    for i in range(12):
        queue(factory, f"+2547440{i:05d}", "x")
    dispatcher = Dispatcher(factory, settings.model_copy(update={"sms_mps": mps}), {"sms": sms})
    run_until(dispatcher, ["sms"], lambda: len(sms.sent) == 12)
    times = [at for _, _, at in sms.sent]
    assert len(times) == 12
    assert min(later - earlier for earlier, later in zip(times, times[mps:])) >= 1.0
    # How close to the limit it sends is measured by bench/outbound.py (docs/PERFORMANCE.md).


def test_bulk_queue_routes_like_one_by_one(factory):
    """Every combination of what we know of a member: the SQL route equals the Python one."""
    import itertools

    from sqlalchemy import select

    from storage.models import Member, OutboundMessage

    states = list(itertools.product([None, "phone"], [None, 77], [False, True], [False, True],
                                    [False, True], [False, True]))
    with unit_of_work(factory) as session:
        for i, (phone, tg, blocked, unreachable, prefers, out) in enumerate(states):
            session.add(Member(phone=phone and f"+2547550{i:05d}", telegram_id=tg and tg * 1000 + i,
                               telegram_blocked=blocked, sms_unreachable=unreachable,
                               prefers_sms=prefers, opted_out=out))
    with unit_of_work(factory) as session:
        outbox.queue_to_members(session, select(Member.id), "hello")
    with unit_of_work(factory) as session:
        queued = {m.member_id: (m.channel, m.address) for m in session.scalars(select(OutboundMessage))}
        expected = {m.id: outbox.route(m) for m in session.scalars(select(Member))}
    assert queued == {k: v for k, v in expected.items() if v is not None}
    assert len(queued) > 10


def test_replies_queued_just_after_a_claim_are_claimed_together(factory, settings, monkeypatch):
    """The first reply after a quiet moment goes at once; those that follow it within GATHER
    are claimed (a transaction) together."""
    monkeypatch.setattr(dispatcher_module, "GATHER", 0.5)  # a wide window: a slow machine too
    sms = Recorder()
    dispatcher = make(factory, settings, {"sms": sms})
    claimed, claim = [], dispatcher._claim
    dispatcher._claim = lambda channel: claimed.append(claim(channel)) or claimed[-1]

    async def run():
        await dispatcher.start(release_claims=True)
        queue(factory, JUMA, "first")
        dispatcher.wake("sms")
        while not sms.sent:
            await asyncio.sleep(0.002)
        for i in range(5):  # a reply every 20 ms, as members' messages are handled
            queue(factory, f"+2547330000{i}", f"burst {i}")
            dispatcher.wake("sms")
            await asyncio.sleep(0.02)
        while len(sms.sent) < 6:
            await asyncio.sleep(0.01)
        await dispatcher.stop()

    asyncio.run(run())
    assert [len(batch) for batch in claimed if batch] == [1, 5]

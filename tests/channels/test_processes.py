"""`clusterbot run` as real processes: killed mid-broadcast, stopped politely, run side by side."""
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from live import PUBLIC_URL, SMS_NUMBER, wait_for

from sqlalchemy import insert, select, text

from storage import outbox
from storage.db import engine_for, unit_of_work
from storage.models import Member

ROOT = Path(__file__).resolve().parent.parent.parent
BROADCAST = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """One `clusterbot run` process on the test database, sending SMS to the Twilio double."""

    def __init__(self, database_url, twilio, **settings):
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(ROOT),
                    "CLUSTERBOT_DATABASE_URL": database_url, "CLUSTERBOT_PUBLIC_URL": PUBLIC_URL,
                    "CLUSTERBOT_TWILIO_ACCOUNT_SID": twilio.account_sid,
                    "CLUSTERBOT_TWILIO_AUTH_TOKEN": twilio.auth_token,
                    "CLUSTERBOT_TWILIO_FROM": SMS_NUMBER, "CLUSTERBOT_TWILIO_API_URL": twilio.url,
                    "CLUSTERBOT_SMS_MPS": "0", "CLUSTERBOT_OUTBOX_LEASE_SECONDS": "2",
                    "CLUSTERBOT_INBOUND_LEASE_SECONDS": "2",
                    **{f"CLUSTERBOT_{name.upper()}": str(value) for name, value in settings.items()}}
        self.env.pop("CLUSTERBOT_TELEGRAM_TOKEN", None)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--port", str(self.port)], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(self.healthy, timeout=30)
        return self

    def healthy(self):
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            assert self.process.poll() is None, self.process.stderr.read().decode()
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig`, waits for the exit; returns (exit status, what it wrote on stderr)."""
        self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, err.decode()


def queue_broadcast(factory, count=BROADCAST):
    """A broadcast to `count` new members, as its outbox rows."""
    with unit_of_work(factory) as session:
        session.execute(insert(Member), [{"phone": f"+2547110{i:05d}"} for i in range(count)])
        outbox.queue_to_members(session, select(Member.id), "Meeting on Friday 10:00 at Dunga Beach")


def statuses(factory) -> Counter:
    with unit_of_work(factory) as session:
        return Counter(outbox.counts(session))


@pytest.fixture
def bots(database_url, twilio, factory):
    twilio.reset()
    started = []

    def start(**settings):
        bot = Bot(database_url, twilio, **settings).start()
        started.append(bot)
        return bot
    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()


def test_killed_dispatcher_resumes_and_every_member_gets_the_broadcast(bots, twilio, factory):
    queue_broadcast(factory)
    twilio.delay = 0.003
    first = bots()
    wait_for(lambda: len(twilio.sent) >= BROADCAST // 4, timeout=60)
    first.stop(signal.SIGKILL)
    in_flight = statuses(factory)["sending"]
    sent_before_kill = len(twilio.sent)
    twilio.delay = 0
    bots()
    wait_for(lambda: statuses(factory)["sent"] == BROADCAST, timeout=120)
    received = Counter(m.to for m in twilio.sent)
    duplicates = sum(received.values()) - len(received)
    print(f"\nbroadcast {BROADCAST}: sent before the kill {sent_before_kill}, in flight at the "
          f"kill {in_flight}, recipients reached {len(received)}, duplicates {duplicates}")
    assert len(received) == BROADCAST
    assert duplicates <= in_flight


def test_sigterm_finishes_the_batch_in_flight_and_exits_cleanly(bots, twilio, factory):
    queue_broadcast(factory, 300)
    twilio.delay = 0.01
    bot = bots()
    wait_for(lambda: len(twilio.sent) >= 50, timeout=60)
    status, log = bot.stop(signal.SIGTERM)
    # uvicorn drains, then ends the process by the signal it got, as a supervisor expects.
    assert status == -signal.SIGTERM and "Application shutdown complete" in log
    left = statuses(factory)
    assert left["sending"] == 0  # nothing left claimed: the next start sends no duplicates
    assert left["sent"] == len(twilio.sent)


def test_two_processes_on_postgresql_send_each_message_once(bots, twilio, factory, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several dispatchers share one database only on PostgreSQL")
    queue_broadcast(factory)
    twilio.delay = 0.002
    bots(), bots()
    wait_for(lambda: statuses(factory)["sent"] == BROADCAST, timeout=120)
    received = Counter(m.to for m in twilio.sent)
    assert len(received) == BROADCAST and max(received.values()) == 1


def on_postgresql(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share one database only on PostgreSQL")


def test_messages_a_killed_process_accepted_are_answered_by_the_other(bots, twilio, factory,
                                                                     database_url):
    """The first process answers 200 to ten SMS and cannot handle them yet (the database fails
    it); it is killed. The second, running all along, answers them once their lease is over."""
    on_postgresql(database_url)
    first, _second = bots(), bots()
    senders = [f"+2547200{i:05d}" for i in range(10)]
    rename(database_url, "conversations", "conversations_away")
    try:
        for sender in senders:
            response = twilio.post_inbound(f"http://127.0.0.1:{first.port}", PUBLIC_URL,
                                           twilio.inbound_params(sender, "JOIN"))
            assert response.status_code == 200
        first.stop(signal.SIGKILL)
    finally:
        rename(database_url, "conversations_away", "conversations")
    wait_for(lambda: {m.to for m in twilio.sent} == set(senders), timeout=30)
    assert len(twilio.sent) == len(senders)


def test_messages_accepted_before_a_kill_are_answered_after_the_restart(bots, twilio, factory,
                                                                       database_url):
    """One process (SQLite): killed after accepting, answered by the next start."""
    bot = bots()
    rename(database_url, "conversations", "conversations_away")
    try:
        response = twilio.post_inbound(f"http://127.0.0.1:{bot.port}", PUBLIC_URL,
                                       twilio.inbound_params("+254720000001", "JOIN"))
        assert response.status_code == 200
        bot.stop(signal.SIGKILL)
    finally:
        rename(database_url, "conversations_away", "conversations")
    bots()
    wait_for(lambda: [m.to for m in twilio.sent] == ["+254720000001"], timeout=30)


def test_two_processes_keep_one_rate_limit_for_the_sending_number(bots, twilio, factory,
                                                                  database_url):
    """Two processes, each set to 4.5 SMS a second, to a provider that refuses the sixth in any
    second: the limit holds for the deployment (two limits of their own would send 9 a second),
    and nothing is refused. The tenth of a second to spare absorbs a busy machine's delays."""
    on_postgresql(database_url)
    queue_broadcast(factory, 40)
    twilio.limit_per_second(5)
    bots(sms_mps=4.5), bots(sms_mps=4.5)
    wait_for(lambda: statuses(factory)["sent"] == 40, timeout=60)
    assert twilio.rejected_429 == 0 and len({m.to for m in twilio.sent}) == 40


def rename(database_url, table, to):
    with engine_for(database_url).begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))

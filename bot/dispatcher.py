"""The outbox dispatcher: claims due messages, sends them within rate limits, records the outcome.

One loop per channel. Each claims a batch (the oldest pending message per recipient, so order
per recipient holds), sends it concurrently within the channel's rate and Telegram's per-chat
limits, and records every outcome in one transaction. A crash between claim and record leaves
the batch claimed until its lease ends; then it is sent again: the only duplicates possible.
"""
import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.channels.errors import RateLimited, Rejected, SendError, Transient
from bot.settings import Settings
from storage import members, outbox
from storage.db import log_failure, single_statements, unit_of_work
from storage.forget import scrub_sent_to_deleted
from storage.outbox import Claimed

log = logging.getLogger(__name__)

Send = Callable[[Claimed], Awaitable[str]]
CHANNELS = ("sms", "telegram")
MAX_ATTEMPTS = 8
BACKOFF_CAP = 300.0  # seconds
IDLE_POLL = 0.25  # seconds between looks for due messages when nothing wakes the loop
# After a batch that took all that was due, the next claim waits until this long after it:
# replies come in bursts (a busy hour, a match that tells three members), and one claim then
# takes several of them instead of one each (a claim and a record are a transaction each). The
# first reply after a quiet moment is claimed at once.
GATHER = 0.05  # seconds
OUTAGE_PAUSE = 1.0  # seconds before trying the database again after it failed
IN_FLIGHT = 50  # concurrent sends per channel: more only slows the HTTP clients down
# A provider counts a message when it arrives, a few milliseconds (on a busy machine tens of
# them) after we sent it, and never the same few: a limit's period is stretched by MARGIN so that
# this jitter never puts one message too many into one of the provider's periods. Measured by
# bench/outbound.py and bench/outbound_telegram.py (docs/PERFORMANCE.md): 1 % met a 429 once in
# 3,000-8,000 SMS and Telegram chats paced exactly 1.000 s apart met several per 50 messages.
MARGIN = 0.03
# Processes sharing a pace cannot see when the others' messages really left: a wider margin.
SHARED_MARGIN = 0.04
TELEGRAM_PER_CHAT = (1, 1.0)  # messages per seconds, in a private chat
TELEGRAM_PER_GROUP = (20, 60.0)


class Pace:
    """A limit as a provider counts it: at most `count` messages in any `period` (stretched by
    MARGIN), and two at least 0.9 of an even share of it apart.

    Not a bucket (aiolimiter's): a full one lets `count` messages out at once on top of the steady
    flow, twice the limit in one period (a group's 20 a minute: 39 in the first). Not one message
    every period / count either: each late timer and each pause between two batches would be
    lost, a few per cent of the rate. Here the slightly shorter gap lets the messages after a
    pause catch up, and the window keeps them under the limit."""

    def __init__(self, count: int, period: float = 1.0, margin: float | None = None):
        self.count = count
        self.window = period * (1 + (MARGIN if margin is None else margin))
        self.gap = 0.9 * self.window / count
        self.sent: deque[float] = deque(maxlen=count)
        self.lock = asyncio.Lock()

    @classmethod
    def per_second(cls, rate: float) -> "Pace":
        """`rate` messages a second (below 1: one message every 1 / rate s)."""
        count = max(1, int(rate))
        return cls(count, count / rate)

    async def acquire(self) -> None:
        """Waits for the next moment the limit allows, and counts a message sent then."""
        async with self.turn():
            pass

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Waits for the next moment the limit allows, runs the block (which may wait for other
        limits), and counts a message sent when the block ends: the moment it really leaves."""
        async with self.lock:
            loop = asyncio.get_running_loop()
            if self.sent:
                start = self.sent[-1] + self.gap
                if len(self.sent) == self.count:
                    start = max(start, self.sent[0] + self.window)
                await asyncio.sleep(start - loop.time())
            yield
            self.sent.append(loop.time())


class SharedPace:
    """A channel's rate limit for every process on one PostgreSQL database: each message's
    moment is reserved there, `(1 + SHARED_MARGIN) / rate` s after the last one any process
    reserved."""

    def __init__(self, factory: sessionmaker[Session], channel: str, rate: float):
        self.factory, self.channel, self.gap = factory, channel, (1 + SHARED_MARGIN) / rate

    async def acquire(self) -> None:
        await asyncio.sleep(await asyncio.to_thread(self._reserve))

    def _reserve(self) -> float:
        with unit_of_work(self.factory) as session:
            return outbox.reserve_slot(session, self.channel, self.gap)


class Dispatcher:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, senders: dict[str, Send],
                 *, lease: float = 60.0, backoff_base: float = 1.0):
        self.factory, self.senders = factory, senders
        self.claiming = single_statements(factory)
        self.lease, self.backoff_base = timedelta(seconds=lease), backoff_base
        self.worker = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        rates = {"sms": settings.sms_mps, "telegram": settings.telegram_mps}
        shared = not settings.database_url.startswith("sqlite")  # SQLite: one process
        self.limiters = {name: SharedPace(factory, name, rate) if shared else Pace.per_second(rate)
                         for name, rate in rates.items() if rate > 0}
        # A batch is a fifth of a second of sending (or one message): an answer queued meanwhile
        # waits for little more (claims take answers first); a crash re-sends one batch at most.
        self.batch = {name: 2 * IN_FLIGHT if rates[name] <= 0 else
                      max(1, min(2 * IN_FLIGHT, int(rates[name] / 5))) for name in CHANNELS}
        self.chat_limiters: dict[str, Pace] = {}
        self.paused_until = {name: 0.0 for name in CHANNELS}
        self.wakeups = {name: asyncio.Event() for name in CHANNELS}
        self.in_flight = {name: asyncio.Semaphore(IN_FLIGHT) for name in CHANNELS}
        self.stopping = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task] = []

    async def start(self, release_claims: bool) -> None:
        """Starts a loop per channel; `release_claims` when no other dispatcher can be running."""
        self.loop = asyncio.get_running_loop()
        if release_claims:
            await asyncio.to_thread(self._release_claims)
        self.tasks = [asyncio.create_task(self._run(name), name=f"outbox-{name}") for name in CHANNELS]

    async def stop(self) -> None:
        """Finishes the batches in flight (they are recorded), then stops."""
        self.stopping.set()
        self.wake()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def wake(self, channel: str | None = None) -> None:
        """Tells the loop of `channel` (default: every loop) that new messages are due; safe to
        call from any thread. A loop not woken finds its messages within IDLE_POLL."""
        if self.loop is None or self.loop.is_closed():
            return
        for name, event in self.wakeups.items():
            if channel in (None, name) or channel not in self.wakeups:
                self.loop.call_soon_threadsafe(event.set)

    async def _run(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            claimed_at = loop.time()
            try:
                sent = await self.dispatch_once(channel)
            except Exception as error:  # the database is away, say: keep the loop, try again
                log_failure(log, f"outbox {channel}: dispatch", error)
                await asyncio.sleep(OUTAGE_PAUSE)
                continue
            if not sent:
                await self._idle(channel)
            elif sent < self.batch[channel]:
                await self._gather(channel, claimed_at + GATHER - loop.time())

    async def dispatch_once(self, channel: str) -> int:
        """Claims, sends and records one batch; returns how many messages were claimed."""
        await self._wait_for_pause(channel)
        batch = await asyncio.to_thread(self._claim, channel)
        if batch:
            outcomes = await asyncio.gather(*(self._deliver(channel, m) for m in batch))
            await asyncio.to_thread(self._record, outcomes)
        return len(batch)

    async def _idle(self, channel: str) -> None:
        event = self.wakeups[channel]
        try:
            await asyncio.wait_for(event.wait(), timeout=IDLE_POLL)
        except asyncio.TimeoutError:
            pass
        event.clear()

    async def _gather(self, channel: str, seconds: float) -> None:
        await self._sleep(seconds)
        self.wakeups[channel].clear()  # what woke it meanwhile is claimed now

    async def _wait_for_pause(self, channel: str) -> None:
        await self._sleep(self.paused_until[channel] - asyncio.get_running_loop().time())

    async def _sleep(self, seconds: float) -> None:
        """Waits `seconds` (none when not positive), or until the dispatcher stops."""
        if seconds > 0:
            try:
                await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
            except asyncio.TimeoutError:
                pass

    def _claim(self, channel: str) -> list[Claimed]:
        with unit_of_work(self.claiming) as session:
            return outbox.claim(session, channel, self.batch[channel], self.worker, self.lease)

    def _release_claims(self) -> None:
        with unit_of_work(self.factory) as session:
            for channel in CHANNELS:
                outbox.release_all(session, channel)

    async def _deliver(self, channel: str, message: Claimed) -> tuple:
        """Sends one message; returns the outcome to record."""
        if message.member_opted_out and message.kind not in outbox.FINAL_KINDS:
            return ("end", message, "cancelled", "opted out", None)
        send = self.senders.get(channel)
        if send is None:
            return ("end", message, "undeliverable", outbox.NOT_CONFIGURED, None)
        await self._wait_for_pause(channel)
        try:
            async with self.in_flight[channel]:
                # The chat's turn comes before the channel's pace (a slot of the channel taken is
                # a slot used), but it counts from when the message leaves, after that pace.
                async with self._chat_turn(channel, message.address):
                    if channel in self.limiters:
                        await self.limiters[channel].acquire()
                return ("sent", message, await send(message))
        except RateLimited as error:
            loop_time = asyncio.get_running_loop().time()
            self.paused_until[channel] = max(self.paused_until[channel], loop_time + error.retry_after)
            return ("retry", message, error.retry_after, str(error), False)
        except Transient as error:
            if message.attempts + 1 >= MAX_ATTEMPTS:
                return ("end", message, "failed", f"gave up after {MAX_ATTEMPTS} attempts: {error}", None)
            return ("retry", message, self.backoff(message.attempts), str(error), True)
        except Rejected as error:
            return ("end", message, "failed", str(error), error.effect)
        except SendError as error:
            return ("end", message, "failed", str(error), None)
        except Exception as error:  # a bug in an adapter must not lose the message
            log_failure(log, f"outbox {channel}: sending {message.id}", error)
            return ("retry", message, self.backoff(message.attempts), repr(error), True)

    def backoff(self, attempts: int) -> float:
        """Exponential with full jitter: spreads retries after an outage."""
        return random.uniform(0.5, 1.0) * min(BACKOFF_CAP, self.backoff_base * 2 ** attempts)

    def _chat_turn(self, channel: str, address: str) -> AbstractAsyncContextManager:
        """Telegram's limit of the chat (private: 1 a second; group: 20 a minute); none on SMS."""
        if channel != "telegram":
            return contextlib.nullcontext()
        pace = self.chat_limiters.get(address)
        if pace is None:
            if len(self.chat_limiters) > 50_000:  # forget the chats whose limit has reset
                now = asyncio.get_running_loop().time()
                self.chat_limiters = {a: p for a, p in self.chat_limiters.items()
                                      if p.lock.locked() or p.sent and now - p.sent[-1] < p.window}
            count, period = TELEGRAM_PER_GROUP if address.startswith("-") else TELEGRAM_PER_CHAT
            pace = self.chat_limiters[address] = Pace(count, period)
        return pace.turn()

    def _record(self, outcomes: list[tuple]) -> None:
        with unit_of_work(self.factory) as session:
            outbox.mark_sent(session, [(o[1].id, o[2]) for o in outcomes if o[0] == "sent"])
            for outcome in outcomes:
                if outcome[0] != "sent":
                    record(session, *outcome)
            goodbyes = [o[1].id for o in outcomes if o[1].kind in outbox.FINAL_KINDS]
            scrub_sent_to_deleted(session, goodbyes)


def record(session: Session, kind: str, message: Claimed, *details) -> None:
    """Writes an outcome other than sent; a rejection may also change what we know of the member."""
    if kind == "retry":
        delay, error, attempt = details
        outbox.retry_later(session, message.id, delay, error, attempt=attempt)
    else:
        status, error, effect = details
        outbox.mark_failed(session, message.id, status, error)
        if effect and message.member_id:
            members.mark_unreachable(session, message.member_id, effect)
        if status == "failed" and message.channel == "telegram" and message.kind == "broadcast":
            outbox.fall_back_to_sms(session, message)

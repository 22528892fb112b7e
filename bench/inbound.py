"""Signed SMS webhooks per second through the whole inbound path, as a ratio to a bare route.

    python bench/inbound.py                                   # SQLite file in a temp directory
    python bench/inbound.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbound

The app (`bot.app.create_app`, with its dispatcher sending the replies to a Twilio double in a
third process, CLUSTERBOT_SMS_MPS=0) runs under uvicorn in a child process, with one more route,
POST /bare, that only stores the raw form in the same database. This process posts signed forms
from 500 phones going through registration, and measures (a) the most requests per second each
route takes from 32 connections, (b) latency at a fixed rate, and how fast the accepted messages
are really handled (inbound status 'handled', reply queued) meanwhile.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select

from common import (PUBLIC_URL, Child, TwilioProcess, bot_env, backend, machine, observer,
                    percentile, scratch_database, table, wait_until)
from doubles.twilio import TwilioDouble
from storage.models import InboundMessage, OutboundMessage

WEBHOOK, BARE = "/webhooks/sms", "/bare"
PHONES = [f"+2547220{i:05d}" for i in range(500)]
NAMES = ["Amina Otieno", "Juma Odhiambo", "Grace Achieng", "Peter Ouma", "Mercy Awino",
         "John Kamau", "Faith Wanjiru", "Hassan Ali", "Rose Atieno", "Samuel Kiprono"]
PLACES = ["Garissa", "Kajiado", "Isiolo town", "Dandora", "Kisumu", "Dunga beach"]
PRODUCTS = ["tilapia, omena", "maize", "nile perch and tilapia", "beans, maize", "dagaa"]


def script(phone: int, step: int) -> str:
    """What member `phone` sends at `step`: registration, answer by answer, then HELP."""
    steps = ["JIUNGE" if phone % 2 else "JOIN", NAMES[phone % len(NAMES)], str(1 + phone % 8),
             PLACES[phone % len(PLACES)], PRODUCTS[phone % len(PRODUCTS)], str(1 + phone % 2),
             "1", "HELP"]
    return steps[step % len(steps)]


class Forms:
    """Signed Twilio inbound forms with fresh MessageSids; member i % 500 sends message i."""

    def __init__(self):
        self.double, self.count = TwilioDouble(), 0
        self.url = PUBLIC_URL + WEBHOOK

    def make(self, n: int) -> list[tuple[bytes, dict]]:
        """The next `n` requests, encoded and signed (before any clock starts)."""
        out = []
        for i in range(self.count, self.count + n):
            phone = i % len(PHONES)
            params = self.double.inbound_params(PHONES[phone], script(phone, i // len(PHONES)))
            headers = {"X-Twilio-Signature": self.double.sign(self.url, params),
                       "Content-Type": "application/x-www-form-urlencoded"}
            out.append((urlencode(params).encode(), headers))
        self.count += n
        return out


@dataclass
class Run:
    """What one load phase saw."""

    route: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    started: datetime | None = None
    ended: datetime | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def post(session: aiohttp.ClientSession, url: str, request: tuple[bytes, dict]) -> bool:
    """One POST; True when answered 200."""
    body, headers = request
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def client(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def closed_loop(base: str, route: str, requests: list, connections: int, seconds: float) -> Run:
    """As many requests as `connections` keep-alive connections get answered in `seconds`."""
    run, pending = Run(route), iter(requests)
    async with client(connections) as session:
        loop = asyncio.get_running_loop()
        run.started, start = datetime.now(timezone.utc), loop.time()
        deadline = start + seconds

        async def worker():
            for request in pending:
                if loop.time() >= deadline:
                    return
                sent = loop.time()
                ok = await post(session, base + route, request)
                run.latencies.append(loop.time() - sent)
                run.requests += 1
                run.errors += not ok

        await asyncio.gather(*(worker() for _ in range(connections)))
        run.seconds, run.ended = loop.time() - start, datetime.now(timezone.utc)
    return run


async def fixed_rate(base: str, route: str, requests: list, rate: float) -> Run:
    """One request every 1/rate s, whatever the answers (open loop); latency from the
    scheduled moment, so a stall counts for every request it delays."""
    run = Run(route)
    async with client(256) as session:
        loop = asyncio.get_running_loop()
        run.started, start = datetime.now(timezone.utc), loop.time() + 0.05

        async def one(scheduled, request):
            ok = await post(session, base + route, request)
            run.latencies.append(loop.time() - scheduled)
            run.requests += 1
            run.errors += not ok

        tasks = []
        for i, request in enumerate(requests):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            tasks.append(asyncio.create_task(one(scheduled, request)))
        await asyncio.gather(*tasks)
        run.seconds, run.ended = loop.time() - start, datetime.now(timezone.utc)
    return run


def last_inbound_id(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(InboundMessage.id), 0))).scalar()


def drained(engine) -> bool:
    """True when no inbound message waits for handling and no reply waits for sending."""
    with engine.connect() as conn:
        inbound = conn.execute(select(func.count()).where(
            InboundMessage.status.in_(("received", "handling")))).scalar()
        outbound = conn.execute(select(func.count()).where(
            OutboundMessage.status.in_(("queued", "sending")))).scalar()
    return inbound == 0 and outbound == 0


def handled(engine, after_id: int, run: Run, drain_seconds: float) -> dict:
    """How the messages a webhook run accepted were handled: per second during the run, and
    how long after the run the backlog took to clear."""
    with engine.connect() as conn:
        rows = conn.execute(select(InboundMessage.status, InboundMessage.handled_at)
                            .where(InboundMessage.id > after_id)).all()
    ended = run.ended.replace(tzinfo=None)
    during = sum(1 for status, at in rows
                 if status == "handled" and at is not None and naive_utc(at) <= ended)
    return {"accepted": len(rows), "handled": sum(1 for s, _ in rows if s == "handled"),
            "handled_during": during, "handled_rate": during / run.seconds,
            "drain_seconds": drain_seconds}


def naive_utc(moment: datetime) -> datetime:
    """SQLite gives naive UTC datetimes, PostgreSQL aware ones: compare them naive."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def drain(engine, timeout: float) -> float:
    """Waits until everything accepted is handled and every reply sent; returns the seconds."""
    start = time.monotonic()
    wait_until(lambda: drained(engine), timeout=timeout, interval=0.1, what="backlog drained")
    return time.monotonic() - start


def webhook_run(args, app: Child, forms: Forms, engine, measure) -> tuple[Run, dict]:
    """A load phase on the webhook, then the wait for its backlog; returns both results."""
    before = last_inbound_id(engine)
    run = asyncio.run(measure(WEBHOOK))
    drain_seconds = drain(engine, args.drain_timeout)
    return run, handled(engine, before, run, drain_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seconds", type=float, default=10.0, help="each max-throughput run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="max-throughput runs per route")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per run, at most")
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s of the latency run")
    parser.add_argument("--rate-seconds", type=float, default=20.0)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    args = parser.parse_args()

    with scratch_database(args.database_url) as url, TwilioProcess() as twilio, \
            Child(["bench/common.py", "app"], bot_env(url, twilio.url, 0)) as app:
        engine, forms = observer(url), Forms()
        print(f"inbound SMS webhooks on {backend(url)}; {machine()}\n")

        def max_run(route):
            requests = forms.make(args.max_requests)
            return closed_loop(app.url, route, requests, args.connections, args.seconds)

        def rate_run(route):
            return fixed_rate(app.url, route, forms.make(int(args.rate * args.rate_seconds)), args.rate)

        asyncio.run(closed_loop(app.url, BARE, forms.make(300), 8, 60))  # warm-up, both routes
        webhook_run(args, app, forms, engine, lambda r: closed_loop(app.url, r, forms.make(300), 8, 60))

        webhook, bare, handling = [], [], []
        for _ in range(args.rounds):
            run, result = webhook_run(args, app, forms, engine, max_run)
            webhook.append(run), handling.append(result)
            bare.append(asyncio.run(max_run(BARE)))
        rate_webhook, rate_handling = webhook_run(args, app, forms, engine, rate_run)
        rate_bare = asyncio.run(rate_run(BARE))
        sent = twilio.stats()
        report(args, webhook, bare, handling, rate_webhook, rate_bare, rate_handling, sent)
        engine.dispose()


def report(args, webhook, bare, handling, rate_webhook, rate_bare, rate_handling, sent) -> None:
    """Prints the three tables and the ratio."""
    print(f"(a) most requests/s, {args.connections} connections, {args.seconds:g} s per run\n")
    rows = []
    for i, (w, b, h) in enumerate(zip(webhook, bare, handling), 1):
        rows.append([i, WEBHOOK, w.requests, w.errors, w.rate, ms(w, 50), ms(w, 99), h["handled_rate"]])
        rows.append([i, BARE, b.requests, b.errors, b.rate, ms(b, 50), ms(b, 99), "-"])
    print(table(["run", "route", "requests", "errors", "req/s", "p50 ms", "p99 ms",
                 "handled/s during run"], rows))
    ratio = statistics.median(w.rate for w in webhook) / statistics.median(b.rate for b in bare)
    handled_ratio = (statistics.median(h["handled_rate"] for h in handling)
                     / statistics.median(b.rate for b in bare))
    print(f"\nwebhook / bare (medians): {ratio:.2f} accepted, {handled_ratio:.2f} handled "
          f"(target accepted >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    print("backlog after each webhook run: " + "; ".join(
        f"{h['accepted'] - h['handled_during']:,} not yet handled, cleared in "
        f"{h['drain_seconds']:.1f} s" for h in handling) + "\n")

    print(f"(b) latency at {args.rate:g} requests/s for {args.rate_seconds:g} s (open loop)\n")
    rows = [[r.route, r.requests, r.errors, r.rate, ms(r, 50), ms(r, 99), ms(r, 100)]
            for r in (rate_webhook, rate_bare)]
    print(table(["route", "requests", "errors", "achieved req/s", "p50 ms", "p99 ms", "max ms"], rows))
    print(f"\nhandled during the {args.rate:g}/s run: {rate_handling['handled_rate']:.1f}/s "
          f"({rate_handling['handled_during']:,} of {rate_handling['accepted']:,}), "
          f"backlog cleared {rate_handling['drain_seconds']:.1f} s after the run")
    print(f"replies accepted by the Twilio double: {sent['accepted']:,} "
          f"({sent['rejected_429']} answered 429)")


def ms(run: Run, p: float) -> float:
    return percentile(run.latencies, p) * 1000


if __name__ == "__main__":
    main()

"""Signed SMS webhooks per second through the whole inbound path, as a ratio to a bare route.

    python bench/inbound.py                                   # SQLite file in a temp directory
    python bench/inbound.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbound

The app (`bot.app.create_app`, with its dispatcher sending the replies to a Twilio double in a
third process, CLUSTERBOT_SMS_MPS=0) runs under uvicorn in a child process, with one more route,
POST /bare, that only stores the raw form in the same database. This process posts signed forms
from 500 phones going through registration, and measures (a) the most requests per second each
route takes from 32 connections, (b) latency at a fixed rate, and how fast the accepted messages
are really handled (inbound status 'handled', reply queued) meanwhile, (c) the rate the bot can
sustain: the highest fixed rate at which every message is handled as it comes (no error, webhook
p99 under 1 s, everything handled and every reply sent within 2 s of the run's end), found by
doubling then bisecting fixed rates, as a ratio to the bare route's capacity measured in (a).

The bare route checks the Twilio signature as the webhook does. Parts can be run alone, e.g.
`--parts c` (then the bare route's capacity is measured first, --rounds times).
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

from common import (PUBLIC_URL, Child, TwilioProcess, analyze, backend, bot_env, drained, machine,
                    observer, percentile, scratch_database, table, wait_until)
from doubles.twilio import TwilioDouble
from storage.models import InboundMessage

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
            # Each phone starts its cycle at its own step, so that any stretch of traffic (a
            # short probe too) mixes every step of the script, not all phones at one step.
            step = i // len(PHONES) + phone
            params = self.double.inbound_params(PHONES[phone], script(phone, step))
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
    answered_in_window: int = 0  # closed loop: answers that came before the deadline
    window: float = 0.0  # closed loop: the planned duration
    cpu: float = 0.0  # seconds of CPU this (load generator) process used
    server_cpu: float = 0.0  # seconds of CPU the app process used, until the backlog was cleared

    @property
    def client_cpu(self) -> float:
        return 100 * self.cpu / self.seconds if self.seconds else 0.0

    @property
    def rate(self) -> float:
        """Answers per second: those within the window for a closed loop, else all of them."""
        if self.window:
            return self.answered_in_window / self.window
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
    """As many requests as `connections` keep-alive connections get answered in `seconds`
    (those still in flight then are awaited and count for latency, not for the rate)."""
    run, pending = Run(route, window=seconds), iter(requests)
    async with client(connections) as session:
        loop, cpu = asyncio.get_running_loop(), time.process_time()
        run.started, start = datetime.now(timezone.utc), loop.time()
        deadline = start + seconds

        async def worker():
            for request in pending:
                if loop.time() >= deadline:
                    return
                sent = loop.time()
                ok = await post(session, base + route, request)
                answered = loop.time()
                run.latencies.append(answered - sent)
                run.requests += 1
                run.errors += not ok
                run.answered_in_window += answered <= deadline

        await asyncio.gather(*(worker() for _ in range(connections)))
        run.seconds, run.ended = loop.time() - start, datetime.now(timezone.utc)
        run.cpu = time.process_time() - cpu
    return run


async def fixed_rate(base: str, route: str, requests: list, rate: float) -> Run:
    """One request every 1/rate s, whatever the answers (open loop); latency from the
    scheduled moment, so a stall counts for every request it delays."""
    run = Run(route)
    async with client(256) as session:
        loop, cpu = asyncio.get_running_loop(), time.process_time()
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
        run.cpu = time.process_time() - cpu
    return run


def last_inbound_id(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(InboundMessage.id), 0))).scalar()


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
    before, cpu = last_inbound_id(engine), app.cpu_seconds()
    run = asyncio.run(measure(WEBHOOK))
    drain_seconds = drain(engine, args.drain_timeout)
    run.server_cpu = app.cpu_seconds() - cpu
    return run, handled(engine, before, run, drain_seconds)


def bare_run(app: Child, measure) -> Run:
    """A load phase on the bare route (nothing runs after it)."""
    cpu = app.cpu_seconds()
    run = asyncio.run(measure(BARE))
    run.server_cpu = app.cpu_seconds() - cpu
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seconds", type=float, default=10.0, help="each max-throughput run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="max-throughput runs per route")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per run, at most")
    parser.add_argument("--rates", default="10,50", help="requests/s of the latency runs")
    parser.add_argument("--rate-seconds", type=float, default=20.0)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--parts", default="a,b,c", help="which of (a), (b), (c) to run")
    parser.add_argument("--sustain-start", type=float, default=25.0,
                        help="(c) first rate tried, requests/s")
    parser.add_argument("--sustain-seconds", type=float, default=15.0, help="(c) each probe")
    parser.add_argument("--sustain-p99", type=float, default=1.0,
                        help="(c) a sustained rate keeps the webhook's p99 under this, s")
    parser.add_argument("--sustain-drain", type=float, default=2.0,
                        help="(c) ... and clears the backlog within this after the run, s")
    parser.add_argument("--sustain-precision", type=float, default=0.1,
                        help="(c) bisect until the failing rate is within this of the sustained")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    parts = set(args.parts.replace(" ", "").split(","))

    with scratch_database(args.database_url) as url, TwilioProcess() as twilio, \
            Child(["bench/common.py", "app"], bot_env(url, twilio.url, 0)) as app:
        engine, forms = observer(url), Forms()
        print(f"inbound SMS webhooks on {backend(url)}; {machine()}\n")

        def max_run(route):
            requests = forms.make(args.max_requests)
            return closed_loop(app.url, route, requests, args.connections, args.seconds)

        def rate_run(rate):
            return lambda route: fixed_rate(app.url, route, forms.make(int(rate * args.rate_seconds)), rate)

        # Warm-up, both routes; on the webhook it is also the first traffic after a start.
        asyncio.run(closed_loop(app.url, BARE, forms.make(300), 8, 60))
        cold = webhook_run(args, app, forms, engine,
                           lambda r: closed_loop(app.url, r, forms.make(300), 8, 60))
        analyze(url)  # PostgreSQL: statistics for the 500 new members, as autovacuum would
        print_cold_start(*cold)

        accepted = capacity = None
        if "a" in parts:
            rounds = []
            for _ in range(args.rounds):  # alternating, so that noise falls on both routes alike
                webhook, handling = webhook_run(args, app, forms, engine, max_run)
                rounds.append((webhook, handling, bare_run(app, max_run)))
            accepted, capacity = print_max(args, rounds)

        if "b" in parts:
            latency = []
            for rate in rates:
                webhook, handling = webhook_run(args, app, forms, engine, rate_run(rate))
                latency.append((rate, webhook, handling, bare_run(app, rate_run(rate))))
            print_latency(args, latency)

        if "c" in parts:
            if capacity is None:
                capacity = statistics.median(bare_run(app, max_run).rate
                                             for _ in range(args.rounds))
                print(f"bare route's capacity (median of {args.rounds} runs of {args.seconds:g} "
                      f"s, {args.connections} connections): {capacity:,.0f} req/s\n")
            probes = sustain(args, app, forms, engine)
            print_sustain(args, probes, capacity, accepted)
        sent = twilio.stats()
        print(f"\nreplies accepted by the Twilio double: {sent['accepted']:,} "
              f"({sent['rejected_429']} answered 429)")
        engine.dispose()


def print_cold_start(run: Run, result: dict) -> None:
    print(f"first {run.requests} webhooks after the start (8 connections): accepted in "
          f"{run.seconds:.1f} s, all handled {result['drain_seconds']:.1f} s after that\n")


def print_max(args, rounds: list) -> tuple[float, float]:
    """Table (a): each round's webhook and bare runs, then the ratios of the medians; returns
    the accepted ratio and the bare route's median rate."""
    print(f"(a) most requests/s, {args.connections} connections, {args.seconds:g} s per run; "
          "app CPU per message counts, for the webhook, its handling and reply until the "
          "backlog is cleared\n")
    rows = []
    for i, (w, h, b) in enumerate(rounds, 1):
        rows.append([i, WEBHOOK, w.requests, w.errors, w.rate, ms(w, 50), ms(w, 99),
                     h["handled_rate"], h["drain_seconds"], cpu_ms(w), w.client_cpu])
        rows.append([i, BARE, b.requests, b.errors, b.rate, ms(b, 50), ms(b, 99), "-", "-",
                     cpu_ms(b), b.client_cpu])
    print(table(["round", "route", "requests", "errors", "req/s", "p50 ms", "p99 ms",
                 "handled/s during run", "backlog cleared after s", "app CPU ms/msg",
                 "load generator CPU %"], rows))
    bare = statistics.median(b.rate for _, _, b in rounds)
    accepted = statistics.median(w.rate for w, _, _ in rounds) / bare
    handled = statistics.median(h["handled_rate"] for _, h, _ in rounds) / bare
    cpu = (statistics.median(cpu_ms(b) for _, _, b in rounds)
           / statistics.median(cpu_ms(w) for w, _, _ in rounds))
    print(f"\nwebhook / bare, medians: accepted {accepted:.2f}, handled {handled:.2f}; "
          f"bare / webhook app CPU per message {cpu:.2f}. "
          f"Target accepted >= 0.5: {'met' if accepted >= 0.5 else 'NOT met'}\n")
    return accepted, bare


def print_latency(args, latency: list) -> None:
    """Table (b): latency of each route at each fixed rate, and what the handling kept up with."""
    print(f"(b) latency at a fixed rate for {args.rate_seconds:g} s (open loop, from the "
          "scheduled moment)\n")
    rows = []
    for rate, w, h, b in latency:
        rows.append([f"{rate:g}/s", WEBHOOK, w.requests, w.errors, ms(w, 50), ms(w, 90),
                     ms(w, 99), ms(w, 100), h["handled_rate"], h["drain_seconds"], cpu_ms(w)])
        rows.append([f"{rate:g}/s", BARE, b.requests, b.errors, ms(b, 50), ms(b, 90),
                     ms(b, 99), ms(b, 100), "-", "-", cpu_ms(b)])
    print(table(["rate", "route", "requests", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms",
                 "handled/s during run", "backlog cleared after s", "app CPU ms/msg"], rows))


@dataclass
class Probe:
    """One fixed-rate run of (c) on the webhook and whether the bot kept up with it."""

    rate: float
    run: Run
    handling: dict
    failures: list[str]

    @property
    def sustained(self) -> bool:
        return not self.failures


def probe(args, app: Child, forms: Forms, engine, rate: float) -> Probe:
    """Posts to the webhook at `rate` for --sustain-seconds, waits for the backlog, and says
    what, if anything, fell short of handling every message as it came."""
    requests = forms.make(max(1, round(rate * args.sustain_seconds)))
    run, handling = webhook_run(args, app, forms, engine,
                                lambda route: fixed_rate(app.url, route, requests, rate))
    failures = []
    if run.errors:
        failures.append(f"{run.errors} errors")
    if handling["handled"] < run.requests:
        failures.append(f"{run.requests - handling['handled']} not handled")
    if ms(run, 99) >= 1000 * args.sustain_p99:
        failures.append(f"p99 {ms(run, 99) / 1000:.2f} s")
    if handling["drain_seconds"] > args.sustain_drain:
        failures.append(f"backlog {handling['drain_seconds']:.1f} s")
    result = Probe(rate, run, handling, failures)
    print(f"  {rate:g}/s: {'sustained' if result.sustained else ', '.join(failures)}", flush=True)
    return result


def sustain(args, app: Child, forms: Forms, engine) -> list[Probe]:
    """(c) Fixed-rate probes: doubling (or halving) from --sustain-start until one rate is
    sustained and one is not, then bisecting until they are within --sustain-precision; the
    highest sustained rate must then pass a second probe (else 10 % lower, and again)."""
    print(f"(c) probing fixed rates, {args.sustain_seconds:g} s each:", flush=True)
    probes: list[Probe] = []

    def ok(rate: float) -> bool:
        probes.append(probe(args, app, forms, engine, rate))
        return probes[-1].sustained

    low = high = None
    rate = args.sustain_start
    while low is None or high is None:
        if ok(rate):
            low, rate = rate, rate * 2
        else:
            high, rate = rate, rate / 2
        if rate < 1:
            return probes  # not even 1/s
    while high / low > 1 + args.sustain_precision:
        middle = round((low + high) / 2, 1)
        if ok(middle):
            low = middle
        else:
            high = middle
    for _ in range(6):  # confirm: the rate holds twice and never failed (else 10 % lower)
        if any(p.rate == low and not p.sustained for p in probes):
            low = round(low * 0.9, 1)
        elif sum(p.rate == low for p in probes) >= 2:
            break
        else:
            ok(low)
    return probes


def print_sustain(args, probes: list[Probe], capacity: float, accepted: float | None) -> None:
    """Table (c): every probe, then the highest rate sustained as a ratio to the bare route."""
    print(f"\n(c) sustainable handled rate: fixed rates for {args.sustain_seconds:g} s; sustained "
          f"= no error, webhook p99 < {args.sustain_p99:g} s, all handled and replies sent "
          f"within {args.sustain_drain:g} s of the end\n")
    rows = [[i, f"{p.rate:g}/s", p.run.requests, p.run.errors, ms(p.run, 50), ms(p.run, 99),
             ms(p.run, 100), p.handling["handled_rate"], p.handling["drain_seconds"],
             cpu_ms(p.run), "yes" if p.sustained else "no: " + ", ".join(p.failures)]
            for i, p in enumerate(probes, 1)]
    print(table(["probe", "rate", "requests", "errors", "p50 ms", "p99 ms", "max ms",
                 "handled/s during run", "backlog cleared after s", "app CPU ms/msg",
                 "sustained"], rows))
    confirmed = [p.rate for p in probes
                 if all(q.sustained for q in probes if q.rate == p.rate)
                 and sum(q.rate == p.rate for q in probes) >= 2]
    if not confirmed:
        print("\nno rate was sustained twice")
        return
    best = max(confirmed)
    print(f"\nsustained (every probe at it, at least twice): {best:g} msg/s = {best / capacity:.2f} of the bare route's "
          f"capacity ({capacity:,.0f} req/s)"
          + (f"; accepted (a): {accepted:.2f} of it" if accepted is not None else ""))


def cpu_ms(run: Run) -> float:
    return 1000 * run.server_cpu / run.requests if run.requests else float("nan")


def ms(run: Run, p: float) -> float:
    return percentile(run.latencies, p) * 1000


if __name__ == "__main__":
    main()

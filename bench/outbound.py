"""SMS sent per second by the outbox dispatcher of `clusterbot run`, with and without a rate limit.

    python bench/outbound.py                                  # SQLite file in a temp directory
    python bench/outbound.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_outbound

A broadcast is queued with `storage.outbox.queue_to_members`, then `python -m bot run` is started
as a child process with its Twilio settings pointing at the Twilio double, itself in a third
process. (b) Without a limit (CLUSTERBOT_SMS_MPS=0): messages per second until all are 'sent', as a
ratio to a bare loop posting as many messages to the same double with the same twilio SDK async
client and 50 in flight. (a) With CLUSTERBOT_SMS_MPS=25 against a double that answers 429 beyond
25 in any one-second window: the rate achieved over 60 s, and how many 429s.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from sqlalchemy import func, select

from common import (BROADCAST_TEXT, SMS_NUMBER, Child, TwilioProcess, add_members, analyze,
                    backend, bot_env, machine, observer, scratch_database, table, wait_until)
from storage import outbox
from storage.db import session_factory, unit_of_work
from storage.models import Member, OutboundMessage

IN_FLIGHT = 50  # what the dispatcher allows per channel (bot.dispatcher.IN_FLIGHT)
BOT = ["-m", "bot", "run"]  # the process under test, as `clusterbot run`


def queue_broadcast(url: str, count: int, block: int, refresh_statistics: bool) -> list[str]:
    """`count` new members and one queued SMS to each; returns their phone numbers."""
    first, last = add_members(url, count, block)
    with unit_of_work(session_factory(url)) as session:
        queued = outbox.queue_to_members(
            session, select(Member.id).where(Member.id.between(first, last)), BROADCAST_TEXT)
        phones = list(session.scalars(select(Member.phone).where(Member.id.between(first, last))))
    assert queued == count, (queued, count)
    if refresh_statistics:
        analyze(url)
    return phones


def sent_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(OutboundMessage.status == "sent")).scalar()


async def bare_loop(twilio_url: str, phones: list[str]) -> tuple[float, float]:
    """Posts one message per phone straight to the double, `IN_FLIGHT` at a time, with the twilio
    SDK's async client as the dispatcher uses it; returns the seconds and CPU seconds taken."""
    from doubles.twilio import TwilioDouble
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client
    double = TwilioDouble()
    client = Client(double.account_sid, double.auth_token, http_client=AsyncTwilioHttpClient(timeout=30))
    client.api.base_url = twilio_url
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def send(phone):
        async with slots:
            await client.messages.create_async(to=phone, body=BROADCAST_TEXT, from_=SMS_NUMBER,
                                               status_callback="https://bot.example.org/webhooks/sms/status")

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(send(phone) for phone in phones))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    await client.http_client.close()
    return seconds, cpu


def accepted_span(twilio: TwilioProcess) -> tuple[int, float, int]:
    """(messages accepted, seconds from the first to the last, 429s) as the double saw them."""
    stats = twilio.stats(times=True)
    times = stats["times"]
    return len(times), (max(times) - min(times)) if times else 0.0, stats["rejected_429"]


def unlimited(args, url: str, twilio: TwilioProcess, block: int) -> list[list]:
    """(b), one round: a fresh broadcast sent by the bare loop, then another by the dispatcher.
    Returns a row for each, with msg/s from the double's first to last accepted message."""
    engine, rows = observer(url), []
    phones = queue_broadcast(url, args.messages, block, args.analyze)  # the dispatcher's
    twilio.reset()
    seconds, cpu = asyncio.run(bare_loop(twilio.url, phones))
    count, span, rejected = accepted_span(twilio)
    bare_rate = count / span
    rows.append(["bare SDK loop, 50 in flight", count, rejected, seconds, bare_rate, "-",
                 1000 * cpu / count])

    twilio.reset()
    already = sent_count(engine)
    with Child(BOT, bot_env(url, twilio.url, 0)) as bot:
        started, cpu = time.monotonic(), bot.cpu_seconds()
        wait_until(lambda: sent_count(engine) - already >= args.messages, timeout=args.timeout,
                   interval=0.2, what="all sent")
        seconds, cpu = time.monotonic() - started, bot.cpu_seconds() - cpu
    count, span, rejected = accepted_span(twilio)
    rows.append(["dispatcher (`bot run`, SMS_MPS=0)", count, rejected, seconds, count / span,
                 count / span / bare_rate, 1000 * cpu / count])
    engine.dispose()
    return rows


def limited(args, url: str, twilio: TwilioProcess) -> dict:
    """(a): the dispatcher at CLUSTERBOT_SMS_MPS=rate against a double enforcing that rate."""
    queue_broadcast(url, int(args.rate * (args.seconds + 15)), 9, args.analyze)
    twilio.reset(limit_per_second=int(args.rate))
    with Child(BOT, bot_env(url, twilio.url, args.rate)):
        first = wait_until(lambda: twilio.stats(times=True)["times"], timeout=60, what="first SMS")[0]
        time.sleep(max(0.0, first + args.seconds + 1 - time.time()))
        stats = twilio.stats(times=True)
    in_window = [t for t in stats["times"] if first <= t < first + args.seconds]
    steady = [t for t in stats["times"] if first + 1 <= t < first + args.seconds]
    return {"sent": len(in_window), "rate": len(in_window) / args.seconds,
            "steady": len(steady) / (args.seconds - 1), "rejected": stats["rejected_429"],
            "requests": stats["requests"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--messages", type=int, default=20_000, help="(b) broadcast size")
    parser.add_argument("--rate", type=float, default=25.0, help="(a) CLUSTERBOT_SMS_MPS")
    parser.add_argument("--seconds", type=float, default=60.0, help="(a) measured window")
    parser.add_argument("--rounds", type=int, default=2, help="(b) bare + dispatcher pairs")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="PostgreSQL: do not ANALYZE after queueing (stale planner statistics)")
    parser.add_argument("--timeout", type=float, default=900.0, help="(b) give up after")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url, TwilioProcess() as twilio:
        print(f"outbound SMS on {backend(url)}; {machine()}")
        if url.startswith("postgresql"):
            print("ANALYZE after each queueing: " + ("yes" if args.analyze else "no (--no-analyze)"))
        print()
        rows = []
        for round_ in range(1, args.rounds + 1):
            rows += [[round_, *row] for row in unlimited(args, url, twilio, block=round_)]
        print(f"(b) {args.messages:,} messages per run, no rate limit; msg/s from the double's "
              "first to last accepted message; wall s for the dispatcher: from /healthz "
              "answering to all recorded 'sent'\n")
        print(table(["round", "sender", "accepted", "429s", "wall s", "msg/s", "ratio to bare",
                     "sender CPU ms/msg"], rows))
        dispatcher = statistics.median(row[5] for row in rows if row[1].startswith("dispatcher"))
        ratio = statistics.median(row[6] for row in rows if row[1].startswith("dispatcher"))
        cpu = (statistics.median(row[7] for row in rows if row[1].startswith("dispatcher"))
               / statistics.median(row[7] for row in rows if row[1].startswith("bare")))
        print(f"\ndispatcher (median): {dispatcher:,.0f} msg/s, {ratio:.2f} of the bare loop, "
              f"{cpu:.1f}x its CPU per message; "
              f"target >= 1,000 msg/s: {'met' if dispatcher >= 1000 else 'NOT met'}\n")

        result = limited(args, url, twilio)
        print(f"(a) CLUSTERBOT_SMS_MPS={args.rate:g}, double answers 429 beyond {args.rate:g} in "
              f"any 1 s window; {args.seconds:g} s from the first accepted message\n")
        print(table(["accepted in window", "msg/s", "% of limit", "msg/s after 1st second",
                     "429s", "requests"],
                    [[result["sent"], result["rate"], 100 * result["rate"] / args.rate,
                      result["steady"], result["rejected"], result["requests"]]]))
        met = result["rate"] >= 0.98 * args.rate and result["rejected"] == 0
        print(f"\ntarget >= 98 % of the limit and no 429: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

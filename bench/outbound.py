"""SMS sent per second by the outbox dispatcher of `clusterbot run`, with and without a rate limit.

    python bench/outbound.py                                  # SQLite file in a temp directory
    python bench/outbound.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_outbound

A broadcast is queued with `storage.outbox.queue_to_members`, then `python -m bot run` is started
as a child process with its Twilio settings pointing at the Twilio double, itself in a third
process. (b) Without a limit (CLUSTERBOT_SMS_MPS=0): messages per second until all are 'sent', as a
ratio to a bare loop posting as many messages to the same double with the same twilio SDK async
client and 50 in flight. The bare loop's speed swings with the machine's load from run to run, so
each dispatcher round is compared with the bare round just before it (alternated, paired), and
the median of those paired ratios is reported, beside CPU per message (which swings less).
(a) With CLUSTERBOT_SMS_MPS=rate against a double that answers 429 to a message beyond `rate` in
any 1-second window, a broadcast of --limited-messages sent once per margin of bot.dispatcher
(default: 1 %, the margin before issue 19, then the margin kept): the rate reached, how many 429s,
and the tightest window: the shortest time between a message and the `rate`-th after it as the
double received them (under 1 s: a 429).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

from sqlalchemy import func, select

from common import (BROADCAST_TEXT, SMS_NUMBER, Child, TwilioProcess, add_members, analyze,
                    backend, bot_env, machine, observer, scratch_database, table, wait_until)
from bot.dispatcher import MARGIN
from storage import outbox
from storage.db import session_factory, unit_of_work
from storage.models import Member, OutboundMessage

IN_FLIGHT = 50  # what the dispatcher allows per channel (bot.dispatcher.IN_FLIGHT)
BOT = ["-m", "bot", "run"]  # the process under test, as `clusterbot run`


def bot_with_margin(margin: float) -> list[str]:
    """`clusterbot run` with bot.dispatcher's margins set to `margin` (shared: one point more)."""
    return ["bench/outbound.py", "bot", str(margin), "run"]


def run_bot_with_margin(margin: str, *args: str) -> None:
    """Child: sets the margins, then runs the command line as `python -m bot` does."""
    from bot import dispatcher
    dispatcher.MARGIN, dispatcher.SHARED_MARGIN = float(margin), float(margin) + 0.01
    from bot.cli import app
    sys.argv = ["clusterbot", *args]
    app()


@contextlib.contextmanager
def busy(processes: int) -> Iterator[None]:
    """`processes` children spinning on the CPU until the block ends: the machine made busy on
    purpose, for the jitter a margin must absorb."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(processes)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def tightest_window(times: list[float], limit: int) -> float:
    """The shortest time from a message to the `limit`-th after it: under 1 s, one 1-second window
    held `limit` + 1 messages. NaN when there are too few."""
    times = sorted(times)
    return min((b - a for a, b in zip(times, times[limit:])), default=float("nan"))


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


def dispatcher_sends(engine, env: dict, messages: int, timeout: float) -> tuple[float, float]:
    """Starts `python -m bot run` with `env` and waits until it has sent `messages` more;
    returns the seconds and the CPU seconds of the bot's process meanwhile."""
    already = sent_count(engine)
    with Child(BOT, env) as bot:
        started, cpu = time.monotonic(), bot.cpu_seconds()
        wait_until(lambda: sent_count(engine) - already >= messages, timeout=timeout,
                   interval=0.2, what="all sent")
        return time.monotonic() - started, bot.cpu_seconds() - cpu


async def bare_loop(twilio_url: str, phones: list[str]) -> tuple[float, float]:
    """Posts one message per phone straight to the double, `IN_FLIGHT` at a time, with the twilio
    SDK's async client as the dispatcher uses it; returns the seconds and CPU seconds taken."""
    from doubles.twilio import TwilioDouble
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client
    double = TwilioDouble()
    client = Client(double.account_sid, double.auth_token,
                    http_client=AsyncTwilioHttpClient(timeout=30))
    client.api.base_url = twilio_url
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def send(phone):
        async with slots:
            await client.messages.create_async(
                to=phone, body=BROADCAST_TEXT, from_=SMS_NUMBER,
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
    seconds, cpu = dispatcher_sends(engine, bot_env(url, twilio.url, 0), args.messages,
                                    args.timeout)
    count, span, rejected = accepted_span(twilio)
    rows.append(["dispatcher (`bot run`, SMS_MPS=0)", count, rejected, seconds, count / span,
                 count / span / bare_rate, 1000 * cpu / count])
    engine.dispose()
    return rows


def limited(args, url: str, twilio: TwilioProcess, margin: float, block: int) -> list:
    """(a), one margin: a broadcast of `args.limited_messages` sent at CLUSTERBOT_SMS_MPS=rate
    against a double enforcing that rate. Returns the table's row."""
    engine, count = observer(url), args.limited_messages
    queue_broadcast(url, count, block, args.analyze)
    twilio.reset(limit_per_second=int(args.rate))
    already = sent_count(engine)
    with Child(bot_with_margin(margin), bot_env(url, twilio.url, args.rate)):
        wait_until(lambda: sent_count(engine) - already >= count,
                   timeout=3 * count / args.rate + 120, interval=0.5, what="all sent")
    stats = twilio.stats(times=True)
    engine.dispose()
    times = sorted(stats["times"])
    rate = (len(times) - 1) / (times[-1] - times[0])
    return [f"{100 * margin:g} %", len(times), times[-1] - times[0], rate,
            100 * rate / args.rate, stats["rejected_429"],
            1000 * tightest_window(times, int(args.rate))]


def print_unlimited(rows: list[list], what: str) -> float:
    """Prints (b)'s rounds (`unlimited`'s rows, each with its round first) and the dispatcher
    against the bare loop, paired round by round; returns the dispatcher's median msg/s."""
    print(f"(b) {what}, no rate limit; msg/s from the double's first to last accepted message; "
          "ratio: to the bare round just before; wall s for the dispatcher: from /healthz "
          "answering to all recorded 'sent'\n")
    print(table(["round", "sender", "accepted", "429s", "wall s", "msg/s", "ratio to bare",
                 "sender CPU ms/msg"], rows))
    dispatcher = [row for row in rows if row[1].startswith("dispatcher")]
    bare = [row for row in rows if row[1].startswith("bare")]
    ratios = [row[6] for row in dispatcher]
    cpus = [d[7] / b[7] for d, b in zip(dispatcher, bare)]  # paired, like the ratios
    rate = statistics.median(row[5] for row in dispatcher)
    print(f"\ndispatcher (median): {rate:,.0f} msg/s; paired ratio to the bare loop "
          f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f}); "
          f"CPU per message {statistics.median(cpus):.1f}x the bare loop's (rounds "
          f"{min(cpus):.1f}-{max(cpus):.1f})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--messages", type=int, default=20_000, help="(b) broadcast size")
    parser.add_argument("--rounds", type=int, default=3, help="(b) bare + dispatcher pairs")
    parser.add_argument("--rate", type=float, default=25.0, help="(a) CLUSTERBOT_SMS_MPS")
    parser.add_argument("--limited-messages", type=int, default=10_000,
                        help="(a) broadcast size, per margin")
    parser.add_argument("--margins", default=f"0.01,{MARGIN}",
                        help="(a) bot.dispatcher.MARGIN values to run, in order (default: "
                             "the margin before issue 19 and the one kept)")
    parser.add_argument("--busy", type=int, default=0,
                        help="(a) processes spinning on the CPU meanwhile, as a busy machine")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="PostgreSQL: do not ANALYZE after queueing (stale planner statistics)")
    parser.add_argument("--timeout", type=float, default=900.0, help="(b) give up after")
    args = parser.parse_args()

    with scratch_database(args.database_url) as url, TwilioProcess() as twilio:
        print(f"outbound SMS on {backend(url)}; {machine()}")
        if url.startswith("postgresql"):
            print("ANALYZE after each queueing: "
                  + ("yes" if args.analyze else "no (--no-analyze)"))
        print()
        rows = []
        for round_ in range(1, args.rounds + 1):
            rows += [[round_, *row] for row in unlimited(args, url, twilio, block=round_)]
        if rows:
            rate = print_unlimited(rows, f"{args.messages:,} messages per run")
            print(f"target >= 1,000 msg/s: {'met' if rate >= 1000 else 'NOT met'}\n")

        margins = [float(m) for m in args.margins.split(",") if m]
        with busy(args.busy):
            limited_rows = [limited(args, url, twilio, margin, block=10 + i)
                            for i, margin in enumerate(margins)]
        if args.busy:
            print(f"({args.busy} process(es) spinning on the CPU meanwhile: --busy)")
        print(f"(a) CLUSTERBOT_SMS_MPS={args.rate:g}, the double answers 429 beyond "
              f"{args.rate:g} in any 1 s window; {args.limited_messages:,} messages per margin; "
              f"msg/s from the first to the last accepted; tightest window: shortest time from a "
              f"message to the {int(args.rate)}th after it (under 1 s: a 429)\n")
        print(table(["margin", "accepted", "seconds", "msg/s", "% of limit", "429s",
                     "tightest window ms"], limited_rows))
        kept = next((row for row, m in zip(limited_rows, margins) if m == MARGIN), None)
        if kept:
            met = kept[5] == 0
            print(f"\nmargin kept ({100 * MARGIN:g} %): {kept[4]:.1f} % of the limit, "
                  f"{kept[5]} 429s; target no 429: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["bot"]:
        run_bot_with_margin(*sys.argv[2:])
    else:
        main()

"""Telegram messages sent per second by the outbox dispatcher of `clusterbot run`: without a limit,
at the channel's limit, and to a few chats (Telegram's one message a second per chat).

    python bench/outbound_telegram.py                          # SQLite file in a temp directory
    python bench/outbound_telegram.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_telegram

`python -m bot run` is started as a child process with CLUSTERBOT_TELEGRAM_API_URL pointing at
the Telegram double (tests/doubles/telegram.py), itself in a third process.
(b) Without a limit (CLUSTERBOT_TELEGRAM_MPS=0, the double enforcing none): a broadcast to
--messages chats, as a ratio to a bare loop sending as many with the same python-telegram-bot
Bot, built as the bot builds it, 50 in flight. Rounds alternate bare and dispatcher; each
dispatcher round is compared with the bare round just before it and the median of those paired
ratios is reported, beside CPU per message.
(a) The double enforcing Telegram's flood limits strictly (429 to a message beyond 30 in any
1-second window overall, beyond 1 in any second in a chat), once per margin of bot.dispatcher:
the channel at CLUSTERBOT_TELEGRAM_MPS=--rate (default 30, Telegram's own limit, so that only the
margin keeps it under) to one chat per message; then --chats chats receiving --per-chat messages
each (per-chat pacing: at most --chats messages a second). For each: the rate reached, 429s, and
the tightest window (channel: the shortest time from a message to the rate-th after it; chats:
the shortest gap between two messages to one chat; under 1 s: a 429).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict

from common import (Child, add_members, analyze, backend, bot_env, machine, observer,
                    scratch_database, table, wait_until)
from outbound import (bot_with_margin, busy, dispatcher_sends, print_unlimited, sent_count,
                      tightest_window)
from sqlalchemy import select

from bot.dispatcher import MARGIN
from storage import outbox
from storage.db import session_factory, unit_of_work
from storage.models import Member

IN_FLIGHT = 50  # what the dispatcher allows per channel (bot.dispatcher.IN_FLIGHT)
TOKEN = "123:ABC"  # the double's
SECRET = "bench-secret"
TEXT = "Meeting on Friday 10:00 at Dunga Beach. Bring your catch records."
BOT = ["-m", "bot", "run"]


class TelegramProcess(Child):
    """The Telegram double in its own process, so it does not share a GIL with the load."""

    def __init__(self):
        super().__init__(["bench/outbound_telegram.py", "double"], health="/bench/stats")

    def stats(self) -> dict:
        """accepted, rejected_429, requests, and [chat_id, epoch second] of each accepted."""
        import httpx
        return httpx.get(self.url + "/bench/stats", timeout=30, trust_env=False).json()

    def reset(self, limits: bool) -> None:
        """Forgets everything; with `limits`, enforces Telegram's flood limits from now on."""
        import httpx
        httpx.post(self.url + "/bench/reset", params={"limits": int(limits)}, timeout=30,
                   trust_env=False).raise_for_status()


def serve_double(port: int) -> None:
    """Child: the Telegram double with /bench/stats and /bench/reset, on 127.0.0.1:port."""
    import uvicorn
    from doubles.telegram import TelegramDouble
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    double = TelegramDouble(TOKEN)

    async def stats(request):
        sent = double.sent
        sends = sum(1 for method, _ in list(double.calls) if method == "sendMessage")
        return JSONResponse({"accepted": len(sent), "rejected_429": double.rejected_429,
                             "requests": sends,
                             "sent": [[m.chat_id, m.at.timestamp()] for m in sent]})

    async def reset(request):
        double.reset()
        if request.query_params.get("limits") == "1":
            double.enforce_limits(per_chat_per_second=1, overall_per_second=30,
                                  per_group_per_minute=20)
        return JSONResponse({})

    double.app.router.routes[:0] = [Route("/bench/stats", stats),
                                    Route("/bench/reset", reset, methods=["POST"])]
    uvicorn.run(double.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def telegram_env(url: str, double_url: str, mps: float) -> dict:
    """A clusterbot process sending Telegram messages to the double (SMS off)."""
    return {**bot_env(url, None, 0), "CLUSTERBOT_TELEGRAM_TOKEN": TOKEN,
            "CLUSTERBOT_TELEGRAM_SECRET": SECRET, "CLUSTERBOT_TELEGRAM_MPS": str(mps),
            "CLUSTERBOT_TELEGRAM_API_URL": double_url + "/bot"}


def queue_telegram_broadcast(url: str, count: int, block: int) -> list[int]:
    """`count` new members on Telegram and a broadcast queued to each (it goes by Telegram);
    returns their chat ids."""
    first, last = add_members(url, count, block, telegram_every=1)
    with unit_of_work(session_factory(url)) as session:
        members = select(Member.id).where(Member.id.between(first, last))
        assert outbox.queue_to_members(session, members, TEXT) == count
        chats = list(session.scalars(select(Member.telegram_id).where(
            Member.id.between(first, last))))
    analyze(url)
    return chats


def queue_to_chats(url: str, chats: list[int], per_chat: int) -> None:
    """`per_chat` messages to each chat, queued in rounds (one to each chat, then the next)."""
    with unit_of_work(session_factory(url)) as session:
        for i in range(per_chat):
            for chat in chats:
                outbox.queue(session, channel="telegram", address=str(chat), member_id=None,
                             text=f"{TEXT} ({i + 1})", kind="broadcast")


async def bare_loop(double_url: str, chats: list[int]) -> tuple[float, float]:
    """Sends one message per chat straight to the double, `IN_FLIGHT` at a time, with the PTB Bot
    built as the bot builds it; returns the seconds and CPU seconds taken."""
    from telegram.ext import Application
    application = (Application.builder().token(TOKEN).base_url(double_url + "/bot")
                   .updater(None).build())
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def send(chat):
        async with slots:
            await application.bot.send_message(chat_id=chat, text=TEXT)

    async with application.bot:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(send(chat) for chat in chats))
        return time.perf_counter() - start, time.process_time() - cpu


def accepted_span(stats: dict) -> tuple[int, float]:
    times = [at for _, at in stats["sent"]]
    return len(times), (max(times) - min(times)) if times else 0.0


def unlimited(args, url: str, double: TelegramProcess, block: int) -> list[list]:
    """(b), one round: a broadcast sent by the bare loop, then another by the dispatcher."""
    engine, rows = observer(url), []
    chats = queue_telegram_broadcast(url, args.messages, block)
    double.reset(limits=False)
    seconds, cpu = asyncio.run(bare_loop(double.url, chats))
    stats = double.stats()
    count, span = accepted_span(stats)
    bare_rate = count / span
    rows.append(["bare PTB loop, 50 in flight", count, stats["rejected_429"], seconds, bare_rate,
                 "-", 1000 * cpu / count])

    double.reset(limits=False)
    seconds, cpu = dispatcher_sends(engine, telegram_env(url, double.url, 0), args.messages,
                                    args.timeout)
    stats = double.stats()
    count, span = accepted_span(stats)
    rows.append(["dispatcher (`bot run`, TELEGRAM_MPS=0)", count, stats["rejected_429"], seconds,
                 count / span, count / span / bare_rate, 1000 * cpu / count])
    engine.dispose()
    return rows


def paced(url: str, double: TelegramProcess, margin: float, mps: float, count: int,
          limit: int, per_chat: bool) -> list:
    """(a), one run at one margin: send what is queued (`count` messages) against the double's
    flood limits; the row: rate, 429s and the tightest window (channel) or gap (chats)."""
    engine = observer(url)
    double.reset(limits=True)
    already = sent_count(engine)
    with Child(bot_with_margin(margin), telegram_env(url, double.url, mps)):
        wait_until(lambda: sent_count(engine) - already >= count,
                   timeout=3 * count / limit + 120, interval=0.5, what="all sent")
    engine.dispose()
    stats = double.stats()
    times = sorted(at for _, at in stats["sent"])
    if per_chat:  # the sum of each chat's rate, from its first to its last message
        by_chat = defaultdict(list)
        for chat, at in stats["sent"]:
            by_chat[chat].append(at)
        rate = sum((len(t) - 1) / (max(t) - min(t)) for t in by_chat.values() if len(t) > 1)
        tightest = min(tightest_window(chat_times, 1) for chat_times in by_chat.values())
    else:
        rate = (len(times) - 1) / (times[-1] - times[0])
        tightest = tightest_window(times, limit)
    return [f"{100 * margin:g} %", len(times), times[-1] - times[0], rate, 100 * rate / limit,
            stats["rejected_429"], 1000 * tightest]


def paced_pair(args, url: str, double: TelegramProcess, margin: float, i: int) -> list[list]:
    """(a) at one margin: the channel's row, then the chats' row."""
    queue_telegram_broadcast(url, args.limited_messages, block=20 + i)
    channel = paced(url, double, margin, args.rate, args.limited_messages, int(args.rate),
                    per_chat=False)
    chats = [10**9 * (40 + i) + chat for chat in range(args.chats)]
    queue_to_chats(url, chats, args.per_chat)
    return [channel, paced(url, double, margin, 25, args.chats * args.per_chat, args.chats,
                           per_chat=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--messages", type=int, default=10_000, help="(b) broadcast size")
    parser.add_argument("--rounds", type=int, default=3, help="(b) bare + dispatcher pairs")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="(a) CLUSTERBOT_TELEGRAM_MPS for the channel's limit")
    parser.add_argument("--limited-messages", type=int, default=3_000,
                        help="(a) broadcast size at the channel's limit, per margin")
    parser.add_argument("--chats", type=int, default=10, help="(a) chats for per-chat pacing")
    parser.add_argument("--per-chat", type=int, default=30, help="(a) messages to each chat")
    parser.add_argument("--margins", default=f"0,0.01,{MARGIN}",
                        help="(a) bot.dispatcher.MARGIN values to run, in order (default: none "
                             "(the chats' pacing before issue 19), the channel's 1 %% before it, "
                             "and the margin kept)")
    parser.add_argument("--busy", type=int, default=0,
                        help="(a) processes spinning on the CPU meanwhile, as a busy machine")
    parser.add_argument("--timeout", type=float, default=900.0, help="(b) give up after")
    args = parser.parse_args()
    margins = [float(m) for m in args.margins.split(",") if m]

    with scratch_database(args.database_url) as url, TelegramProcess() as double:
        print(f"outbound Telegram on {backend(url)}; {machine()}\n")
        rows = []
        for round_ in range(1, args.rounds + 1):
            rows += [[round_, *row] for row in unlimited(args, url, double, block=round_)]
        if rows:
            print_unlimited(rows, f"{args.messages:,} messages per run (one per chat)")
            print()

        with busy(args.busy):
            rows = [paced_pair(args, url, double, margin, i) for i, margin in enumerate(margins)]
        channel_rows, chat_rows = [row[0] for row in rows], [row[1] for row in rows]
        if args.busy:
            print(f"({args.busy} process(es) spinning on the CPU during (a): --busy)\n")
        print(f"(a) the double answers 429 beyond 30 messages in any 1 s window, beyond 1 in a "
              f"chat; msg/s from the first to the last accepted\n\n"
              f"Channel: CLUSTERBOT_TELEGRAM_MPS={args.rate:g}, {args.limited_messages:,} "
              f"messages, one per chat; tightest window: shortest time from a message to the "
              f"{int(args.rate)}th after it (under 1 s: a 429)\n")
        print(table(["margin", "accepted", "seconds", "msg/s", f"% of {int(args.rate)}/s",
                     "429s", "tightest window ms"], channel_rows))
        print(f"\nChats: {args.chats} chats x {args.per_chat} messages, "
              f"CLUSTERBOT_TELEGRAM_MPS=25; msg/s: the sum of each chat's rate from its first "
              f"to its last message, % of {args.chats}/s (one a second per chat); tightest gap: "
              "shortest time between two messages to one chat (under 1 s: a 429)\n")
        print(table(["margin", "accepted", "seconds", "msg/s", f"% of {args.chats}/s", "429s",
                     "tightest gap ms"], chat_rows))


if __name__ == "__main__":
    if sys.argv[1:2] == ["double"]:
        serve_double(int(sys.argv[3]))
    else:
        main()

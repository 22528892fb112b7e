"""How long a member waits for an answer while a broadcast is being sent, against no broadcast.

    python bench/reply_latency.py                      # SQLite file in a temporary directory
    python bench/reply_latency.py --rate 1 --members 600
    python bench/reply_latency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_reply

`python -m bot run` sends SMS at CLUSTERBOT_SMS_MPS=rate to the Twilio double (in its own process,
answering 429 beyond the rate). Members send HELP by signed webhook, one every `--every` seconds:
first with nothing else to send (the baseline), then while a broadcast to `--members` members is
being sent. The wait is from the webhook's 200 to the double accepting the answer.
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import select

from common import (BROADCAST_TEXT, PUBLIC_URL, Child, TwilioProcess, add_members, backend,
                    bot_env, machine, new_sid, percentile, scratch_database, table, wait_until)
from storage import outbox
from storage.db import session_factory, unit_of_work
from doubles.twilio import TwilioDouble  # after common, which puts tests/ on the path
from storage.models import Member

BOT = ["-m", "bot", "run"]


def ask(bot: Child, double: TwilioDouble, phone: str) -> float:
    """A member sends HELP; returns when the webhook answered (epoch seconds)."""
    params = double.inbound_params(phone, "HELP", new_sid())
    response = double.post_inbound(bot.url, PUBLIC_URL, params)
    response.raise_for_status()
    return time.time()


def probe(bot: Child, twilio: TwilioProcess, double: TwilioDouble, phones: list[str],
          every: float) -> list[float]:
    """Each phone asks in turn, `every` s apart; returns each one's wait for the answer."""
    asked = {}
    for phone in phones:
        asked[phone] = ask(bot, double, phone)
        time.sleep(every)

    def answered():
        sent = {to: at for to, at in twilio.stats(recipients=True)["recipients"] if to in asked}
        return sent if len(sent) == len(asked) else None
    sent = wait_until(answered, timeout=600, what="every answer")
    return [sent[phone] - asked[phone] for phone in phones]


def queue_broadcast(url: str, members: int) -> None:
    first, last = add_members(url, members, 8)
    with unit_of_work(session_factory(url)) as session:
        outbox.queue_to_members(session, select(Member.id).where(Member.id.between(first, last)),
                                BROADCAST_TEXT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--rate", type=float, default=5.0, help="CLUSTERBOT_SMS_MPS")
    parser.add_argument("--members", type=int, default=1000, help="broadcast size")
    parser.add_argument("--questions", type=int, default=20, help="HELPs per phase")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between HELPs")
    args = parser.parse_args()
    double = TwilioDouble()
    with scratch_database(args.database_url) as url, TwilioProcess() as twilio:
        print(f"reply latency on {backend(url)}; {machine()}\n")
        twilio.reset(limit_per_second=int(args.rate))
        with Child(BOT, bot_env(url, twilio.url, args.rate)) as bot:
            probe(bot, twilio, double, ["+254722099999"], 0)  # loads the language profiles
            idle = probe(bot, twilio, double,
                         [f"+2547220{i:05d}" for i in range(args.questions)], args.every)
            queue_broadcast(url, args.members)
            wait_until(lambda: twilio.stats()["accepted"] > len(idle), 60, what="broadcast")
            busy = probe(bot, twilio, double,
                         [f"+2547221{i:05d}" for i in range(args.questions)], args.every)
            stats = twilio.stats()
        rows = [[name, len(waits), percentile(waits, 50), percentile(waits, 95), max(waits)]
                for name, waits in (("no broadcast", idle),
                                    (f"broadcast to {args.members:,} being sent", busy))]
        print(f"CLUSTERBOT_SMS_MPS={args.rate:g}; a HELP every {args.every:g} s; seconds from "
              "the webhook's answer to the double accepting the reply\n")
        print(table(["while", "answers", "p50 s", "p95 s", "max s"], rows))
        ratio = percentile(busy, 95) / percentile(idle, 95)
        print(f"\np95 during the broadcast / p95 without: {ratio:.1f}; broadcast messages "
              f"sent meanwhile: {stats['accepted'] - 2 * args.questions - 1:,}; "
              f"429s: {stats['rejected_429']}")


if __name__ == "__main__":
    main()

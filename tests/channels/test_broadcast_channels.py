"""A broadcast to 5,000 members from the command line, sent by the running app through both
channels to the doubles: each member gets it exactly once, and the command shows the outcome."""
from collections import Counter

from doubles.server import serve
from live import wait_for
from sqlalchemy import insert, select
from typer.testing import CliRunner

from bot import cli
from bot.app import create_app
from bot.settings import get_settings
from storage.db import unit_of_work
from storage.models import Member, Membership

MEMBERS = 5000


def add_members(factory, cluster_id):
    """Half on Telegram (free), half by SMS only; 50 opted out, who must get nothing."""
    rows = [{"phone": f"+2547200{i:05d}", "telegram_id": 900_000 + i if i % 2 else None,
             "registered": True, "language": "sw", "opted_out": i < 50} for i in range(MEMBERS)]
    with unit_of_work(factory) as session:
        session.execute(insert(Member), rows)
        ids = session.scalars(select(Member.id)).all()
        session.execute(insert(Membership), [{"member_id": i, "cluster_id": cluster_id,
                                              "role": "fisher"} for i in ids])


def test_broadcast_to_5000_members_reaches_each_once(channel_settings, factory, kisumu, twilio,
                                                     telegram_api, monkeypatch):
    add_members(factory, kisumu.id)
    for name, value in channel_settings.model_dump().items():
        if value is not None:
            monkeypatch.setenv(f"CLUSTERBOT_{name.upper()}", str(value))
    get_settings.cache_clear()
    with serve(create_app(channel_settings)):
        result = CliRunner().invoke(cli.app, ["broadcast", "--cluster", "kisumu-fish",
                                              "--translation", "sw=Mkutano Ijumaa saa nne",
                                              "Meeting on Friday at 10"])
        wait_for(lambda: len(twilio.sent) + len(telegram_api.sent) >= MEMBERS - 50, timeout=60)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{MEMBERS - 50} members" in result.stdout
    assert "sent 4950, delivered 0, failed 0" in result.stdout
    by_sms = Counter(m.to for m in twilio.sent)
    by_telegram = Counter(m.chat_id for m in telegram_api.sent)
    assert len(by_sms) == 2475 and set(by_sms.values()) == {1}
    assert len(by_telegram) == 2475 and set(by_telegram.values()) == {1}
    assert {m.body for m in twilio.sent} == {"Mkutano Ijumaa saa nne"}

"""Whole numbers are read one way (`handlers.quantities.whole_number`, ASCII digits only)
wherever a member or an operator types one: `²` and `፩` pass str.isdigit() but not int()."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from scenes import GRACE, add_member

from bot import cli
from handlers.dates import read_when
from storage.db import unit_of_work


def test_price_report_code_in_superscript_is_no_code(chat, factory, kisumu):
    with unit_of_work(factory) as session:
        add_member(session, GRACE, "fisher", kisumu, "en", "Grace", coordinator=True)
    assert chat(GRACE).send("PRICE NO ²") == ["No held price report has the code ²."]


def test_swahili_hour_in_ethiopic_digits_is_no_hour():
    now = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Africa/Nairobi")).astimezone(timezone.utc)
    assert read_when("kesho saa ፩ asubuhi", "Africa/Nairobi", now) is None
    assert read_when("kesho saa 4 asubuhi", "Africa/Nairobi", now).hour == 10


def test_terminal_button_number_of_5000_digits_is_sent_as_text(chat):
    """int() refuses more than 4,300 digits: the line is a message, not a button."""
    replies = cli.chat_turn(chat("5551234", "telegram"), "#" + "9" * 5000, cli.Style.telegram)
    assert replies and not replies[0].startswith("(there is no button")


def test_terminal_address_in_superscripts_is_no_telegram_id(chat):
    """Not a Telegram id nor a phone: nobody to answer, rather than an apology."""
    assert chat("²", "telegram").send("/start") == []

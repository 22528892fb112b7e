"""The SMS budget of a reply: the most of a list that fits, and a channel's limits."""
import pytest

from handlers.budget import SMS, TELEGRAM, count_segments, fits_budget, most_that_fit


def listed(shown: list[str], hidden: int) -> str:
    return "Prices: " + ", ".join(shown) + (f" +{hidden}" if hidden else "")


def longest_by_hand(items: list[str], least: int = 0) -> str:
    """The answer by trying every count from the most down, as a person would."""
    for shown in range(len(items), least - 1, -1):
        if fits_budget(SMS, listed(items[:shown], len(items) - shown)):
            return listed(items[:shown], len(items) - shown)
    return listed(items[:least], len(items) - least)


@pytest.mark.parametrize("count", [0, 1, 5, 17, 18, 19, 40, 200])
def test_the_most_that_fit_is_what_trying_every_count_finds(count):
    items = [f"Kisumu tilapia {i}" for i in range(count)]
    text = most_that_fit(listed, items)
    assert text == longest_by_hand(items)
    assert count_segments(text) <= 2


def test_nothing_fits_gives_the_least_asked_for():
    items = ["x" * 400, "y" * 400]
    assert most_that_fit(listed, items) == "Prices:  +2"
    assert most_that_fit(listed, items, least=1) == listed(items[:1], 1)
    assert not fits_budget(SMS, most_that_fit(listed, items, least=1))


def test_telegram_has_no_sms_budget_but_a_message_size():
    assert fits_budget(TELEGRAM, "a" * 4000)
    assert not fits_budget(TELEGRAM, "a" * 4001)
    assert not fits_budget(SMS, "a" * 321)
    names = [f"member {i}" for i in range(1000)]
    on_telegram = most_that_fit(listed, names, channel=TELEGRAM)
    shown = on_telegram.count(",") + 1
    assert len(on_telegram) <= 4000 < len(listed(names[:shown + 1], len(names) - shown - 1))

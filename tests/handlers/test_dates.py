"""The date reader: what coordinators type in en, sw, fr and pt, read in Nairobi time on
Wednesday 25 November 2026 at 10:00."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handlers.dates import Ambiguous, format_when, read_when, scan, split_title

TZ = "Africa/Nairobi"
NAIROBI = ZoneInfo(TZ)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NAIROBI).astimezone(timezone.utc)  # a Wednesday


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NAIROBI)


@pytest.mark.parametrize(("text", "moment"), [
    # English
    ("2026-12-04 10:00", at(4, 10, month=12)),
    ("Fri 10am", at(27, 10)),
    ("friday 10 am", at(27, 10)),
    ("tomorrow 3pm", at(26, 15)),
    ("tomorrow at 3:30 p.m.", at(26, 15, 30)),
    ("next Monday 9:00", at(30, 9)),
    ("4 Dec 10:00", at(4, 10, month=12)),
    ("4th of December 2026 at 10am", at(4, 10, month=12)),
    ("Dec 4 at 10am", at(4, 10, month=12)),
    ("on the 4th at 14:00", at(4, 14, month=12)),
    ("the day after tomorrow noon", at(27, 12)),
    ("tonight 8", at(25, 20)),
    ("Thursday 9 in the morning", at(26, 9)),
    ("Thu 7 evening", at(26, 19)),
    ("tomorrow 10", at(26, 10)),  # 22:00 is no time for a meeting
    ("tomorrow 2", at(26, 14)),
    ("25/12 10:00", at(25, 10, month=12)),
    ("12/25/2026 10:00", at(25, 10, month=12)),  # month first: 25 cannot be a month
    ("4 Jan 10:00", at(4, 10, month=1, year=2027)),  # well past this year: next year's
    ("tomorrow 08:00", at(26, 8)),  # a leading zero is a 24-hour clock
    # Swahili: hours count from 6 (saa moja = 7:00)
    ("kesho saa nne", at(26, 10)),
    ("kesho saa nne asubuhi", at(26, 10)),
    ("kesho saa 4 asubuhi", at(26, 10)),
    ("Ijumaa saa tatu asubuhi", at(27, 9)),
    ("leo saa nane mchana", at(25, 14)),
    ("kesho saa sita mchana", at(26, 12)),
    ("kesho saa moja jioni", at(26, 19)),
    ("kesho saa mbili usiku", at(26, 20)),
    ("kesho saa kumi jioni", at(26, 16)),
    ("kesho saa kumi na moja jioni", at(26, 17)),
    ("kesho saa kumi na mbili asubuhi", at(26, 6)),
    ("kesho saa tatu na nusu asubuhi", at(26, 9, 30)),
    ("kesho saa tatu unusu", at(26, 9, 30)),
    ("kesho saa nne na robo", at(26, 10, 15)),
    ("kesho saa nne kasorobo", at(26, 9, 45)),
    ("kesho saa nne na dakika kumi", at(26, 10, 10)),
    ("keshokutwa saa tano", at(27, 11)),
    ("kesho kutwa saa tano", at(27, 11)),
    ("Jumatatu ijayo saa tatu", at(30, 9)),
    ("tarehe 4 Desemba saa nne", at(4, 10, month=12)),
    ("Jumamosi saa 10:00", at(28, 10)),  # digits with a colon: the clock as written
    # French
    ("demain 10h", at(26, 10)),
    ("vendredi 14h30", at(27, 14, 30)),
    ("ven. 14h", at(27, 14)),
    ("lundi prochain à 9h", at(30, 9)),
    ("le 4 décembre à 10h", at(4, 10, month=12)),
    ("4 déc. 10h", at(4, 10, month=12)),
    ("après-demain 15h", at(27, 15)),
    ("demain 8 heures du soir", at(26, 20)),
    ("jeudi 3h de l'après-midi", at(26, 15)),
    ("mar 14h", at(1, 14, month=12)),  # mardi: `mar` with no day number is not March
    ("demain midi", at(26, 12)),
    # Portuguese
    ("amanhã 10h", at(26, 10)),
    ("sexta 14:30", at(27, 14, 30)),
    ("sexta-feira às 9h", at(27, 9)),
    ("próxima segunda 9:00", at(30, 9)),
    ("segunda que vem às 9h", at(30, 9)),
    ("dia 4 de dezembro às 10h", at(4, 10, month=12)),
    ("amanhã de manhã às 10", at(26, 10)),
    ("amanhã às 8 da noite", at(26, 20)),
    ("depois de amanhã 15h", at(27, 15)),
    ("sábado 10h", at(28, 10)),
    ("4/12/2026 10:00", at(4, 10, month=12)),
    ("4.12.2026 10:00", at(4, 10, month=12)),
    ("4.12 10:00", at(4, 10, month=12)),  # day.month before a time
    ("4.12 saa nne", at(4, 10, month=12)),
    ("tomorrow 10.30", at(26, 10, 30)),  # alone, 10.30 is a time
])
def test_reader_reads_phrasings_in_four_languages(text, moment):
    assert read_when(text, TZ, NOW) == moment


@pytest.mark.parametrize(("text", "choices"), [
    ("tomorrow 8", [at(26, 8), at(26, 20)]),  # 8am and 8pm are both meeting hours
    ("kesho saa mbili", [at(26, 8), at(26, 20)]),  # saa mbili: 8:00 or 20:00
    ("demain 7:30", [at(26, 7, 30), at(26, 19, 30)]),
    ("04/12 10:00", [at(4, 10, month=12), at(12, 10, month=4, year=2027)]),  # day/month order
    ("Wed 11am", [at(25, 11), at(2, 11, month=12)]),  # today, or next Wednesday?
    ("04/12 8", [at(4, 8, month=12), at(4, 20, month=12), at(12, 8, month=4, year=2027),
                 at(12, 20, month=4, year=2027)]),
])
def test_reader_offers_choices_when_two_readings_are_plausible(text, choices):
    got = read_when(text, TZ, NOW)
    assert got == Ambiguous(tuple(choices))


def test_reader_asks_before_taking_the_unusual_order_of_day_and_month():
    """12/04/2026: 12 April has passed, so 4 December is likely, but it is not the usual reading."""
    assert read_when("12/04/2026 10:00", TZ, NOW) == Ambiguous((at(4, 10, month=12),))


@pytest.mark.parametrize(("text", "suggested"), [
    ("today 9am", at(26, 9)),  # passed an hour ago: tomorrow?
    ("leo saa tatu asubuhi", at(26, 9)),
    ("2025-12-04 10:00", at(4, 10, month=12)),  # last year: this year's?
    ("1 Nov 10:00", at(1, 10, year=2027)),  # a few weeks ago: next year's?
])
def test_reader_offers_the_next_moment_when_the_one_typed_has_passed(text, suggested):
    assert read_when(text, TZ, NOW) == Ambiguous((suggested,), passed=True)


def test_weekday_today_with_the_hour_passed_is_next_week():
    assert read_when("Wed 9am", TZ, NOW) == at(2, 9, month=12)


@pytest.mark.parametrize("text", [
    "", "10am", "Friday", "kesho", "next week", "tomorrow 10am jioni", "tomorrow 25:00",
    "31/02 10:00", "Friday 10am Dunga", "banana", "2031-01-01 10:00", "'; DROP TABLE meetings; --",
    "🎉🎉 10am", "x" * 10_000, "0/0 0", "tomorrow 10:75",
])
def test_reader_gives_nothing_for_incomplete_or_unreadable_text(text):
    assert read_when(text, TZ, NOW) is None


def test_scan_leaves_the_place_after_the_date_and_time():
    reading = scan("Fri 10am at Dunga Beach", TZ, NOW)
    assert reading.said == "Fri 10am" and reading.rest == "at Dunga Beach"
    assert reading.day and reading.clock


def test_scan_stops_at_a_second_date():
    """`Mar Market` after a day is a place, not a second date (mardi)."""
    reading = scan("kesho saa nne Mar Market", TZ, NOW)
    assert reading.said == "kesho saa nne" and reading.rest == "Mar Market"


def test_scan_reads_a_day_without_a_time():
    reading = scan("Ijumaa Dunga", TZ, NOW)
    assert reading.day and reading.clock is None and reading.rest == "Dunga"


def test_split_title_ignores_the_colon_of_a_time():
    assert split_title("Fri 10:00 Dunga Beach: Cold chain: ice") == (
        "Fri 10:00 Dunga Beach", "Cold chain: ice")
    assert split_title("Fri 10am Dunga") == ("Fri 10am Dunga", "")


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", "Fri 4 Dec 10:00"),
    ("sw", "Ijumaa 4 Des 10:00 (saa 4 asubuhi)"),
    ("fr", "ven. 4 déc. 10:00"),
    ("pt", "sex. 4 dez. 10:00"),
    (None, "Fri 4 Dec 10:00"),
])
def test_moments_are_shown_in_the_members_language(lang, shown):
    assert format_when(at(4, 10, month=12), TZ, lang) == shown


@pytest.mark.parametrize(("moment", "swahili"), [
    (at(4, 7, month=12), "saa 1 asubuhi"), (at(4, 12, month=12), "saa 6 mchana"),
    (at(4, 17, 45, month=12), "saa 12 kasorobo jioni"),
    (at(4, 20, 30, month=12), "saa 2 na nusu usiku"),
    (at(4, 0, month=12), "saa 6 usiku"),
])
def test_swahili_hours_are_shown_as_they_are_said(moment, swahili):
    assert f"({swahili})" in format_when(moment, TZ, "sw")


def test_every_moment_shown_is_read_back_to_the_same_moment():
    """What the bot shows (`4 Dec 10:00`, `4 Des saa 4 asubuhi`) reads back to that moment."""
    moment = at(26, 0)
    while moment < at(26, 0, month=12):
        for lang in ("en", "fr", "pt"):
            shown = format_when(moment, TZ, lang).split(" ", 1)[1]  # without the weekday
            assert read_when(shown, TZ, NOW) == moment, shown
        day, swahili = format_when(moment, TZ, "sw").split(" (")
        shown = f"{day.split(' ', 1)[1].rsplit(' ', 1)[0]} {swahili.rstrip(')')}"
        assert read_when(shown, TZ, NOW) == moment, shown
        moment += timedelta(minutes=137)


@pytest.mark.parametrize(("text", "days"), [
    ("yesterday", -1), ("jana", -1), ("hier", -1), ("ontem", -1),
    ("the day before yesterday", -2), ("juzi", -2), ("avant-hier", -2), ("anteontem", -2)])
def test_scan_reads_the_days_before_today(text, days):
    """A survey asks when something happened: `jana` is the day before today."""
    reading = scan(text, TZ, NOW)
    assert reading.rest == "" and reading.day.dates == (date(2026, 11, 25 + days),)

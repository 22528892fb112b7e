"""Reads when a meeting or a training is from what a coordinator types, in English, Swahili,
French and Portuguese: the one date reader of the bot.

`read_when` reads a whole answer (`kesho saa nne`, `demain 10h`, `sexta 14:30`, `next Monday
9:00`); `scan` reads the date and time at the start of a command and gives back the words after
them (the place and title). An hour said without am/pm is read among the hours a meeting
plausibly starts; when two readings remain, or the moment typed has passed, the caller gets an
`Ambiguous` with the moments to offer back. Swahili hours count from 6 (saa moja = 7:00).
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_day_names, get_month_names

from handlers.quantities import whole_number
from locales.i18n import DEFAULT_LANGUAGE, SHIPPED, fold

DAY = 24 * 60
HALF_DAY = 12 * 60
PLAUSIBLE = (7 * 60, 21 * 60)  # an hour without am/pm is read as a start from 7:00 to 20:59
RECENT = timedelta(days=60)  # a yearless date this close behind is a slip, not next year's
FURTHEST = timedelta(days=400)  # later than this is not read as a meeting date
MOST_CHOICES = 4

# Minutes of the day each part of the day covers (a start may wrap past midnight).
PERIODS = {
    "dawn": ((3 * 60, 7 * 60),),
    "morning": ((4 * 60, 12 * 60 + 1),),
    "afternoon": ((12 * 60, 19 * 60),),
    "evening": ((15 * 60, DAY),),
    "night": ((19 * 60, DAY), (0, 5 * 60)),
}
PERIOD_WORDS = {
    "morning": "morning", "asubuhi": "morning", "matin": "morning", "manha": "morning",
    "afternoon": "afternoon", "mchana": "afternoon", "alasiri": "afternoon",
    "apres-midi": "afternoon", "l'apres-midi": "afternoon", "apres midi": "afternoon",
    "tarde": "afternoon",
    "evening": "evening", "jioni": "evening", "soir": "evening",
    "night": "night", "usiku": "night", "nuit": "night", "noite": "night",
    "alfajiri": "dawn",
}
# Days counted from today, some with the part of the day they name.
RELATIVE_DAYS = {
    "today": (0, None), "leo": (0, None), "aujourd'hui": (0, None), "aujourdhui": (0, None),
    "hoje": (0, None), "tonight": (0, "night"), "ce soir": (0, "evening"),
    "this morning": (0, "morning"), "this afternoon": (0, "afternoon"),
    "this evening": (0, "evening"),
    "tomorrow": (1, None), "kesho": (1, None), "demain": (1, None), "amanha": (1, None),
    "day after tomorrow": (2, None), "the day after tomorrow": (2, None),
    "kesho kutwa": (2, None), "keshokutwa": (2, None), "apres-demain": (2, None),
    "apres demain": (2, None), "depois de amanha": (2, None),
    # the past: a survey asks when something happened
    "yesterday": (-1, None), "jana": (-1, None), "hier": (-1, None), "ontem": (-1, None),
    "day before yesterday": (-2, None), "the day before yesterday": (-2, None),
    "juzi": (-2, None), "avant-hier": (-2, None), "avant hier": (-2, None),
    "anteontem": (-2, None),
}
NEXT_BEFORE = {"next", "proxima", "proximo"}  # next Monday, próxima segunda
THIS_BEFORE = {"this", "coming", "ce", "cette", "esta", "este"}
NEXT_AFTER = {"ijayo", "prochain", "prochaine", "que vem"}  # Jumatatu ijayo, lundi prochain
# Words that may come before a date or time without being one (skipped only when one follows).
FILLERS = {"at", "on", "in", "the", "by", "of", "le", "la", "a", "as", "de", "da", "do", "du",
           "em", "no", "na", "ya", "siku", "tarehe", "saa", "dia", "et", "and", "e", ",", "-",
           "kwa", "mnamo"}
HOURS_AFTER = {"h": True, "hrs": True, "hr": True, "heures": True, "heure": True, "horas": True,
               "hora": True, "hs": True, "o'clock": False}  # True: a 24-hour clock
NOON = {"noon": 12 * 60, "midday": 12 * 60, "midi": 12 * 60, "meio-dia": 12 * 60,
        "meiodia": 12 * 60, "midnight": 0, "minuit": 0, "meia-noite": 0, "meianoite": 0}
SW_NUMBERS = {"moja": 1, "mbili": 2, "tatu": 3, "nne": 4, "tano": 5, "sita": 6, "saba": 7,
              "nane": 8, "tisa": 9, "kumi": 10}
SW_TENS = {"ishirini": 20, "thelathini": 30, "arobaini": 40, "hamsini": 50}

CLOCK = re.compile(r"^(\d{1,2})(?:([:.h])(\d{2}))?(am|pm|h|hrs?)?$")
DAY_NUMBER = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|e|o|a)?$")
ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|o|a)$")
YEAR = re.compile(r"^(20\d\d)$")
ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
NUMERIC_DATE = re.compile(r"^(\d{1,2})([/-])(\d{1,2})(?:[/-](\d{4}|\d{2}))?$|"
                          r"^(\d{1,2})(\.)(\d{1,2})\.(\d{4}|\d{2})$")
DOTTED_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})$")  # 10.12: a date before a time, else 10:12
SEPARATOR = re.compile(r"(?<!\d):|:(?!\d)")  # a colon, unless it is inside a time (10:00)


@dataclass(frozen=True)
class Ambiguous:
    """Moments the words could mean; `passed` when the moment typed is over and these are the
    next ones like it."""

    choices: tuple[datetime, ...]
    passed: bool = False


@dataclass(frozen=True)
class Day:
    """The dates a text may mean, and how far to go to the next one like it (for a past date)."""

    dates: tuple[date, ...]
    step: str  # "day", "week", "month" or "year"
    usual_first: bool = False  # the first date is the usual reading: ask before taking another


@dataclass(frozen=True)
class Clock:
    """The minutes of the day a time may mean; `fixed` when am/pm or a 24-hour clock says the
    first is meant (a part of the day said with it may still pick another)."""

    minutes: tuple[int, ...]
    fixed: bool


@dataclass(frozen=True)
class Reading:
    """What the start of a text says about a moment, the words that said it, and the rest."""

    day: Day | None = None
    clock: Clock | None = None
    period: str | None = None
    said: str = ""
    rest: str = ""

    @property
    def empty(self) -> bool:
        return not (self.day or self.clock or self.period)


def read_when(text: str, tz: str, now: datetime) -> datetime | Ambiguous | None:
    """The moment the whole text names, in `tz`; None unless it is all a date and a time."""
    reading = scan(text, tz, now)
    if reading.rest:
        return None
    return resolve(reading, tz, now)


def split_title(text: str) -> tuple[str, str]:
    """(what comes before the first colon that is not in a time, what comes after)."""
    parts = SEPARATOR.split(text, maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


# --- Reading words -----------------------------------------------------------------------------

def key(word: str) -> str:
    """A word as the tables spell it: folded, outer punctuation off, `a.m.` as `am`."""
    folded = fold(word).replace("’", "'")
    folded = re.sub(r"([ap])\.m\.?$", r"\1m", folded)
    return folded.strip(",;!?()[]\"").rstrip(".") or folded


def scan(text: str, tz: str, now: datetime) -> Reading:
    """Reads a date, a time and a part of the day, in any order, from the start of `text`."""
    words = text.split()
    keys = [key(w) for w in words]
    today = now.astimezone(ZoneInfo(tz)).date()
    found: dict = {}
    i = 0
    while i < len(keys):
        step = match_at(keys, i, today, found)
        if step is None:
            break
        used, parts = step
        found.update(parts)
        i += used
    return Reading(day=found.get("day"), clock=found.get("clock"), period=found.get("period"),
                   said=" ".join(words[:i]), rest=" ".join(words[i:]))


def match_at(keys: list[str], i: int, today: date, found: dict) -> tuple[int, dict] | None:
    """(words used, parts) of the first date or time at `i`, after at most two filler words;
    a part already read (a second date) ends the reading."""
    for skip in range(3):
        if skip and keys[i + skip - 1] not in FILLERS:
            return None
        at = i + skip
        if at >= len(keys):
            return None
        for matcher in MATCHERS:
            got = matcher(keys, at, today)
            if got and not set(got[1]) & set(found):
                return skip + got[0], got[1]
    return None


def phrase(keys: list[str], i: int, table: dict, longest: int = 4):
    """(words used, value) of the longest phrase of `table` starting at `i`."""
    for size in range(min(longest, len(keys) - i), 0, -1):
        words = " ".join(keys[i:i + size])
        if words in table:
            return size, table[words]
    return None


def read_relative_day(keys, i, today):
    """`today`, `kesho`, `après-demain`, `depois de amanhã`, `tonight`."""
    got = phrase(keys, i, RELATIVE_DAYS)
    if not got:
        return None
    used, (days, period) = got
    parts = {"day": Day((today + timedelta(days=days),), "day")}
    return used, parts | ({"period": period} if period else {})


def read_weekday(keys, i, today):
    """`Fri`, `next Monday`, `Jumatatu ijayo`, `lundi prochain`, `sexta-feira`: the next one
    (today's weekday may mean today or next week)."""
    mode, start = "bare", i
    if keys[i] in NEXT_BEFORE or keys[i] in THIS_BEFORE:
        mode, start = ("next" if keys[i] in NEXT_BEFORE else "this"), i + 1
    if start >= len(keys) or keys[start] not in weekday_names():
        return None
    used = start + 1 - i
    after = phrase(keys, start + 1, {w: True for w in NEXT_AFTER}, longest=2)
    if after and mode == "bare":
        mode, used = "next", used + after[0]
    ahead = (weekday_names()[keys[start]] - today.weekday()) % 7
    if ahead:
        dates = (today + timedelta(days=ahead),)
    else:
        dates = {"this": (today,), "next": (today + timedelta(days=7),),
                 "bare": (today, today + timedelta(days=7))}[mode]
    return used, {"day": Day(dates, "week")}


def read_iso_date(keys, i, today):
    """`2026-12-04`."""
    found = ISO_DATE.match(keys[i])
    if not found:
        return None
    year, month, day = map(int, found.groups())
    made = safe_date(year, month, day)
    return (1, {"day": Day((made,), "year")}) if made else None


def read_numeric_date(keys, i, today):
    """`4/12`, `04-12-2026`, `4.12.2026`, `10.12 10:00`: day first, as in all four languages'
    countries."""
    found = NUMERIC_DATE.match(keys[i])
    if found:
        groups = found.groups()
        first, _, second, year = groups[:4] if groups[0] else groups[4:]
    elif ((found := DOTTED_DAY.match(keys[i])) and int(found.group(2)) <= 12
          and time_follows(keys, i + 1, today)):
        made = dated(int(found.group(1)), int(found.group(2)), None, today)  # never month first
        return (1, {"day": Day((made,), "year")}) if made else None
    else:
        return None
    a, b = int(first), int(second)
    if b > 12:
        orders = [(b, a)]  # month/day, as in the USA
    elif a > 12 or a == b:
        orders = [(a, b)]
    else:
        orders = [(a, b), (b, a)]  # 04/12: day first or month first, asked back
    dates = tuple(d for day, month in orders if (d := dated(day, month, year, today)))
    return (1, {"day": Day(dates, "year", usual_first=len(orders) > 1)}) if dates else None


def time_follows(keys: list[str], i: int, today: date) -> bool:
    """Whether a time is said at `i` (`10.12 10:00`, `10.12 saa nne`)."""
    return i < len(keys) and bool(read_swahili_clock(keys, i, today) or read_clock(keys, i, today))


def read_named_date(keys, i, today):
    """`4 Dec`, `4th of December 2026`, `4 de dezembro`, `Dec 4`, `tarehe 4 Desemba`."""
    months = month_names()
    j, day = i, None
    if (found := DAY_NUMBER.match(keys[j])) and j + 1 < len(keys):
        day, j = int(found.group(1)), j + 1
        if keys[j] in ("de", "of") and j + 1 < len(keys):
            j += 1
        if keys[j] not in months:
            return None
        month, j = months[keys[j]], j + 1
    elif keys[j] in months and j + 1 < len(keys) and (found := DAY_NUMBER.match(keys[j + 1])):
        month, day, j = months[keys[j]], int(found.group(1)), j + 2
    else:
        return None
    year = None
    for skip in (0, 1):
        if j + skip < len(keys) and YEAR.match(keys[j + skip]) and (
                not skip or keys[j] in ("de", ",")):
            year, j = int(keys[j + skip]), j + skip + 1
            break
    made = dated(day, month, year and str(year), today)
    return (j - i, {"day": Day((made,), "year")}) if made else None


def read_day_of_month(keys, i, today):
    """`dia 4`, `le 4`, `tarehe 4`, `the 4th`, `4th`: that day of this month or the next."""
    if keys[i] in ("dia", "le", "tarehe", "the") and i + 1 < len(keys):
        found, used = DAY_NUMBER.match(keys[i + 1]), 2
    else:
        found, used = ORDINAL.match(keys[i]), 1
    if not found or not 1 <= int(found.group(1)) <= 31:
        return None
    if i + used < len(keys) and (keys[i + used] in month_names() or keys[i + used] in ("de", "of")):
        return None  # le 4 décembre: a date with its month
    number, month = int(found.group(1)), today.replace(day=1)
    for _ in range(12):
        made = safe_date(month.year, month.month, number)
        if made and made >= today:
            return used, {"day": Day((made,), "month")}
        month = add_months(month, 1)
    return None


def read_clock(keys, i, today):
    """`10:00`, `14h30`, `10am`, `3 pm`, `10h`, `8` (no am/pm: two readings)."""
    if keys[i] in NOON:
        return 1, {"clock": Clock((NOON[keys[i]],), True)}
    found = CLOCK.match(keys[i])
    if not found:
        return None
    hour, separator, minutes, suffix = found.groups()
    h, m, used = int(hour), int(minutes or 0), 1
    nxt = keys[i + 1] if i + 1 < len(keys) else None
    if suffix is None and nxt in ("am", "pm"):
        suffix, used = nxt, 2
    elif suffix is None and nxt in HOURS_AFTER:
        suffix, used = ("h" if HOURS_AFTER[nxt] else None), 2
    if m > 59 or h > 23:
        return None
    if suffix in ("am", "pm"):
        if not 1 <= h <= 12:
            return None
        afternoon = HALF_DAY if suffix == "pm" else 0
        return used, {"clock": Clock(((h % 12) * 60 + m + afternoon,), True)}
    if separator == "h" or suffix is not None or h > 12 or h == 0 or hour.startswith("0"):
        # A 24-hour clock, though `8 heures du soir` still means 20:00.
        return used, {"clock": Clock(tuple(unique([h * 60 + m, (h * 60 + m + HALF_DAY) % DAY]))
                                     if h <= 12 else (h * 60 + m,), True)}
    return used, {"clock": twelve_hour(h, m)}


def read_swahili_clock(keys, i, today):
    """`saa nne` (10:00 or 22:00), `saa 4`, `saa kumi na moja`, `saa tatu na nusu`, `kasorobo`."""
    if keys[i] != "saa" or i + 1 >= len(keys):
        return None
    got = swahili_number(keys, i + 1, most=12)
    if not got:
        return None
    used, hour = got
    j = i + 1 + used
    delta = 0
    tail = " ".join(keys[j:j + 2])
    if tail in ("na nusu", "u nusu"):
        delta, j = 30, j + 2
    elif tail == "na robo":
        delta, j = 15, j + 2
    elif tail == "kasoro robo":
        delta, j = -15, j + 2
    elif j < len(keys) and keys[j] in ("unusu", "kasorobo"):
        delta, j = (30 if keys[j] == "unusu" else -15), j + 1
    elif tail == "na dakika" and (minutes := swahili_number(keys, j + 2, most=59)):
        delta, j = minutes[1], j + 2 + minutes[0]
    western = (hour + 6) % 12 or 12
    return j - i, {"clock": twelve_hour(western, 0, delta)}


def swahili_number(keys: list[str], i: int, most: int) -> tuple[int, int] | None:
    """(words used, value) of a number from 1 to `most` in digits or Swahili words."""
    if i >= len(keys):
        return None
    if (number := whole_number(keys[i])) is not None:
        value, used = number, 1
    elif keys[i] in SW_TENS or keys[i] in SW_NUMBERS:
        value, used = SW_TENS.get(keys[i]) or SW_NUMBERS[keys[i]], 1
        if value % 10 == 0 and keys[i + 1:i + 2] == ["na"] and i + 2 < len(keys) \
                and keys[i + 2] in SW_NUMBERS and SW_NUMBERS[keys[i + 2]] < 10:
            value, used = value + SW_NUMBERS[keys[i + 2]], 3
    else:
        return None
    return (used, value) if 1 <= value <= most else None


def twelve_hour(hour: int, minute: int, delta: int = 0) -> Clock:
    """Both readings of an hour from 1 to 12 said without am/pm."""
    first = ((hour % 12) * 60 + minute + delta) % DAY
    return Clock((first, (first + HALF_DAY) % DAY), False)


def read_period(keys, i, today):
    """`asubuhi`, `jioni`, `du soir`, `da tarde`, `in the morning`."""
    got = phrase(keys, i, PERIOD_WORDS, longest=2)
    return (got[0], {"period": got[1]}) if got else None


# Tried in this order at each word: dates with a month before weekdays (`mar 4` is March).
MATCHERS = (read_relative_day, read_iso_date, read_numeric_date, read_named_date,
            read_day_of_month, read_swahili_clock, read_weekday, read_clock, read_period)


# --- Names of days and months, from the CLDR data Babel ships -----------------------------------

@lru_cache
def month_names() -> dict[str, int]:
    names = {"sept": 9, "sep": 9}
    for lang in SHIPPED:
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=lang).items():
                names.setdefault(fold(name).rstrip("."), number)
    return names


@lru_cache
def weekday_names() -> dict[str, int]:
    """Folded weekday names and abbreviations -> Python weekday (Monday 0)."""
    names = {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
    for lang in SHIPPED:
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, locale=lang).items():
                folded = fold(name).rstrip(".")
                names.setdefault(folded, number)
                names.setdefault(folded.removesuffix("-feira"), number)
    return names


# --- From words to moments -------------------------------------------------------------------

def resolve(reading: Reading, tz: str, now: datetime) -> datetime | Ambiguous | None:
    """The moment a reading with a date and a time names; Ambiguous when it names several or
    only past ones; None when it lacks a part or its parts disagree (`10am jioni`)."""
    if not reading.day or not reading.clock:
        return None
    minutes = clock_minutes(reading.clock, reading.period)
    zone = ZoneInfo(tz)
    moments = unique(at(d, m, zone) for d in reading.day.dates for m in minutes)
    moments = [m for m in moments if m <= now + FURTHEST]
    future = [m for m in moments if m > now]
    usual_gone = reading.day.usual_first and future and future[0].date() != reading.day.dates[0]
    if len(future) == 1 and not usual_gone:
        return future[0]
    if future:
        return Ambiguous(tuple(future[:MOST_CHOICES]))
    later = unique(next_after(m, reading.day.step, now) for m in moments)
    later = [m for m in later if m and m <= now + FURTHEST]
    return Ambiguous(tuple(later[:MOST_CHOICES]), passed=True) if later else None


def clock_minutes(clock: Clock, period: str | None) -> list[int]:
    """The readings of a time that fit the part of the day said, else the plausible ones."""
    if period:
        return [m for m in clock.minutes if any(lo <= m < hi for lo, hi in PERIODS[period])]
    if clock.fixed:
        return list(clock.minutes[:1])
    plausible = [m for m in clock.minutes if PLAUSIBLE[0] <= m < PLAUSIBLE[1]]
    return plausible or list(clock.minutes[:1])


def at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def next_after(moment: datetime, step: str, now: datetime) -> datetime | None:
    """The first moment after `now` at the same time, `step` by `step` from `moment`."""
    for count in range(1, 400):
        day = moved(moment.date(), step, count)
        if day is not None:
            later = datetime.combine(day, moment.timetz())
            if later > now:
                return later
    return None


def moved(day: date, step: str, count: int) -> date | None:
    if step == "day":
        return day + timedelta(days=count)
    if step == "week":
        return day + timedelta(weeks=count)
    if step == "month":
        month = add_months(day.replace(day=1), count)
        return safe_date(month.year, month.month, day.day)
    return safe_date(day.year + count, day.month, day.day)


def unique(moments) -> list:
    return list(dict.fromkeys(moments))


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def add_months(day: date, count: int) -> date:
    index = day.month - 1 + count
    month_day = min(day.day, calendar.monthrange(day.year + index // 12, index % 12 + 1)[1])
    return date(day.year + index // 12, index % 12 + 1, month_day)


def dated(day: int, month: int, year: str | None, today: date) -> date | None:
    """The date; without a year, this year's unless it is well past (then next year's)."""
    if year is not None:
        return safe_date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    for ahead in range(5):  # 29 February waits for a leap year
        made = safe_date(today.year + ahead, month, day)
        if made and made >= today - RECENT:
            return made
    return None


# --- Showing a moment ------------------------------------------------------------------------

def format_when(moment: datetime, tz: str, lang: str | None, swahili_hour: bool = True) -> str:
    """`Fri 4 Dec 10:00` in the member's language; Swahili adds the Swahili hour, unless
    `swahili_hour` is False (a choice label, where room is short)."""
    lang = lang if lang in SHIPPED else DEFAULT_LANGUAGE
    local = moment.astimezone(ZoneInfo(tz))
    shown = format_datetime(local, "EEE d MMM HH:mm", locale=lang)
    if lang == "sw" and swahili_hour:
        shown += f" (saa {swahili_time(local.hour, local.minute)})"
    return shown


def swahili_time(hour: int, minute: int) -> str:
    """`4 asubuhi` for 10:00, `12 kasorobo jioni` for 17:45: the Swahili hour, as SMS write it."""
    shown_hour = hour + (1 if minute == 45 else 0)
    extra = {0: "", 15: " na robo", 30: " na nusu", 45: " kasorobo"}.get(
        minute, f" na dakika {minute}")
    return f"{(shown_hour - 6) % 12 or 12}{extra} {swahili_part_of_day(hour)}"


def swahili_part_of_day(hour: int) -> str:
    if 4 <= hour < 12:
        return "asubuhi"
    if 12 <= hour < 16:
        return "mchana"
    if 16 <= hour < 19:
        return "jioni"
    return "usiku"
